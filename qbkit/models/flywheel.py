r"""Two trapped Rydberg ions whose relative vibration stores work: mean field and exact solution.

Equation numbers refer to W. S. Martins, F. Carollo, W. Li, K. Brandner and I. Lesanovsky,
*A Rydberg ion flywheel for quantum work storage*, arXiv:2304.05252 (main text and supplemental
material). Units: :math:`\hbar = 1`; rates and frequencies in units of γ when γ = 1, lengths of
the vibration in units of :math:`\ell_0`.

Model, Eqs. (1)-(3): :math:`H = \omega_{rel}(a^\dagger a + 1/2) + \sum_k(\Delta n_k +
\Omega\sigma_k^x) + W(x)\,n_1n_2` with :math:`W(x) = V_0 + \kappa_1x + \kappa_2x^2`,
:math:`x = (a + a^\dagger)/\sqrt2`, :math:`\omega_{rel} = \sqrt3\,\omega`, and decay γ of each ion's
Rydberg state. The drive (:class:`TwoStroke`) holds Δ and Ω at one value in the first half of each
period :math:`\tau_d = 2\pi/\omega_{rel}` and at another in the second.

Mean field, Eq. (4) (:func:`solve_mean_field`): :math:`\tilde H_{ph}` is quadratic, so five moments
of the oscillator close among themselves (:func:`oscillator_moment_rhs`); the ions are carried as
the 10 exchange-even combinations of their 16 Pauli moments (:func:`electronic_generators`). A
batch of drives and couplings is one integration (:func:`solve_runs`).

Exact solution, Eq. (3) (:func:`solve_exact`): the master equation on Fock space ⊗ ions, on the
10 components of the ions' state that are even under exchanging the ions, in the interaction
picture of the oscillator, with the ions' own evolution as an exact integrating factor. The
oscillator's density matrix is kept on a band :math:`|n - m|\le` ``band`` of a Fock window that
grows with the state's support.

The paper's theory: :func:`electronic_limit_cycle` (the limit cycle, its Fourier coefficient
:math:`c_1` and relaxation time), :func:`charging_rate`; reading results: :func:`amplitude`,
:func:`disagreement`, :func:`energy_and_ergotropy`; Fig. 3 to S2: the ``plot_*`` helpers.

Solvers share one shape: ``solve_*(p, drive, tlist, *, options)`` with ``p`` a
:class:`FlywheelParameters`, ``drive`` a :class:`TwoStroke` and the paper's initial state
:math:`|0\rangle\otimes|\downarrow\downarrow\rangle`; results are frozen dataclasses with ``times``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.constants as const
import scipy.linalg
from scipy.integrate import solve_ivp

from .._checks import check_count, check_finite, check_positive, check_rates, check_tlist
from ..series import falls_back, sample_at, window_mean

__all__ = [
    "electronic_operators",
    "FlywheelParameters",
    "TwoStroke",
    "two_stroke",
    "SR88_ION_MASS",
    "ion_pair_scales",
    "largest_width",
    "amplitude",
    "amplitude_at",
    "charging_rate",
    "oscillator_moment_rhs",
    "electronic_rhs",
    "electronic_generators",
    "MeanFieldResult",
    "stack_runs",
    "solve_runs",
    "solve_mean_field",
    "mean_field_density_matrices",
    "gaussian_state",
    "LimitCycle",
    "electronic_limit_cycle",
    "ExactResult",
    "solve_exact",
    "oscillator_moments",
    "energy_and_ergotropy",
    "plot_series",
    "dark_state_residual",
    "disagreement",
    "plot_charging",
    "plot_width",
    "plot_map",
]


def electronic_operators():
    r"""Operators of the two ions on :math:`\mathbb C^2\otimes\mathbb C^2` as (4, 4) arrays.

    Basis :math:`|\downarrow\rangle = (1, 0)`, :math:`|\uparrow\rangle = (0, 1)` per ion. Returns a
    dict with ``n1``, ``n2``, ``nn`` (:math:`n_1n_2`), ``sx`` (:math:`\sigma_1^x + \sigma_2^x`),
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
    r"""Trap frequency ω, couplings κ₁, κ₂ and V₀ of Eq. (2), decay γ (one frequency unit).

    Attributes
    ----------
    omega_rel : float
        :math:`\sqrt3\,\omega`, the vibration frequency (below Eq. (1)).
    tau_d : float
        Drive period :math:`2\pi/\omega_{rel}`.

    Raises
    ------
    ValueError
        If ``omega`` is not > 0, ``gamma`` is negative, or a coupling is not finite.
    """

    omega: float = 9.0
    kappa1: float = 1.0
    kappa2: float = 0.0
    V0: float = -18.0
    gamma: float = 1.0

    def __post_init__(self):
        check_positive(omega=self.omega)
        check_rates(gamma=self.gamma)
        check_finite(kappa1=self.kappa1, kappa2=self.kappa2, V0=self.V0)

    @property
    def omega_rel(self):
        return np.sqrt(3.0) * self.omega

    @property
    def tau_d(self):
        return 2 * np.pi / self.omega_rel


@dataclass(frozen=True)
class TwoStroke:
    r"""The two-stroke drive: (first half, second half) values of Δ and of Ω in each period.

    Each value may be an array; the values broadcast to the batch shape of
    :func:`solve_mean_field` (the exact solver takes floats). A constant drive has equal halves.

    Raises
    ------
    ValueError
        If a value is not finite.
    """

    Delta: tuple
    Omega: tuple

    def __post_init__(self):
        for name in ("Delta", "Omega"):
            pair = getattr(self, name)
            if len(pair) != 2:
                raise ValueError(f"{name} must be a pair (first half, second half), got {pair!r}")
            check_finite(**{f"{name}[0]": pair[0], f"{name}[1]": pair[1]})

    @classmethod
    def detuning(cls, Omega, Delta_first, Delta_second):
        """Δ switched between two values at fixed Ω (Fig. 2(a))."""
        return cls((Delta_first, Delta_second), (Omega, Omega))

    @classmethod
    def rabi(cls, Delta, Omega_first, Omega_second):
        """Ω switched between two values at fixed Δ (Fig. 2(b))."""
        return cls((Delta, Delta), (Omega_first, Omega_second))

    def swapped(self):
        """The same drive with the other half first."""
        return TwoStroke(self.Delta[::-1], self.Omega[::-1])

    def half(self, k):
        """(Δ, Ω) of half period ``k`` (0: first half of a period)."""
        return self.Delta[k % 2], self.Omega[k % 2]


def two_stroke(t, low, high, tau_d):
    r"""Two-stroke protocol: ``low`` for :math:`0\le t \bmod \tau_d < \tau_d/2`, then ``high``."""
    phase = np.mod(np.asarray(t, dtype=float), tau_d)
    return np.where(phase < tau_d / 2, low, high)


SR88_ION_MASS = 87.9056122571 * const.atomic_mass - const.m_e
"""Mass of one :math:`^{88}`Sr:math:`^+` ion in kg: the AME2020 atomic mass minus one electron."""


def ion_pair_scales(mass, trap_frequency):
    r"""Length scales of two singly charged ions in a harmonic trap (supplement, Sec. S1).

    Equilibrium distance :math:`x^0_{rel} = (e^2/2\pi m\omega^2\epsilon_0)^{1/3}` (where the Coulomb
    force :math:`e^2/4\pi\epsilon_0x^2` balances the trap force :math:`m\omega^2x/2` on each ion)
    and the oscillator length of the relative motion, :math:`\ell_0 = \sqrt{\hbar/\mu\omega_{rel}} =
    \sqrt{2\hbar/m\omega_{rel}}` with :math:`\mu = m/2`, :math:`\omega_{rel} = \sqrt3\,\omega`
    (main text below Eq. (1); :math:`\delta x_{rel} = \ell_0 x`,
    :math:`x = (a + a^\dagger)/\sqrt2`).

    Parameters
    ----------
    mass : float
        Mass of one ion in kg.
    trap_frequency : float or ndarray
        Angular trap frequency ω in rad/s (an array gives arrays of its shape).

    Returns
    -------
    dict
        ``x0_rel`` and ``ell0`` in m, ``omega_rel`` in rad/s.

    Raises
    ------
    ValueError
        If ``mass`` or ``trap_frequency`` is not positive.
    """
    check_positive(mass=mass, trap_frequency=trap_frequency)
    w = np.asarray(trap_frequency, dtype=float)
    omega_rel = np.sqrt(3.0) * w
    x0 = (const.e**2 / (2 * np.pi * mass * w**2 * const.epsilon_0)) ** (1 / 3)
    return {
        "x0_rel": x0,
        "ell0": np.sqrt(2 * const.hbar / (mass * omega_rel)),
        "omega_rel": omega_rel,
    }


