r"""The battery alone in the common reservoir at T = 0, once the charger is removed."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..._checks import check_positive, check_tlist
from ...dicke import DickeEnsemble
from ...series import sign_changes
from .model import energy_density

__all__ = ["DischargeResult", "discharge"]


@dataclass(frozen=True, eq=False)
class DischargeResult:
    r"""The battery alone in the reservoir at :math:`T = 0` (:func:`discharge`).

    Attributes
    ----------
    times : ndarray, shape (n_t,)
    populations : ndarray, shape (n_t, n_levels)
        Dicke-level populations (:class:`qbkit.dicke.DickeEnsemble` order).
    ensemble : DickeEnsemble
    gamma : float
    """

    times: np.ndarray
    populations: np.ndarray
    ensemble: DickeEnsemble
    gamma: float

    @property
    def energy_density(self):
        """Battery energy density, Eq. (6), shape (n_t,)."""
        return energy_density(self.ensemble.Jz(self.populations), self.ensemble.N)

    @property
    def power_density(self):
        r"""Discharge power per spin, :math:`2\gamma\langle J_B^+J_B^-\rangle/N_B` (exact)."""
        return (
            self.ensemble.collective_emission_rate(self.populations, 2 * self.gamma)
            / self.ensemble.N
        )

    @property
    def half_life(self):
        """First time at which the energy density falls to half its initial value (inf if never)."""
        crossing = sign_changes(self.times, self.energy_density - self.energy_density[0] / 2)
        return float(crossing[0]) if crossing.size else float("inf")


def discharge(populations, tlist, *, gamma=1.0, dephased=False):
    r"""Discharge of the battery into the reservoir at :math:`T = 0` once the charger is removed.

    The battery's state is diagonal in :math:`m_B` on its symmetric states (any charging
    run's :math:`\rho_B`); alone in the reservoir it decays collectively, through
    :math:`\gamma\mathcal L(J_B^-)` of Eq. (2) (rate :math:`2\gamma` per spin), i.e.
    superradiantly. With ``dephased=True`` every spin is first fully dephased in the
    :math:`\sigma^z` basis ("a dephasing pulse"): the populations of :math:`|j_B, m_B\rangle`
    spread evenly over all :math:`\binom{N_B}{k}` product states with :math:`k = N_B/2 + m_B`
    excitations, i.e. over every multiplet :math:`j \ge |m_B|` with weight
    :math:`d_j/\binom{N_B}{k}`, and each multiplet then decays collectively on its own.

    Parameters
    ----------
    populations : array_like, shape (N_B + 1,)
        Battery populations, ``m_B = N_B/2, ..., -N_B/2``.
    tlist : array_like, shape (n_t,)
        Increasing times from the removal of the charger (unit ``1/gamma``).
    gamma : float
        Damping rate of Eq. (2) (> 0).
    dephased : bool
        Dephase every spin before the discharge.

    Returns
    -------
    DischargeResult

    Raises
    ------
    ValueError
        If the populations are not a probability vector or a rate is invalid.
    """
    gamma = check_positive(gamma=gamma)
    p = np.asarray(populations, dtype=float)
    if p.ndim != 1 or p.size < 2 or np.any(p < -1e-12) or abs(p.sum() - 1) > 1e-9:
        raise ValueError("populations must be a probability vector over m_B = N_B/2 .. -N_B/2")
    N = p.size - 1
    ens = DickeEnsemble(N)
    p0 = np.zeros(ens.dim)
    for m_B, weight in zip(N / 2 - np.arange(N + 1), p):
        k = int(round(N / 2 + m_B))
        for level in np.flatnonzero(np.isclose(ens.m, m_B) & (ens.j >= abs(m_B) - 1e-9)):
            j = ens.j[level]
            if not dephased:
                p0[level] += weight * np.isclose(j, N / 2)
                continue
            low = int(round(N / 2 - j))
            d_j = comb(N, low) - (comb(N, low - 1) if low else 0)
            p0[level] += weight * d_j / comb(N, k)
    pops = ens.evolve(p0, tlist, 0.0, 2 * gamma).states
    return DischargeResult(check_tlist(tlist), pops, ens, gamma)
