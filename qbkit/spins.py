"""Collective spins: Dicke ladders, two coupled collective spins and their multiplets.

Conventions (used throughout qbkit): a collective spin ``j`` has the basis
``|j, m>`` ordered as in :func:`qutip.jmat`, ``m = j, j-1, ..., -j``; for two
spins ``C`` (first tensor factor) and ``B`` (second) the product basis index of
``|m_C, m_B>`` is ``i_C * (2 j_B + 1) + i_B``.  hbar = 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import qutip
from scipy.linalg import eigh_tridiagonal
from scipy.special import gammaln

__all__ = [
    "check_spin",
    "ladder_down",
    "ladder_up",
    "two_spin_operators",
    "two_qubit_basis",
    "CoupledBasis",
    "stretched_cg_squared",
    "lowest_weight_cg_squared",
    "projected_Jz_B",
]


def check_spin(j, name="j"):
    """Return ``j`` as a float after checking it is a non-negative half-integer.

    Raises
    ------
    TypeError
        If ``j`` is not a real number.
    ValueError
        If ``2 j`` is not a non-negative integer.
    """
    if isinstance(j, bool) or not isinstance(j, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a half-integer number, got {type(j).__name__}")
    if j < 0 or abs(2 * j - round(2 * j)) > 1e-12:
        raise ValueError(f"{name} must be a non-negative half-integer, got {j}")
    return round(2 * j) / 2


def ladder_down(j, m):
    r"""Matrix element :math:`\langle j, m-1|J^-|j, m\rangle = \sqrt{(j+m)(j-m+1)}`.

    Parameters
    ----------
    j : float
        Spin quantum number.
    m : float or ndarray
        Magnetic quantum number(s); any shape.

    Returns
    -------
    ndarray
        Same shape as ``m``; zero where ``m = -j``.
    """
    m = np.asarray(m, dtype=float)
    return np.sqrt(np.clip((j + m) * (j - m + 1), 0.0, None))


def ladder_up(j, m):
    r"""Matrix element :math:`\langle j, m+1|J^+|j, m\rangle = \sqrt{(j-m)(j+m+1)}`.

    Same shapes as :func:`ladder_down`; zero where ``m = j``.
    """
    m = np.asarray(m, dtype=float)
    return np.sqrt(np.clip((j - m) * (j + m + 1), 0.0, None))


def two_spin_operators(j_C, j_B):
    r"""Collective operators of two spins :math:`j_C \otimes j_B` as :class:`qutip.Qobj`.

    Parameters
    ----------
    j_C, j_B : float
        Half-integer spins of the first (charger) and second (battery) factor.

    Returns
    -------
    dict of str to Qobj
        ``"Jz_C"``, ``"Jz_B"``, ``"Jm_C"``, ``"Jm_B"``, ``"Jz"``, ``"Jm"``, ``"Jp"``
        (total :math:`J^\pm = J_C^\pm + J_B^\pm`), on the product space of
        dimension :math:`(2j_C+1)(2j_B+1)`.

    Raises
    ------
    TypeError, ValueError
        If a spin is not a non-negative half-integer.
    """
    j_C, j_B = check_spin(j_C, "j_C"), check_spin(j_B, "j_B")
    iC, iB = qutip.qeye(int(2 * j_C + 1)), qutip.qeye(int(2 * j_B + 1))
    ops = {
        "Jz_C": qutip.tensor(qutip.jmat(j_C, "z"), iB),
        "Jz_B": qutip.tensor(iC, qutip.jmat(j_B, "z")),
        "Jm_C": qutip.tensor(qutip.jmat(j_C, "-"), iB),
        "Jm_B": qutip.tensor(iC, qutip.jmat(j_B, "-")),
    }
    ops["Jz"] = ops["Jz_C"] + ops["Jz_B"]
    ops["Jm"] = ops["Jm_C"] + ops["Jm_B"]
    ops["Jp"] = ops["Jm"].dag()
    return ops


def two_qubit_basis():
    r"""The triplet-singlet basis of two qubits (Eqs. (14)-(17) of Quach & Munro (2020)).

    :math:`|\uparrow\uparrow\rangle, |\psi_+\rangle, |\psi_-\rangle, |\downarrow\downarrow\rangle`
    with :math:`|\psi_\pm\rangle = (|\uparrow\downarrow\rangle\pm|\downarrow\uparrow\rangle)/\sqrt2`
    and :math:`|\uparrow\rangle` = ``qutip.basis(2, 0)`` (as in :func:`qutip.jmat`).

    Returns
    -------
    list of qutip.Qobj
        Four kets on the space of dims ``[[2, 2], [1, 1]]``.
    """
    up, dn = qutip.basis(2, 0), qutip.basis(2, 1)
    plus, minus = (qutip.tensor(up, dn) + s * qutip.tensor(dn, up) for s in (1, -1))
    return [qutip.tensor(up, up), plus.unit(), minus.unit(), qutip.tensor(dn, dn)]


@dataclass(frozen=True)
class CoupledBasis:
    r"""Total-angular-momentum multiplets of two collective spins :math:`j_C \otimes j_B`.

    The product space splits into blocks of fixed :math:`M = m_C + m_B` and, within
    each block, into the multiplets :math:`|J, M\rangle` with
    :math:`\max(|M|, |j_C-j_B|) \le J \le j_C + j_B` (each ``J`` occurs once).
    The vectors are the eigenvectors of the tridiagonal :math:`\mathbf{J}^2` in each
    block, with phases fixed so that
    :math:`\langle J, M-1|J^-|J, M\rangle = \sqrt{(J+M)(J-M+1)} > 0` along every
    ladder and the component with :math:`m_C = j_C` of each top state
    :math:`|J, J\rangle` positive (Condon-Shortley), i.e. the columns are
    Clebsch-Gordan coefficients :math:`\langle j_C m_C; j_B m_B|J M\rangle`.

    Parameters
    ----------
    j_C, j_B : float
        Half-integer spins.

    Attributes
    ----------
    M_values : ndarray, shape (n_M,)
        Block labels, descending from :math:`j_C + j_B` to :math:`-(j_C + j_B)`.
    """

    j_C: float
    j_B: float

    def __post_init__(self):
        object.__setattr__(self, "j_C", check_spin(self.j_C, "j_C"))
        object.__setattr__(self, "j_B", check_spin(self.j_B, "j_B"))

    # -- block bookkeeping -------------------------------------------------
    @property
    def J_min(self):
        return abs(self.j_C - self.j_B)

    @property
    def J_max(self):
        return self.j_C + self.j_B

    @cached_property
    def M_values(self):
        return self.J_max - np.arange(int(round(2 * self.J_max)) + 1)

    def m_B_values(self, M):
        """Battery quantum numbers ``m_B`` of block ``M``, descending (shape (d_M,))."""
        hi = min(self.j_B, M + self.j_C)
        lo = max(-self.j_B, M - self.j_C)
        return hi - np.arange(int(round(hi - lo)) + 1)

    def J_values(self, M):
        """Multiplets ``J`` present in block ``M``, ascending (shape (d_M,))."""
        lo = max(abs(M), self.J_min)
        return lo + np.arange(int(round(self.J_max - lo)) + 1)

    def product_indices(self, M):
        """Indices of block ``M`` in the product basis, in the order of :meth:`m_B_values`."""
        m_B = self.m_B_values(M)
        i_C = np.rint(self.j_C - (M - m_B)).astype(int)
        i_B = np.rint(self.j_B - m_B).astype(int)
        return i_C * int(round(2 * self.j_B + 1)) + i_B

    # -- the Clebsch-Gordan blocks ------------------------------------------
    def _J2_block(self, M):
        """Tridiagonal :math:`\\mathbf{J}^2` of block M: diagonal and off-diagonal."""
        jC, jB = self.j_C, self.j_B
        m_B = self.m_B_values(M)
        m_C = M - m_B
        diag = jC * (jC + 1) + jB * (jB + 1) + 2 * m_C * m_B
        # <m_C-1, m_B+1| J_C^- J_B^+ |m_C, m_B>, between neighbours (m_B -> m_B + 1)
        off = ladder_down(jC, m_C[1:]) * ladder_up(jB, m_B[1:])
        return diag, off

    def _lower(self, M, vecs):
        """Apply :math:`J^-` to column vectors of block ``M``; result lives in block ``M-1``."""
        m_B = self.m_B_values(M)
        m_B_new = self.m_B_values(M - 1)
        out = np.zeros((len(m_B_new), vecs.shape[1]))
        pos = {round(2 * m): k for k, m in enumerate(m_B_new)}
        aC = ladder_down(self.j_C, M - m_B)
        aB = ladder_down(self.j_B, m_B)
        for k, m in enumerate(m_B):
            if aC[k] > 0:  # |m_C - 1, m_B>
                out[pos[round(2 * m)]] += aC[k] * vecs[k]
            if aB[k] > 0:  # |m_C, m_B - 1>
                out[pos[round(2 * (m - 1))]] += aB[k] * vecs[k]
        return out

    @cached_property
    def blocks(self):
        """List of Clebsch-Gordan matrices ``U_M`` (shape (d_M, d_M)), one per ``M_values``.

        ``U_M[a, b] = <j_C, M - m_B[a]; j_B, m_B[a] | J[b], M>`` with ``m_B`` from
        :meth:`m_B_values` and ``J`` from :meth:`J_values`.
        """
        out = []
        prev = None
        for M in self.M_values:
            diag, off = self._J2_block(M)
            if len(diag) == 1:
                vecs = np.ones((1, 1))
            else:
                _, vecs = eigh_tridiagonal(diag, off)
            J_here = self.J_values(M)
            if prev is not None:
                lowered = self._lower(M + 1, prev)  # columns: J of block M+1
                J_prev = self.J_values(M + 1)
                for b, J in enumerate(J_here):
                    hit = np.nonzero(np.isclose(J_prev, J))[0]
                    if hit.size:
                        if vecs[:, b] @ lowered[:, hit[0]] < 0:
                            vecs[:, b] *= -1
                        continue
                    self._top_phase(M, vecs[:, b])
            else:
                self._top_phase(M, vecs[:, 0])
            out.append(vecs)
            prev = vecs
        return out

    def _top_phase(self, M, vec):
        m_B = self.m_B_values(M)
        k = int(np.argmin(np.abs(M - m_B - self.j_C)))  # component m_C = j_C
        if vec[k] < 0:
            vec *= -1

    def block_of(self, M):
        """Position of block ``M`` in :attr:`M_values`."""
        return int(round(self.J_max - M))


def _lf(x):
    """log(x!) for half-integer-valued sums of spins (x >= 0), elementwise."""
    return gammaln(np.rint(np.asarray(x, dtype=float)) + 1.0)


def stretched_cg_squared(j_C, j_B, m_B, J):
    r"""Weight of the multiplet J in :math:`|j_C, j_C\rangle|j_B, m_B\rangle` (first spin fully up).

    Racah's sum for :math:`\langle j_C\, j_C; j_B\, m_B|J\, M\rangle` reduces to one term when
    :math:`m_C = j_C`, so with :math:`M = j_C + m_B`

    .. math::
        |\langle j_C j_C; j_B m_B|J M\rangle|^2 = \frac{(2J+1)\,(2j_C)!\,(J-j_C+j_B)!\,
        (j_B-m_B)!\,(J+M)!}{(j_C+j_B+J+1)!\,(j_C+j_B-J)!\,(j_B+m_B)!\,(J+j_C-j_B)!\,(J-M)!} .

    (For :math:`j_C = j_B = j`, :math:`m_B = -j`: :math:`(2J+1)(2j)!^2/((2j+J+1)!(2j-J)!)`.)

    Parameters
    ----------
    j_C, j_B : float
        Half-integer spins.
    m_B : float or ndarray
        Magnetic quantum number(s) of the second spin.
    J : float or ndarray
        Total spin(s); broadcast against ``m_B``.

    Returns
    -------
    ndarray
        Broadcast shape of ``m_B`` and ``J``; 0 where ``J`` is not allowed
        (:math:`J < \max(|j_C - j_B|, |M|)` or :math:`J > j_C + j_B`).

    Raises
    ------
    TypeError, ValueError
        If a spin is not a non-negative half-integer.

    References
    ----------
    A. R. Edmonds, *Angular Momentum in Quantum Mechanics* (Princeton, 1957), Eq. (3.6.11).
    """
    j_C, j_B = check_spin(j_C, "j_C"), check_spin(j_B, "j_B")
    m_B, J = np.broadcast_arrays(np.asarray(m_B, dtype=float), np.asarray(J, dtype=float))
    M = j_C + m_B
    ok = (J >= abs(j_C - j_B) - 1e-9) & (J >= np.abs(M) - 1e-9) & (J <= j_C + j_B + 1e-9)
    ok &= np.abs(m_B) <= j_B + 1e-9
    Jc, Mc, mc = np.where(ok, J, j_C + j_B), np.where(ok, M, 0.0), np.where(ok, m_B, 0.0)
    log = (
        np.log(2 * Jc + 1)
        + _lf(2 * j_C)
        + _lf(Jc - j_C + j_B)
        + _lf(j_B - mc)
        + _lf(Jc + Mc)
        - _lf(j_C + j_B + Jc + 1)
        - _lf(j_C + j_B - Jc)
        - _lf(j_B + mc)
        - _lf(Jc + j_C - j_B)
        - _lf(Jc - Mc)
    )
    return np.where(ok, np.exp(log), 0.0)


def lowest_weight_cg_squared(j_C, j_B, J, m_B):
    r"""Populations :math:`|\langle j_C, -J-m_B; j_B, m_B|J, -J\rangle|^2` of :math:`|J,-J\rangle`.

    :math:`|J, -J\rangle` is the state of multiplet J that :math:`J^-` annihilates (the dark
    state of collective decay). By :math:`\langle j_1 m_1 j_2 m_2|J, -J\rangle = \pm\langle j_1,
    -m_1; j_2, -m_2|J J\rangle` and the closed form of the highest-weight coefficients,

    .. math::
        \frac{(2J+1)!\,(j_C+j_B-J)!}{(j_C+j_B+J+1)!\,(J+j_C-j_B)!\,(J-j_C+j_B)!}\,
        \frac{(j_C-m_C)!\,(j_B-m_B)!}{(j_C+m_C)!\,(j_B+m_B)!},\qquad m_C = -J - m_B .

    Parameters
    ----------
    j_C, j_B : float
        Half-integer spins.
    J : float or ndarray
        Total spin(s), :math:`|j_C - j_B| \le J \le j_C + j_B`.
    m_B : float or ndarray
        Magnetic quantum number(s) of the second spin; broadcast against ``J``.

    Returns
    -------
    ndarray
        Broadcast shape; 0 where :math:`|m_C| > j_C` or :math:`|m_B| > j_B`.

    Raises
    ------
    TypeError, ValueError
        If a spin is not a non-negative half-integer.

    References
    ----------
    A. R. Edmonds, *Angular Momentum in Quantum Mechanics* (1957), Eqs. (3.5.14), (3.6.10).
    """
    j_C, j_B = check_spin(j_C, "j_C"), check_spin(j_B, "j_B")
    J, m_B = np.broadcast_arrays(np.asarray(J, dtype=float), np.asarray(m_B, dtype=float))
    m_C = -J - m_B
    ok = (np.abs(m_C) <= j_C + 1e-9) & (np.abs(m_B) <= j_B + 1e-9)
    ok &= (J >= abs(j_C - j_B) - 1e-9) & (J <= j_C + j_B + 1e-9)
    Jc, mC, mB = (np.where(ok, x, 0.0) for x in (J, m_C, m_B))
    Jc = np.where(ok, Jc, j_C + j_B)
    log = (
        _lf(2 * Jc + 1)
        + _lf(j_C + j_B - Jc)
        - _lf(j_C + j_B + Jc + 1)
        - _lf(Jc + j_C - j_B)
        - _lf(Jc - j_C + j_B)
        + _lf(j_C - mC)
        + _lf(j_B - mB)
        - _lf(j_C + mC)
        - _lf(j_B + mB)
    )
    return np.where(ok, np.exp(log), 0.0)


def projected_Jz_B(j_C, j_B, J, M):
    r""":math:`\langle J, M|J_B^z|J, M\rangle` by the projection theorem.

    Inside one multiplet :math:`\mathbf J_B` acts as its projection on
    :math:`\mathbf J = \mathbf J_C + \mathbf J_B`, so

    .. math:: \langle J M|J_B^z|J M\rangle
        = M\,\frac{J(J+1) + j_B(j_B+1) - j_C(j_C+1)}{2J(J+1)}

    (0 for J = 0); :math:`\langle J_C^z\rangle = M - \langle J_B^z\rangle`.

    Parameters
    ----------
    j_C, j_B : float
        Half-integer spins.
    J, M : float or ndarray
        Total spin and its projection (broadcast).

    Returns
    -------
    ndarray
        Broadcast shape of ``J`` and ``M``.

    References
    ----------
    J. J. Sakurai, *Modern Quantum Mechanics* (1994), Eq. (3.10.40).
    """
    J, M = np.broadcast_arrays(np.asarray(J, dtype=float), np.asarray(M, dtype=float))
    JJ = J * (J + 1)
    num = JJ + j_B * (j_B + 1) - j_C * (j_C + 1)
    return np.where(JJ > 0, M * num / (2 * np.where(JJ > 0, JJ, 1.0)), 0.0)
