r"""States of two collective spins that are block-diagonal in the total magnetization.

A generator that commutes with :math:`J^z = J_C^z + J_B^z` (e.g. collective decay into
one reservoir) keeps a state that starts diagonal in the total :math:`M` block-diagonal:
:math:`\rho = \bigoplus_M \rho_M`. :class:`BlockState` stores the blocks :math:`\rho_M` of
such states, with any leading axes (e.g. time), in the product basis of
:class:`qbkit.spins.CoupledBasis` (``m_B`` descending inside a block), and evaluates on
them, vectorized over the leading axes, what a chapter needs: the battery's populations,
:math:`\langle J_B^z\rangle`, :math:`\langle J_C^z\rangle`, the ergotropy of the battery
and the logarithmic negativity with its exact time derivative.

Conventions of :mod:`qbkit.spins`; hbar = 1, energies in units of the spin splitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import qutip
from scipy.sparse import coo_matrix

from .ergotropy import ergotropy_from_populations
from .spins import CoupledBasis

__all__ = ["BlockState"]


@dataclass(frozen=True, eq=False)
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

    Raises
    ------
    TypeError
        If ``basis`` is not a :class:`CoupledBasis`.
    ValueError
        If ``blocks`` and ``block_index`` do not fit together.
    """

    basis: CoupledBasis
    blocks: np.ndarray
    block_index: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.basis, CoupledBasis):
            raise TypeError(f"basis must be a CoupledBasis, got {type(self.basis).__name__}")
        index = (
            np.arange(len(self.basis.M_values)) if self.block_index is None else self.block_index
        )
        index = np.asarray(index, dtype=int)
        blocks = np.asarray(self.blocks)
        if (
            blocks.ndim < 3
            or blocks.shape[-3] != index.size
            or blocks.shape[-1] != blocks.shape[-2]
        ):
            raise ValueError(
                f"blocks must have shape (..., {index.size}, d, d), got {blocks.shape}"
            )
        object.__setattr__(self, "block_index", index)
        object.__setattr__(self, "blocks", blocks)

    @property
    def M_values(self):
        """Total M of the stored blocks, shape (n,)."""
        return self.basis.M_values[self.block_index]

    @property
    def _m_B(self):
        return self.basis.j_B - np.arange(int(round(2 * self.basis.j_B + 1)))

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
        r"""Ergotropy of :math:`\rho_B` for :math:`H_B = J_B^z` (hbar*omega), Eqs. (9)-(10).

        Unitaries act on the battery's collective spin (its :math:`2j_B + 1` levels), the
        reading of Eq. (10) of Quach & Munro (2020) with strictly ordered eigenvalues of
        :math:`J_B^z`.

        Returns
        -------
        ndarray, shape (...)
        """
        return ergotropy_from_populations(self.battery_populations(), self._m_B)

    def block_traces(self):
        """Weight of each stored block, shape (..., n)."""
        return np.trace(self.blocks, axis1=-2, axis2=-1)

    def Jz_B(self):
        r""":math:`\langle J_B^z\rangle`, shape (...)."""
        return self.battery_populations() @ self._m_B

    def Jz_C(self):
        r""":math:`\langle J_C^z\rangle = \langle J^z - J_B^z\rangle` (shape (...))."""
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

        Parameters
        ----------
        blocks : ndarray, optional
            Other blocks of the same layout (e.g. a time derivative); default :attr:`blocks`.

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
            In bits (ebits for pure states).
        """
        pt = self.partial_transpose_blocks()
        lam, vec = np.linalg.eigh(pt)
        norm = np.abs(lam).sum(axis=(-1, -2))
        logneg = np.log2(norm)
        if tangent is None:
            return logneg
        zero = np.abs(lam) < zero_tol
        # the tangent in the eigenbasis, W = V^T dpt V: its diagonal gives the derivative of
        # each nonzero eigenvalue, its kernel block the one-sided derivative of the kernel
        W = np.swapaxes(vec, -1, -2) @ (self.partial_transpose_blocks(tangent) @ vec)
        proj = np.diagonal(W, axis1=-2, axis2=-1)
        dnorm = (np.where(zero, 0.0, np.sign(lam)) * proj).sum(axis=(-1, -2))
        # kernel part, only in blocks whose kernel the tangent touches (V_0^T dpt V != 0)
        touched = np.nonzero(np.any(zero[..., :, None] & (np.abs(W) > zero_tol), axis=(-1, -2)))
        if touched[0].size:
            z = zero[touched]
            restricted = W[touched] * (z[..., :, None] & z[..., None, :])
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

        Parameters
        ----------
        rho : qutip.Qobj
            Operator on ``basis``'s product space, real in the product basis.
        basis : CoupledBasis
        atol : float
            Entries below this magnitude count as zero.
        all_blocks : bool
            Store every block (default) or only the occupied ones.

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
        block_index = np.arange(len(basis.M_values)) if all_blocks else np.unique(position)
        stored = np.full(len(basis.M_values), -1)
        stored[block_index] = np.arange(len(block_index))
        d = max(len(basis.m_B_values(M)) for M in basis.M_values)
        blocks = np.zeros((len(block_index), d, d))
        top = np.minimum(basis.j_B, M_row[same] + basis.j_C)
        a = np.rint(top - mB_row[same]).astype(int)
        c = np.rint(top - mB_col[same]).astype(int)
        blocks[stored[position], a, c] = values[same]
        return cls(basis, blocks, block_index)