def largest_width(N):
    r"""Largest :math:`\sqrt{\langle x^2\rangle}` of a state on N Fock states, in :math:`\ell_0`.

    The square root of the largest eigenvalue of the truncated :math:`x^2`; it bounds
    :math:`\Delta x\le\sqrt{\langle x^2\rangle}` of every state the truncation can hold (about
    :math:`\sqrt{2N}`).
    """
    N = check_count("N", N, 2)
    off = np.sqrt(np.arange(1, N) / 2)
    x = np.diag(off, 1) + np.diag(off, -1)
    return float(np.sqrt(np.linalg.eigvalsh(x @ x).max()))


def amplitude(times, x, period):
    r"""Oscillation amplitude :math:`A(t) = \max|\langle x\rangle|` over the period before ``t``.

    The largest sample of each window is refined by the parabola through it and its two
    neighbours (the vertex kept inside the window), so a sinusoid sampled 16 times per period
    is resolved to about 1e-4 of its amplitude (the bare samples can miss the peak by
    :math:`1-\cos(\pi/16) = 2\%`). The samples need not be uniform.

    Parameters
    ----------
    times : ndarray, shape (n_t,)
        Increasing sample times.
    x : ndarray, shape (..., n_t)
    period : float
        Window length (the drive period :math:`\tau_d`), at least two sample steps.

    Returns
    -------
    (ndarray, ndarray)
        The sample times at least one period after ``times[0]``, shape (n_A,), and the
        amplitudes, shape (..., n_A); the window of time t is ``[t - period, t]``.

    Raises
    ------
    ValueError
        If the series is not longer than one period or a window holds fewer than 3 samples.
    """
    t, ax = check_tlist(times), np.abs(np.asarray(x, float))
    eps = 1e-9 * period
    first = np.searchsorted(t, t - period - eps)  # first sample of each window
    out = np.flatnonzero(t - t[0] >= period - eps)
    if not out.size:
        raise ValueError("the series must be longer than one period")
    width = int((out - first[out]).max())
    if (out - first[out]).min() < 2:
        raise ValueError(f"period {period} must span at least two sample steps")
    # every sample of every window, refined by the parabola through it and its neighbours with
    # the vertex kept inside the window and between the neighbours
    idx = out[:, None] - np.arange(width + 1)[None, :]
    inside = idx >= first[out][:, None]
    j = np.maximum(idx, 0)
    jm, jp = np.maximum(j - 1, 0), np.minimum(j + 1, t.size - 1)
    t0, t1, t2 = t[jm], t[j], t[jp]
    y0, y1, y2 = ax[..., jm], ax[..., j], ax[..., jp]
    d01 = (y1 - y0) / np.where(t1 > t0, t1 - t0, 1)
    d12 = (y2 - y1) / np.where(t2 > t1, t2 - t1, 1)
    curv = np.minimum((d12 - d01) / np.where(t2 > t0, t2 - t0, 1), -1e-300)
    tv = (t0 + t1) / 2 - d01 / (2 * curv)
    ends = t[out][:, None]
    tv = np.clip(tv, np.maximum(t0, ends - period), np.minimum(t2, ends))
    peak = np.maximum(y1 - d01 * (t1 - t0) + d01 * (tv - t0) + curv * (tv - t0) * (tv - t1), y1)
    return t[out], np.where(inside, peak, -np.inf).max(axis=-1)


def amplitude_at(times, x, period, t):
    r"""The amplitude :func:`amplitude` at time ``t``, interpolated between window ends.

    Between two samples the window's maximum moves by at most the growth of the envelope over
    one sample step, so linear interpolation is accurate to that order.

    Parameters
    ----------
    times, x, period
        As for :func:`amplitude`.
    t : float
        Time at least one period after ``times[0]`` and not after ``times[-1]``.

    Returns
    -------
    ndarray, shape (...)
        The amplitude of each series of the batch.

    Raises
    ------
    ValueError
        If ``t`` is outside ``[times[0] + period, times[-1]]``.
    """
    tA, A = amplitude(times, x, period)
    if not tA[0] - 1e-9 * period <= t <= tA[-1] + 1e-9 * period:
        raise ValueError(f"t = {t} is outside [{tA[0]}, {tA[-1]}] where the amplitude is defined")
    k = np.clip(np.searchsorted(tA, t), 1, tA.size - 1)
    w = (t - tA[k - 1]) / (tA[k] - tA[k - 1])
    return (1 - w) * A[..., k - 1] + w * A[..., k]


def charging_rate(times, x, period, t_from, t_to):
    r"""Charging rate ε: least-squares slope of the amplitude :math:`A(t)` over ``[t_from, t_to]``.

    Eq. (7) predicts :math:`A(t)\approx\epsilon t` with :math:`\epsilon = \kappa_1|c_1(0)|` for a
    weak coupling; the paper quotes ε from its simulations without saying how it was read.

    Parameters
    ----------
    times, x, period
        As for :func:`amplitude`.
    t_from, t_to : float
        Fit window.

    Returns
    -------
    ndarray, shape (...)
        dA/dt in units of ℓ₀ per time unit.

    Raises
    ------
    ValueError
        If the window holds fewer than 3 amplitude samples.
    """
    tA, A = amplitude(times, x, period)
    sel = (tA >= t_from - 1e-9) & (tA <= t_to + 1e-9)
    if sel.sum() < 3:
        raise ValueError(f"the window [{t_from}, {t_to}] holds fewer than 3 amplitude samples")
    A = np.asarray(A)[..., sel]
    flat = A.reshape(-1, A.shape[-1])
    slope = np.polyfit(tA[sel], flat.T, 1)[0]
    return slope.reshape(A.shape[:-1])


def oscillator_moment_rhs(m, s_nn, p):
    r"""Time derivatives of the oscillator moments under :math:`\tilde H_{ph}` of Eq. (4).

    With :math:`\tilde H_{ph} = \tfrac{\omega_{rel}}2(x^2+p^2)
    + s_{nn}(V_0 + \kappa_1x + \kappa_2x^2)`,
    :math:`[x, p] = i` and :math:`\tilde\omega = \omega_{rel} + 2\kappa_2s_{nn}`:

    .. math::
        \dot X = \omega_{rel}P,\quad \dot P = -\tilde\omega X - \kappa_1s_{nn},\quad
        \dot X_2 = \omega_{rel}C,\quad \dot P_2 = -\tilde\omega C - 2\kappa_1s_{nn}P,\quad
        \dot C = 2\omega_{rel}P_2 - 2\tilde\omega X_2 - 2\kappa_1s_{nn}X,

    where :math:`X = \langle x\rangle`, :math:`P = \langle p\rangle`,
    :math:`X_2 = \langle x^2\rangle`,
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
    r"""Time derivative of the ions' state under :math:`\tilde H_{el}` of Eq. (4) and the decay.

    :math:`\tilde H_{el} = \Delta(n_1+n_2) + \Omega(\sigma_1^x+\sigma_2^x)
    + \langle W(x)\rangle n_1n_2`,
    :math:`\dot\varrho = -i[\tilde H_{el},\varrho]
    + \gamma\sum_k(\sigma_k^-\varrho\sigma_k^+ - \tfrac12\{n_k,\varrho\})` (Eqs. (3)-(4)).

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
    """The 16 Hermitian products sigma_a x sigma_b / 2 (a, b in I, X, Y, Z), orthonormal."""
    P = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    return np.array([np.kron(a, b) / 2 for a in P for b in P])


