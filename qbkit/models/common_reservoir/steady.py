r"""Long-time limits of the common-reservoir model, without time evolution.

The weight of each multiplet J of :math:`\mathbf J_C + \mathbf J_B` is conserved; inside a
multiplet the reservoir drives the populations to a Gibbs ladder, at :math:`T = 0` to the
dark state :math:`|J, -J\rangle`. :func:`steady_state` builds that state;
:func:`steady_energy_densities` and :func:`steady_battery_populations` give its energies and
battery populations in closed form (Clebsch-Gordan coefficients and the projection theorem),
cheap for thousands of spins.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.linalg import eigh_tridiagonal

from ..._checks import check_choice, check_count, check_rates
from ...blocks import BlockState
from ...ergotropy import ergotropy_from_populations, passive_energy_from_spectrum
from ...spins import CoupledBasis, lowest_weight_cg_squared, projected_Jz_B, stretched_cg_squared
from ...thermo import gibbs_populations
from .model import BATTERY_STATES, energy_density

__all__ = [
    "multiplet_weights",
    "steady_state",
    "thermal_sectors",
    "steady_energy_densities",
    "steady_battery_populations",
    "steady_ergotropy_density",
    "EnergyBalance",
    "energy_balance",
]


def multiplet_weights(rho0):
    r"""Weights :math:`p_J = \mathrm{Tr}(P_J \rho_0)` of the multiplets J of two spins.

    :math:`\mathbf J^2` commutes with every term of Eq. (2), so these weights are
    conserved by the dynamics.

    Parameters
    ----------
    rho0 : qutip.Qobj
        Two-spin state diagonal in total M.

    Returns
    -------
    J : ndarray, shape (n_J,)
        Multiplets, ascending.
    p : ndarray, shape (n_J,)
        Their weights (sum 1).
    """
    dC, dB = rho0.dims[0]
    cb = CoupledBasis((dC - 1) / 2, (dB - 1) / 2)
    state = BlockState.from_qobj(rho0, cb, all_blocks=False)
    J_all = cb.J_min + np.arange(int(round(cb.J_max - cb.J_min)) + 1)
    p = np.zeros(J_all.size)
    for block, M in zip(state.blocks, state.M_values):
        d = len(cb.m_B_values(M))
        V = _unphased_block(cb, M)
        diag = np.einsum("ia,ij,ja->a", V, block[:d, :d], V)
        p[np.rint(cb.J_values(M) - cb.J_min).astype(int)] += diag
    return J_all, p


def _unphased_block(cb, M):
    """Multiplet vectors of block M up to sign (enough wherever only projectors enter)."""
    diag, off = cb._J2_block(M)
    if len(diag) == 1:
        return np.ones((1, 1))
    return eigh_tridiagonal(diag, off)[1]


def steady_state(model, rho0):
    r"""Exact long-time state of Eq. (2) by multiplet decomposition (no time evolution).

    The weight :math:`p_J` of each multiplet is conserved; within a multiplet the
    reservoir drives the populations to the Gibbs ladder
    :math:`w_J(M) \propto (\bar n/(\bar n+1))^{M+J}` (at :math:`\bar n = 0` the
    lowest state :math:`|J,-J\rangle`, which is dark: :math:`J^-|J,-J\rangle = 0`);
    coherences between different multiplets decay because the two multiplets have
    different decay constants. Hence

    .. math:: \rho^\text{ss} = \sum_J p_J \sum_M w_J(M)\, |J, M\rangle\langle J, M|,

    which generalizes Eqs. (4) and (32) of Quach & Munro (2020) to any :math:`N_B, N_C`.

    Parameters
    ----------
    model : CommonReservoir
    rho0 : qutip.Qobj
        Initial two-spin state, diagonal in total M.

    Returns
    -------
    BlockState
        Only the occupied blocks are stored (see ``block_index``; ``.expanded()`` stores
        all); ``.to_qobj()`` gives the Qobj.

    Raises
    ------
    ValueError
        If ``rho0`` is not diagonal in total M or does not belong to the model.
    """
    if list(rho0.dims[0]) != [model.N_C + 1, model.N_B + 1]:
        raise ValueError(
            f"rho0 has dims {rho0.dims[0]}, the model needs [{model.N_C + 1}, {model.N_B + 1}]"
        )
    J_all, p = multiplet_weights(rho0)
    cb = model.basis
    occupied = p > 1e-15  # multiplets with weight, and the blocks they reach
    w = {}
    for J, pJ in zip(J_all[occupied], p[occupied]):
        M = J - np.arange(int(round(2 * J)) + 1)
        w[round(2 * J)] = dict(
            zip(np.rint(2 * M).astype(int), pJ * gibbs_populations(M, model.nbar))
        )
    block_index = [
        b
        for b, M in enumerate(cb.M_values)
        if any(w.get(round(2 * J), {}).get(round(2 * M), 0.0) > 0 for J in cb.J_values(M))
    ]
    d = max(len(cb.m_B_values(M)) for M in cb.M_values)
    blocks = np.zeros((len(block_index), d, d))
    for k, b in enumerate(block_index):
        M = cb.M_values[b]
        Js = cb.J_values(M)
        weights = np.array([w.get(round(2 * J), {}).get(round(2 * M), 0.0) for J in Js])
        V = _unphased_block(cb, M)
        blocks[k, : len(Js), : len(Js)] = (V * weights) @ V.T
    return BlockState(cb, blocks, np.array(block_index, dtype=int))


def thermal_sectors(N_B, nbar):
    r"""The thermal state of :math:`N_B` independent spins, sector by sector of :math:`j_B`.

    :math:`\rho_{th}^{\otimes N_B} \propto e^{-\beta\omega J_B^z}` is a direct sum over the
    multiplets :math:`j_B = N_B/2, N_B/2 - 1, \dots` (each :math:`d_{j_B}` times,
    :math:`d_j = \binom{N_B}{N_B/2-j} - \binom{N_B}{N_B/2-j-1}`), inside each a Gibbs ladder.

    Parameters
    ----------
    N_B : int
        Number of battery spins (>= 1).
    nbar : float
        Thermal occupation (>= 0).

    Returns
    -------
    j_B : ndarray, shape (n,)
        The sectors, descending.
    weights : ndarray, shape (n,)
        Their total probabilities (sum 1), multiplicity included.
    """
    N_B = check_count("N_B", N_B, 1)
    check_rates(nbar=nbar)
    p_up = nbar / (2 * nbar + 1)
    j = N_B / 2 - np.arange(N_B // 2 + 1)
    d = np.array([comb(N_B, k) - (comb(N_B, k - 1) if k else 0) for k in range(j.size)])
    w = []
    for jj, dj in zip(j, d):
        k = np.arange(int(round(2 * jj)) + 1)  # excitations above the sector's bottom
        w.append(dj * np.sum(p_up ** (N_B / 2 - jj + k) * (1 - p_up) ** (N_B / 2 + jj - k)))
    return j, np.array(w)


def _steady_Jz(j_C, j_B, p_B, nbar):
    """(<J_C^z>, <J_B^z>) of the steady state from a full charger and battery populations p_B."""
    m_B = j_B - np.arange(int(round(2 * j_B)) + 1)
    J = abs(j_C - j_B) + np.arange(int(round(j_C + j_B - abs(j_C - j_B))) + 1)
    p_J = stretched_cg_squared(j_C, j_B, m_B[None, :], J[:, None]) @ p_B
    mean_M = np.array(
        [gibbs_populations(M, nbar) @ M for M in (jj - np.arange(round(2 * jj) + 1) for jj in J)]
    )
    Jz = p_J @ mean_M
    Jz_B = p_J @ projected_Jz_B(j_C, j_B, J, mean_M)
    return Jz - Jz_B, Jz_B


def steady_energy_densities(model, *, battery="ground"):
    r"""Steady-state energy densities :math:`\mathcal E_C^{ss}, \mathcal E_B^{ss}` in closed form.

    With the conserved weights :math:`p_J` of the multiplets in the initial state (one
    Clebsch-Gordan coefficient each, the charger being fully up,
    :func:`~qbkit.spins.stretched_cg_squared`), the Gibbs mean :math:`\bar M_J` of each
    ladder and the projection theorem (:func:`~qbkit.spins.projected_Jz_B`),

    .. math:: \langle J_B^z\rangle^{ss} = \sum_J p_J\, \bar M_J\,
        \frac{J(J+1) + j_B(j_B+1) - j_C(j_C+1)}{2J(J+1)} .

    At :math:`T = 0`, :math:`\bar M_J = -J`. Cost :math:`O(N_B N_C)`, so sizes in the
    thousands are cheap. ``battery="independent"`` starts the battery in the thermal
    state of independent spins and sums the sectors of :func:`thermal_sectors` (the
    dynamics never couples them).

    Parameters
    ----------
    model : CommonReservoir
    battery : {"ground", "thermal", "independent"}

    Returns
    -------
    (float, float)
        Eq. (6) for the charger and the battery, units of hbar*omega.
    """
    check_choice("battery", battery, BATTERY_STATES)
    j_C = model.N_C / 2
    if battery == "independent":
        sectors = zip(*thermal_sectors(model.N_B, model.nbar))
    else:
        sectors = [(model.N_B / 2, 1.0)]
    Jz_C = Jz_B = 0.0
    for j_B, weight in sectors:
        p_B = gibbs_populations(
            j_B - np.arange(int(round(2 * j_B)) + 1), model.nbar if battery != "ground" else 0.0
        )
        c, b = _steady_Jz(j_C, j_B, p_B, model.nbar)
        Jz_C, Jz_B = Jz_C + weight * c, Jz_B + weight * b
    return float(energy_density(Jz_C, model.N_C)), float(energy_density(Jz_B, model.N_B))


def steady_battery_populations(model, *, battery="ground"):
    r"""Populations of the battery in the steady state, ``m_B = j_B, ..., -j_B``.

    At :math:`T = 0` in closed form: :math:`\sum_J p_J |\langle j_C, m_C; j_B, m_B|J,
    -J\rangle|^2` over the dark states (:func:`~qbkit.spins.lowest_weight_cg_squared`);
    at :math:`T > 0` from :func:`steady_state`.

    Returns
    -------
    ndarray, shape (N_B + 1,)
    """
    if model.nbar > 0:
        return steady_state(model, model.initial_state(battery)).battery_populations()
    j_C, j_B = model.N_C / 2, model.N_B / 2
    m_B = j_B - np.arange(model.N_B + 1)
    J = abs(j_C - j_B) + np.arange(int(round(j_C + j_B - abs(j_C - j_B))) + 1)
    p_J = stretched_cg_squared(j_C, j_B, m_B[None, :], J[:, None]) @ model.battery_start(battery)
    return p_J @ lowest_weight_cg_squared(j_C, j_B, J[:, None], m_B[None, :])


def steady_ergotropy_density(model, *, battery="ground", all_states=False):
    r"""Ergotropy per battery spin of the steady state, Eqs. (9)-(10), units of hbar*omega.

    Parameters
    ----------
    model : CommonReservoir
    battery : {"ground", "thermal"}
    all_states : bool
        False (default): unitaries on the collective spin's :math:`N_B + 1` levels, the
        reading of Eq. (10) with strictly ordered eigenvalues of :math:`J_B^z`. True:
        unitaries on all :math:`2^{N_B}` states of the spins, whose spectrum repeats
        :math:`m_B` :math:`\binom{N_B}{N_B/2 - m_B}` times (never less ergotropy).

    Returns
    -------
    float
    """
    p = steady_battery_populations(model, battery=battery)
    m_B = model.N_B / 2 - np.arange(model.N_B + 1)
    if not all_states:
        return float(ergotropy_from_populations(p, m_B)) / model.N_B
    spectrum = np.repeat(m_B, [comb(model.N_B, k) for k in range(model.N_B + 1)])
    return float(p @ m_B - passive_energy_from_spectrum(p, spectrum)) / model.N_B


@dataclass(frozen=True)
class EnergyBalance:
    r"""Energy balance of a whole charging process, start to steady state (:func:`energy_balance`).

    Attributes (units of hbar*omega, totals over the ensembles)
    ----------
    charger_loss : float
        :math:`N_C(\mathcal E_C(0) - \mathcal E_C^{ss})`.
    battery_gain : float
        :math:`N_B(\mathcal E_B^{ss} - \mathcal E_B(0))`.
    into_reservoir : float
        Their difference: the energy the reservoir takes up (negative if it gives).
    thermal_share : float
        :math:`\mathcal E_B^{th}/\mathcal E_B^{ss}`, the part of the battery's steady energy
        that the reservoir alone would give it, :math:`\mathcal E_B^{th} = \bar n/(2\bar n+1)`.
    """

    charger_loss: float
    battery_gain: float
    into_reservoir: float
    thermal_share: float


def energy_balance(model, *, battery="ground"):
    """Where the energy goes between the start and the steady state of Eq. (2).

    The Hamiltonian conserves :math:`J^z`, so whatever the spins lose in total goes into
    the reservoir.

    Returns
    -------
    EnergyBalance
    """
    E_C, E_B = steady_energy_densities(model, battery=battery)
    m_B = model.N_B / 2 - np.arange(model.N_B + 1)
    E0_B = float(energy_density(model.battery_start(battery) @ m_B, model.N_B))
    loss, gain = model.N_C * (1.0 - E_C), model.N_B * (E_B - E0_B)
    E_th = model.nbar / (2 * model.nbar + 1)
    return EnergyBalance(loss, gain, loss - gain, E_th / E_B)
