r"""Collisional charging of a ladder battery by a stream of qubits (repeated interactions).

A d-level battery with uniform level spacing E (energies :math:`nE`, n = 0..d-1) and a
ladder operator A, :math:`\langle n-1|A|n\rangle = a_n`, meets one qubit after another.
Each qubit starts in :math:`\rho_Q(q, c, \alpha)`, Eq. (1) of Salvia et al., and exchanges one
excitation with the battery through
:math:`H = A\otimes|e\rangle\langle g| + A^\dagger\otimes|g\rangle\langle e|` for a swap angle
:math:`\theta = \Omega t`, Eqs. (2), (22); the battery then goes through the channel of Eq. (3).

Because :math:`A^\dagger A` and :math:`AA^\dagger` are diagonal, every Kraus operator of that
channel, Eqs. (A9)-(A11), is diagonal plus one off-diagonal: :math:`(K\rho K^\dagger)_{ij}` only
involves :math:`\rho_{i+s,j+t}` with :math:`s, t\in\{-1,0,1\}`. The channel is therefore stored
as d-by-d coefficient arrays :math:`C_{st}` (seven of the nine are non-zero) and applied in
O(d^2) operations, :math:`\rho'_{ij} = \sum_{st} C_{st,ij}\,\rho_{i+s,j+t}`. The same holds for
the photon-loss channel of Eq. (21), with shifts along the diagonal only.

In the frame :math:`\tilde\rho = Q\rho Q^\dagger`, :math:`Q = \mathrm{diag}(u^n)` with
:math:`u = -ie^{-i\alpha}`, every coefficient is real (:meth:`CollisionChannel.real_frame`), so
a run from an energy-diagonal state can be propagated in real arithmetic.

References
----------
R. Salvia, M. Perarnau-Llobet, G. Haack, N. Brunner and S. Nimmrichter, *Quantum advantage
in charging cavity and spin batteries by repeated interactions*, arXiv:2205.00026.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from ._checks import check_count, check_rates
from .spins import check_spin, ladder_down

__all__ = [
    "Ladder",
    "qubit_state",
    "dissipator",
    "CollisionChannel",
    "LossChannel",
    "incoherent_step",
    "collide_exact",
    "channel_residual",
]


def _check_unit(name, value):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def _check_angle(theta):
    check_rates(theta=theta)
    return float(theta)


def _frozen(x):
    x = np.array(x, dtype=float)
    x.flags.writeable = False
    return x


@dataclass(frozen=True, eq=False)
class Ladder:
    r"""A battery ladder: levels n = 0..d-1 with energy nE and :math:`\langle n-1|A|n\rangle = a_n`.

    Parameters
    ----------
    amplitudes : array_like, shape (d - 1,)
        :math:`a_1, \dots, a_{d-1}`, all finite and > 0.
    name : str, optional
        Label used in messages.

    Attributes
    ----------
    dim : int
        Number of levels d.
    a : ndarray, shape (d,)
        :math:`a_n` with :math:`a_0 = 0` (read-only).
    a_up : ndarray, shape (d,)
        :math:`a_{n+1}`, the amplitude that takes level n up, with 0 for the top level.
    n : ndarray, shape (d,)
        Level energies in units of E, counted from the ground state.

    Raises
    ------
    ValueError
        If there is no amplitude or one is not finite and positive.
    """

    amplitudes: np.ndarray
    name: str = "ladder"
    dim: int = field(init=False)
    a: np.ndarray = field(init=False, repr=False)
    a_up: np.ndarray = field(init=False, repr=False)
    n: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        amp = np.asarray(self.amplitudes, dtype=float)
        if amp.ndim != 1 or amp.size < 1 or not np.all(np.isfinite(amp) & (amp > 0)):
            raise ValueError("amplitudes must be a non-empty 1-d array of finite positive numbers")
        d = amp.size + 1
        values = {
            "amplitudes": _frozen(amp),
            "dim": d,
            "a": _frozen(np.concatenate([[0.0], amp])),
            "a_up": _frozen(np.concatenate([amp, [0.0]])),
            "n": _frozen(np.arange(d)),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @classmethod
    def oscillator(cls, d):
        r"""Truncated harmonic oscillator, :math:`A = a`, :math:`a_n = \sqrt n`, Eq. (8).

        Raises
        ------
        TypeError, ValueError
            If d is not an integer >= 2.
        """
        d = check_count("d", d, 2)
        return cls(np.sqrt(np.arange(1, d)), name=f"oscillator({d})")

    @classmethod
    def spin(cls, j):
        r"""Spin j, :math:`A = J_-`, Eq. (23): level n = m + j, :math:`a_n = f_-(j, m)`.

        :math:`f_-(j, m) = \sqrt{j(j+1) - m(m-1)}`.

        Parameters
        ----------
        j : float
            Spin quantum number, a positive multiple of 1/2.

        Raises
        ------
        ValueError
            If 2j is not a positive integer.
        """
        j = check_spin(j)
        if j <= 0:
            raise ValueError(f"j must be a positive multiple of 1/2, got {j}")
        m = np.arange(1, int(round(2 * j)) + 1) - j  # m of the upper level of each pair
        return cls(ladder_down(j, m), name=f"spin({j:g})")

    @classmethod
    def uniform(cls, d):
        r"""Uniform ladder, :math:`A = \sum_n |n-1\rangle\langle n|`, :math:`a_n = 1` (Appendix B).

        Raises
        ------
        TypeError, ValueError
            If d is not an integer >= 2.
        """
        d = check_count("d", d, 2)
        return cls(np.ones(d - 1), name=f"uniform({d})")

    @property
    def is_oscillator(self):
        """Whether :math:`a_n = \\sqrt n` (a truncated oscillator)."""
        return bool(np.allclose(self.a, np.sqrt(self.n), rtol=1e-14, atol=0))

    def lowering(self):
        """The ladder operator A as a dense (d, d) array."""
        return np.diag(self.amplitudes, 1)

    def projector(self, level):
        """:math:`|n\\rangle\\langle n|` as a dense (d, d) array (level < 0: from the top)."""
        P = np.zeros((self.dim, self.dim))
        P[level, level] = 1.0
        return P

    def ground(self):
        """The empty battery :math:`|0\\rangle\\langle 0|` as a (d, d) complex array."""
        rho = np.zeros((self.dim, self.dim), dtype=complex)
        rho[0, 0] = 1.0
        return rho

    def energy(self, rho):
        """Energy :math:`\\mathrm{tr}(\\rho N)`, units of E, rho (..., d, d)."""
        return np.einsum("...ii,i->...", rho, self.n).real

    def populations(self, rho):
        """Energy distribution :math:`\\langle n|\\rho|n\\rangle`, shape (..., d)."""
        return np.einsum("...ii->...i", rho).real.copy()


def qubit_state(q, c=1.0, alpha=0.0):
    r"""Charging qubit of Eq. (1), in the basis (g, e).

    .. math:: \rho_Q = q|g\rangle\langle g| + (1-q)|e\rangle\langle e|
              + c\sqrt{q(1-q)}\,(e^{-i\alpha}|g\rangle\langle e| + e^{i\alpha}|e\rangle\langle g|)

    Parameters
    ----------
    q : float
        Ground-state population, in [0, 1].
    c : float, optional
        Coherence, in [0, 1] (1: pure state).
    alpha : float, optional
        Phase, radians.

    Returns
    -------
    ndarray, shape (2, 2), complex

    Raises
    ------
    ValueError
        If q or c lies outside [0, 1].
    """
    q, c = _check_unit("q", q), _check_unit("c", c)
    off = c * np.sqrt(q * (1 - q)) * np.exp(-1j * alpha)
    return np.array([[q, off], [np.conj(off), 1 - q]], dtype=complex)


def dissipator(M, rho):
    r"""Lindblad dissipator of Eq. (A1), :math:`M\rho M^\dagger - \{M^\dagger M, \rho\}/2`.

    Parameters
    ----------
    M, rho : ndarray, shape (d, d)

    Returns
    -------
    ndarray, shape (d, d)

    Raises
    ------
    ValueError
        If the shapes differ or are not square.
    """
    M, rho = np.asarray(M), np.asarray(rho)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape != rho.shape:
        raise ValueError(f"M and rho must be square of the same shape, got {M.shape}, {rho.shape}")
    MdM = M.conj().T @ M
    return M @ rho @ M.conj().T - 0.5 * (MdM @ rho + rho @ MdM)


def _slices(d, s, t):
    """Index slices (target, source) such that target[i, j] pairs with source[i + s, j + t]."""
    tgt = (slice(max(0, -s), d - max(0, s)), slice(max(0, -t), d - max(0, t)))
    src = (slice(max(0, s), d - max(0, -s)), slice(max(0, t), d - max(0, -t)))
    return tgt, src


def _apply_banded(coefficients, rho, dim):
    m = rho.shape[0]
    if rho.ndim != 2 or rho.shape != (m, m) or m > dim:
        raise ValueError(f"rho must be square with at most {dim} levels, got {rho.shape}")
    out = np.zeros_like(rho)
    for (s, t), C in coefficients.items():
        tgt, src = _slices(m, s, t)
        out[tgt] += C[tgt] * rho[src]
    return out


class CollisionChannel:
    r"""One collision with a qubit :math:`\rho_Q(q, c, \alpha)` at swap angle θ, Eq. (3).

    Kraus operators, Eqs. (A9)-(A11), with :math:`L_g = \cos(\sqrt{A^\dagger A}\,\theta)`,
    :math:`L_e = \cos(\sqrt{AA^\dagger}\,\theta)` (diagonal),
    :math:`L_- = \theta A\,\mathrm{sinc}(\sqrt{A^\dagger A}\,\theta)` (entries
    :math:`\sin(a_n\theta)` above the diagonal) and :math:`L_+ = L_-^\dagger`: the qubit state is
    :math:`c\rho_Q^{coh} + (1-c)\rho_Q^{inc}`, so the channel is
    :math:`c\,\Phi_{coh} + (1-c)\,\Phi_{inc}` with

    .. math::
        \Phi_{inc}\rho &= q(L_g\rho L_g + L_-\rho L_+) + (1-q)(L_e\rho L_e + L_+\rho L_-), \\
        \Phi_{coh}\rho &= K_1\rho K_1^\dagger + K_2\rho K_2^\dagger, \\
        K_1 &= \sqrt q L_- + i\sqrt{1-q}e^{i\alpha}L_e,\quad
        K_2 = \sqrt{1-q}L_+ + i\sqrt q e^{-i\alpha}L_g .

    Parameters
    ----------
    ladder : Ladder
    theta : float
        Swap angle :math:`\theta = \Omega t` (radians), >= 0.
    q, c, alpha : float, keyword-only
        Qubit state, Eq. (1); defaults: the coherent :math:`|+\rangle` state.

    Raises
    ------
    ValueError
        If theta < 0 or q, c lie outside [0, 1].
    """

    def __init__(self, ladder, theta, *, q=0.5, c=1.0, alpha=0.0):
        self.ladder = ladder
        self.theta = _check_angle(theta)
        self.q, self.c, self.alpha = _check_unit("q", q), _check_unit("c", c), float(alpha)
        self.coefficients = self._coefficients()

    def kraus(self):
        """Kraus operators as (diagonal, above, below) triples: K[i, i+s] for s = 0, +1, -1.

        ``above[i]`` is K[i, i+1] and ``below[i]`` is K[i, i-1] (each of length d, zero-padded).
        """
        lad, th, q, c, al = self.ladder, self.theta, self.q, self.c, self.alpha
        zero = np.zeros(lad.dim)
        L_g = np.cos(lad.a * th)  # cos(sqrt(A^dag A) theta): (A^dag A)_nn = a_n^2
        L_e = np.cos(lad.a_up * th)  # (A A^dag)_nn = a_{n+1}^2
        s = np.sin(lad.a_up * th)  # <n|L_-|n+1> = sin(a_{n+1} theta)
        below = np.concatenate([[0.0], s[:-1]])  # <n|L_+|n-1> = sin(a_n theta)
        ops = []
        if c > 0:
            ops += [
                (1j * np.sqrt(c * (1 - q)) * np.exp(1j * al) * L_e, np.sqrt(c * q) * s, zero),
                (1j * np.sqrt(c * q) * np.exp(-1j * al) * L_g, zero, np.sqrt(c * (1 - q)) * below),
            ]
        if c < 1:
            w_g, w_e = np.sqrt((1 - c) * q), np.sqrt((1 - c) * (1 - q))
            ops += [
                (w_g * L_g, zero, zero),
                (zero, w_g * s, zero),
                (w_e * L_e, zero, zero),
                (zero, zero, w_e * below),
            ]
        return [
            (np.asarray(k0, complex), np.asarray(kp, complex), np.asarray(km, complex))
            for k0, kp, km in ops
        ]

    def dense_kraus(self):
        """The Kraus operators as dense (d, d) arrays (for checks)."""
        return [
            np.diag(k0) + np.diag(kp[:-1], 1) + np.diag(km[1:], -1) for k0, kp, km in self.kraus()
        ]

    def _coefficients(self):
        # (K rho K^dag)[i, j] = sum_{s,t} K[i, i+s] conj(K[j, j+t]) rho[i+s, j+t]
        coeff = {}
        for k in self.kraus():
            rows = dict(zip((0, 1, -1), k))
            for s, ks in rows.items():
                if not ks.any():
                    continue
                for t, kt in rows.items():
                    if kt.any():
                        coeff[(s, t)] = coeff.get((s, t), 0) + np.outer(ks, kt.conj())
        return coeff

    @property
    def frame_phase(self):
        r""":math:`u = -ie^{-i\alpha}`: real channel on :math:`u^i\bar u^j\rho_{ij}`."""
        return -1j * np.exp(-1j * self.alpha)

    def real_frame(self):
        r"""The coefficients in the frame :math:`\tilde\rho_{ij} = u^i \bar u^j \rho_{ij}`, real.

        With :math:`u` = :attr:`frame_phase`, :math:`\tilde C_{st} = C_{st}\,\bar u^s u^t`; the
        Kraus operators become real up to a phase each (see the module notes), so a real symmetric
        :math:`\tilde\rho` stays real symmetric.

        Returns
        -------
        dict of (int, int) to ndarray, shape (d, d), float
        """
        u = self.frame_phase
        out = {}
        for (s, t), C in self.coefficients.items():
            Ct = C * np.conj(u) ** s * u**t
            scale = max(np.abs(Ct).max(), 1.0)
            if np.abs(Ct.imag).max() > 1e-12 * scale:  # pragma: no cover - guards the algebra
                raise RuntimeError("collision coefficients are not real in the rotated frame")
            out[(s, t)] = np.ascontiguousarray(Ct.real)
        return out

    def apply(self, rho):
        """The battery state after one collision, O(m^2).

        Parameters
        ----------
        rho : ndarray, shape (m, m), m <= d
            The state, or its leading block over levels 0..m-1 when the levels above are
            empty. The result is exact if level m-1 is empty as well (for m = d, always);
            otherwise what would move up to level m is cut off.

        Returns
        -------
        ndarray, shape (m, m), complex

        Raises
        ------
        ValueError
            If rho is not square or has more than d levels.
        """
        return _apply_banded(self.coefficients, np.asarray(rho, dtype=complex), self.ladder.dim)


class LossChannel:
    r"""Photon loss between collisions, Eq. (21): :math:`e^{\kappa t_0\mathcal D[a]}` (oscillators).

    With :math:`\gamma = 1 - e^{-\kappa t_0}`,

    .. math:: \rho'_{mn} = \sum_k \sqrt{\binom{m+k}{k}\binom{n+k}{k}}\,\gamma^k
              (1-\gamma)^{(m+n)/2}\,\rho_{m+k,n+k},

    the Kraus sum of Eq. (21) written out. Terms are kept while they can still change an
    entry by more than 1e-17 (k up to about 15 for γ = 1e-3 and 250 levels), so one
    application costs O(d^2) times that number.

    Parameters
    ----------
    ladder : Ladder
        An oscillator ladder (``Ladder.oscillator``).
    gamma : float
        Loss per waiting time, :math:`\gamma = 1 - e^{-\kappa t_0}`, in [0, 1].

    Raises
    ------
    ValueError
        If gamma lies outside [0, 1] or the ladder is not an oscillator.
    """

    def __init__(self, ladder, gamma):
        if not ladder.is_oscillator:
            raise ValueError("LossChannel needs an oscillator ladder (a_n = sqrt(n))")
        self.ladder = ladder
        self.gamma = _check_unit("gamma", gamma)
        d = ladder.dim
        n = ladder.n
        self.terms = []
        if self.gamma == 0:
            return
        with np.errstate(divide="ignore"):
            log_keep = (
                0.5 * np.log1p(-self.gamma) * (n[:, None] + n[None, :]) if self.gamma < 1 else None
            )
        for k in range(d):
            m = n[: d - k]
            log_binom = gammaln(m + k + 1) - gammaln(m + 1) - gammaln(k + 1)
            log_c = 0.5 * (log_binom[:, None] + log_binom[None, :]) + k * np.log(self.gamma)
            if log_keep is not None:
                log_c = log_c + log_keep[: d - k, : d - k]
            c = np.exp(log_c)
            if c.max() < 1e-17 and k > 0:
                break
            self.terms.append(c)
        # term k matters on the block of the first m levels once its largest entry there,
        # on the diagonal, reaches 1e-17: m >= k + 1 + (first such diagonal index)
        self._reach = [
            k + 1 + int(np.argmax(np.diagonal(c) >= 1e-17)) if k else 1
            for k, c in enumerate(self.terms)
        ]

    def apply(self, rho):
        """The battery state after the waiting time; rho (m, m) with m <= d, real or complex.

        On a leading block of m levels, terms whose entries there are all below 1e-17 are
        skipped.
        """
        m = rho.shape[0]
        if not self.terms:
            return rho.copy()
        out = np.zeros_like(rho)
        for k, (c, reach) in enumerate(zip(self.terms, self._reach)):
            if reach <= m:
                out[: m - k, : m - k] += c[: m - k, : m - k] * rho[k:, k:]
        return out

    def apply_populations(self, p):
        """The populations after the waiting time (the diagonal of :meth:`apply`); p shape (m,)."""
        p = np.asarray(p, dtype=float)
        if not self.terms:
            return p.copy()
        m = p.size
        out = np.zeros_like(p)
        for k, c in enumerate(self.terms[:m]):
            out[: m - k] += np.diagonal(c)[: m - k] * p[k:]
        return out


def incoherent_step(ladder, p, theta, *, q=0.0):
    r"""Populations after one collision with an incoherent qubit (c = 0), Eqs. (9) and (24).

    .. math:: p'(n) = P_0(n)p(n) + P_-(n+1)p(n+1) + P_+(n-1)p(n-1),

    :math:`P_-(n) = q\sin^2(a_n\theta)`, :math:`P_+(n) = (1-q)\sin^2(a_{n+1}\theta)`.

    Parameters
    ----------
    ladder : Ladder
    p : array_like, shape (d,)
        Populations before the collision.
    theta : float
        Swap angle, >= 0.
    q : float, keyword-only
        Ground-state population of the qubits (0: fully excited).

    Returns
    -------
    ndarray, shape (d,)

    Raises
    ------
    ValueError
        If theta < 0, q lies outside [0, 1] or p does not have d entries.
    """
    theta, q = _check_angle(theta), _check_unit("q", q)
    p = np.asarray(p, dtype=float)
    if p.shape != (ladder.dim,):
        raise ValueError(f"p must have shape ({ladder.dim},), got {p.shape}")
    up = (1 - q) * np.sin(ladder.a_up * theta) ** 2
    down = q * np.sin(ladder.a * theta) ** 2
    out = (1 - up - down) * p
    out[1:] += up[:-1] * p[:-1]
    out[:-1] += down[1:] * p[1:]
    return out


def collide_exact(ladder, rho, theta, rho_Q):
    r"""Reference for Eq. (3): :math:`\mathrm{tr}_Q\{U(\rho\otimes\rho_Q)U^\dagger\}`, dense.

    Parameters
    ----------
    ladder : Ladder
    rho : ndarray, shape (d, d)
    theta : float
        Swap angle.
    rho_Q : ndarray, shape (2, 2)
        Qubit state in the basis (g, e).

    Returns
    -------
    ndarray, shape (d, d)
    """
    from scipy.linalg import expm

    A = ladder.lowering()
    eg, ge = np.array([[0, 0], [1, 0]]), np.array([[0, 1], [0, 0]])  # |e><g|, |g><e| in (g, e)
    H = np.kron(A, eg) + np.kron(A.conj().T, ge)
    U = expm(-1j * theta * H)
    d = ladder.dim
    big = U @ np.kron(rho, rho_Q) @ U.conj().T
    return np.trace(big.reshape(d, 2, d, 2), axis1=1, axis2=3)


CHANNEL_CASES = ((0.01 * np.pi, 0.5, 1.0, 0.0), (0.3, 0.2, 0.6, 0.7), (1.2, 0.0, 0.0, 0.0))


def channel_residual(ladder, cases=CHANNEL_CASES, *, seed=0):
    r"""Largest entry of (banded channel − unitary and partial trace) on random battery states.

    For each ``(theta, q, c, alpha)`` in ``cases`` (default: a small coherent angle, a partly
    coherent qubit with a phase, and an incoherent full swap), one random density matrix is
    sent through :class:`CollisionChannel` and through :func:`collide_exact`.

    Returns
    -------
    float
    """
    rng = np.random.default_rng(seed)
    d, worst = ladder.dim, 0.0
    for theta, q, c, alpha in cases:
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        rho = X @ X.conj().T / np.trace(X @ X.conj().T)
        ours = CollisionChannel(ladder, theta, q=q, c=c, alpha=alpha).apply(rho)
        worst = max(
            worst, np.abs(ours - collide_exact(ladder, rho, theta, qubit_state(q, c, alpha))).max()
        )
    return float(worst)