def electronic_generators():
    r"""The electronic mean-field equations as linear maps on the 16 Pauli moments.

    With :math:`c_k = \mathrm{Tr}[G_k\varrho_{el}]`, :math:`G_k = \sigma_a\otimes\sigma_b/2`, the
    equation of :func:`electronic_rhs` is :math:`\dot c = (\Delta M_\Delta + \Omega M_\Omega +
    \langle W\rangle M_W + \gamma M_\gamma)c` with real (16, 16) matrices
    :math:`(M_X)_{kl} = \mathrm{Tr}[G_k\mathcal L_X(G_l)]`, computed here from the operator algebra.
    These are the moment equations (S7)-(S8), written for
    :math:`\langle\sigma^a_1\sigma^b_2\rangle`.

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
_GROUND = np.real(np.einsum("kij,ji->k", _GEN["basis"], np.diag([1.0, 0, 0, 0])))


def _output_plan(tlist, h):
    """Step index k of the grid point at or before each output time, and the remainder in [0, h)."""
    t = check_tlist(tlist)
    if t[0] < 0:
        raise ValueError(f"tlist must start at t >= 0, got {t[0]}")
    k = np.floor(t / h + 1e-9).astype(int)
    rem = t - k * h
    rem[np.abs(rem) <= 1e-9 * h] = 0.0
    return t, k, np.maximum(rem, 0.0)


class _Series:
    """Reading a result: values at exact sample times and the amplitude of ⟨x⟩."""

    def value(self, name, t):
        """Observable ``name`` at the sample time ``t`` (one of ``times``), batch shape."""
        return sample_at(self.times, getattr(self, name), t)

    def amplitude(self, period):
        """:func:`amplitude` of ``x``: (times, A)."""
        return amplitude(self.times, self.x, period)

    def amplitude_at(self, period, t):
        """:func:`amplitude_at` of ``x`` at time ``t``."""
        return amplitude_at(self.times, self.x, period, t)

    def readout(self, period, t):
        """(amplitude, :math:`n_{ph}`) at the sample time ``t``, an array of shape (2, ...)."""
        return np.array([self.amplitude_at(period, t), self.value("n_ph", t)])

    def reverses(self, period, t_from, fraction=0.5):
        """Whether the amplitude, from ``t_from`` on, falls below ``fraction`` of its earlier peak.

        Starting after the initial transient keeps the wiggles of a still tiny amplitude out.
        """
        tA, A = self.amplitude(period)
        return bool(falls_back(A[tA >= t_from], fraction))

    def width_at(self, period, t):
        r""":math:`\Delta x` at the sample time ``t``, and the largest :math:`\Delta x^2` before it.

        The largest variance is over the window ``[t - period, t]`` (:func:`amplitude_at`).
        """
        return self.value("var_x", t) ** 0.5, amplitude_at(self.times, self.var_x, period, t)


@dataclass(frozen=True)
class MeanFieldResult(_Series):
    r"""Mean-field trajectories; arrays have the batch shape in front of the time axis.

    ``times`` (n_t,); ``x`` = ⟨x⟩, ``s_nn``,
    ``n_ph`` = :math:`(\langle x^2\rangle + \langle p^2\rangle - 1)/2`, ``var_x`` = :math:`\langle
    x^2\rangle - \langle x\rangle^2` and ``purity`` =
    :math:`\mathrm{Tr}\varrho_{ph}^2 = 1/(2\sqrt{\det\Sigma})` of the Gaussian oscillator state
    (Σ: covariance matrix of x and p), each of shape (..., n_t).
    """

    times: np.ndarray
    x: np.ndarray
    s_nn: np.ndarray
    n_ph: np.ndarray
    var_x: np.ndarray
    purity: np.ndarray

    def split(self):
        """The members of a one-dimensional batch, as a list of results without batch axes."""
        names = ("x", "s_nn", "n_ph", "var_x", "purity")
        return [
            MeanFieldResult(self.times, *(getattr(self, n)[i] for n in names))
            for i in range(self.x.shape[0])
        ]


def stack_runs(runs):
    r"""One batch from a sequence of (parameters, drive) pairs, for :func:`solve_mean_field`.

    Parameters
    ----------
    runs : sequence of (FlywheelParameters, TwoStroke)
        Members with float couplings that share ``omega`` and ``gamma``; their drive values
        may be arrays of one common shape S (e.g. a cut through a map).

    Returns
    -------
    (FlywheelParameters, TwoStroke)
        Couplings of shape (len(runs), 1, ...) and drive values of shape (len(runs), *S);
        :meth:`MeanFieldResult.split` gives back one result per run.

    Raises
    ------
    ValueError
        If the runs differ in ``omega`` or ``gamma``.
    """
    ps, drives = zip(*runs)
    if len({(q.omega, q.gamma) for q in ps}) != 1:
        raise ValueError("the runs of one batch must share omega and gamma")
    vals = [np.broadcast_arrays(*map(np.asarray, (*d.Delta, *d.Omega))) for d in drives]
    shape = np.broadcast_shapes(*(v[0].shape for v in vals))
    cols = [np.stack([np.broadcast_to(v[k], shape) for v in vals]).astype(float) for k in range(4)]
    pad = (len(ps),) + (1,) * len(shape)
    coupling = {n: np.array([getattr(q, n) for q in ps], float).reshape(pad) for n in _COUPLINGS}
    p = FlywheelParameters(omega=ps[0].omega, gamma=ps[0].gamma, **coupling)
    return p, TwoStroke((cols[0], cols[1]), (cols[2], cols[3]))


_COUPLINGS = ("kappa1", "kappa2", "V0")


def solve_runs(runs, tlist, **options):
    """:func:`solve_mean_field` of a dict of (parameters, drive) runs in one batch.

    Parameters
    ----------
    runs : dict
        ``{key: (FlywheelParameters, TwoStroke)}`` as for :func:`stack_runs`.
    tlist : array_like
    **options
        Passed to :func:`solve_mean_field` (keyword-only options).

    Returns
    -------
    dict
        ``{key: MeanFieldResult}`` in the order of ``runs``.
    """
    batch = solve_mean_field(*stack_runs(list(runs.values())), tlist, **options)
    return dict(zip(runs, batch.split()))


def _swap_even_pauli():
    """(16, 10) orthonormal basis of the Pauli moments even under exchanging the two ions."""
    Q = np.zeros((16, 10))
    pairs = [(a, a) for a in range(4)] + [(a, b) for a in range(4) for b in range(a + 1, 4)]
    for j, (a, b) in enumerate(pairs):
        Q[4 * a + b, j] = Q[4 * b + a, j] = 1.0
        Q[:, j] /= np.linalg.norm(Q[:, j])
    return Q


_Q = _swap_even_pauli()


def solve_mean_field(p, drive, tlist, *, steps_per_half=24):
    r"""Integrate the mean-field equations (4) for a batch of drives from the paper's initial state.

    The initial state is :math:`|0\rangle|\downarrow\downarrow\rangle`. Classical fourth-order
    Runge-Kutta with a fixed step :math:`\tau_d/(2\,\mathrm{steps\_per\_half})`, so every switch of
    the drive falls on a step boundary and each step sees a constant drive;
    a time of ``tlist`` between grid points gets one shorter step of its own. The whole batch
    advances together. The ions' moments are kept on the 10 combinations that are even under
    exchanging the ions (the equations and the initial state are symmetric).

    Parameters
    ----------
    p : FlywheelParameters
        ``kappa1``, ``kappa2`` and ``V0`` may be arrays; they broadcast with the drive.
    drive : TwoStroke
        Its values broadcast to the batch shape.
    tlist : array_like, shape (n_t,)
        Increasing output times, >= 0.
    steps_per_half : int, optional
        Runge-Kutta steps per half period.

    Returns
    -------
    MeanFieldResult

    Raises
    ------
    ValueError
        If ``tlist`` is not increasing from >= 0 or ``steps_per_half`` < 1.
    """
    sph = check_count("steps_per_half", steps_per_half, 1)
    h = p.tau_d / (2 * sph)
    t_out, k_out, rem = _output_plan(tlist, h)
    couplings = (p.kappa1, p.kappa2, p.V0)
    vals = np.broadcast_arrays(
        *(np.asarray(v, float) for v in (*drive.Delta, *drive.Omega, *couplings))
    )
    shape = vals[0].shape
    B = int(np.prod(shape, dtype=int))
    D_pair, O_pair = [v.reshape(B) for v in vals[:2]], [v.reshape(B) for v in vals[2:4]]
    k1, k2, V0 = (v.reshape(B) for v in vals[4:])
    # state y = (X, P, X2, P2, C, 10 swap-even Pauli moments) x batch: each row contiguous
    y = np.zeros((15, B))
    y[2] = y[3] = 0.5  # vacuum: <x^2> = <p^2> = 1/2
    y[5:] = (_GROUND @ _Q)[:, None]
    Mcat = np.concatenate(
        [_Q.T @ M @ _Q for M in (_GEN["Delta"], _GEN["Omega"], _GEN["W"], p.gamma * _GEN["gamma"])]
    )  # (40, 10): the four generators on the even moments
    NN, w = _Q.T @ _NN, p.omega_rel
    P4, tmp = np.empty((40, B)), np.empty((10, B))
    ks = [np.empty((15, B)) for _ in range(4)]
    ys = np.empty((15, B))

    def rhs(y, D, O, out):
        X, Pm, X2, P2, C = y[:5]
        s = NN @ y[5:]
        np.matmul(Mcat, y[5:], out=P4)
        dc = out[5:]
        np.multiply(P4[:10], D, out=dc)
        np.multiply(P4[10:20], O, out=tmp)
        dc += tmp
        np.multiply(P4[20:30], V0 + k1 * X + k2 * X2, out=tmp)
        dc += tmp
        dc += P4[30:]
        f, wt = k1 * s, w + 2 * k2 * s  # oscillator_moment_rhs, written out for speed
        np.multiply(Pm, w, out=out[0])
        np.multiply(-wt, X, out=out[1])
        out[1] -= f
        np.multiply(C, w, out=out[2])
        out[3] = -wt * C - 2 * f * Pm
        out[4] = 2 * w * P2 - 2 * wt * X2 - 2 * f * X

    def rk4(y, dt, D, O, out):
        a, b, c_, d = ks
        rhs(y, D, O, a)
        for k_in, k_out, frac in ((a, b, 0.5), (b, c_, 0.5), (c_, d, 1.0)):
            np.multiply(k_in, frac * dt, out=ys)
            np.add(ys, y, out=ys)
            rhs(ys, D, O, k_out)
        b += c_
        b *= 2
        a += b
        a += d
        a *= dt / 6
        np.add(y, a, out=out)

    out = np.zeros((6, B, t_out.size))
    yo = np.empty_like(y)
    j = 0
    for k in range(int(k_out[-1]) + 1):
        half = k // sph
        D, O = D_pair[half % 2], O_pair[half % 2]
        while j < t_out.size and k_out[j] == k:
            if rem[j] == 0:
                yo[:] = y
            else:
                rk4(y, rem[j], D, O, yo)
            out[:5, :, j], out[5, :, j] = yo[:5], NN @ yo[5:]
            j += 1
        if j < t_out.size:
            rk4(y, h, D, O, y)
    X, P, X2, P2, C, s = (o.reshape(shape + (-1,)) for o in out)
    det = (X2 - X**2) * (P2 - P**2) - (C / 2 - X * P) ** 2
    return MeanFieldResult(
        t_out, X, s, (X2 + P2 - 1) / 2, X2 - X**2, 1 / (2 * np.sqrt(np.maximum(det, 1e-300)))
    )


def _position_and_coupling(p, N):
    """x = (a + a^dag)/sqrt2 on N Fock states and W(x) - V0 = kappa1 x + kappa2 x^2, both (N, N)."""
    a = np.diag(np.sqrt(np.arange(1, N)), 1)
    x = (a + a.T) / np.sqrt(2)
    return x, p.kappa1 * x + p.kappa2 * x @ x


def mean_field_density_matrices(p, drive, tlist, *, N_fock=30):
    r"""Eq. (4) integrated as two density matrices: an independent check of the moment equations.

    :math:`\varrho_{ph}` on ``N_fock`` Fock states under :math:`\tilde H_{ph}` and
    :math:`\varrho_{el}` (4 by 4) under :math:`\tilde H_{el}` and the decay, from
    :math:`|0\rangle\otimes|\downarrow\downarrow\rangle`, with SciPy's DOP853 (rtol 1e-11,
    atol 1e-13),
    one call per stroke of the drive.

    Parameters
    ----------
    p : FlywheelParameters
    drive : TwoStroke
        Float values.
    tlist : array_like, shape (n_t,)
        Increasing output times, >= 0.
    N_fock : int, optional
        Fock states of :math:`\varrho_{ph}`; the state must stay well inside them.

    Returns
    -------
    MeanFieldResult
        Without batch axes; ``purity`` is :math:`\mathrm{Tr}\varrho_{ph}^2`.
    """
    N = check_count("N_fock", N_fock, 2)
    t_out = check_tlist(tlist)
    x, V = _position_and_coupling(p, N)
    H0 = p.omega_rel * np.diag(np.arange(N, dtype=float))
    nn, x2 = _OPS["nn"], x @ x

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
    half, states, k = p.tau_d / 2, [], 0
    while len(states) < t_out.size:  # one call per stroke, sampled at the times inside it
        te = t_out[(t_out >= (k - 1e-12) * half) & (t_out < (k + 1 - 1e-12) * half)]
        sol = solve_ivp(
            rhs,
            (k * half, (k + 1) * half),
            y,
            method="DOP853",
            rtol=1e-11,
            atol=1e-13,
            t_eval=np.append(te, (k + 1) * half),
            args=drive.half(k),
        )
        states += list(sol.y[:, :-1].T)
        y, k = sol.y[:, -1], k + 1
    rhos = np.array([st[: N * N].reshape(N, N) for st in states])
    X = np.real(np.einsum("nm,kmn->k", x, rhos))
    X2 = np.real(np.einsum("nm,kmn->k", x2, rhos))
    nph = np.real(np.einsum("knn,n->k", rhos, np.arange(N)))
    s = np.array([np.real(st[N * N + 15]) for st in states])
    purity = np.real(np.einsum("knm,kmn->k", rhos, rhos))
    return MeanFieldResult(t_out, X, s, nph, X2 - X**2, purity)


def gaussian_state(mean, cov, N):
    r"""Fock-space density matrix of the Gaussian state with means (⟨x⟩, ⟨p⟩) and covariance Σ.

    :math:`\varrho = D(\alpha)S(\zeta)\varrho_{th}S^\dagger(\zeta)D^\dagger(\alpha)` with
    :math:`\alpha = (\langle x\rangle + i\langle p\rangle)/\sqrt2`, the thermal occupation
    :math:`\sqrt{\det\Sigma} - 1/2` and the squeezing that turns the vacuum covariance
    :math:`\mathbb 1/2` into Σ (a pure state when :math:`\det\Sigma = 1/4`). The mean-field
    oscillator state, which evolves from the vacuum under the quadratic :math:`\tilde H_{ph}`, is
    of this form.

    Parameters
    ----------
    mean : (float, float)
    cov : ndarray, shape (2, 2)
        Symmetric covariance :math:`\Sigma_{ij} = \langle\{r_i, r_j\}\rangle/2 - \langle r_i\rangle
        \langle r_j\rangle`, :math:`r = (x, p)`, with :math:`\det\Sigma\ge1/4`.
    N : int
        Fock states; the state must lie well inside them.

    Returns
    -------
    ndarray, shape (N, N)

    Raises
    ------
    ValueError
        If Σ is not a valid covariance matrix (:math:`\det\Sigma < 1/4` beyond rounding).
    """
    import qutip

    cov = np.asarray(cov, float)
    nu = np.sqrt(np.linalg.det(cov))
    if not nu >= 0.5 - 1e-9:
        raise ValueError(f"cov must have det >= 1/4 (uncertainty principle), got {nu**2}")
    # Sigma = nu R diag(e^{-2r}, e^{2r}) R^T: squeeze x by e^{-r} along the angle of R
    w, v = np.linalg.eigh(cov / nu)
    r = 0.25 * np.log(w[1] / w[0])
    phi = np.arctan2(v[1, 1], v[0, 1])  # direction of the long axis
    zeta = -r * np.exp(2j * phi)
    th = qutip.thermal_dm(N, max(nu - 0.5, 0.0))
    S = qutip.squeeze(N, zeta)
    D = qutip.displace(N, (mean[0] + 1j * mean[1]) / np.sqrt(2))
    return (D * S * th * S.dag() * D.dag()).full()


@dataclass(frozen=True)
class LimitCycle:
    r"""The ions' limit cycle without the flywheel (:math:`\kappa_1 = \kappa_2 = 0`), after Eq. (5).

    ``times`` (n,) over one period from the start of the first stroke and ``s_nn`` (n,) on the
    cycle; ``c1``: the Fourier coefficient :math:`c_1 = \tau_d^{-1}\int_0^{\tau_d}s_{nn}(t)
    e^{-i\omega_{rel}t}dt`; ``multipliers`` (16,): eigenvalues of the one-period map of the Pauli
    moments, largest modulus first (the first is 1; the cycle is unique when the second is
    smaller than 1 in modulus); ``relaxation_time``: :math:`-\tau_d/\ln|\mu_2|`.
    """

    times: np.ndarray
    s_nn: np.ndarray
    c1: complex
    multipliers: np.ndarray
    relaxation_time: float


def electronic_limit_cycle(p, drive, *, samples_per_half=64):
    r"""The periodic state of the driven, decaying ions at :math:`\langle W\rangle = V_0`.

    The one-period map :math:`e^{M_2\tau_d/2}e^{M_1\tau_d/2}` of the 16 Pauli moments
    (:func:`electronic_generators`) has the limit cycle as its fixed point; its Fourier
    coefficient is integrated exactly, :math:`\int_0^{T}e^{(M - i\omega)t}dt =
    (M - i\omega)^{-1}(e^{(M - i\omega)T} - 1)`. Eq. (7) then gives the amplitude's growth rate
    :math:`\kappa_1|c_1|`.

    Parameters
    ----------
    p : FlywheelParameters
        Its ``kappa1`` and ``kappa2`` are not used.
    drive : TwoStroke
        Float values.
    samples_per_half : int, optional
        Samples of ``s_nn`` per half period.

    Returns
    -------
    LimitCycle
    """
    n = check_count("samples_per_half", samples_per_half, 1)
    half, w = p.tau_d / 2, p.omega_rel
    Ms = [
        D * _GEN["Delta"] + O * _GEN["Omega"] + p.V0 * _GEN["W"] + p.gamma * _GEN["gamma"]
        for D, O in (drive.half(0), drive.half(1))
    ]
    E = [scipy.linalg.expm(M * half) for M in Ms]
    mu, vec = np.linalg.eig(E[1] @ E[0])
    order = np.argsort(-np.abs(mu))
    mu, fixed = mu[order], np.real(vec[:, order[0]])
    fixed = fixed * _GROUND[0] / fixed[0]  # Tr rho = 1
    one = np.eye(16)
    c1, start, phase = 0.0, fixed, 1.0
    for M, Eh in zip(Ms, E):
        A = M - 1j * w * one
        c1 += phase * _NN @ np.linalg.solve(A, (scipy.linalg.expm(A * half) - one) @ start)
        start, phase = Eh @ start, phase * np.exp(-1j * w * half)
    step = [scipy.linalg.expm(M * half / n) for M in Ms]
    cs, c = [], fixed
    for k in range(2 * n):
        cs.append(c @ _NN)
        c = step[k // n] @ c
    return LimitCycle(
        np.arange(2 * n) * half / n,
        np.array(cs),
        complex(c1 / p.tau_d),
        mu,
        float(-p.tau_d / np.log(np.abs(mu[1]))),
    )


# The ions' states: swapping the two ions commutes with Eqs. (1)-(3) and |down down> is swap-even,
# so the state stays on the 10 swap-even components: the triplet block over (dd, T, uu) and the
# singlet population, T = (|du> + |ud>)/sqrt2, S = (|du> - |ud>)/sqrt2.
_V = np.array([[1, 0, 0, 0], [0, 1, 0, 1], [0, 1, 0, -1], [0, 0, 1, 0]]) / np.sqrt(
    [1, 2, 1, 2]
)  # columns dd, T, uu, S
_EVEN = [4 * a + b for a in range(3) for b in range(3)] + [15]  # (ket, bra) pairs, row-major
# Order used by the exact solver: the five blocks the coupling touches first, those with |uu> as
# ket (0-2) and as bra (2-4); reversing 0-4 swaps ket and bra (Hermitian conjugation).
_BLOCKS = ["uu,dd", "uu,T", "uu,uu", "T,uu", "dd,uu", "dd,dd", "dd,T", "T,dd", "T,T", "S,S"]
_NAMES = ["dd", "T", "uu"]
_ORDER = [
    15 if b == "S,S" else 4 * _NAMES.index(b.split(",")[0]) + _NAMES.index(b.split(",")[1])
    for b in _BLOCKS
]
_PERM = [_EVEN.index(k) for k in _ORDER]
_DIAG = [_BLOCKS.index(b) for b in ("dd,dd", "T,T", "uu,uu", "S,S")]


def _electronic_superoperator(Delta, Omega, V0, gamma):
    """(16, 16) complex matrix of electronic_rhs on vec(rho_el) (row-major), with <W> = V0."""
    units = np.eye(16).reshape(16, 4, 4)
    return electronic_rhs(units, Delta, Omega, V0, gamma).reshape(16, 16).T


def _block_generator(Delta, Omega, V0, gamma):
    """(10, 10) electronic generator on the swap-even blocks in the order of _BLOCKS."""
    M = np.kron(_V.conj().T, _V.T)  # vec(V^dag rho V) = M vec(rho), row-major
    S = M @ _electronic_superoperator(Delta, Omega, V0, gamma) @ M.conj().T
    odd = np.setdiff1d(np.arange(16), _EVEN)
    if np.abs(S[np.ix_(odd, _EVEN)]).max() > 1e-12:  # pragma: no cover - a property of the model
        raise RuntimeError("the swap-even components are not closed")
    return S[np.ix_(_EVEN, _EVEN)][np.ix_(_PERM, _PERM)]


@dataclass(frozen=True)
class ExactResult(_Series):
    r"""Exact solution of Eq. (3) at the times of ``tlist``.

    ``times``, ``x`` = ⟨x⟩, ``s_nn``, ``n_ph``, ``var_x`` (:math:`\langle x^2\rangle - \langle x
    \rangle^2`), ``top`` (population of the highest Fock state of the window) and ``n_fock``
    (Fock states in the window), each of shape (n_t,); ``snapshot_times`` (k,) and ``snapshots``
    (k, N, N), the oscillator's reduced state (Schrödinger picture) at those times, padded to the
    largest window N among them; ``band``, the coherence band kept.
    """

    times: np.ndarray
    x: np.ndarray
    s_nn: np.ndarray
    n_ph: np.ndarray
    var_x: np.ndarray
    top: np.ndarray
    n_fock: np.ndarray
    snapshot_times: np.ndarray
    snapshots: np.ndarray
    band: int


def solve_exact(
    p,
    drive,
    tlist,
    *,
    N_max=60,
    tol=None,
    band=None,
    N_start=16,
    steps_per_half=8,
    snapshot_times=(),
):
    r"""Integrate the master equation (3) from :math:`|0\rangle\otimes|\downarrow\downarrow\rangle`.

    **Frame.** The oscillator's free rotation is taken out exactly (interaction picture:
    :math:`x\to\tilde x(t)`, entries :math:`x_{nm}e^{i\omega_{rel}(n-m)t}`), and so is the ions'
    evolution at :math:`W = V_0` (drive, decay and :math:`V_0n_1n_2`, constant within each half
    period), through Lawson's integrating-factor Runge-Kutta method of order 4. The Runge-Kutta
    stages carry only the coupling
    :math:`-i[(\kappa_1\tilde x + \kappa_2\tilde x^2)n_1n_2,\varrho]`, which touches the five
    components of the ions' state that involve :math:`|\uparrow\uparrow\rangle`.

    **Storage.** The ions' state is kept on its 10 swap-even components. Each component's
    oscillator matrix :math:`\varrho_{ab}[n, m]` is stored for :math:`0\le m - n\le` ``band``
    (entries below the diagonal follow from Hermiticity, :math:`\varrho_{ab}[n, m] =
    \overline{\varrho_{ba}[m, n]}`), on a Fock window :math:`n, m <` ``n_fock`` that grows by 8
    states whenever an entry of its two highest rows exceeds ``tol`` in modulus.
    With ``tol=None`` the window is ``N_max`` from the start and with ``band=None`` the whole
    matrix is kept: the plain Fock truncation at ``N_max``. The coherence band decays fast with
    :math:`|m - n|` (the state is spread along its orbit rather than across it), which is what
    makes ``band`` ≈ 16 enough; the chapter shows the convergence in both truncations.

    Parameters
    ----------
    p : FlywheelParameters
    drive : TwoStroke
        Float values.
    tlist : array_like, shape (n_t,)
        Increasing output times, >= 0; a time between grid points gets one shorter step.
    N_max : int, optional
        Largest Fock window (the window stops growing there; ``top`` then shows the truncation).
    tol : float or None, optional
        Edge threshold of the growing window.
    band : int or None, optional
        Largest :math:`|m - n|` kept, >= 2.
    N_start : int, optional
        Initial window (with ``tol``).
    steps_per_half : int, optional
        Runge-Kutta steps per half period.
    snapshot_times : sequence of float, optional
        Times at which to keep the oscillator's reduced state (exact times, like ``tlist``).

    Returns
    -------
    ExactResult

    Raises
    ------
    ValueError
        If a count is too small, ``tol`` is not positive or a time is negative.
    """
    N_max = check_count("N_max", N_max, 4)
    sph = check_count("steps_per_half", steps_per_half, 1)
    D = N_max - 1 if band is None else min(check_count("band", band, 2), N_max - 1)
    if tol is not None:
        check_positive(tol=tol)
    Nc = N_max if tol is None else min(check_count("N_start", N_start, 4), N_max)
    h = p.tau_d / (2 * sph)
    snaps = np.asarray(snapshot_times, float)
    t_all = np.union1d(check_tlist(tlist), snaps) if snaps.size else check_tlist(tlist)
    t_out, k_out, rem = _output_plan(t_all, h)
    solver = _BandSolver(p, drive, N_max, D)
    solver.resize(Nc)
    rows, states, j = [], {}, 0
    is_snap, keep = np.isin(t_out, snaps), np.isin(t_out, check_tlist(tlist))
    for k in range(int(k_out[-1]) + 1):
        half = k // sph
        if tol is not None and solver.Nc < N_max and solver.edge() > tol:
            solver.resize(min(solver.Nc + 8, N_max))  # the support moves by < 8 states a step
        while j < t_out.size and k_out[j] == k:
            if rem[j] == 0:
                Rj = solver.R
            else:
                Rj = np.empty_like(solver.R)
                solver.step(solver.R, Rj, k * h, rem[j], solver.factors(half, rem[j]))
            rows.append(solver.observe(t_out[j], Rj))
            if is_snap[j]:
                states[j] = solver.reduced_state(t_out[j], Rj)
            j += 1
        if j < t_out.size:
            solver.step(solver.R, solver.R_next, k * h, h, solver.factors(half, h))
            solver.R, solver.R_next = solver.R_next, solver.R
    cols = np.array(rows).T
    N_snap = max([s.shape[0] for s in states.values()], default=0)
    snap_arr = np.zeros((len(states), N_snap, N_snap), complex)
    for i, key in enumerate(sorted(states)):
        snap_arr[i, : states[key].shape[0], : states[key].shape[0]] = states[key]
    return ExactResult(
        t_out[keep],
        *(col[keep] for col in cols[:5]),
        cols[5][keep].astype(int),
        t_out[is_snap],
        snap_arr,
        D,
    )


class _BandSolver:
    r"""The pieces of :func:`solve_exact`: coupling, Lawson step and observables on band storage.

    Storage of one block: row n of the Fock window holds :math:`\tilde\varrho[n, n + d]` for
    d = -g, ..., D at flat index n * Dp + d + g (d < 0: "ghost" entries, filled from the
    Hermitian partner before each coupling evaluation), so shifting a row and a band is a shift
    of the flat index and every term of the coupling is one contiguous slice.
    """

    def __init__(self, p, drive, N_max, D):
        self.p, self.D, self.N_max = p, D, N_max
        self.g = g = 1 if p.kappa2 == 0 else 2
        self.Dp = Dp = D + 1 + g
        self.w = p.omega_rel
        n = np.arange(N_max, dtype=float)
        v = {1: p.kappa1 * np.sqrt((n + 1) / 2), -1: p.kappa1 * np.sqrt(n / 2)}
        if p.kappa2:
            v |= {
                0: p.kappa2 * (n + 0.5),
                2: p.kappa2 * np.sqrt((n + 1) * (n + 2)) / 2,
                -2: p.kappa2 * np.sqrt(n * np.maximum(n - 1, 0)) / 2,
            }
        rows = np.repeat(np.arange(N_max), Dp)
        d = np.tile(np.arange(Dp) - g, N_max)
        target = d >= 0
        self.left, self.right = {}, {}
        for k, vk in v.items():
            # (X rho)[n, n+d] += X[n, n+k] rho[n+k, n+d]: source row n+k, band d-k
            ok = target & (d - k >= -g) & (d - k <= D) & (rows + k >= 0) & (rows + k < N_max)
            self.left[k] = (np.where(ok, -1j * vk[np.clip(rows, 0, N_max - 1)], 0), k * (Dp - 1))
            # (rho X)[n, n+d] += rho[n, n+d-k] X[n+d-k, n+d]: same row, band d-k
            m = rows + d - k
            ok = target & (d - k >= -g) & (d - k <= D) & (m >= 0) & (m < N_max)
            self.right[k] = (np.where(ok, 1j * vk[np.clip(m, 0, N_max - 1)], 0), -k)
        self._rows, self._d = rows, d
        self.gens = [_block_generator(*drive.half(k), p.V0, p.gamma) for k in (0, 1)]
        self._factors = {}
        self.n = n

    def resize(self, Nc):
        """Use a Fock window of Nc states (zero-padded); the right factors drop n + d >= Nc.

        All work arrays are allocated here, once per window, so the steps allocate nothing large.
        """
        old = getattr(self, "R", None)
        if old is not None and Nc == self.Nc:
            return
        self.Nc, self.L = Nc, Nc * self.Dp
        L = self.L
        inside = (self._rows + self._d < Nc)[:L]
        self.right_w = {k: (c[:L] * inside, off) for k, (c, off) in self.right.items()}
        self.left_w = {k: (c[:L], off) for k, (c, off) in self.left.items()}
        self.R = np.zeros((10, L), complex)
        if old is None:
            self.R[_BLOCKS.index("dd,dd"), self.g] = 1.0
        else:
            self.R[:, : old.shape[1]] = old
        self.R_next = np.zeros_like(self.R)
        self.K = np.empty((10, L), complex)  # [k1; k2 + k3] of the Lawson step
        self.W = np.empty((10, L), complex)
        self.k3, self.k4, self.A, self.Y = (np.empty((5, L), complex) for _ in range(4))
        self._tmp = np.empty((3, L), complex)
        self._cf = np.empty(L, complex)
        self._plans = {}
        self._ks = sorted(self.left)
        self._kv = np.array(self._ks, float)

    def edge(self):
        """Largest modulus in the two highest rows of the window."""
        return np.abs(self.R[:, (self.Nc - 2) * self.Dp :]).max()

    def factors(self, half, dt):
        key = (half % 2, dt)
        if key not in self._factors:
            Uh = scipy.linalg.expm(self.gens[half % 2] * dt / 2)
            Uhh = Uh @ Uh
            self._factors[key] = (
                Uh[:5, :5].copy(),
                Uh[:5].copy(),
                Uhh,
                np.concatenate([Uhh[:, :5], Uh[:, :5]], axis=1),
            )
        return self._factors[key]

    def _plan(self, Y, out):
        """Views for :meth:`coupling` of the work arrays Y and out (made once per window)."""
        key = (Y.__array_interface__["data"][0], out.__array_interface__["data"][0])
        if key not in self._plans:
            g, Dp, Nc, L = self.g, self.Dp, self.Nc, self.L
            Y3 = Y.reshape(5, Nc, Dp)
            ghosts = [(Y3[::-1, : Nc - q, g + q], Y3[:, q:, g - q], Y3[:, :q, g - q])
                      for q in range(1, g + 1)]  # fmt: skip
            terms = []
            for blocks, coefs in ((slice(0, 3), self.left_w), (slice(2, 5), self.right_w)):
                for k, (c, off) in coefs.items():
                    a, b = max(0, -off), min(L, L - off)
                    views = (c[a:b], self._cf[a:b], Y[blocks, a + off : b + off])
                    terms.append((self._ks.index(k), *views, self._tmp[:, a:b], out[blocks, a:b]))
            self._plans[key] = (ghosts, terms)
        return self._plans[key]

    def coupling(self, t, Y, out):
        """-i[X(t) n1 n2, rho] of the five coupled blocks Y (5, L) into ``out`` (fills ghosts)."""
        ghosts, terms = self._plan(Y, out)
        for source, target, zero in ghosts:  # rho_ab[n, n - q] = conj(rho_ba[n - q, n])
            np.conj(source, out=target)
            zero.fill(0)
        out.fill(0)
        phases = np.exp(-1j * self.w * t * self._kv).tolist()
        for i, c, cf, src, tmp, dst in terms:
            np.multiply(c, phases[i], out=cf)
            np.multiply(cf, src, out=tmp)
            np.add(dst, tmp, out=dst)

    def step(self, R, out, t, dt, F):
        """One Lawson RK4 step of R (10, L) from t to t + dt into ``out`` (10, L)."""
        Ucc, Uc, Uhh, Ucols = F
        K, k3, k4, A, Y = self.K, self.k3, self.k4, self.A, self.Y
        k1, k2 = K[:5], K[5:]
        np.copyto(Y, R[:5])
        self.coupling(t, Y, k1)
        np.matmul(Uc, R, out=A)
        np.matmul(Ucc, k1, out=Y)
        Y *= dt / 2
        Y += A
        self.coupling(t + dt / 2, Y, k2)
        np.multiply(k2, dt / 2, out=Y)
        A += Y
        self.coupling(t + dt / 2, A, k3)
        np.matmul(Uhh, R, out=out)
        np.matmul(Ucc, k3, out=Y)
        Y *= dt
        Y += out[:5]
        self.coupling(t + dt, Y, k4)
        k1 *= dt / 6
        k2 += k3
        k2 *= dt / 3
        np.matmul(Ucols, K, out=self.W)
        out += self.W
        k4 *= dt / 6
        out[:5] += k4

    def observe(self, t, R):
        """⟨x⟩, s_nn, n_ph, var_x, top population and window size of the state R (10, L)."""
        g, Nc, w, n = self.g, R.shape[1] // self.Dp, self.w, self.n[: R.shape[1] // self.Dp]
        R3 = R.reshape(10, Nc, self.Dp)
        rd = R3[_DIAG, :, g : g + 3].sum(axis=0)  # bands 0, 1, 2 of the oscillator's state
        pops = rd[:, 0].real
        a = np.sum(np.conj(rd[:, 1]) * np.sqrt(n + 1)) * np.exp(-1j * w * t)
        a2 = np.sum(np.conj(rd[:, 2]) * np.sqrt((n + 1) * (n + 2))) * np.exp(-2j * w * t)
        nph = pops @ n
        X = np.sqrt(2) * a.real
        return (X, R3[2, :, g].real.sum(), nph, a2.real + nph + 0.5 - X**2, pops[-1], Nc)

    def reduced_state(self, t, R):
        """The oscillator's reduced state (Nc, Nc) in the Schrödinger picture."""
        g, D = self.g, self.D
        Nc = R.shape[1] // self.Dp
        rd = R.reshape(10, Nc, self.Dp)[_DIAG].sum(axis=0)[:, g:]
        rd = rd * np.exp(1j * self.w * np.arange(D + 1) * t)
        rho = np.zeros((Nc, Nc), complex)
        for dd in range(min(D, Nc - 1) + 1):
            i = np.arange(Nc - dd)
            rho[i, i + dd] = rd[: Nc - dd, dd]
            rho[i + dd, i] = np.conj(rd[: Nc - dd, dd])
        return rho


