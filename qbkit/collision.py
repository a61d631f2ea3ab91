r"""Collisional charging of a ladder battery by a stream of qubits (Salvia et al.).

A d-level battery with uniform level spacing E (energies :math:`nE`, n = 0..d-1) and a
ladder operator A, :math:`\langle n-1|A|n\rangle = a_n`, meets one qubit after another.
Each qubit starts in :math:`\rho_Q(q, c, \alpha)`, Eq. (1), and exchanges one excitation
with the battery through :math:`H = A\otimes|e\rangle\langle g| + A^\dagger\otimes|g\rangle\langle e|`
for a swap angle :math:`\theta = \Omega t`, Eqs. (2), (22); the battery then goes through the
channel of Eq. (3).

Because :math:`A^\dagger A` and :math:`AA^\dagger` are diagonal, every Kraus operator of that
channel, Eqs. (A9)-(A11), is diagonal plus one off-diagonal: :math:`(K\rho K^\dagger)_{ij}` only
involves :math:`\rho_{i+s,j+t}` with :math:`s, t\in\{-1,0,1\}`. The channel is therefore stored as
d-by-d coefficient arrays :math:`C_{st}` (seven of the nine are non-zero) and applied in O(d^2)
operations, :math:`\rho'_{ij} = \sum_{st} C_{st,ij}\,\rho_{i+s,j+t}`. The same holds for the photon-loss
channel of Eq. (21) with shifts along the diagonal only.

References
----------
R. Salvia, M. Perarnau-Llobet, G. Haack, N. Brunner and S. Nimmrichter, *Quantum advantage
in charging cavity and spin batteries by repeated interactions* (preprint).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ._checks import check_count, check_rates
from .spins import check_spin, ladder_down

__all__ = [
    "Ladder",
    "qubit_state",
    "CollisionChannel",
    "LossChannel",
    "incoherent_step",
    "collide_exact",
]


def _check_unit(name, value):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def _check_angle(theta):
    check_rates(theta=theta)
    return float(theta)


class Ladder:
    r"""A battery ladder: levels n = 0..d-1 with energy nE and :math:`\langle n-1|A|n\rangle = a_n`.

    Parameters
    ----------
    amplitudes : array_like, shape (d - 1,)
        :math:`a_1, \dots, a_{d-1}`, all > 0.
    name : str, optional
        Label used in messages.

    Raises
    ------
    ValueError
        If there are fewer than one amplitude or any is not positive.
    """

    def __init__(self, amplitudes, name="ladder"):
        a = np.asarray(amplitudes, dtype=float)
        if a.ndim != 1 or a.size < 1 or not np.all(a > 0):
            raise ValueError("amplitudes must be a non-empty 1-d array of positive numbers")
        self.name = name
        self.a = np.concatenate([[0.0], a])  # a[n] = <n-1|A|n>, a[0] = 0
        self.dim = a.size + 1
        self.n = np.arange(self.dim, dtype=float)  # energy in units of E, from the ground state

    @classmethod
    def oscillator(cls, d):
        r"""Truncated harmonic oscillator, :math:`A = a`, :math:`a_n = \sqrt n`, Eq. (8)."""
        d = check_count("d", d, 2)
        return cls(np.sqrt(np.arange(1, d)), name=f"oscillator({d})")

    @classmethod
    def spin(cls, j):
        r"""Spin j, :math:`A = J_-`, level n = m + j, :math:`a_n = f_-(j, m) = \sqrt{j(j+1) - m(m-1)}`, Eq. (23).

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
        m = np.arange(1, int(2 * j) + 1) - j  # m of the upper level of each pair
        return cls(ladder_down(j, m), name=f"spin({j:g})")

    @classmethod
    def uniform(cls, d):
        r"""Uniform ladder, :math:`A = \sum_n |n-1\rangle\langle n|`, :math:`a_n = 1` (Appendix B)."""
        d = check_count("d", d, 2)
        return cls(np.ones(d - 1), name=f"uniform({d})")

    def lowering(self):
        """The ladder operator A as a dense (d, d) array (for checks)."""
        return np.diag(self.a[1:], 1)

    def ground(self):
        """The empty battery :math:`|0\\rangle\\langle 0|` as a (d, d) complex array."""
        rho = np.zeros((self.dim, self.dim), dtype=complex)
        rho[0, 0] = 1.0
        return rho

    def energy(self, rho):
        """Mean energy above the ground state, :math:`\\mathrm{tr}(\\rho N)`, units of E; rho (..., d, d)."""
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


def _slices(d, s, t):
    """Index slices (target, source) such that target[i, j] pairs with source[i + s, j + t]."""
    tgt = (slice(max(0, -s), d - max(0, s)), slice(max(0, -t), d - max(0, t)))
    src = (slice(max(0, s), d - max(0, -s)), slice(max(0, t), d - max(0, -t)))
    return tgt, src


