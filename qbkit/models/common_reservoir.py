r"""Battery and charger spin ensembles decaying into one common thermal reservoir.

Quach & Munro, "Using dark states to charge and stabilize open quantum batteries",
Phys. Rev. Applied 14, 024092 (2020), Eq. (2):

.. math::
    \dot\rho = -i\omega[J_C^z + J_B^z, \rho]
      + \gamma\left[(\bar n + 1)\mathcal L(J^-) + \bar n\,\mathcal L(J^+)\right],
    \qquad \mathcal L(O) = 2O\rho O^\dagger - O^\dagger O\rho - \rho O^\dagger O,

with :math:`J^\pm = J_C^\pm + J_B^\pm`, a charger of :math:`N_C` and a battery of
:math:`N_B` spin-1/2 held as collective spins :math:`j_C = N_C/2`, :math:`j_B = N_B/2`.
Units: hbar = k_B = 1, energies in units of hbar*omega, time in the unit of ``1/gamma``.

Structure used by the exact solver :func:`evolve`: the generator commutes with the
total :math:`J^z` (the Hamiltonian only dephases different total :math:`M`), so a
state diagonal in :math:`M` stays so and the Hamiltonian drops out. In the multiplet
basis :math:`|J, M\rangle` of :math:`\mathbf J_C + \mathbf J_B`, :math:`J^\pm` does not
change :math:`J`, so each matrix element :math:`c^{JJ'}_M = \langle J,M|\rho|J',M\rangle`
couples only to :math:`c^{JJ'}_{M\pm1}`: every pair :math:`(J, J')` is an independent
tridiagonal chain in :math:`M`, propagated exactly by a small matrix exponential.
Long-time limits need no evolution at all (:func:`steady_state`,
:func:`steady_energy_densities`): each multiplet keeps its weight and relaxes to a Gibbs
ladder, at :math:`T = 0` to its dark state :math:`|J, -J\rangle`.

Everything follows one shape: a model's parameters are a frozen :class:`CommonReservoir`;
solvers take ``(model, rho0, tlist)`` with options keyword-only; results are frozen
dataclasses with ``.times`` and named observables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from math import comb

import numpy as np
import qutip
from scipy.linalg import eigh_tridiagonal, expm

from .._checks import check_choice, check_count, check_positive, check_rates, check_tlist
from ..blocks import BlockState
from ..dicke import DickeEnsemble
from ..ergotropy import ergotropy_from_populations, passive_energy_from_spectrum
from ..series import sign_changes
from ..spins import (
    CoupledBasis,
    ladder_down,
    ladder_up,
    lowest_weight_cg_squared,
    projected_Jz_B,
    stretched_cg_squared,
    two_qubit_basis,
    two_spin_operators,
)
from ..thermo import gibbs_populations

__all__ = [
    "CommonReservoir",
    "BATTERY_STATES",
    "energy_density",
    "ChargingResult",
    "evolve",
    "charge",
    "multiplet_weights",
    "steady_state",
    "steady_energy_densities",
    "steady_battery_populations",
    "steady_ergotropy_density",
    "EnergyBalance",
    "energy_balance",
    "thermal_sectors",
    "ChargingPeaks",
    "peak_window",
    "charging_peaks",
    "DischargeResult",
    "discharge",
    "two_spin_generator",
]

#: Initial battery states: its ground state, the Gibbs state of the collective spin j_B = N_B/2,
#: and the thermal state of N_B independent spins (all j_B sectors; steady states only).
BATTERY_STATES = ("ground", "thermal", "independent")


@dataclass(frozen=True)
class CommonReservoir:
    r"""Parameters of Eq. (2): ``N_C`` charger and ``N_B`` battery spins in one reservoir.

    Parameters
    ----------
    N_C, N_B : int
        Numbers of charger and battery spins (>= 1); the charger-to-battery ratio is
        :math:`R = N_C/N_B`.
    gamma : float
        Damping rate of Eq. (2) (> 0); the inverse time unit.
    nbar : float
        Thermal occupation of the reservoir at the spin frequency (>= 0).

    Raises
    ------
    TypeError, ValueError
        On a size that is not an integer >= 1 or a rate out of range, naming it.

    Examples
    --------
    >>> CommonReservoir.with_ratio(5, 2).N_C
    10
    """

    N_C: int
    N_B: int
    gamma: float = 1.0
    nbar: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "N_C", check_count("N_C", self.N_C, 1))
        object.__setattr__(self, "N_B", check_count("N_B", self.N_B, 1))
        object.__setattr__(self, "gamma", check_positive(gamma=self.gamma))
        if isinstance(self.nbar, bool) or not isinstance(
            self.nbar, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"nbar must be a real number, got {type(self.nbar).__name__}")
        check_rates(nbar=self.nbar)
        object.__setattr__(self, "nbar", float(self.nbar))

    @classmethod
    def with_ratio(cls, R, N_B, *, gamma=1.0, nbar=0.0):
        """The model with ``N_C = R * N_B`` (``R`` an integer >= 1)."""
        R = check_count("R", R, 1)
        return cls(R * check_count("N_B", N_B, 1), N_B, gamma, nbar)

    @property
    def R(self):
        """Charger-to-battery ratio :math:`N_C/N_B`."""
        return self.N_C / self.N_B

    @cached_property
    def basis(self):
        """The :class:`~qbkit.spins.CoupledBasis` of :math:`j_C \\otimes j_B`."""
        return CoupledBasis(self.N_C / 2, self.N_B / 2)

    def hamiltonian(self, omega=1.0):
        r""":math:`H = \omega (J_C^z + J_B^z)` (Eqs. (1), (2)), dimension :math:`(N_C+1)(N_B+1)`."""
        return omega * two_spin_operators(self.N_C / 2, self.N_B / 2)["Jz"]

    def collapse_operators(self):
        r"""Collapse operators of Eq. (2) in QuTiP's convention.

        QuTiP's dissipator is :math:`D[c] = c\rho c^\dagger - \tfrac12\{c^\dagger c, \rho\}
        = \tfrac12\mathcal L(c)`, so :math:`\gamma(\bar n+1)\mathcal L(J^-)` becomes
        :math:`c_1 = \sqrt{2\gamma(\bar n+1)}\,J^-` and :math:`\gamma\bar n\mathcal L(J^+)`
        becomes :math:`c_2 = \sqrt{2\gamma\bar n}\,J^+`.

        Returns
        -------
        list of qutip.Qobj
            ``[c_1]`` at ``nbar = 0``, else ``[c_1, c_2]``.
        """
        ops = two_spin_operators(self.N_C / 2, self.N_B / 2)
        c_ops = [np.sqrt(2 * self.gamma * (self.nbar + 1)) * ops["Jm"]]
        if self.nbar > 0:
            c_ops.append(np.sqrt(2 * self.gamma * self.nbar) * ops["Jp"])
        return c_ops

    def battery_start(self, battery="ground"):
        r"""Initial battery populations, ``m_B = j_B, ..., -j_B``: ``"ground"`` or ``"thermal"``.

        ``"thermal"`` is the Gibbs state of :math:`\omega J_B^z` inside :math:`j_B = N_B/2`,
        :math:`p(m_B) \propto (\bar n/(\bar n+1))^{m_B + j_B}`: for ``N_B = 1`` the thermal
        state of one spin, for ``N_B > 1`` not that of independent spins (see
        :func:`thermal_sectors`).

        Raises
        ------
        ValueError
            For another ``battery`` (``"independent"`` has no single-``j_B`` state).
        """
        check_choice("battery", battery, ("ground", "thermal"))
        m_B = self.N_B / 2 - np.arange(self.N_B + 1)
        return gibbs_populations(m_B, self.nbar if battery == "thermal" else 0.0)

    def initial_state(self, battery="ground"):
        r"""Fully excited charger :math:`|j_C, j_C\rangle` and the battery of :meth:`battery_start`.

        ``"ground"`` (:math:`|j_B, -j_B\rangle`) is the start behind Eq. (13) and the
        appendix; ``"thermal"`` the model section's "in thermal equilibrium with the reservoir".

        Returns
        -------
        qutip.Qobj
            Density matrix on :math:`j_C \otimes j_B`, diagonal in the product basis.
        """
        rho_B = qutip.Qobj(np.diag(self.battery_start(battery)))
        return qutip.tensor(qutip.fock_dm(self.N_C + 1, 0), rho_B)


def energy_density(Jz, N, omega=1.0):
    r"""Energy density :math:`\mathcal E = \omega(\langle J^z\rangle/N + 1/2)`, Eq. (6).

    Parameters
    ----------
    Jz : float or ndarray
        :math:`\langle J^z\rangle` of an ensemble of ``N`` spins, any shape.
    N : int
        Number of spins.
    omega : float
        Transition energy (default 1: result in units of hbar*omega).

    Returns
    -------
    float or ndarray
        Between 0 (all down) and ``omega`` (all up), same shape as ``Jz``.
    """
    return omega * (np.asarray(Jz) / N + 0.5)


@dataclass(frozen=True, eq=False)
class ChargingResult:
    """Output of :func:`evolve`: the states on a time grid and their observables.

    Attributes
    ----------
    times : ndarray, shape (n_t,)
    states : BlockState
        Blocks of shape (n_t, n_M, d, d).
    derivative : ndarray, shape (n_t, n_M, d, d)
        Exact time derivative of the blocks (the generator applied to the state).
    model : CommonReservoir

    All observables below are arrays of shape (n_t,) (``battery_populations``:
    (n_t, N_B + 1)); energies in hbar*omega, negativities in bits, rates per unit time.
    """

    times: np.ndarray
    states: BlockState
    derivative: np.ndarray
    model: CommonReservoir

    @cached_property
    def Jz_B(self):
        r""":math:`\langle J_B^z\rangle(t)`."""
        return self.states.Jz_B()

    @cached_property
    def Jz_C(self):
        r""":math:`\langle J_C^z\rangle(t)`."""
        return self.states.Jz_C()

    @cached_property
    def dJz_B(self):
        r"""Exact :math:`d\langle J_B^z\rangle/dt`."""
        return BlockState(self.states.basis, self.derivative).Jz_B()

    @property
    def energy_density_B(self):
        """Battery energy density, Eq. (6)."""
        return energy_density(self.Jz_B, self.model.N_B)

    @property
    def energy_density_C(self):
        """Charger energy density, Eq. (6)."""
        return energy_density(self.Jz_C, self.model.N_C)

    @property
    def power_density_B(self):
        r"""Battery power density, Eq. (11): exact :math:`d\mathcal E_B/dt`."""
        return self.dJz_B / self.model.N_B

    @cached_property
    def ergotropy_density_B(self):
        r"""Battery ergotropy density :math:`\mathcal W/N_B`, Eqs. (9)-(10)."""
        return self.states.battery_ergotropy() / self.model.N_B

    @cached_property
    def battery_populations(self):
        """Populations of the battery, ``m_B`` descending."""
        return self.states.battery_populations()

    @cached_property
    def _logneg(self):
        return self.states.log_negativity(tangent=self.derivative)

    @property
    def log_negativity(self):
        """Logarithmic negativity between charger and battery, Eq. (12)."""
        return self._logneg[0]

    @property
    def dlog_negativity(self):
        """Its exact (right) time derivative."""
        return self._logneg[1]

    def state(self, k):
        """The density matrix at ``times[k]`` as a :class:`qutip.Qobj`."""
        return self.states.to_qobj((k,))

    def restart(self, k, tlist):
        """Evolve again from ``times[k]`` on the grid ``tlist`` (its first time is ``times[k]``)."""
        return _evolve_blocks(self.model, self.states.blocks[k], tlist)


def evolve(model, rho0, tlist):
    r"""Exact solution of Eq. (2) for a state diagonal in total :math:`M`.

    Each multiplet pair :math:`(J, J')` is a tridiagonal chain in :math:`M` (see the
    module docstring); chains of equal length are propagated together by batched matrix
    exponentials over each distinct time step of ``tlist``. Cost
    :math:`O(n_t \sum_{J \le J'} (2J+1)^2)`, independent of the Liouvillian dimension.

    Parameters
    ----------
    model : CommonReservoir
    rho0 : qutip.Qobj
        Initial state on :math:`j_C \otimes j_B`, ``dims [[N_C+1, N_B+1], [N_C+1, N_B+1]]``,
        real and diagonal in :math:`J_C^z + J_B^z` (e.g. ``model.initial_state()``).
    tlist : array_like, shape (n_t,)
        Strictly increasing times (unit ``1/gamma``); the first is the time of ``rho0``.

    Returns
    -------
    ChargingResult

    Raises
    ------
    TypeError, ValueError
        If ``model`` is not a :class:`CommonReservoir`, ``rho0`` is not a state of its
        two spins diagonal in total M, or ``tlist`` is not increasing.
    """
    if not isinstance(model, CommonReservoir):
        raise TypeError(f"model must be a CommonReservoir, got {type(model).__name__}")
    if not isinstance(rho0, qutip.Qobj) or not rho0.isoper or len(rho0.dims[0]) != 2:
        raise TypeError("rho0 must be a qutip.Qobj density matrix on two collective spins")
    if list(rho0.dims[0]) != [model.N_C + 1, model.N_B + 1]:
        raise ValueError(
            f"rho0 has dims {rho0.dims[0]}, the model needs [{model.N_C + 1}, {model.N_B + 1}]"
        )
    blocks = BlockState.from_qobj(rho0, model.basis).blocks
    return _evolve_blocks(model, blocks, tlist)


def charge(model, tlist, *, battery="ground"):
    """Charge from a full charger: ``evolve(model, model.initial_state(battery), tlist)``."""
    return evolve(model, model.initial_state(battery), tlist)


def _chain_generator(J, Jp, gamma, nbar):
    r"""Tridiagonal generator of :math:`c_M = \langle J,M|\rho|J',M\rangle`, M = J..-J (J <= J')."""
    M = J - np.arange(int(round(2 * J)) + 1)
    kdown = ladder_down(J, M) ** 2 + ladder_down(Jp, M) ** 2  # <J^+ J^->
    kup = ladder_up(J, M) ** 2 + ladder_up(Jp, M) ** 2  # <J^- J^+>
    G = np.diag(-gamma * ((nbar + 1) * kdown + nbar * kup))
    # feed from M+1 (decay) into M: entry [k, k-1]; from M-1 (absorption): [k, k+1]
    down = 2 * gamma * (nbar + 1) * ladder_down(J, M[:-1]) * ladder_down(Jp, M[:-1])
    up = 2 * gamma * nbar * ladder_up(J, M[1:]) * ladder_up(Jp, M[1:])
    G += np.diag(down, -1) + np.diag(up, 1)
    return G


def _padded_blocks(cb, d):
    U = np.zeros((len(cb.M_values), d, d))
    for b, block in enumerate(cb.blocks):
        U[b, : block.shape[0], : block.shape[1]] = block
    return U


def _evolve_blocks(model, blocks0, tlist):
    """Propagate product-basis blocks (all M, padded) exactly; see :func:`evolve`."""
    times = check_tlist(tlist)
    cb, gamma, nbar = model.basis, model.gamma, model.nbar
    U = _padded_blocks(cb, blocks0.shape[-1])
    coupled0 = np.einsum("bia,bij,bjc->bac", U, blocks0, U)
    n_t = times.size
    coupled = np.zeros((n_t,) + coupled0.shape)
    dcoupled = np.zeros_like(coupled)
    steps = np.diff(times)
    step_keys = np.round(steps / steps.max(), 12) if steps.size else steps
    # One group per J: the chains (J, J') with J' >= J all run over M = J..-J and are
    # propagated together; (J', J) is the transpose (rho is real symmetric).
    J_all = cb.J_min + np.arange(int(round(cb.J_max - cb.J_min)) + 1)
    for J in J_all:
        Jps = J_all[J_all >= J]
        M = J - np.arange(int(round(2 * J)) + 1)
        b = np.rint(cb.J_max - M).astype(int)
        lo = np.maximum(np.abs(M), cb.J_min)
        row = np.rint(J - lo).astype(int)
        col = np.rint(Jps[:, None] - lo[None, :]).astype(int)  # (n_J', L)
        G = np.stack([_chain_generator(J, Jp, gamma, nbar) for Jp in Jps])
        c = np.empty((n_t, len(Jps), len(M)))
        c[0] = coupled0[b[None, :], row[None, :], col]
        props = {}
        for k, (dt, key) in enumerate(zip(steps, step_keys)):
            if key not in props:
                props[key] = expm(G * dt)
            c[k + 1] = np.einsum("jab,jb->ja", props[key], c[k])
        dc = np.einsum("jab,tjb->tja", G, c)
        for arr, src in ((coupled, c), (dcoupled, dc)):
            arr[:, b[None, :], row[None, :], col] = src
            arr[:, b[None, :], col, row[None, :]] = src
    Ut = np.swapaxes(U, -1, -2)
    states = BlockState(cb, U @ coupled @ Ut)
    return ChargingResult(times, states, U @ dcoupled @ Ut, model)


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


@dataclass(frozen=True)
class ChargingPeaks:
    """Peak power and the entanglement-rate maximum of one charging run (:func:`charging_peaks`).

    Attributes
    ----------
    t_P, P_max : float
        Time and value of the largest power density :math:`\\mathcal P_B`.
    t_S, dS_max : float
        Time and value of the largest *interior* local maximum of :math:`\\dot S_B`
        (:math:`t > 0`); NaN if there is none or it was not asked for.
    dS_0 : float
        :math:`\\dot S_B(0^+)`, the rate at which the product state starts to entangle.
    S_maxima : tuple of (float, float)
        Every interior local maximum of :math:`\\dot S_B` among the samples of the search grid,
        ``(t, value)`` in time order (unrefined: for counting and ordering them).
    """

    t_P: float
    P_max: float
    t_S: float = float("nan")
    dS_max: float = float("nan")
    dS_0: float = float("nan")
    S_maxima: tuple = ()

    @property
    def lag(self):
        """:math:`t_S - t_P`: how long the entanglement-rate maximum lags the power peak."""
        return self.t_S - self.t_P


def peak_window(model, points=401):
    r"""Search grid of the peaks: :math:`0 \le t \le 2(1 + \ln N)/(\gamma N)`, :math:`N = N_C+N_B`.

    The collective decay of :math:`N` excitations takes about :math:`\ln N/(\gamma N)`; the
    window covers the charging and the lagging entanglement rate with room to spare.

    Returns
    -------
    ndarray, shape (points,)
    """
    N = model.N_C + model.N_B
    return np.linspace(
        0.0, 2 * (1 + np.log(N)) / (model.gamma * N), check_count("points", points, 3)
    )


def _zoom(run, values, k, points):
    r"""Re-solve exactly between samples k-1 and k+1; the largest value on that fine grid.

    No parabola: :math:`\dot S_B` jumps where an eigenvalue of :math:`\rho^\Gamma` crosses
    zero, and a parabola through a jump overshoots. The sample maximum is within
    :math:`|y'|h` of the supremum at a jump and :math:`|y''|h^2/8` at a smooth maximum
    (:math:`h` the fine step); its time within :math:`h/2`.
    """
    if k in (0, len(run.times) - 1):  # a maximum on the window's edge stays a sample
        return float(run.times[k]), float(values(run)[k])
    fine = run.restart(k - 1, np.linspace(run.times[k - 1], run.times[k + 1], points))
    y = values(fine)
    k = int(np.argmax(y))
    return float(fine.times[k]), float(y[k])


def charging_peaks(model, *, battery="ground", points=401, zoom_points=41, entanglement=True):
    r"""Peak power density and entanglement-rate maximum of a charging run.

    Both are located on the grid :func:`peak_window` and then refined by solving the
    dynamics again, exactly, on ``zoom_points`` points between the neighbouring samples
    (:math:`\dot S_B` jumps where an eigenvalue of :math:`\rho^\Gamma` crosses zero, so no
    interpolation of the coarse samples is trusted). :math:`\dot S_B^{\max}` is the
    largest interior local maximum (:math:`t > 0`; Quach & Munro (2020), Sec. V: with
    several local maxima, the largest).

    Parameters
    ----------
    model : CommonReservoir
    battery : {"ground", "thermal"}
        Initial battery state.
    points, zoom_points : int
        Samples of the search window and of each refinement.
    entanglement : bool
        Also locate :math:`\dot S_B^{\max}` (costs the negativity on the grid).

    Returns
    -------
    ChargingPeaks
    """
    run = charge(model, peak_window(model, points), battery=battery)
    k_P = int(np.argmax(run.power_density_B))
    t_P, P_max = _zoom(run, lambda r: r.power_density_B, k_P, zoom_points)
    if not entanglement:
        return ChargingPeaks(t_P, P_max)
    dS = run.dlog_negativity
    ks = np.nonzero((dS[1:-1] > dS[:-2]) & (dS[1:-1] >= dS[2:]))[0] + 1
    maxima = tuple((float(run.times[k]), float(dS[k])) for k in ks)
    if not ks.size:
        return ChargingPeaks(t_P, P_max, dS_0=float(dS[0]), S_maxima=maxima)
    k_S = int(ks[np.argmax(dS[ks])])
    t_S, dS_max = _zoom(run, lambda r: r.dlog_negativity, k_S, zoom_points)
    return ChargingPeaks(t_P, P_max, t_S, dS_max, float(dS[0]), maxima)


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
    pops, _ = ens.evolve(p0, tlist, 0.0, 2 * gamma)
    return DischargeResult(check_tlist(tlist), pops, ens, gamma)


def two_spin_generator(nbar, *, gamma=1.0):
    r"""Eq. (2) for :math:`N_C = N_B = 1` in the appendix basis, as coefficients.

    Basis :math:`|1\rangle..|4\rangle = |\psi_\uparrow\rangle, |\psi_+\rangle,
    |\psi_-\rangle, |\psi_\downarrow\rangle` of Eqs. (14)-(17) of Quach & Munro (2020);
    ``L[i, j, k, l]`` is the coefficient of :math:`\rho_{kl}` in :math:`\dot\rho_{ij}`
    (0-based), the form of Eqs. (18)-(27). The Hamiltonian is left out (it only rotates
    the coherences; the printed equations give it separately).

    Returns
    -------
    ndarray, shape (4, 4, 4, 4), real
    """
    model = CommonReservoir(1, 1, gamma, nbar)
    V = np.column_stack([b.full().ravel() for b in two_qubit_basis()])
    L = qutip.liouvillian(0 * model.hamiltonian(), model.collapse_operators()).full()
    out = np.zeros((4, 4, 4, 4))
    for k in range(4):
        for l in range(4):
            E_kl = np.outer(V[:, k], V[:, l].conj()).ravel(order="F")
            out[:, :, k, l] = (V.conj().T @ (L @ E_kl).reshape(4, 4, order="F") @ V).real
    return out
