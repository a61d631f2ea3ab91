"""Benchmarks of the salvia2023 chapter: its heaviest computations, and the plain QuTiP way.

The plain way of one collision, Eq. (3): the dense unitary :math:`e^{-i\\theta H}` on battery
(x) qubit, :math:`U(\\rho\\otimes\\rho_Q)U^\\dagger`, and the partial trace over the qubit (QuTiP);
loss between collisions as the exponential of the damping Liouvillian. Ours: the banded Kraus
channel (:class:`qbkit.collision.CollisionChannel`) in its real frame.
"""

from __future__ import annotations

import numpy as np
from run import Comparison


def cases():
    from qbkit.collision import Ladder
    from qbkit.models import collisional_battery as cb

    osc, pi = Ladder.oscillator(250), np.pi
    T = 2 * np.sqrt(249)  # full charge of the theta -> 0 drive
    gammas = np.array([0.0, 5e-4, 1e-3, 1.5e-3, 2e-3, 2.25e-3])
    thetas = np.array([0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.045, 0.05]) * pi

    return {
        "salvia2023: theta=0.01pi to Omega tau=20, 250 levels (636 collisions)": lambda: (
            cb.charge_until(osc, 0.01 * pi, 20.0)
        ),
        "salvia2023: theta=0.01pi, gamma=1e-3, full charge, 250 levels (1004 collisions)": lambda: (
            cb.charge_until(osc, 0.01 * pi, T, loss=1e-3)
        ),
        "salvia2023: Fig. 4 study, 6 gamma x 9 theta, the gamma = 0 edge and gamma_c": lambda: (
            cb.loss_study(osc, thetas, gammas, T, theta_bracket=(0.015 * pi, 0.04 * pi))
        ),
        "salvia2023: spin greedy, both objectives and the grid study (Fig. 6)": lambda: (
            cb.greedy_rules(Ladder.spin(49.5), 5.0)
        ),
    }


def _plain_coherent(d, theta, n_collisions, gamma=0.0):
    """Energy after each collision the plain way: QuTiP dense unitary, partial trace, expm loss."""
    import qutip
    from scipy.linalg import expm

    a = qutip.destroy(d)
    g, e = qutip.basis(2, 0), qutip.basis(2, 1)
    H = qutip.tensor(a, e * g.dag()) + qutip.tensor(a.dag(), g * e.dag())
    U = (-1j * theta * H).expm()
    plus = (g + e).unit()
    rho_Q = plus * plus.dag()
    if gamma > 0:
        kappa_t0 = -np.log1p(-gamma)
        damp = expm(kappa_t0 * qutip.liouvillian(qutip.qzero(d), [a]).full())
    rho = qutip.fock_dm(d, 0)
    N = qutip.num(d)
    energy = [0.0]
    for _ in range(n_collisions):
        rho = (U * qutip.tensor(rho, rho_Q) * U.dag()).ptrace(0)
        if gamma > 0:
            vec = damp @ rho.full().reshape(-1, order="F")
            rho = qutip.Qobj(vec.reshape(d, d, order="F"))
        energy.append(qutip.expect(N, rho))
    return np.array(energy)


def comparisons():
    from qbkit.collision import Ladder
    from qbkit.models import collisional_battery as cb

    pi = np.pi
    K250 = cb.n_collisions(20.0, 0.01 * pi)
    K60 = cb.n_collisions(10.0, 0.02 * pi)
    return [
        Comparison(
            "coherent charging energy, theta = 0.01 pi to Omega tau = 20 (Figs. 2, 3)",
            f"250 levels, {K250} collisions",
            ours=lambda: cb.charge_coherent(Ladder.oscillator(250), 0.01 * pi, K250).energy,
            plain=lambda: _plain_coherent(250, 0.01 * pi, K250),
        ),
        Comparison(
            "coherent charging energy with loss gamma = 2e-3, theta = 0.02 pi to Omega tau = 10",
            f"60 levels, {K60} collisions (the plain loss is a dense 3600 x 3600 propagator)",
            ours=lambda: (
                cb.charge_coherent(Ladder.oscillator(60), 0.02 * pi, K60, loss=2e-3).energy
            ),
            plain=lambda: _plain_coherent(60, 0.02 * pi, K60, gamma=2e-3),
        ),
    ]