def oscillator_moments(rho):
    r"""⟨x⟩, ⟨p⟩, :math:`n_{ph}` and :math:`\Delta x^2` of Fock-space density matrices.

    Parameters
    ----------
    rho : ndarray, shape (..., N, N)

    Returns
    -------
    dict of ndarray, shape (...)
        ``x``, ``p``, ``n_ph``, ``var_x``.
    """
    rho = np.asarray(rho)
    N = rho.shape[-1]
    n = np.arange(N)
    a_mean = np.einsum("...ii,i->...", rho[..., 1:, :-1], np.sqrt(n[1:]))  # Tr(a rho)
    a2 = np.einsum("...ii,i->...", rho[..., 2:, :-2], np.sqrt(n[1:-1] * n[2:]))
    nph = np.real(np.einsum("...ii,i->...", rho, n))
    X, P = np.sqrt(2) * a_mean.real, np.sqrt(2) * a_mean.imag
    return {"x": X, "p": P, "n_ph": nph, "var_x": a2.real + nph + 0.5 - X**2}


def energy_and_ergotropy(rho, omega_rel):
    r"""Energy :math:`\omega_{rel}n_{ph}` above the ground state and ergotropy of oscillator states.

    The ergotropy with respect to :math:`H_{ph} = \omega_{rel}a^\dagger a` (footnote [71]):
    :math:`\mathcal E = \mathrm{Tr}[H_{ph}\varrho] - \sum_k r_k^\downarrow\,\omega_{rel}k`
    with the eigenvalues :math:`r_k^\downarrow` of ϱ in decreasing order (Allahverdyan et al.).

    Parameters
    ----------
    rho : ndarray, shape (..., N, N)
        Fock-space density matrices.
    omega_rel : float

    Returns
    -------
    (ndarray, ndarray)
        Energy and ergotropy, each of shape (...), in the unit of ``omega_rel``.
    """
    rho = np.asarray(rho)
    levels = omega_rel * np.arange(rho.shape[-1])
    energy = np.real(np.einsum("...ii,i->...", rho, levels))
    r = np.sort(np.linalg.eigvalsh(rho), axis=-1)[..., ::-1]
    return energy, energy - r @ levels


