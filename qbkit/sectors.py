r"""Liouvillians restricted to one sector of a weak U(1) symmetry.

If a Hamiltonian commutes with conserved charges :math:`Q_1, Q_2, \dots` (diagonal in the basis)
and every dissipator commutes with the superoperator :math:`\rho\mapsto e^{i\theta Q}\rho
e^{-i\theta Q}`, the Liouvillian maps the operators :math:`|a\rangle\langle b|` with a given
charge difference :math:`Q(a) - Q(b)` among themselves (a *weak* symmetry; Buča & Prosen,
New J. Phys. 14, 073007 (2012)). Steady states and states evolved from a charge-diagonal
start lie in the sector of zero difference: ket and bra carry the same charges. When the
charges split the space into small blocks, that sector is far smaller than the :math:`N^2`
entries of a density matrix, and steady states and time evolution are solved there.

Vectors follow QuTiP's column stacking: entry :math:`(a, b)` of an N-by-N operator sits at
index :math:`a + Nb`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["Sector", "LinearFamily"]


def _array(op):
    """An (N, N) operator as a scipy sparse matrix (from a Qobj, an array or a sparse matrix)."""
    if hasattr(op, "data_as"):
        return op.to("csr").data_as("csr_matrix")
    return op if sp.issparse(op) else sp.csr_matrix(np.asarray(op))


class LinearFamily:
    r"""Fast weighted sums :math:`\sum_k w_k M_k` of fixed sparse matrices of one shape.

    Parameters
    ----------
    matrices : sequence of scipy.sparse matrices, all of shape (m, m)

    Calling the family with weights, shape (len(matrices),), returns the sum as CSR in one pass
    over the stored nonzeros (used for Liouvillians whose rates change along a sweep).
    """

    def __init__(self, matrices):
        coo = [sp.coo_matrix(M) for M in matrices]
        if not coo:
            raise ValueError("matrices must not be empty")
        self.shape = coo[0].shape
        if any(M.shape != self.shape for M in coo):
            raise ValueError("all matrices must have the same shape")
        self._rows = np.concatenate([M.row for M in coo])
        self._cols = np.concatenate([M.col for M in coo])
        self._vals = np.concatenate([M.data.astype(complex) for M in coo])
        self._owner = np.repeat(np.arange(len(coo)), [M.nnz for M in coo])
        self.size = len(coo)

    def __call__(self, weights):
        w = np.asarray(weights)
        if w.shape != (self.size,):
            raise ValueError(f"weights must have shape ({self.size},), got {w.shape}")
        return sp.csr_matrix(
            (self._vals * w[self._owner], (self._rows, self._cols)), shape=self.shape
        )


class Sector:
    r"""The operators :math:`|a\rangle\langle b|` whose ket and bra carry the same charges.

    Parameters
    ----------
    charges : array_like, shape (N,) or (N, k)
        Integer (or exactly representable) charges of each basis state.

    Attributes
    ----------
    N : int
        Dimension of the Hilbert space.
    index : ndarray of int, shape (m,)
        Column-stacked positions :math:`a + Nb` of the sector's entries.
    ket, bra : ndarray of int, shape (m,)
        a and b of each entry.
    blocks : list of ndarray
        Basis states of each charge value (the density matrices of the sector are
        block diagonal in them).
    """

    def __init__(self, charges):
        q = np.asarray(charges)
        if q.ndim == 1:
            q = q[:, None]
        if q.ndim != 2 or q.shape[0] < 1:
            raise ValueError(f"charges must have shape (N,) or (N, k), got {np.shape(charges)}")
        self.N = q.shape[0]
        _, label = np.unique(q, axis=0, return_inverse=True)
        label = label.ravel()
        self.blocks = [np.flatnonzero(label == k) for k in range(label.max() + 1)]
        kets, bras = [], []
        for block in self.blocks:
            a, b = np.meshgrid(block, block, indexing="ij")
            kets.append(a.ravel())
            bras.append(b.ravel())
        self.ket = np.concatenate(kets)
        self.bra = np.concatenate(bras)
        order = np.argsort(self.ket + self.N * self.bra)
        self.ket, self.bra = self.ket[order], self.bra[order]
        self.index = self.ket + self.N * self.bra
        self.m = self.index.size
        self._trace = (self.ket == self.bra).astype(float)
        self._position = np.full(self.N * self.N, -1)
        self._position[self.index] = np.arange(self.m)

    def superoperator(self, terms):
        r"""The sector matrix of :math:`X \mapsto \sum_k c_k A_k X B_k`, from the nonzeros of A, B.

        Parameters
        ----------
        terms : iterable of (complex, array_like or sparse, array_like or sparse)
            Coefficient c and (N, N) operators A, B of each term; together the terms must map
            the sector into itself (single terms may leak, if the leaks cancel).

        Returns
        -------
        scipy.sparse.csr_matrix, shape (m, m)

        Raises
        ------
        ValueError
            If the terms together map part of the sector outside it (the charges are not a weak
            symmetry).
        """
        rows, cols, vals, leaks = [], [], [], []
        for coef, A, B in terms:
            A, B = sp.coo_matrix(_array(A)), sp.coo_matrix(_array(B))
            if A.shape != (self.N, self.N) or B.shape != (self.N, self.N):
                raise ValueError(f"operators must have shape {(self.N, self.N)}")
            # (A X B)_{ab} = A_ac X_cd B_db: every pair of nonzeros (a, c) of A and (d, b) of B
            a, c = np.repeat(A.row, B.nnz), np.repeat(A.col, B.nnz)
            d, b = np.tile(B.row, A.nnz), np.tile(B.col, A.nnz)
            v = coef * np.repeat(A.data, B.nnz) * np.tile(B.data, A.nnz)
            src, tgt = self._position[c + self.N * d], self._position[a + self.N * b]
            keep = (src >= 0) & (tgt >= 0)
            rows.append(tgt[keep]), cols.append(src[keep]), vals.append(v[keep])
            out = (src >= 0) & (tgt < 0)
            leaks.append((a[out] + self.N * b[out], src[out], v[out]))
        # what leaves the sector must cancel between the terms (e.g. the two jump operators of a
        # rotation-invariant pair)
        t, s_, v = (np.concatenate(z) for z in zip(*leaks))
        if t.size:
            leak = sp.coo_matrix((v, (t, s_)), shape=(self.N**2, self.m)).tocsr()
            scale = max(max(np.abs(x).max() for x in vals if x.size), 1e-300)
            if np.abs(leak.data).max(initial=0.0) > 1e-12 * scale:
                raise ValueError(
                    "the terms map the sector outside itself: the charges are not a weak symmetry"
                )
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.m, self.m),
        )

    def hamiltonian(self, H):
        r"""Sector matrix of :math:`-i[H, X]`."""
        one = sp.identity(self.N, format="coo")
        return self.superoperator([(-1j, H, one), (1j, one, H)])

    def dissipator(self, *ops):
        r"""Sector matrix of :math:`\sum_k\mathcal D[A_k]`.

        :math:`\mathcal D[A]X = AXA^\dagger - \tfrac12\{A^\dagger A, X\}`.

        Pass jump operators that are only symmetric together (such as a pair that rotates into
        each other) in one call.
        """
        one = sp.identity(self.N, format="coo")
        terms = []
        for A in ops:
            A = sp.csr_matrix(_array(A))
            AdA = (A.conj().T @ A).tocoo()
            terms += [(1.0, A, A.conj().T), (-0.5, AdA, one), (-0.5, one, AdA)]
        return self.superoperator(terms)

    def restrict(self, superop):
        """The superoperator on the sector, as CSR.

        Parameters
        ----------
        superop : scipy.sparse matrix or qutip.Qobj, shape (N^2, N^2)
            Column-stacked superoperator that maps the sector into itself.

        Returns
        -------
        scipy.sparse.csr_matrix, shape (m, m)

        Raises
        ------
        ValueError
            If the shape is wrong or the superoperator leaks out of the sector (more than
            1e-12 of its norm), i.e. the charges are not a weak symmetry of it.
        """
        S = sp.csr_matrix(_array(superop))
        if S.shape != (self.N**2, self.N**2):
            raise ValueError(f"superop must have shape {(self.N**2,) * 2}, got {S.shape}")
        cols = S[:, self.index]
        inside = cols[self.index, :]
        leak = sp.linalg.norm(cols) ** 2 - sp.linalg.norm(inside) ** 2
        if leak > 1e-24 * max(sp.linalg.norm(cols) ** 2, 1.0):
            raise ValueError(
                "superop does not map the sector into itself: the charges are not a weak symmetry"
            )
        return sp.csr_matrix(inside)

    def vector(self, rho):
        """Sector entries of an (N, N) operator (array or Qobj), shape (m,)."""
        r = rho.full() if hasattr(rho, "full") else np.asarray(rho)
        if r.shape != (self.N, self.N):
            raise ValueError(f"rho must have shape {(self.N, self.N)}, got {r.shape}")
        return r[self.ket, self.bra].astype(complex)

    def matrix(self, x):
        """The (N, N) operator with sector entries x and zeros elsewhere."""
        out = np.zeros((self.N, self.N), dtype=complex)
        out[self.ket, self.bra] = x
        return out

    def functional(self, op):
        r"""Row vector w with :math:`\mathrm{Tr}[O X] = w\cdot x` for every sector vector x.

        Parameters
        ----------
        op : array_like or qutip.Qobj, shape (N, N)

        Returns
        -------
        ndarray, shape (m,)
        """
        o = op.full() if hasattr(op, "full") else np.asarray(op)
        return o[self.bra, self.ket]

    def trace(self, x):
        """Trace of the operator with sector entries x."""
        return self._trace @ x

    def steady_state(self, liouvillian, pivot=None):
        r"""The normalized null vector of a sector Liouvillian (unit trace).

        One population :math:`x_k` is fixed to 1 in place of its equation (redundant: the
        generator preserves the trace), and the sparse system is solved by LU
        (SuperLU); the result is then normalized. This keeps the matrix as sparse as the
        Liouvillian (replacing an equation by the dense trace row costs several times more
        fill-in). k is ``pivot`` if given, else the population that decays slowest (smallest
        :math:`|\mathcal L_{kk}|`); if that population turns out smaller than 1e-3 of the largest,
        the solve is repeated with the largest one.

        Parameters
        ----------
        liouvillian : scipy.sparse matrix or ndarray, shape (m, m)
        pivot : int, optional
            Sector index of a population expected to be large (e.g. the largest one of a
            neighbouring point of a sweep).

        Returns
        -------
        ndarray, shape (m,)

        Raises
        ------
        ValueError
            If the steady state is not unique to rounding (singular system, or residual above
            1e-9 of the largest entry of the Liouvillian).
        """
        L = sp.csc_matrix(liouvillian, dtype=complex)
        scale = np.abs(L.data).max()
        pops = np.flatnonzero(self._trace)
        if pivot is None:
            k = int(pops[np.argmin(np.abs(L.diagonal()[pops]))])
        elif 0 <= pivot < self.m and self._trace[pivot]:
            k = int(pivot)
        else:
            raise ValueError(f"pivot must be the sector index of a population, got {pivot}")
        for _ in range(2):
            mask = np.ones(self.m)
            mask[k] = 0.0  # the equation of population k becomes x_k = 1
            A = sp.diags(mask) @ L + sp.csc_matrix(([1.0], ([k], [k])), shape=L.shape)
            rhs = np.zeros(self.m, dtype=complex)
            rhs[k] = 1.0
            try:
                x = spla.splu(A.tocsc()).solve(rhs)
            except RuntimeError as err:  # exactly singular: SuperLU refuses to factorize
                raise ValueError(f"no unique steady state ({err})") from None
            p = np.abs(x[pops])
            if p.max() <= 1e3 * abs(x[k]):
                break
            k = int(pops[np.argmax(p)])
        x = x / self.trace(x)
        residual = np.abs(L @ x).max() / scale
        if not (np.all(np.isfinite(x)) and residual < 1e-9):
            raise ValueError(f"no unique steady state (residual {residual:.1e})")
        return x
