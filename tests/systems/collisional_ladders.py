r"""Analytic states of collisional charging in the drive limit θ → 0 (test references).

Both follow from the small-angle generator (A13) of Salvia et al.: at q = 1/2, α = 0 the
battery evolves under :math:`H = (A + A^\dagger)/2` per unit of :math:`\Omega\tau`.

* Oscillator (:math:`A = a`): coherent state :math:`\beta = -i\Omega\tau/2`:

  .. math:: \langle n|\beta\rangle = e^{-|\beta|^2/2}\,\beta^n/\sqrt{n!},
            \qquad \bar E = (\Omega\tau)^2/4 .

* Spin j (:math:`A = J_-`, level n = m + j): :math:`e^{-i\Omega\tau J_x}|j,-j\rangle`,

  .. math:: \psi_n = (-i)^n\sqrt{\tbinom{2j}{n}}\,\sin^n(\Omega\tau/2)\cos^{2j-n}(\Omega\tau/2),
            \qquad \bar E = 2j\sin^2(\Omega\tau/2) = j(1 - \cos\Omega\tau) .
"""

import numpy as np
from scipy.special import gammaln


def coherent_state(beta, d):
    """Fock amplitudes of the coherent state ``beta`` on levels 0..d-1, shape (d,)."""
    n = np.arange(d)
    log_mag = -(abs(beta) ** 2) / 2 + n * np.log(abs(beta)) - 0.5 * gammaln(n + 1)
    return np.exp(log_mag) * np.exp(1j * n * np.angle(beta))


def spin_rotation_state(j, angle):
    """Amplitudes of exp(-i angle J_x)|j, -j> on levels n = m + j = 0..2j, shape (2j + 1,)."""
    two_j = int(round(2 * j))
    n = np.arange(two_j + 1)
    binom = gammaln(two_j + 1) - gammaln(n + 1) - gammaln(two_j - n + 1)
    s, c = np.sin(angle / 2), np.cos(angle / 2)
    return (-1j) ** n * np.exp(0.5 * binom) * s**n * c ** (two_j - n)