class CollisionChannel:
    r"""One collision of the battery with a qubit :math:`\rho_Q(q, c, \alpha)` at swap angle θ, Eq. (3).

    Kraus operators, Eqs. (A9)-(A11), with :math:`L_g = \cos(\sqrt{A^\dagger A}\,\theta)`,
    :math:`L_e = \cos(\sqrt{AA^\dagger}\,\theta)` (diagonal), :math:`L_- = \theta A\,\mathrm{sinc}(\sqrt{A^\dagger A}\,\theta)`
    (entries :math:`\sin(a_n\theta)` above the diagonal) and :math:`L_+ = L_-^\dagger`: the qubit
    state is :math:`c\rho_Q^{coh} + (1-c)\rho_Q^{inc}`, so the channel is
    :math:`c\,\Phi_{coh} + (1-c)\,\Phi_{inc}` with

    .. math::
        \Phi_{inc}\rho &= q(L_g\rho L_g + L_-\rho L_+) + (1-q)(L_e\rho L_e + L_+\rho L_-), \\
        \Phi_{coh}\rho &= K_1\rho K_1^\dagger + K_2\rho K_2^\dagger,\quad
        K_1 = \sqrt q L_- + i\sqrt{1-q}e^{i\alpha}L_e,\quad K_2 = \sqrt{1-q}L_+ + i\sqrt q e^{-i\alpha}L_g .

    Parameters
    ----------
    ladder : Ladder
    theta : float
        Swap angle :math:`\theta = \Omega t` (radians), >= 0.
    q, c, alpha : float, optional
        Qubit state, Eq. (1); defaults: the coherent :math:`|+\rangle` state.

    Raises
    ------
    ValueError
        If theta < 0 or q, c lie outside [0, 1].
    """

    def __init__(self, ladder, theta, q=0.5, c=1.0, alpha=0.0):
        self.ladder = ladder
        self.theta = _check_angle(theta)
        self.q, self.c, self.alpha = _check_unit("q", q), _check_unit("c", c), float(alpha)
        self.coefficients = self._coefficients()

    def kraus(self):
        """Kraus operators as (diagonal, above, below) triples: K[i, i+s] for s = 0, +1, -1.

        ``above[i]`` is K[i, i+1] and ``below[i]`` is K[i, i-1] (each of length d, zero-padded).
        """
        lad, th, q, c, al = self.ladder, self.theta, self.q, self.c, self.alpha
        d = lad.dim
        zero = np.zeros(d)
        L_g = np.cos(lad.a * th)  # cos(sqrt(A^dag A) theta): (A^dag A)_nn = a_n^2
        L_e = np.cos(np.append(lad.a[1:], 0.0) * th)  # (A A^dag)_nn = a_{n+1}^2
        s = np.sin(np.append(lad.a[1:], 0.0) * th)  # <n|L_-|n+1> = sin(a_{n+1} theta)
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
        """
        m = rho.shape[0]
        if rho.shape != (m, m) or m > self.ladder.dim:
            raise ValueError(
                f"rho must be square with at most {self.ladder.dim} levels, got {rho.shape}"
            )
        out = np.zeros((m, m), dtype=complex)
        for (s, t), C in self.coefficients.items():
            tgt, src = _slices(m, s, t)
            out[tgt] += C[tgt] * rho[src]
        return out


class LossChannel:
    r"""Photon loss between collisions, Eq. (21): :math:`e^{\kappa t_0\mathcal D[a]}` on an oscillator ladder.

    With :math:`\gamma = 1 - e^{-\kappa t_0}`,

    .. math:: \rho'_{mn} = \sum_k \sqrt{\binom{m+k}{k}\binom{n+k}{k}}\,\gamma^k (1-\gamma)^{(m+n)/2}\,\rho_{m+k,n+k},

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
        if not np.allclose(ladder.a, np.sqrt(ladder.n)):
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

    def apply(self, rho):
        """The battery state after the waiting time; rho (m, m) with m <= d, as for CollisionChannel.apply."""
        m = rho.shape[0]
        out = rho.copy() if not self.terms else np.zeros_like(rho)
        for k, c in enumerate(self.terms[:m]):
            out[: m - k, : m - k] += c[: m - k, : m - k] * rho[k:, k:]
        return out


def incoherent_step(ladder, p, theta, q=0.0):
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
    q : float, optional
        Ground-state population of the qubits (0: fully excited).

    Returns
    -------
    ndarray, shape (d,)
    """
    theta, q = _check_angle(theta), _check_unit("q", q)
    p = np.asarray(p, dtype=float)
    up = (1 - q) * np.sin(np.append(ladder.a[1:], 0.0) * theta) ** 2
    down = q * np.sin(ladder.a * theta) ** 2
    out = (1 - up - down) * p
    out[1:] += up[:-1] * p[:-1]
    out[:-1] += down[1:] * p[1:]
    return out


def collide_exact(ladder, rho, theta, rho_Q):
    r"""Reference for Eq. (3): :math:`\mathrm{tr}_Q\{U(\rho\otimes\rho_Q)U^\dagger\}` with the dense unitary, O(d^3).

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
