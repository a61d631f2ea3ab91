r"""Battery and charger spin ensembles decaying into one common thermal reservoir.

Quach & Munro, "Using dark states to charge and stabilize open quantum batteries",
Phys. Rev. Applied 14, 024092 (2020), Eq. (2):

.. math::
    \dot\rho = -i\omega[J_C^z + J_B^z, \rho]
      + \gamma\left[(\bar n + 1)\mathcal L(J^-) + \bar n\,\mathcal L(J^+)\right],
    \qquad \mathcal L(O) = 2O\rho O^\dagger - O^\dagger O\rho - \rho O^\dagger O,

with :math:`J^\pm = J_C^\pm + J_B^\pm`, a charger of :math:`N_C` and a battery of
:math:`N_B` spin-1/2 held as collective spins :math:`j_C = N_C/2`, :math:`j_B = N_B/2`.
Units: hbar = 1, energies in units of hbar*omega, time in the unit of ``1/gamma``.

Structure used by the exact solver :func:`evolve`: the generator commutes with the
total :math:`J^z` (the Hamiltonian only dephases different total :math:`M`), so a
state diagonal in :math:`M` stays so and the Hamiltonian drops out. In the multiplet
basis :math:`|J, M\rangle` of :math:`\mathbf J_C + \mathbf J_B`, :math:`J^\pm` does not
change :math:`J`, so each matrix element :math:`c^{JJ'}_M = \langle J,M|\rho|J',M\rangle`
couples only to :math:`c^{JJ'}_{M\pm1}`: every pair :math:`(J, J')` is an independent
tridiagonal chain in :math:`M`, propagated exactly by a small matrix exponential.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import qutip
from scipy.linalg import eigh_tridiagonal, expm
from scipy.sparse import coo_matrix

from ..ergotropy import ergotropy_from_populations
from ..spins import CoupledBasis, ladder_down, ladder_up, two_spin_operators
from ..thermo import gibbs_populations

__all__ = [
    "check_sizes",
    "hamiltonian",
    "collapse_operators",
    "initial_state",
    "energy_density",
    "BlockState",
    "ChargingResult",
    "evolve",
    "charging_run",
    "multiplet_weights",
    "steady_state",
    "individual_spin_model",
]

BATTERY_READINGS = ("ground", "thermal")


def check_sizes(N_C, N_B):
    """Validate the ensemble sizes; return them as ints.

    Raises
    ------
    TypeError
        If a size is not an integer.
    ValueError
        If a size is smaller than 1.
    """
    for name, N in (("N_C", N_C), ("N_B", N_B)):
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(N).__name__}")
        if N < 1:
            raise ValueError(f"{name} must be >= 1, got {N}")
    return int(N_C), int(N_B)


def _check_rates(gamma, nbar):
    for name, x, strict in (("gamma", gamma, True), ("nbar", nbar, False)):
        if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
        if not np.isfinite(x) or x < 0 or (strict and x == 0):
            raise ValueError(f"{name} must be {'> 0' if strict else '>= 0'}, got {x}")
    return float(gamma), float(nbar)


def hamiltonian(N_C, N_B, omega=1.0):
    r"""System Hamiltonian :math:`H = \omega (J_C^z + J_B^z)` (Eq. (1)/(2)).

    Parameters
    ----------
    N_C, N_B : int
        Number of charger and battery spins (>= 1).
    omega : float
        Spin transition energy (hbar*omega).

    Returns
    -------
    qutip.Qobj
        Operator on the product space, dimension :math:`(N_C+1)(N_B+1)`.

    Raises
    ------
    TypeError, ValueError
        If a size is not an integer >= 1.
    """
    N_C, N_B = check_sizes(N_C, N_B)
    return omega * two_spin_operators(N_C / 2, N_B / 2)["Jz"]


def collapse_operators(N_C, N_B, gamma=1.0, nbar=0.0):
    r"""Collapse operators of Eq. (2) in QuTiP's convention.

    QuTiP's dissipator is :math:`D[c] = c\rho c^\dagger - \tfrac12\{c^\dagger c, \rho\}
    = \tfrac12\mathcal L(c)`, so :math:`\gamma(\bar n+1)\mathcal L(J^-)` becomes
    :math:`c_1 = \sqrt{2\gamma(\bar n+1)}\,J^-` and :math:`\gamma\bar n\mathcal L(J^+)`
    becomes :math:`c_2 = \sqrt{2\gamma\bar n}\,J^+`.

    Parameters
    ----------
    N_C, N_B : int
        Ensemble sizes (>= 1).
    gamma : float
        Damping rate (> 0), inverse time unit.
    nbar : float
        Thermal occupation of the reservoir at the spin frequency (>= 0).

    Returns
    -------
    list of qutip.Qobj
        ``[c_1]`` at ``nbar = 0``, else ``[c_1, c_2]``.

    Raises
    ------
    TypeError, ValueError
        On a bad size or rate, naming it.
    """
    N_C, N_B = check_sizes(N_C, N_B)
    gamma, nbar = _check_rates(gamma, nbar)
    ops = two_spin_operators(N_C / 2, N_B / 2)
    c_ops = [np.sqrt(2 * gamma * (nbar + 1)) * ops["Jm"]]
    if nbar > 0:
        c_ops.append(np.sqrt(2 * gamma * nbar) * ops["Jp"])
    return c_ops


def initial_state(N_C, N_B, nbar=0.0, battery="ground"):
    r"""Fully excited charger and a battery in its ground or thermal state.

    The charger starts in :math:`|j_C, j_C\rangle` (all spins up). The battery starts in
    :math:`|j_B, -j_B\rangle` (``"ground"``; the reading behind Eq. (13) and the
    appendix) or in the Gibbs state of :math:`\omega J_B^z` in the symmetric subspace,
    :math:`p(m_B) \propto (\bar n/(\bar n+1))^{m_B + j_B}` (``"thermal"``; the model
    section's "in thermal equilibrium with the reservoir"). For ``N_B = 1`` the thermal
    reading is exactly the thermal state of one spin.

    Parameters
    ----------
    N_C, N_B : int
        Ensemble sizes (>= 1).
    nbar : float
        Thermal occupation used by the ``"thermal"`` reading (>= 0).
    battery : {"ground", "thermal"}
        Initial battery state.

    Returns
    -------
    qutip.Qobj
        Density matrix on :math:`j_C \otimes j_B`, diagonal in the product basis.

    Raises
    ------
    TypeError, ValueError
        On a bad size, a negative ``nbar`` or an unknown ``battery``.
    """
    N_C, N_B = check_sizes(N_C, N_B)
    if battery not in BATTERY_READINGS:
        raise ValueError(f"battery must be one of {BATTERY_READINGS}, got {battery!r}")
    _check_rates(1.0, nbar)
    m_B = N_B / 2 - np.arange(N_B + 1)
    p_B = gibbs_populations(m_B, nbar if battery == "thermal" else 0.0)
    rho_C = qutip.fock_dm(N_C + 1, 0)
    rho_B = qutip.Qobj(np.diag(p_B))
    return qutip.tensor(rho_C, rho_B)


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


@dataclass
class BlockState:
    r"""States that are block-diagonal in total :math:`M`, stored block by block.

    Attributes
    ----------
    basis : CoupledBasis
        The two spins and their blocks.
    blocks : ndarray, shape (..., n, d, d)
        Product-basis blocks :math:`\rho_M` (rows and columns ordered by
        ``basis.m_B_values(M)``), zero-padded to the largest block size ``d``;
        leading axes (e.g. time) are arbitrary.
    block_index : ndarray of int, shape (n,), optional
        Positions in ``basis.M_values`` of the stored blocks; the others are zero.
        Default: all blocks, in order.
    """

    basis: CoupledBasis
    blocks: np.ndarray
    block_index: np.ndarray | None = None

    def __post_init__(self):
        if self.block_index is None:
            self.block_index = np.arange(len(self.basis.M_values))
        self.block_index = np.asarray(self.block_index, dtype=int)

    @property
    def M_values(self):
        """Total M of the stored blocks, shape (n,)."""
        return self.basis.M_values[self.block_index]

    def expanded(self):
        """The same state with every block of the basis stored (zeros where unoccupied)."""
        full = np.zeros(
            self.blocks.shape[:-3] + (len(self.basis.M_values),) + self.blocks.shape[-2:]
        )
        full[..., self.block_index, :, :] = self.blocks
        return BlockState(self.basis, full)

    @cached_property
    def _onehot(self):
        """Map from (stored block, row) to the battery level m_B, shape (n, d, 2 j_B + 1)."""
        cb = self.basis
        d = self.blocks.shape[-1]
        onehot = np.zeros((len(self.block_index), d, int(round(2 * cb.j_B + 1))))
        for k, M in enumerate(self.M_values):
            i_B = np.rint(cb.j_B - cb.m_B_values(M)).astype(int)
            onehot[k, np.arange(len(i_B)), i_B] = 1.0
        return onehot

    def battery_populations(self):
        r"""Populations of :math:`\rho_B` in the basis ``m_B = j_B, ..., -j_B``.

        :math:`\rho_B = \mathrm{Tr}_C\,\rho` is diagonal for states diagonal in :math:`M`.

        Returns
        -------
        ndarray, shape (..., 2 j_B + 1)
        """
        diag = np.diagonal(self.blocks, axis1=-2, axis2=-1)
        return np.einsum("...bk,bkm->...m", diag, self._onehot)

    def battery_ergotropy(self):
        r"""Ergotropy of :math:`\rho_B` for :math:`H_B = J_B^z` (units of hbar*omega), Eqs. (9)-(10).

        Unitaries act on the battery's collective spin (its :math:`N_B + 1` levels), the
        reading of Eq. (10) with strictly ordered eigenvalues of :math:`J_B^z/N_B`.

        Returns
        -------
        ndarray, shape (...)
        """
        m_B = self.basis.j_B - np.arange(int(round(2 * self.basis.j_B + 1)))
        return ergotropy_from_populations(self.battery_populations(), m_B)

    def block_traces(self):
        """Weight of each stored block, shape (..., n)."""
        return np.trace(self.blocks, axis1=-2, axis2=-1)

    def Jz_B(self):
        r""":math:`\langle J_B^z\rangle`, shape (...)."""
        m_B = self.basis.j_B - np.arange(int(round(2 * self.basis.j_B + 1)))
        return self.battery_populations() @ m_B

    def Jz_C(self):
        r""":math:`\langle J_C^z\rangle = \langle J^z\rangle - \langle J_B^z\rangle`, shape (...)."""
        return self.block_traces() @ self.M_values - self.Jz_B()

    @cached_property
    def _pt_gather(self):
        """Index maps that assemble the partial transpose in blocks of K = m_C - m_B."""
        cb = self.basis
        jC, jB = cb.j_C, cb.j_B
        stored = np.full(len(cb.M_values), -1)
        stored[self.block_index] = np.arange(len(self.block_index))
        K_values = (jC + jB) - np.arange(int(round(2 * (jC + jB))) + 1)
        all_m_B = jB - np.arange(int(round(2 * jB)) + 1)
        rows = [all_m_B[np.abs(K + all_m_B) <= jC + 1e-9] for K in K_values]
        dK = max(len(r) for r in rows)
        shape = (len(K_values), dK, dK)
        src_b, src_i, src_j = (np.zeros(shape, dtype=int) for _ in range(3))
        mask = np.zeros(shape)
        for k, (K, m_B) in enumerate(zip(K_values, rows)):
            n = len(m_B)
            # rho^Gamma[(m_C^a, m_B^a), (m_C^c, m_B^c)] = rho[(m_C^a, m_B^c), (m_C^c, m_B^a)]
            M = (K + m_B)[:, None] + m_B[None, :]
            top = np.minimum(jB, M + jC)
            b = stored[np.rint(cb.J_max - M).astype(int)]
            src_b[k, :n, :n] = np.maximum(b, 0)
            src_i[k, :n, :n] = np.rint(top - m_B[None, :]).astype(int)
            src_j[k, :n, :n] = np.rint(top - m_B[:, None]).astype(int)
            mask[k, :n, :n] = b >= 0
        return src_b, src_i, src_j, mask

    def partial_transpose_blocks(self, blocks=None):
        r"""Blocks of :math:`\rho^{\Gamma_B}`, which is block-diagonal in :math:`K = m_C - m_B`.

        Returns
        -------
        ndarray, shape (..., n_K, d_K, d_K)
        """
        blocks = self.blocks if blocks is None else blocks
        b, i, j, mask = self._pt_gather
        return blocks[..., b, i, j] * mask

    def log_negativity(self, tangent=None, zero_tol=1e-12):
        r"""Logarithmic negativity :math:`\log_2\lVert\rho^{\Gamma_B}\rVert_1`, Eq. (12).

        Parameters
        ----------
        tangent : ndarray, optional
            Time derivative of :attr:`blocks` (same shape). If given, also return the
            exact right derivative

            .. math:: \dot E_N = \frac{\sum_{\lambda_k \ne 0} \mathrm{sign}(\lambda_k)
                \langle v_k|\dot\rho^\Gamma|v_k\rangle + \lVert P_0\dot\rho^\Gamma P_0\rVert_1}
                {\lVert\rho^\Gamma\rVert_1 \ln 2},

            where :math:`P_0` projects on the kernel of :math:`\rho^\Gamma`. It equals the
            derivative wherever no eigenvalue crosses zero, and is the one-sided limit
            where one does (e.g. at :math:`t = 0` for a product state).
        zero_tol : float
            Eigenvalues below this magnitude count as zero.

        Returns
        -------
        ndarray, shape (...), or a pair of them
        """
        pt = self.partial_transpose_blocks()
        lam, vec = np.linalg.eigh(pt)
        norm = np.abs(lam).sum(axis=(-1, -2))
        logneg = np.log2(norm)
        if tangent is None:
            return logneg
        dpt = self.partial_transpose_blocks(tangent)
        zero = np.abs(lam) < zero_tol
        proj = np.einsum("...ia,...ij,...ja->...a", vec, dpt, vec)
        dnorm = (np.where(zero, 0.0, np.sign(lam)) * proj).sum(axis=(-1, -2))
        # kernel part, only in blocks whose kernel the tangent touches (V_0^T dpt != 0)
        rotated = np.swapaxes(vec, -1, -2) @ dpt
        touched = np.nonzero(
            np.any(zero[..., :, None] & (np.abs(rotated) > zero_tol), axis=(-1, -2))
        )
        if touched[0].size:
            V0 = vec[touched] * zero[touched][..., None, :]
            restricted = np.swapaxes(V0, -1, -2) @ dpt[touched] @ V0
            kernel_norm = np.abs(np.linalg.eigvalsh(restricted)).sum(axis=-1)
            np.add.at(dnorm, touched[:-1], kernel_norm)
        return logneg, dnorm / (norm * np.log(2))

    def to_qobj(self, index=()):
        """The state at ``index`` of the leading axes as a sparse :class:`qutip.Qobj`."""
        cb = self.basis
        dC, dB = int(round(2 * cb.j_C + 1)), int(round(2 * cb.j_B + 1))
        blocks = self.blocks[index]
        rows, cols, vals = [], [], []
        for k, M in enumerate(self.M_values):
            idx = cb.product_indices(M)
            n = len(idx)
            rows.append(np.repeat(idx, n))
            cols.append(np.tile(idx, n))
            vals.append(blocks[k, :n, :n].ravel())
        rho = coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(dC * dB, dC * dB),
        ).tocsr()
        rho.eliminate_zeros()
        return qutip.Qobj(rho, dims=[[dC, dB], [dC, dB]])

    @classmethod
    def from_qobj(cls, rho, basis, atol=1e-12, all_blocks=True):
        """Split a Qobj into M blocks (only the occupied ones unless ``all_blocks``).

        Raises
        ------
        ValueError
            If ``rho`` is not real or has coherences between different total M.
        """
        coo = rho.to("csr").data_as("csr_matrix").tocoo()
        if coo.nnz and np.abs(coo.data.imag).max() > atol:
            raise ValueError("rho0 must be real in the product basis")
        dB = int(round(2 * basis.j_B + 1))

        def labels(index):
            m_C = basis.j_C - index // dB
            m_B = basis.j_B - index % dB
            return m_C + m_B, m_B

        M_row, mB_row = labels(coo.row)
        M_col, mB_col = labels(coo.col)
        values = coo.data.real
        if np.any((np.abs(M_row - M_col) > 0.25) & (np.abs(values) > atol)):
            raise ValueError(
                "rho0 has coherences between different total M; the structured solver "
                "needs a state diagonal in J_C^z + J_B^z (use qutip.mesolve instead)"
            )
        same = np.abs(M_row - M_col) < 0.25
        position = np.rint(basis.J_max - M_row[same]).astype(int)
        if all_blocks:
            block_index = np.arange(len(basis.M_values))
        else:
            block_index = np.unique(position)
        stored = np.full(len(basis.M_values), -1)
        stored[block_index] = np.arange(len(block_index))
        d = max(len(basis.m_B_values(M)) for M in basis.M_values)
        blocks = np.zeros((len(block_index), d, d))
        top = np.minimum(basis.j_B, M_row[same] + basis.j_C)
        a = np.rint(top - mB_row[same]).astype(int)
        c = np.rint(top - mB_col[same]).astype(int)
        blocks[stored[position], a, c] = values[same]
        return cls(basis, blocks, block_index)


@dataclass
class ChargingResult:
    """Output of :func:`evolve`: the states on a time grid and their key observables.

    Attributes
    ----------
    times : ndarray, shape (n_t,)
    states : BlockState
        Blocks of shape (n_t, n_M, d, d).
    derivative : ndarray, shape (n_t, n_M, d, d)
        Exact time derivative of the blocks (the generator applied to the state).
    N_C, N_B : int
    """

    times: np.ndarray
    states: BlockState
    derivative: np.ndarray
    N_C: int
    N_B: int

    @cached_property
    def Jz_B(self):
        r""":math:`\langle J_B^z\rangle(t)`, shape (n_t,)."""
        return self.states.Jz_B()

    @cached_property
    def Jz_C(self):
        r""":math:`\langle J_C^z\rangle(t)`, shape (n_t,)."""
        return self.states.Jz_C()

    @cached_property
    def dJz_B(self):
        r"""Exact :math:`d\langle J_B^z\rangle/dt`, shape (n_t,)."""
        return BlockState(self.states.basis, self.derivative).Jz_B()

    @property
    def energy_density_B(self):
        """Battery energy density, Eq. (6), units of hbar*omega, shape (n_t,)."""
        return energy_density(self.Jz_B, self.N_B)

    @property
    def energy_density_C(self):
        """Charger energy density, Eq. (6), units of hbar*omega, shape (n_t,)."""
        return energy_density(self.Jz_C, self.N_C)

    @property
    def power_density_B(self):
        """Battery power density, Eq. (11): exact :math:`d\\mathcal E_B/dt`, shape (n_t,)."""
        return self.dJz_B / self.N_B

    @cached_property
    def ergotropy_density_B(self):
        """Battery ergotropy density :math:`\\mathcal W/N_B`, Eq. (9), shape (n_t,)."""
        return self.states.battery_ergotropy() / self.N_B

    @cached_property
    def battery_populations(self):
        """Populations of the battery, shape (n_t, N_B + 1), ``m_B`` descending."""
        return self.states.battery_populations()

    @cached_property
    def _logneg(self):
        return self.states.log_negativity(tangent=self.derivative)

    @property
    def log_negativity(self):
        """Logarithmic negativity between charger and battery, shape (n_t,)."""
        return self._logneg[0]

    @property
    def dlog_negativity(self):
        """Its exact time derivative, shape (n_t,)."""
        return self._logneg[1]

    def state(self, k):
        """The density matrix at ``times[k]`` as a :class:`qutip.Qobj`."""
        return self.states.to_qobj((k,))


def charging_run(N_B, R, tlist, gamma=1.0, nbar=0.0, battery="ground"):
    """Charge a battery of ``N_B`` spins from a fully excited charger of ``R * N_B`` spins.

    Shorthand for ``evolve(initial_state(R * N_B, N_B, nbar, battery), tlist, gamma, nbar)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`initial_state` and :func:`evolve`; ``R`` must be an integer >= 1.
    """
    if isinstance(R, bool) or not isinstance(R, (int, np.integer)) or R < 1:
        raise ValueError(f"R must be an integer >= 1, got {R!r}")
    N_C, N_B = check_sizes(int(R) * N_B, N_B)
    return evolve(initial_state(N_C, N_B, nbar, battery), tlist, gamma, nbar)


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


def evolve(rho0, tlist, gamma=1.0, nbar=0.0):
    r"""Exact solution of Eq. (2) for a state diagonal in total :math:`M`.

    Each multiplet pair :math:`(J, J')` is a tridiagonal chain in :math:`M`
    (see the module docstring); chains of equal length are propagated together by
    batched matrix exponentials over each distinct time step of ``tlist``. Cost
    :math:`O(n_t \sum_{J \le J'} (2J+1)^2)`, independent of the Liouvillian dimension.

    Parameters
    ----------
    rho0 : qutip.Qobj
        Initial state on :math:`j_C \otimes j_B`, ``dims [[N_C+1, N_B+1], [N_C+1, N_B+1]]``,
        real and diagonal in :math:`J_C^z + J_B^z` (e.g. :func:`initial_state`).
    tlist : array_like, shape (n_t,)
        Increasing times, in the unit of ``1/gamma``'s time unit; the first is the
        time of ``rho0``.
    gamma : float
        Damping rate (> 0).
    nbar : float
        Thermal occupation (>= 0).

    Returns
    -------
    ChargingResult

    Raises
    ------
    TypeError, ValueError
        If ``rho0`` is not a two-spin density matrix diagonal in total M, ``tlist``
        is not increasing, or a rate is invalid.
    """
    gamma, nbar = _check_rates(gamma, nbar)
    if not isinstance(rho0, qutip.Qobj) or not rho0.isoper or len(rho0.dims[0]) != 2:
        raise TypeError("rho0 must be a qutip.Qobj density matrix on two collective spins")
    dC, dB = rho0.dims[0]
    N_C, N_B = check_sizes(dC - 1, dB - 1)
    times = np.asarray(tlist, dtype=float)
    if times.ndim != 1 or times.size < 1 or np.any(np.diff(times) <= 0):
        raise ValueError("tlist must be a 1-d array of increasing times")
    cb = CoupledBasis(N_C / 2, N_B / 2)
    state0 = BlockState.from_qobj(rho0, cb)
    U = _padded_blocks(cb, state0.blocks.shape[-1])
    coupled0 = np.einsum("bia,bij,bjc->bac", U, state0.blocks, U)

    n_t = times.size
    coupled = np.zeros((n_t,) + coupled0.shape)
    dcoupled = np.zeros_like(coupled)
    steps = np.diff(times)
    step_keys = np.round(steps / steps.max(), 12) if steps.size else steps
    # One group per J: the chains (J, J') with J' >= J all run over M = J..-J and are
    # propagated together; (J', J) is the transpose (rho is real symmetric).
    for J in np.unique(np.concatenate([cb.J_values(M) for M in cb.M_values])):
        Jps = cb.J_values(-J)[cb.J_values(-J) >= J]
        M = J - np.arange(int(round(2 * J)) + 1)
        b = np.array([cb.block_of(m) for m in M])
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
    blocks = U @ coupled @ Ut
    dblocks = U @ dcoupled @ Ut
    return ChargingResult(times, BlockState(cb, blocks), dblocks, N_C, N_B)


def _padded_blocks(cb, d):
    U = np.zeros((len(cb.M_values), d, d))
    for b, block in enumerate(cb.blocks):
        U[b, : block.shape[0], : block.shape[1]] = block
    return U


def multiplet_weights(rho0):
    r"""Weights :math:`p_J = \mathrm{Tr}(P_J \rho_0)` of the multiplets of :math:`\mathbf J_C + \mathbf J_B`.

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


def steady_state(rho0, nbar=0.0):
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
    rho0 : qutip.Qobj
        Initial two-spin state, diagonal in total M.
    nbar : float
        Thermal occupation (>= 0).

    Returns
    -------
    BlockState
        Only the occupied blocks are stored (see ``block_index``; ``.expanded()`` stores
        all); ``.to_qobj()`` gives the Qobj.

    Raises
    ------
    ValueError
        If ``nbar`` is negative or ``rho0`` is not diagonal in total M.
    """
    _check_rates(1.0, nbar)
    J_all, p = multiplet_weights(rho0)
    dC, dB = rho0.dims[0]
    cb = CoupledBasis((dC - 1) / 2, (dB - 1) / 2)
    occupied = p > 1e-15  # multiplets with weight, and the blocks they reach
    w = {}
    for J, pJ in zip(J_all[occupied], p[occupied]):
        M = J - np.arange(int(round(2 * J)) + 1)
        w[round(2 * J)] = dict(zip(np.rint(2 * M).astype(int), pJ * gibbs_populations(M, nbar)))
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


def individual_spin_model(N_C, N_B, gamma=1.0, nbar=0.0, omega=1.0, battery="ground"):
    r"""Eq. (2) on the full :math:`2^{N_C+N_B}`-dimensional space of individual spins.

    An independent reference that does not assume the symmetric subspace: every
    spin is its own qubit and :math:`J^- = \sum_i \sigma_i^-`. Meant for small sizes
    (dimension :math:`4^{N_C+N_B}` Liouvillian).

    Parameters
    ----------
    N_C, N_B : int
        Ensemble sizes; ``N_C + N_B <= 10``.
    gamma, nbar, omega : float
        As in Eq. (2).
    battery : {"ground", "thermal"}
        Initial battery state; ``"thermal"`` gives every battery spin its own thermal
        state (the true thermal state of independent spins).

    Returns
    -------
    dict
        ``"H"``, ``"c_ops"``, ``"rho0"``, ``"Jz_C"``, ``"Jz_B"`` (Qobj on qubits ordered
        charger first) and ``"mask_B"`` (the partial-transpose mask of the battery).

    Raises
    ------
    ValueError
        If ``N_C + N_B > 10`` or an argument is invalid.
    """
    N_C, N_B = check_sizes(N_C, N_B)
    gamma, nbar = _check_rates(gamma, nbar)
    if battery not in BATTERY_READINGS:
        raise ValueError(f"battery must be one of {BATTERY_READINGS}, got {battery!r}")
    N = N_C + N_B
    if N > 10:
        raise ValueError(f"N_C + N_B must be <= 10 for the individual-spin model, got {N}")

    def site(op, i):
        return qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])

    sz, sm = qutip.jmat(0.5, "z"), qutip.jmat(0.5, "-")
    Jz_C = sum(site(sz, i) for i in range(N_C))
    Jz_B = sum(site(sz, i) for i in range(N_C, N))
    Jm = sum(site(sm, i) for i in range(N))
    c_ops = [np.sqrt(2 * gamma * (nbar + 1)) * Jm]
    if nbar > 0:
        c_ops.append(np.sqrt(2 * gamma * nbar) * Jm.dag())
    p_up = nbar / (2 * nbar + 1) if battery == "thermal" else 0.0
    spin_B = qutip.Qobj(np.diag([p_up, 1 - p_up]))
    rho0 = qutip.tensor([qutip.fock_dm(2, 0)] * N_C + [spin_B] * N_B)
    return {
        "H": omega * (Jz_C + Jz_B),
        "c_ops": c_ops,
        "rho0": rho0,
        "Jz_C": Jz_C,
        "Jz_B": Jz_B,
        "mask_B": [0] * N_C + [1] * N_B,
    }
