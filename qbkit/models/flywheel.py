r"""Two trapped Rydberg ions whose relative vibration stores work: mean-field theory and exact solution.

Equation numbers refer to W. S. Martins, F. Carollo, W. Li, K. Brandner and I. Lesanovsky,
*A Rydberg ion flywheel for quantum work storage* (main text and supplemental material, dated
12 April 2023). Units: :math:`\hbar = 1`; rates and frequencies in units of γ when γ = 1.

Model, Eqs. (1)-(3): :math:`H = \omega_{rel}(a^\dagger a + 1/2) + \sum_k(\Delta n_k + \Omega\sigma_k^x)
+ W(x)\,n_1n_2` with :math:`W(x) = V_0 + \kappa_1x + \kappa_2x^2`, :math:`x = (a + a^\dagger)/\sqrt2`,
:math:`\omega_{rel} = \sqrt3\,\omega`, and decay γ of each ion's Rydberg state. The drive
alternates between two values of Δ (or Ω) every half period :math:`\tau_d/2`,
:math:`\tau_d = 2\pi/\omega_{rel}`.

Mean field, Eq. (4): the state stays a product :math:`\varrho_{ph}\otimes\varrho_{el}`. Because
:math:`\tilde H_{ph} = \omega_{rel}(x^2+p^2)/2 + s_{nn}W(x)` is quadratic, five moments of the
oscillator close among themselves (derived here from the commutators, see :func:`oscillator_moment_rhs`);
the ions' state is carried as its 16 Pauli moments, whose linear equations are built from the
operator algebra (:func:`electronic_generators`). Both are vectorized over a batch of parameter
sets, so a whole map of Fig. 3 is one integration (:func:`integrate_mean_field`).

Exact solution, Eq. (3): :func:`solve_exact`, in the interaction picture of the oscillator with the
ions' propagator as integrating factor, on the 10 components of the ions' state that are even under
swapping the two ions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.constants as const
import scipy.linalg
from scipy.integrate import solve_ivp

__all__ = [
    "electronic_operators",
    "FlywheelParameters",
    "ion_pair_scales",
    "oscillator_moment_rhs",
    "electronic_rhs",
    "electronic_generators",
    "MeanFieldRun",
    "integrate_mean_field",
    "mean_field_density_matrices",
    "two_stroke",
    "amplitude",
    "ExactRun",
    "solve_exact",
]


def electronic_operators():
    r"""Operators of the two ions on :math:`\mathbb C^2\otimes\mathbb C^2` as (4, 4) arrays.

    Basis :math:`|\downarrow\rangle = (1, 0)`, :math:`|\uparrow\rangle = (0, 1)` per ion. Returns a dict
    with ``n1``, ``n2``, ``nn`` (:math:`n_1n_2`), ``sx`` (:math:`\sigma_1^x + \sigma_2^x`),
    ``sm1``, ``sm2`` (:math:`\sigma_k^- = |\downarrow_k\rangle\langle\uparrow_k|`).
    """
    one = np.eye(2)
    n = np.diag([0.0, 1.0])
    sx = np.array([[0.0, 1.0], [1.0, 0.0]])
    sm = np.array([[0.0, 1.0], [0.0, 0.0]])
    n1, n2 = np.kron(n, one), np.kron(one, n)
    return {
        "n1": n1,
        "n2": n2,
        "nn": n1 @ n2,
        "sx": np.kron(sx, one) + np.kron(one, sx),
        "sm1": np.kron(sm, one),
        "sm2": np.kron(one, sm),
    }


@dataclass(frozen=True)
class FlywheelParameters:
    r"""Trap frequency ω, couplings κ₁, κ₂ and V₀ of Eq. (2), decay γ (all in the same frequency unit).

    Attributes
    ----------
    omega_rel : float
        :math:`\sqrt3\,\omega`, the vibration frequency (below Eq. (1)).
    tau_d : float
        Drive period :math:`2\pi/\omega_{rel}`.
    """

    omega: float = 9.0
    kappa1: float = 1.0
    kappa2: float = 0.0
    V0: float = -18.0
    gamma: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.omega) and self.omega > 0):
            raise ValueError(f"omega must be > 0, got {self.omega}")
        if not self.gamma >= 0:
            raise ValueError(f"gamma must be >= 0, got {self.gamma}")

    @property
    def omega_rel(self):
        return np.sqrt(3.0) * self.omega

    @property
    def tau_d(self):
        return 2 * np.pi / self.omega_rel


def two_stroke(t, low, high, tau_d):
    r"""The two-stroke protocol: ``low`` for :math:`0\le t \bmod \tau_d < \tau_d/2`, ``high`` after."""
    phase = np.mod(np.asarray(t, dtype=float), tau_d)
    return np.where(phase < tau_d / 2, low, high)


def ion_pair_scales(mass, trap_frequency):
    r"""Length scales of two singly charged ions in a harmonic trap (supplemental material, Sec. S1).

    Equilibrium distance :math:`x^0_{rel} = (e^2/2\pi m\omega^2\epsilon_0)^{1/3}` (where the Coulomb force
    :math:`e^2/4\pi\epsilon_0x^2` balances the trap force :math:`m\omega^2x/2` on each ion) and the
    oscillator length of the relative motion, :math:`\ell_0 = \sqrt{\hbar/\mu\omega_{rel}} =
    \sqrt{2\hbar/m\omega_{rel}}` with :math:`\mu = m/2`, :math:`\omega_{rel} = \sqrt3\,\omega`
    (main text below Eq. (1); :math:`\delta x_{rel} = \ell_0 x`, :math:`x = (a + a^\dagger)/\sqrt2`).

    Parameters
    ----------
    mass : float
        Mass of one ion in kg.
    trap_frequency : float
        Angular trap frequency ω in rad/s.

    Returns
    -------
    dict
        ``x0_rel`` and ``ell0`` in m, ``omega_rel`` in rad/s.

    Raises
    ------
    ValueError
        If ``mass`` or ``trap_frequency`` is not positive.
    """
    for name, v in (("mass", mass), ("trap_frequency", trap_frequency)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be > 0, got {v}")
    omega_rel = np.sqrt(3.0) * trap_frequency
    x0 = (const.e**2 / (2 * np.pi * mass * trap_frequency**2 * const.epsilon_0)) ** (1 / 3)
    return {
        "x0_rel": x0,
        "ell0": np.sqrt(2 * const.hbar / (mass * omega_rel)),
        "omega_rel": omega_rel,
    }


def amplitude(t, x, period):
    r"""Oscillation amplitude :math:`A(t) = \max|\langle x\rangle|` over the last period before ``t``.

    The largest sample of each window is refined by the parabola through it and its two
    neighbours, so a sinusoid sampled 16 times per period is resolved to about 1e-4 of its
    amplitude (the bare samples can miss the peak by :math:`1-\cos(\pi/16) = 2\%`).

    Parameters
    ----------
    t : ndarray, shape (n_t,)
        Uniform sample times.
    x : ndarray, shape (..., n_t)
    period : float
        Window length (the drive period :math:`\tau_d`); a whole number k >= 3 of sample steps.

    Returns
    -------
    (ndarray, ndarray)
        Times ``t[k:]``, shape (n_t - k,), and amplitudes, shape (..., n_t - k); the window of
        ``t[i]`` is ``[t[i] - period, t[i]]``.

    Raises
    ------
    ValueError
        If the sampling does not divide ``period`` or the series is not longer than one period.
    """
    t, x = np.asarray(t, float), np.abs(np.asarray(x, float))
    dt = t[1] - t[0]
    k = int(round(period / dt))
    if abs(k * dt - period) > 1e-9 * period or k < 3:
        raise ValueError(f"period {period} is not a whole number (>= 3) of sample steps {dt}")
    if t.size <= k:
        raise ValueError("the series must be longer than one period")
    # windows of samples i-k .. i (i = k .. n_t-1) with one neighbour on each side for the parabola
    padded = np.concatenate([x[..., :1], x, x[..., -1:]], axis=-1)
    win = np.lib.stride_tricks.sliding_window_view(padded, k + 3, axis=-1)
    j = np.argmax(win[..., 1:-1], axis=-1)[..., None] + 1
    y0, y1, y2 = (np.take_along_axis(win, j + s, axis=-1)[..., 0] for s in (-1, 0, 1))
    curv = np.minimum(y0 - 2 * y1 + y2, -1e-300)
    # vertex of the parabola, kept inside the window: a peak at its edge may lie outside
    d = np.clip(
        (y0 - y2) / (2 * curv),
        np.where(j[..., 0] == 1, 0.0, -1.0),
        np.where(j[..., 0] == k + 1, 0.0, 1.0),
    )
    peak = np.maximum(y1 + d * (y2 - y0) / 2 + d**2 * curv / 2, y1)
    return t[k:], peak


def oscillator_moment_rhs(m, s_nn, p):
    r"""Time derivatives of the oscillator moments under :math:`\tilde H_{ph}` of Eq. (4).

    With :math:`\tilde H_{ph} = \tfrac{\omega_{rel}}2(x^2+p^2) + s_{nn}(V_0 + \kappa_1x + \kappa_2x^2)`,
    :math:`[x, p] = i` and :math:`\tilde\omega = \omega_{rel} + 2\kappa_2s_{nn}`:

    .. math::
        \dot X = \omega_{rel}P,\quad \dot P = -\tilde\omega X - \kappa_1s_{nn},\quad
        \dot X_2 = \omega_{rel}C,\quad \dot P_2 = -\tilde\omega C - 2\kappa_1s_{nn}P,\quad
        \dot C = 2\omega_{rel}P_2 - 2\tilde\omega X_2 - 2\kappa_1s_{nn}X,

    where :math:`X = \langle x\rangle`, :math:`P = \langle p\rangle`, :math:`X_2 = \langle x^2\rangle`,
    :math:`P_2 = \langle p^2\rangle`, :math:`C = \langle xp + px\rangle`. These are (S6) with the
    corrections listed on the errata page (the printed second line has :math:`+\kappa_1s_{nn}` and
    :math:`\kappa_2` for :math:`-\kappa_1s_{nn}` and :math:`2\kappa_2`).

    Parameters
    ----------
    m : ndarray, shape (..., 5)
        :math:`(X, P, X_2, P_2, C)`.
    s_nn : ndarray, shape (...)
        Double-excitation probability.
    p : FlywheelParameters

    Returns
    -------
    ndarray, shape (..., 5)
    """
    X, P, X2, P2, C = np.moveaxis(m, -1, 0)
    w, k1 = p.omega_rel, p.kappa1 * s_nn
    wt = w + 2 * p.kappa2 * s_nn
    return np.stack(
        [w * P, -wt * X - k1, w * C, -wt * C - 2 * k1 * P, 2 * w * P2 - 2 * wt * X2 - 2 * k1 * X],
        axis=-1,
    )


_OPS = electronic_operators()


def electronic_rhs(rho, Delta, Omega, W_mean, gamma):
    r"""Time derivative of the ions' state under :math:`\tilde H_{el}` of Eq. (4) and the decay of Eq. (3).

    :math:`\tilde H_{el} = \Delta(n_1+n_2) + \Omega(\sigma_1^x+\sigma_2^x) + \langle W(x)\rangle n_1n_2`,
    :math:`\dot\varrho = -i[\tilde H_{el},\varrho] + \gamma\sum_k(\sigma_k^-\varrho\sigma_k^+ - \tfrac12\{n_k,\varrho\})`.

    Parameters
    ----------
    rho : ndarray, shape (..., 4, 4)
    Delta, Omega, W_mean : ndarray, shape (...) or float
    gamma : float

    Returns
    -------
    ndarray, shape (..., 4, 4)
    """
    o = _OPS
    Delta, Omega, W_mean = (
        np.asarray(v, dtype=float)[..., None, None] for v in (Delta, Omega, W_mean)
    )
    H = Delta * (o["n1"] + o["n2"]) + Omega * o["sx"] + W_mean * o["nn"]
    out = -1j * (H @ rho - rho @ H)
    for sm, n in ((o["sm1"], o["n1"]), (o["sm2"], o["n2"])):
        out += gamma * (sm @ rho @ sm.T - 0.5 * (n @ rho + rho @ n))
    return out


def _pauli_basis():
    """The 16 Hermitian products sigma_a x sigma_b / 2 (a, b in I, X, Y, Z): orthonormal under Tr(A B)."""
    P = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    return np.array([np.kron(a, b) / 2 for a in P for b in P])


def electronic_generators():
    r"""The electronic mean-field equations as linear maps on the 16 Pauli moments.

    With :math:`c_k = \mathrm{Tr}[G_k\varrho_{el}]`, :math:`G_k = \sigma_a\otimes\sigma_b/2`, the
    equation of :func:`electronic_rhs` is :math:`\dot c = (\Delta M_\Delta + \Omega M_\Omega +
    \langle W\rangle M_W + \gamma M_\gamma)c` with real (16, 16) matrices
    :math:`(M_X)_{kl} = \mathrm{Tr}[G_k\mathcal L_X(G_l)]`, computed here from the operator algebra.
    These are the moment equations (S7)-(S8), written for :math:`\langle\sigma^a_1\sigma^b_2\rangle`.

    Returns
    -------
    dict of ndarray, shape (16, 16)
        ``Delta``, ``Omega``, ``W``, ``gamma``; and ``basis``, shape (16, 4, 4).
    """
    G = _pauli_basis()
    out = {"basis": G}
    for name, args in (
        ("Delta", (1, 0, 0, 0)),
        ("Omega", (0, 1, 0, 0)),
        ("W", (0, 0, 1, 0)),
        ("gamma", (0, 0, 0, 1)),
    ):
        images = electronic_rhs(G, *args)
        out[name] = np.real(np.einsum("kij,lji->kl", G, images))
    return out


_GEN = electronic_generators()
_NN = np.real(np.einsum("kij,ji->k", _GEN["basis"], _OPS["nn"]))  # s_nn = _NN @ c


@dataclass
class MeanFieldRun:
    r"""Sampled mean-field trajectories; arrays have the batch shape in front of the time axis.

    ``t`` (n_t,), ``x`` = ⟨x⟩, ``s_nn``, ``n_ph`` = :math:`(\langle x^2\rangle + \langle p^2\rangle - 1)/2`,
    ``var_x`` = :math:`\langle x^2\rangle - \langle x\rangle^2`, each of shape (..., n_t).
    """

    t: np.ndarray
    x: np.ndarray
    s_nn: np.ndarray
    n_ph: np.ndarray
    var_x: np.ndarray


def integrate_mean_field(p, t_max, Delta, Omega, steps_per_half=24, samples_per_period=8):
    r"""Integrate the mean-field equations (4) for a batch of drives, from :math:`|0\rangle\otimes|\downarrow\downarrow\rangle`.

    Classical fourth-order Runge-Kutta with a fixed step of :math:`\tau_d/(2\,\mathrm{steps\_per\_half})`,
    so that every switch of the two-stroke drive falls on a step boundary and each step sees a
    constant drive. The whole batch advances together.

    Parameters
    ----------
    p : FlywheelParameters
    t_max : float
        Final time (rounded down to a whole number of half periods).
    Delta, Omega : tuple (low, high) of float or ndarray
        Drive values in the first and second half of each period, each broadcastable to the batch
        shape (a constant drive has low == high).
    steps_per_half : int, optional
        Runge-Kutta steps per half period.
    samples_per_period : int, optional
        Samples of the trajectory per period (a divisor of 2 * steps_per_half).

    Returns
    -------
    MeanFieldRun
    """
    if (2 * steps_per_half) % samples_per_period:
        raise ValueError("samples_per_period must divide 2 * steps_per_half")
    lows = np.broadcast_arrays(
        np.asarray(Delta[0], float),
        np.asarray(Delta[1], float),
        np.asarray(Omega[0], float),
        np.asarray(Omega[1], float),
    )
    shape = lows[0].shape
    D_lo, D_hi, O_lo, O_hi = lows
    h = p.tau_d / (2 * steps_per_half)
    n_half = int(np.floor(t_max / (p.tau_d / 2) + 1e-9))
    every = 2 * steps_per_half // samples_per_period
    B = int(np.prod(shape, dtype=int))
    flat = lambda v: v.reshape(B, 1)
    D_lo, D_hi, O_lo, O_hi = (flat(v) for v in (D_lo, D_hi, O_lo, O_hi))
    # state: 5 oscillator moments and 16 Pauli moments per batch member
    m = np.zeros((B, 5))
    m[:, 2] = m[:, 3] = 0.5  # vacuum: <x^2> = <p^2> = 1/2
    ground = np.zeros((4, 4))
    ground[0, 0] = 1.0
    c = np.tile(np.real(np.einsum("kij,ji->k", _GEN["basis"], ground)), (B, 1))
    M_D, M_O, M_W = _GEN["Delta"].T, _GEN["Omega"].T, _GEN["W"].T
    M_g = p.gamma * _GEN["gamma"].T

    def rhs(m, c, D, O):
        s = c @ _NN
        W = p.V0 + p.kappa1 * m[:, 0] + p.kappa2 * m[:, 2]
        dc = D * (c @ M_D) + O * (c @ M_O) + W[:, None] * (c @ M_W) + c @ M_g
        return oscillator_moment_rhs(m, s, p), dc

    record = lambda: (m[:, [0, 2, 3]].copy(), c @ _NN)
    samples = [record()]
    for half in range(n_half):
        D, O = (D_lo, O_lo) if half % 2 == 0 else (D_hi, O_hi)
        for k in range(1, steps_per_half + 1):
            k1m, k1c = rhs(m, c, D, O)
            k2m, k2c = rhs(m + 0.5 * h * k1m, c + 0.5 * h * k1c, D, O)
            k3m, k3c = rhs(m + 0.5 * h * k2m, c + 0.5 * h * k2c, D, O)
            k4m, k4c = rhs(m + h * k3m, c + h * k3c, D, O)
            m = m + h / 6 * (k1m + 2 * k2m + 2 * k3m + k4m)
            c = c + h / 6 * (k1c + 2 * k2c + 2 * k3c + k4c)
            if (half * steps_per_half + k) % every == 0:
                samples.append(record())
    t = np.arange(len(samples)) * every * h
    X, X2, P2 = (
        np.stack([smp[0][:, j] for smp in samples], axis=-1).reshape(shape + (-1,))
        for j in range(3)
    )
    s_nn = np.stack([smp[1] for smp in samples], axis=-1).reshape(shape + (-1,))
    return MeanFieldRun(t, X, s_nn, (X2 + P2 - 1) / 2, X2 - X**2)


def _position_and_coupling(p, N):
    """x = (a + a^dag)/sqrt2 on N Fock states and W(x) - V0 = kappa1 x + kappa2 x^2, both (N, N)."""
    a = np.diag(np.sqrt(np.arange(1, N)), 1)
    x = (a + a.T) / np.sqrt(2)
    return x, p.kappa1 * x + p.kappa2 * x @ x


def mean_field_density_matrices(p, t_max, Delta, Omega, N_fock=30, samples_per_half=4):
    r"""Eq. (4) integrated directly as two density matrices, an independent check of the moment equations.

    :math:`\varrho_{ph}` on ``N_fock`` Fock states under :math:`\tilde H_{ph}` and :math:`\varrho_{el}` (4 by 4)
    under :math:`\tilde H_{el}` and the decay, from :math:`|0\rangle\otimes|\downarrow\downarrow\rangle`, with
    SciPy's DOP853 (rtol 1e-11, atol 1e-13), one call per stroke of the two-stroke drive.

    Parameters
    ----------
    p : FlywheelParameters
    t_max : float
        Final time (rounded to whole half periods).
    Delta, Omega : tuple (low, high) of float
        Drive values in the first and second half of each period.
    N_fock : int, optional
        Fock states of :math:`\varrho_{ph}`; the state must stay well inside them.
    samples_per_half : int, optional

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Times, :math:`\langle x\rangle` and :math:`s_{nn}`, each of shape (n_t,).
    """
    N = int(N_fock)
    x, V = _position_and_coupling(p, N)
    H0 = p.omega_rel * np.diag(np.arange(N, dtype=float))
    nn = _OPS["nn"]

    def rhs(t, y, D, O):
        rp, re = y[: N * N].reshape(N, N), y[N * N :].reshape(4, 4)
        s = np.real(np.trace(nn @ re))
        W = p.V0 + np.real(np.trace(V @ rp))
        H = H0 + s * V
        return np.concatenate(
            [(-1j * (H @ rp - rp @ H)).ravel(), electronic_rhs(re, D, O, W, p.gamma).ravel()]
        )

    y = np.zeros(N * N + 16, complex)
    y[0] = y[N * N] = 1.0
    half = p.tau_d / 2
    ts, xs, ss = [0.0], [0.0], [0.0]
    for k in range(int(np.floor(t_max / half + 1e-9))):
        te = k * half + half * np.arange(1, samples_per_half + 1) / samples_per_half
        sol = solve_ivp(
            rhs,
            (k * half, te[-1]),
            y,
            method="DOP853",
            rtol=1e-11,
            atol=1e-13,
            t_eval=te,
            args=(Delta[k % 2], Omega[k % 2]),
        )
        y = sol.y[:, -1]
        ts += list(te)
        xs += [np.real(np.trace(x @ sol.y[: N * N, j].reshape(N, N))) for j in range(te.size)]
        ss += [np.real(sol.y[N * N + 15, j]) for j in range(te.size)]
    return np.array(ts), np.array(xs), np.array(ss)


def _electronic_superoperator(Delta, Omega, V0, gamma):
    """(16, 16) complex matrix of electronic_rhs on vec(rho_el) (row-major), with <W> = V0."""
    units = np.eye(16).reshape(16, 4, 4)
    return electronic_rhs(units, Delta, Omega, V0, gamma).reshape(16, 16).T


# Swapping the two ions commutes with Eqs. (1)-(3), and |down down> is swap-even, so the ions' state
# stays in the 10 swap-even components: the triplet block over (dd, T, uu) and the singlet
# population, T = (|du> + |ud>)/sqrt2, S = (|du> - |ud>)/sqrt2 (triplet-singlet coherences vanish).
_V = np.array([[1, 0, 0, 0], [0, 1, 0, 1], [0, 1, 0, -1], [0, 0, 1, 0]]) / np.sqrt(
    [1, 2, 1, 2]
)  # columns dd, T, uu, S
_EVEN = [4 * a + b for a in range(3) for b in range(3)] + [15]  # kept (ket, bra) pairs, row-major
_COUPLED = [_EVEN.index(k) for k in (8, 9, 10, 2, 6)]  # (uu,dd), (uu,T), (uu,uu), (dd,uu), (T,uu)


def _even_superoperator(Delta, Omega, V0, gamma):
    """(10, 10) electronic generator on the swap-even components (see _EVEN), with <W> = V0."""
    M = np.kron(_V.conj().T, _V.T)  # vec(V^dag rho V) = M vec(rho), row-major
    S = M @ _electronic_superoperator(Delta, Omega, V0, gamma) @ M.conj().T
    odd = np.setdiff1d(np.arange(16), _EVEN)
    assert np.abs(S[np.ix_(odd, _EVEN)]).max() < 1e-12, "swap-even space not closed"
    return S[np.ix_(_EVEN, _EVEN)]


@dataclass
class ExactRun:
    r"""Sampled exact solution of Eq. (3).

    ``t``, ``x`` = ⟨x⟩, ``s_nn``, ``n_ph``, ``var_x`` (:math:`\langle x^2\rangle - \langle x\rangle^2`) and
    ``top`` (the population of the highest Fock state kept), each of shape (n_t,); ``state``, the final
    density matrix as an array of shape (4, 4, N, N) (electronic ket, bra, Fock ket, bra);
    ``snapshot_t`` (k,) and ``snapshots`` (k, N, N), the oscillator's reduced state at the requested
    times. States are in the Schrödinger picture.
    """

    t: np.ndarray
    x: np.ndarray
    s_nn: np.ndarray
    n_ph: np.ndarray
    var_x: np.ndarray
    top: np.ndarray
    state: np.ndarray
    snapshot_t: np.ndarray
    snapshots: np.ndarray


def solve_exact(
    p, N_fock, t_max, Delta, Omega, steps_per_half=8, samples_per_period=8, snapshot_times=()
):
    r"""Integrate the master equation (3) on Fock(N) ⊗ ions, from :math:`|0\rangle\otimes|\downarrow\downarrow\rangle`.

    The oscillator's free rotation :math:`e^{-i\omega_{rel}a^\dagger a t}` is taken out exactly
    (interaction picture: :math:`x\to\tilde x(t)`, entries :math:`x_{nm}e^{i\omega_{rel}(n-m)t}`),
    and so is the electronic part at :math:`W = V_0` (drive, decay and :math:`V_0n_1n_2`, constant
    within each half period), through Lawson's integrating-factor Runge-Kutta method of order 4.
    What is left for the Runge-Kutta stages is the coupling
    :math:`-i[(\kappa_1\tilde x + \kappa_2\tilde x^2)n_1n_2,\varrho]`, which is small. The ions' state is
    kept on its 10 swap-even components (the model and the initial state are symmetric under
    exchanging the ions), and the coupling touches only the five that involve
    :math:`|\uparrow\uparrow\rangle`, so the Runge-Kutta stages live on those five. Switches of the two-stroke
    drive fall on step boundaries.

    Parameters
    ----------
    p : FlywheelParameters
    N_fock : int
        Fock states kept, >= 2.
    t_max : float
        Final time (rounded down to whole half periods).
    Delta, Omega : tuple (low, high) of float
        Drive values in the first and second half of each period.
    steps_per_half, samples_per_period : int, optional
    snapshot_times : sequence of float, optional
        Times (moved to the nearest step) at which to keep the oscillator's reduced state.

    Returns
    -------
    ExactRun

    Raises
    ------
    ValueError
        If ``N_fock`` is not an integer >= 2, the sampling does not divide the period, or a
        snapshot time is outside [0, t_max].
    """
    N = int(N_fock)
    if N != N_fock or N < 2:
        raise ValueError(f"N_fock must be an integer >= 2, got {N_fock}")
    if (2 * steps_per_half) % samples_per_period:
        raise ValueError("samples_per_period must divide 2 * steps_per_half")
    n = np.arange(N)
    x, X = _position_and_coupling(p, N)  # X: coupling beyond V0, Schroedinger picture
    # X is banded; in the interaction picture band d (entries X[k, k + d]) turns by exp(-i w d t)
    bands = [(d, np.diagonal(X, d).copy()) for d in range(-2, 3) if np.any(np.diagonal(X, d))]
    h = p.tau_d / (2 * steps_per_half)
    n_half = int(np.floor(t_max / (p.tau_d / 2) + 1e-9))
    snap_steps = [int(round(ts / h)) for ts in snapshot_times]
    if any(not 0 <= k <= n_half * steps_per_half for k in snap_steps):
        raise ValueError(f"snapshot_times must lie in [0, t_max], got {list(snapshot_times)}")
    c = _COUPLED
    U, U2 = [], []  # integrating factors exp(S h/2) and exp(S h) of the two strokes
    for D, O in ((Delta[0], Omega[0]), (Delta[1], Omega[1])):
        U.append(scipy.linalg.expm(_even_superoperator(D, O, p.V0, p.gamma) * h / 2))
        U2.append(U[-1] @ U[-1])

    def coupling(t, Y):
        # -i[X(t) n1 n2, rho] on the five components touching |uu> (order of _COUPLED): X(t) acts
        # from the left on the ket-uu rows Y[0:3], from the right on the bra-uu columns Y[2:5]
        out = np.zeros_like(Y)
        for d, v in bands:
            f = np.exp(-1j * p.omega_rel * d * t)
            if d >= 0:
                out[0:3, : N - d, :] += (-1j * f) * v[:, None] * Y[0:3, d:, :]
                out[2:5, :, d:] += (1j * f) * Y[2:5, :, : N - d] * v[None, :]
            else:
                out[0:3, -d:, :] += (-1j * f) * v[:, None] * Y[0:3, : N + d, :]
                out[2:5, :, : N + d] += (1j * f) * Y[2:5, :, -d:] * v[None, :]
        return out

    def mul(M, Y):
        return (M @ Y.reshape(M.shape[1], N * N)).reshape(M.shape[0], N, N)

    R = np.zeros((10, N, N), dtype=complex)
    R[0, 0, 0] = 1.0
    diag_el = [0, 4, 8, 9]  # (dd,dd), (T,T), (uu,uu), (S,S)
    every = 2 * steps_per_half // samples_per_period
    x2 = x @ x

    def phonon_state(t, R):
        u = np.exp(-1j * p.omega_rel * n * t)
        return (u[:, None] * R[diag_el].sum(axis=0)) * u.conj()[
            None, :
        ]  # back to the Schroedinger picture

    snaps = {}

    def record(t, R):
        rho = phonon_state(t, R)
        mx = np.real(np.sum(x * rho))  # Tr(x rho) for symmetric x, in O(N^2)
        pops = np.real(np.diag(rho))
        return (
            t,
            mx,
            np.real(np.trace(R[8])),
            pops @ n,
            np.real(np.sum(x2 * rho)) - mx**2,
            pops[-1],
        )

    out = [record(0.0, R)]
    if 0 in snap_steps:
        snaps[0] = phonon_state(0.0, R)
    step = 0
    for half in range(n_half):
        Uh, Uhh = U[half % 2], U2[half % 2]
        Ucc, Uc, Ucols = Uh[np.ix_(c, c)], Uh[c], np.concatenate([Uhh[:, c], Uh[:, c]], axis=1)
        for _ in range(steps_per_half):
            t = step * h
            # Lawson RK4 with integrating factor exp(S h/2). The stages k_i live on the five
            # coupled components only, so only those rows and columns of the factors are needed:
            # R' = e^{Sh} R + e^{Sh}(h/6 k1) + e^{Sh/2}(h/3 (k2 + k3)) + h/6 k4
            k1 = coupling(t, R[c])
            A = mul(Uc, R)
            k2 = coupling(t + h / 2, A + (h / 2) * mul(Ucc, k1))
            k3 = coupling(t + h / 2, A + (h / 2) * k2)
            R2 = mul(Uhh, R)
            k4 = coupling(t + h, R2[c] + h * mul(Ucc, k3))
            R = R2 + mul(Ucols, np.concatenate([(h / 6) * k1, (h / 3) * (k2 + k3)]))
            R[c] += (h / 6) * k4
            step += 1
            if step % every == 0:
                out.append(record(step * h, R))
            if step in snap_steps:
                snaps[step] = phonon_state(step * h, R)
    cols = list(zip(*out))
    u = np.exp(-1j * p.omega_rel * n * step * h)
    even = np.zeros((16, N, N), dtype=complex)
    even[_EVEN] = (u[:, None] * R) * u.conj()[None, :]
    state = np.einsum(
        "ia,abnm,jb->ijnm", _V, even.reshape(4, 4, N, N), _V.conj()
    )  # to the product basis
    keys = sorted(snaps)
    return ExactRun(
        *(np.array(col) for col in cols),
        state,
        np.array(keys) * h,
        np.array([snaps[k] for k in keys]).reshape(len(keys), N, N),
    )