def _period_max(r, period, name):
    return amplitude(r.times, getattr(r, name), period)


_SERIES = {  # what: (series of a result, unit, name of its x column)
    "x": (lambda r, period: (r.times, r.x), "l0", "gamma_t"),
    "n_ph": (lambda r, period: (r.times, r.n_ph), "1", "gamma_t"),
    "amplitude": (lambda r, period: r.amplitude(period), "l0", "gamma_t_amplitude"),
    "s_nn_mean": (lambda r, period: window_mean(r.times, r.s_nn, period), "1", "gamma_t_mean"),
    "Delta_x2": (lambda r, period: _period_max(r, period, "var_x"), "l0^2", "gamma_t_amplitude"),
    "Delta_x": (
        lambda r, period: (lambda t, v: (t, np.sqrt(v)))(*_period_max(r, period, "var_x")),
        "l0",
        "gamma_t_amplitude",
    ),
    "top": (lambda r, period: (r.times, np.maximum(r.top, 1e-30)), "1", "gamma_t"),
}


def plot_series(fig, ax, result, what, name, *, period, gamma=1.0, mirror=False, **style):
    r"""Draw one observable of a result against :math:`\gamma t` and record it in the figure's CSV.

    Parameters
    ----------
    fig : qbkit.book.Figure
        Its ``plot`` draws and records the column ``f"{what}_{name}"``.
    ax : matplotlib.axes.Axes
    result : MeanFieldResult or ExactResult
        Without batch axes.
    what : str
        ``"x"`` (⟨x⟩, ℓ₀), ``"n_ph"``, ``"amplitude"`` (:func:`amplitude`, ℓ₀), ``"s_nn_mean"``
        (:math:`s_{nn}` averaged over the last period), ``"Delta_x"`` and ``"Delta_x2"`` (the
        largest width, ℓ₀, and variance, ℓ₀², over the last period), ``"top"`` (population of the
        highest Fock state kept).
    name : str
    period : float
        The drive period :math:`\tau_d`.
    gamma : float
        Time unit of the x axis.
    mirror : bool
        Also draw :math:`-y` (an envelope :math:`\pm A`), not recorded.
    **style
        Passed to ``Axes.plot``.

    Returns
    -------
    (ndarray, ndarray)
        The times and values drawn.
    """
    series, unit, x_name = _SERIES[what]
    t, y = series(result, period)
    fig.plot(ax, gamma * t, y, name=f"{what}_{name}", unit=unit, x_name=x_name, x_unit="1", **style)
    if mirror:
        ax.plot(gamma * t, -y, **{k: v for k, v in style.items() if k != "label"})
    return t, y


