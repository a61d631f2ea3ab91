r"""The common-reservoir model: parameters, Eq. (2) as operators, initial states, exact evolution.

See the package docstring of :mod:`qbkit.models.common_reservoir` for the structure the
solver uses. Units: hbar = k_B = 1, energies in hbar*omega, time in the unit of ``1/gamma``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import qutip
from scipy.linalg import expm

from ..._checks import check_choice, check_count, check_positive, check_rates, check_tlist
from ...blocks import BlockState
from ...spins import CoupledBasis, ladder_down, ladder_up, two_qubit_basis, two_spin_operators
from ...thermo import gibbs_populations

__all__ = [
    "BATTERY_STATES",
    "CommonReservoir",
    "energy_density",
    "ChargingResult",
    "evolve",
    "charge",
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