def dark_state_residual(Delta, V0, Omegas):
    r"""Largest :math:`\|\tilde H^0_{el}|D\rangle\|` on the anti-blockade line (text on Fig. 3(b)).

    At :math:`2\Delta + V_0 = 0` the state :math:`|D\rangle = (|\downarrow\downarrow\rangle -
    |\uparrow\uparrow\rangle)/\sqrt2` is annihilated by
    :math:`\Delta(n_1 + n_2) + \Omega(\sigma_1^x + \sigma_2^x) + V_0n_1n_2` for every Ω: the drive
    couples both components to the symmetric
    single excitation with opposite signs, and they have the same energy 0 = 2Δ + V₀.

    Parameters
    ----------
    Delta, V0 : float
    Omegas : array_like
        Rabi frequencies to test.

    Returns
    -------
    float
        0 up to rounding when 2Δ + V₀ = 0, :math:`|2\Delta + V_0|/\sqrt2` otherwise.
    """
    o = _OPS
    dark = np.array([1.0, 0.0, 0.0, -1.0]) / np.sqrt(2)
    H = [Delta * (o["n1"] + o["n2"]) + Om * o["sx"] + V0 * o["nn"] for Om in np.ravel(Omegas)]
    return float(max(np.linalg.norm(h @ dark) for h in H))


_LOOKS = ({"color": "tab:blue"}, {"color": "tab:red", "ls": "--"}, {"color": "0.35", "ls": ":"})


def _csv_name(label):
    return "".join(ch for ch in label if ch.isalnum() or ch == "_")


def plot_charging(
    fig, axes, solutions, name, *, period, gamma=1.0, omega_rel=None, t_skip=5.0, legend=False
):
    r"""One column of the mean-field against exact comparison (Fig. S1): ⟨x⟩, s_nn, energy.

    Panel 0: the amplitude :math:`\pm A(t)` of every solution over the pale ⟨x⟩ of the first;
    panel 1: :math:`s_{nn}` averaged over the last period (the y range leaves out
    :math:`\gamma t <` ``t_skip``, where the initial transient dwarfs the rest); panel 2:
    :math:`n_{ph}`, and, for solutions with snapshots, the ergotropy over :math:`\hbar\omega_{rel}`
    (squares). Styles: solid blue, dashed red, dotted grey, in the order of ``solutions``.

    Parameters
    ----------
    fig : qbkit.book.Figure
    axes : sequence of 3 matplotlib.axes.Axes
    solutions : dict
        ``{label: MeanFieldResult or ExactResult}``; CSV columns are named from ``name`` and
        the label's letters and digits.
    name : str
    period, gamma : float
        As for :func:`plot_series`.
    omega_rel : float, optional
        Needed for the ergotropy.
    t_skip : float
        In units of 1/γ.
    legend : bool
        Legends in panels 0 and 2.

    Returns
    -------
    ndarray or None
        Ergotropy / energy at the snapshot times of the first solution that has snapshots.
    """
    out, lims = None, []
    first = next(iter(solutions.values()))
    plot_series(fig, axes[0], first, "x", f"{name}_{_csv_name(next(iter(solutions)))}",
                period=period, gamma=gamma, color="tab:blue", lw=0.3, alpha=0.3)  # fmt: skip
    for (label, r), look in zip(solutions.items(), _LOOKS):
        tag, kw = f"{name}_{_csv_name(label)}", dict(period=period, gamma=gamma, **look)
        plot_series(fig, axes[0], r, "amplitude", tag, mirror=True, label=label, **kw)
        t, m = plot_series(fig, axes[1], r, "s_nn_mean", tag, **kw)
        late = m[gamma * t > min(t_skip, gamma * t[-1] / 2)]
        lims += [late.min(), late.max()]
        plot_series(fig, axes[2], r, "n_ph", tag, label=label, **kw)
        if omega_rel is not None and getattr(r, "snapshots", np.zeros(0)).size:
            energy, erg = energy_and_ergotropy(r.snapshots, omega_rel)
            out = erg / np.where(energy > 0, energy, np.inf) if out is None else out
            fig.scatter(axes[2], gamma * r.snapshot_times, erg / omega_rel, name=f"ergotropy_{tag}",
                        unit="hbar*omega_rel", x_name="gamma_t_snapshots", x_unit="1", marker="s",
                        color="k", label=f"ergotropy, {label}")  # fmt: skip
    axes[0].set(ylabel=r"$\pm A$, $\langle x\rangle$ ($\ell_0$)")
    axes[1].set(ylabel=r"$s_{nn}$, mean over a period", ylim=(0.9 * min(lims), 1.1 * max(lims)))
    axes[2].set(ylabel=r"$n_{ph}$, ergotropy$/\hbar\omega_{rel}$")
    for ax in axes:
        ax.set_xlabel(r"$\gamma t$")
    if legend:
        axes[0].legend(loc="upper left")
        axes[2].legend(loc="upper left")
    return out


def plot_width(fig, ax, solutions, name, *, period, gamma=1.0, limit=None):
    r"""The packet's width (Fig. S2): the largest :math:`\Delta x`, :math:`\Delta x^2` per period.

    :math:`\Delta x` in blue, :math:`\Delta x^2` in green, one line style per solution (solid,
    dashed, dotted), and ``limit`` as a red dashed line.

    Parameters
    ----------
    fig, ax, solutions, name, period, gamma
        As for :func:`plot_charging`.
    limit : float, optional
    """
    for (label, r), ls in zip(solutions.items(), ("-", "--", ":")):
        tag, kw = f"{name}_{_csv_name(label)}", dict(period=period, gamma=gamma, ls=ls)
        plot_series(
            fig, ax, r, "Delta_x", tag, color="tab:blue", label=rf"$\Delta x$, {label}", **kw
        )
        lab = rf"$\Delta x^2$, {label}"
        plot_series(fig, ax, r, "Delta_x2", tag, color="tab:green", label=lab, **kw)
    if limit is not None:
        ax.axhline(limit, color="tab:red", ls="--", lw=0.8, label=f"limit {limit:g}")
    ax.set(xlabel=r"$\gamma t$", ylabel=r"$\Delta x$ ($\ell_0$), $\Delta x^2$ ($\ell_0^2$)")
    ax.legend(loc="upper left")


def plot_map(fig, ax, x, y, Z, name, *, xlabel, ylabel, clabel, vline=None, hlines=(), points=()):
    r"""A map of Fig. 3: ``Z[i, j]`` at ``(x[j], y[i])`` with its colour bar, recorded in the CSV.

    The CSV gets the axes as ``Delta_axis`` and ``Omega_axis`` (units of γ) and the map as
    ``name``; ``vline`` (the anti-blockade line) is drawn dashed and ``hlines`` (where the cuts
    run) dotted, both in white.

    Parameters
    ----------
    fig : qbkit.book.Figure
    ax : matplotlib.axes.Axes
    x, y : ndarray, shapes (n,), (m,)
    Z : ndarray, shape (m, n)
    name, xlabel, ylabel, clabel : str
    vline : float, optional
    hlines : sequence of float
    points : iterable of (float, float)
        Marked by open white circles (e.g. where an exact solution was run).
    """
    axis = dict(x_name="Delta_axis", x_unit="gamma", y_name="Omega_axis", y_unit="gamma")
    im = fig.mesh(ax, x, y, Z, name=name, unit="1", shading="nearest", cmap="viridis", **axis)
    fig.fig.colorbar(im, ax=ax, label=clabel)
    if vline is not None:
        ax.axvline(vline, color="w", ls="--", lw=0.8)
    for h in hlines:
        ax.axhline(h, color="w", ls=":", lw=0.8)
    for px, py in points:
        ax.plot(px, py, "o", mfc="none", mec="w", ms=7)
    ax.set(xlabel=xlabel, ylabel=ylabel)


def disagreement(approx, exact, *, period, t_early, tol=0.1):
    r"""How far an approximate ⟨x⟩(t) is from an exact one on the same times.

    The relative difference at time t is :math:`|\Delta\langle x\rangle(t)|/\max(A(t), 1)`, with
    A the amplitude of ``approx`` (:func:`amplitude`); lengths in units of :math:`\ell_0`.

    Parameters
    ----------
    approx, exact : MeanFieldResult or ExactResult
        On the same ``times``, without batch axes.
    period : float
        The drive period.
    t_early : float
        End of the early window.
    tol : float
        Threshold of the relative difference for ``t_within``.

    Returns
    -------
    (float, float, float, float)
        :math:`\max|\Delta\langle x\rangle|` for :math:`t\le` ``t_early``; the largest relative
        difference over the run; the last time up to which the relative difference stays within
        ``tol`` (the first amplitude time if it never does); the largest relative difference
        up to that time.

    Raises
    ------
    ValueError
        If the two are sampled at different times.
    """
    if approx.times.shape != exact.times.shape or np.abs(approx.times - exact.times).max() > 0:
        raise ValueError("the two results must share their times")
    d = np.abs(approx.x - exact.x)
    tA, A = approx.amplitude(period)
    rel = np.maximum.accumulate(d[-A.size :] / np.maximum(A, 1.0))
    k = max(int(np.searchsorted(rel, tol, side="right")) - 1, 0)
    early = d[approx.times <= t_early * (1 + 1e-12)].max()
    return float(early), float(rel[-1]), float(tA[k]), float(rel[k])
