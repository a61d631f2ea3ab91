r"""Charging protocols and incoherent power bounds for collisional ladder batteries (Salvia et al.).

Times are dimensionless, :math:`\Omega\tau = \sum_k\theta_k`; energies are in units of the level
spacing E, counted from the ground state (for a spin j: :math:`\langle J_z\rangle + j`).
Equation numbers refer to R. Salvia, M. Perarnau-Llobet, G. Haack, N. Brunner and
S. Nimmrichter, *Quantum advantage in charging cavity and spin batteries by repeated
interactions* (preprint).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from .._checks import check_count
from ..collision import CollisionChannel, LossChannel, incoherent_step
from ..ergotropy import ergotropy, ergotropy_from_populations

__all__ = [
    "swap_rate_optimum",
    "R0",
    "ChargingRun",
    "charge_coherent",
    "charge_full_swap",
    "charge_greedy",
    "bound_oscillator",
    "bound_oscillator_damped",
    "bound_spin",
    "full_charge_time_spin_bound",
    "full_swap_time_asymptotic",
    "coherent_limit_oscillator",
    "coherent_limit_spin",
    "advantage_onset",
    "advantage_threshold",
]


def swap_rate_optimum():
    r"""The optimum of Eq. (12): :math:`R_0 = \max_x \sin^2 x / x` and the maximizing x.

    The maximum solves :math:`\tan x = 2x`; then
    :math:`\max_\theta \sin^2(\sqrt{n+1}\theta)/\theta = R_0\sqrt{n+1}` at
    :math:`\theta = x/\sqrt{n+1}`, which the paper writes as :math:`0.742\,\pi/(2\sqrt{n+1})`.

    Returns
    -------
    R0 : float
        About 0.7246.
    x_opt : float
        About 1.1656 (= 0.742 π/2).
    """
    x = brentq(lambda x: np.sin(x) - 2 * x * np.cos(x), 1.0, 1.5, xtol=1e-15)
    return np.sin(x) ** 2 / x, x


R0 = swap_rate_optimum()[0]


@dataclass
class ChargingRun:
    """A charging run: after each collision k = 0..K (k = 0 is the empty battery).

    Attributes
    ----------
    omega_tau : ndarray, shape (K + 1,)
        Cumulative swap angle, :math:`\\Omega\\tau = \\sum_{k' \\le k}\\theta_{k'}`.
    energy : ndarray, shape (K + 1,)
        Mean energy above the ground state, units of E.
    theta : ndarray, shape (K,)
        Swap angle of each collision.
    snapshots : dict
        Collision index -> battery state: a (d, d) density matrix (coherent runs) or
        (d,) populations (incoherent runs), at the requested indices.
    top_population : float
        Largest population ever reached in the top level of the ladder (truncation check).
    """

    omega_tau: np.ndarray
    energy: np.ndarray
    theta: np.ndarray
    snapshots: dict = field(default_factory=dict)
    top_population: float = 0.0

    def power(self):
        """Cumulative average power :math:`\\bar E(k)/(\\Omega\\tau_k)`, Eq. (6), units of E Omega (nan at k = 0)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.omega_tau > 0, self.energy / self.omega_tau, np.nan)

    def ergotropy(self, k):
        """Ergotropy of snapshot k, units of E (the passive-state definition; populations: a diagonal state)."""
        state = self.snapshots[k]
        levels = np.arange(state.shape[0], dtype=float)
        if state.ndim == 1:
            return float(ergotropy_from_populations(state, levels))
        return ergotropy(state, np.diag(levels))


def charge_coherent(
    ladder,
    theta,
    n_collisions,
    q=0.5,
    c=1.0,
    alpha=0.0,
    loss=0.0,
    snapshots=(),
    tol=1e-40,
    stop=None,
):
    r"""Charge with identical qubits :math:`\rho_Q(q, c, \alpha)` at a constant swap angle θ, Eq. (3).

    Each collision is :class:`~qbkit.collision.CollisionChannel`; with ``loss`` > 0 it is followed
    by the photon-loss channel of Eq. (21) (oscillator ladders only). The state is propagated
    on the levels that can be occupied: starting from :math:`|0\rangle`, a collision adds at
    most one level, and a level is added only while the population reaching it exceeds
    ``tol`` (the neglected entries are below :math:`\sqrt{\mathrm{tol}}`).

    Parameters
    ----------
    ladder : Ladder
    theta : float
        Swap angle per collision, >= 0.
    n_collisions : int
        Number of qubits K, >= 0.
    q, c, alpha : float, optional
        Qubit state, Eq. (1) (default: :math:`|+\rangle`).
    loss : float, optional
        Damping :math:`\gamma = 1 - e^{-\kappa t_0}` between collisions, in [0, 1].
    snapshots : iterable of int, optional
        Collision indices at which to keep the full (d, d) state.
    tol : float, optional
        Population below which the next level is not opened.
    stop : callable, optional
        ``stop(omega_tau, energy) -> bool``, checked after each collision; the run ends at
        the first True (the returned arrays end there).

    Returns
    -------
    ChargingRun

    Raises
    ------
    ValueError
        For a negative theta or n_collisions, q, c or loss outside [0, 1], or loss on a
        ladder that is not an oscillator.
    """
    K = check_count("n_collisions", n_collisions, 0)
    channel = CollisionChannel(ladder, theta, q, c, alpha)
    damp = LossChannel(ladder, loss) if loss > 0 else None
    keep = set(int(k) for k in snapshots)
    d = ladder.dim
    rho = np.ones((1, 1), dtype=complex)  # levels 0..m-1, all above empty
    energy = np.zeros(K + 1)
    top = 0.0
    out = {}

    def full(block):
        state = np.zeros((d, d), dtype=complex)
        state[: block.shape[0], : block.shape[0]] = block
        return state

    if 0 in keep:
        out[0] = full(rho)
    for k in range(1, K + 1):
        m = rho.shape[0]
        if m < d:  # open the next level for this collision
            rho = np.pad(rho, ((0, 1), (0, 1)))
        rho = channel.apply(rho)
        if damp is not None:
            rho = damp.apply(rho)
        if rho.shape[0] > m and rho[-1, -1].real < tol:
            rho = rho[:m, :m]  # nothing worth keeping reached the new level
        energy[k] = np.einsum("ii->", rho * ladder.n[: rho.shape[0]]).real
        if rho.shape[0] == d:
            top = max(top, rho[-1, -1].real)
        if k in keep:
            out[k] = full(rho)
        if stop is not None and stop(k * channel.theta, energy[k]):
            K, energy = k, energy[: k + 1]
            break
    th = np.full(K, channel.theta)
    return ChargingRun(np.concatenate([[0.0], np.cumsum(th)]), energy, th, out, top)


def charge_full_swap(ladder, n_collisions):
    r"""Deterministic full swaps with excited qubits: :math:`\theta_k = \pi/(2a_k)`, the battery stays in :math:`|k\rangle`.

    Oscillator: :math:`\vartheta_k = \pi/(2\sqrt k)` (Sec. III B); spin:
    :math:`\vartheta_k = \pi/(2f_+(j, m))` (Sec. IV B, Eq. (30)).

    Parameters
    ----------
    ladder : Ladder
    n_collisions : int
        At most d - 1.

    Returns
    -------
    ChargingRun
    """
    K = int(n_collisions)
    if not 0 <= K <= ladder.dim - 1:
        raise ValueError(f"n_collisions must lie in [0, {ladder.dim - 1}], got {n_collisions}")
    th = np.pi / (2 * ladder.a[1 : K + 1])
    return ChargingRun(np.concatenate([[0.0], np.cumsum(th)]), np.arange(K + 1, dtype=float), th)


def _gain(ladder, p, theta):
    """Energy gain of one collision with an excited qubit, for an array of theta: shape (len(theta),)."""
    up = np.sin(np.outer(theta, ladder.a[1:])) ** 2  # (n_theta, d-1): level n -> n+1 uses a_{n+1}
    return up @ p[:-1]


def charge_greedy(ladder, omega_tau_max, objective="cumulative", snapshots_at=(), n_grid=400):
    r"""Greedy adaptive incoherent charging with excited qubits (q = 0), on populations, Eq. (9)/(24).

    Each swap angle maximizes, over :math:`0 < \theta \le \pi/2`,

    * ``"cumulative"``: the cumulative average power after the step,
      :math:`(\bar E(k-1) + \Delta\bar E(\theta))/(\Omega\tau_{k-1} + \theta)` (Fig. 3 caption, Sec. III B, IV B);
    * ``"transient"``: the power of the step, :math:`\Delta\bar E(\theta)/\theta`, Eq. (7) (Fig. 2 caption).

    The global maximum on a grid of ``n_grid`` angles is refined by a bounded scalar search.
    The run stops at the first step that would pass ``omega_tau_max``.

    Parameters
    ----------
    ladder : Ladder
    omega_tau_max : float
        Charging time budget :math:`\Omega\tau`.
    objective : {"cumulative", "transient"}
    snapshots_at : iterable of float, optional
        Times :math:`\Omega\tau`; the populations after the last collision that ends at or
        before each are kept (keyed by collision index).
    n_grid : int, optional

    Returns
    -------
    ChargingRun
    """
    if objective not in ("cumulative", "transient"):
        raise ValueError(f"objective must be 'cumulative' or 'transient', got {objective!r}")
    p = np.zeros(ladder.dim)
    p[0] = 1.0
    grid = np.linspace(np.pi / 2 / n_grid, np.pi / 2, n_grid)
    E, t = 0.0, 0.0
    times, energies, thetas, pops = [0.0], [0.0], [], [p.copy()]
    while True:

        def score(th):
            gain = _gain(ladder, p, np.atleast_1d(th))
            return (E + gain) / (t + th) if objective == "cumulative" else gain / th

        k = int(np.argmax(score(grid)))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, n_grid - 1)]
        best = minimize_scalar(
            lambda th: -score(th)[0], bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
        )
        th = best.x if -best.fun >= score(grid[k])[0] else grid[k]
        if t + th > omega_tau_max:
            break
        p = incoherent_step(ladder, p, th, q=0.0)
        E, t = float(p @ ladder.n), t + th
        times.append(t), energies.append(E), thetas.append(th), pops.append(p.copy())
    times = np.array(times)
    snaps = {}
    for ts in snapshots_at:
        k = int(np.searchsorted(times, ts, side="right") - 1)
        snaps[k] = pops[k]
    top = max(q[-1] for q in pops)
    return ChargingRun(times, np.array(energies), np.array(thetas), snaps, top)


def bound_oscillator(omega_tau):
    r"""Incoherent bound on the oscillator energy, Eq. (15): :math:`R_0\Omega\tau(1 + R_0\Omega\tau/4)`, units of E."""
    x = np.asarray(omega_tau, dtype=float)
    return R0 * x * (1 + R0 * x / 4)


def bound_oscillator_damped(omega_tau, gamma):
    r"""Incoherent bound with loss γ between collisions: the solution of (C4) with equality.

    .. math:: \frac{d\bar E}{d(\Omega\tau)} = R_0(1-\gamma)\sqrt{\bar E + 1} - \frac{2\gamma}{\pi}\bar E,
              \qquad \bar E(0) = 0 .

    Parameters
    ----------
    omega_tau : array_like
        Increasing times :math:`\Omega\tau` >= 0.
    gamma : float
        Loss per waiting time, in [0, 1].

    Returns
    -------
    ndarray, same shape as ``omega_tau``
    """
    x = np.atleast_1d(np.asarray(omega_tau, dtype=float))
    sol = solve_ivp(
        lambda _, E: R0 * (1 - gamma) * np.sqrt(E + 1) - 2 * gamma / np.pi * E,
        (0.0, max(x.max(), 0.0)),
        [0.0],
        t_eval=np.sort(x),
        rtol=1e-11,
        atol=1e-12,
    )
    out = np.empty_like(x)
    out[np.argsort(x)] = sol.y[0]
    return out.reshape(np.shape(omega_tau))


def bound_spin(j, omega_tau):
    r"""Incoherent bound on the spin energy :math:`\langle J_z\rangle + j`, from Eq. (27) with equality.

    With :math:`u = \langle J_z\rangle + 1/2` and :math:`b = j + 1/2`, Eq. (27) reads
    :math:`du/d(\Omega\tau) = R_0\sqrt{b^2 - u^2}`, so
    :math:`\arcsin(u/b) = \arcsin((1/2 - j)/b) + R_0\Omega\tau` until the battery is full.
    This is Eq. (28) with its second term evaluated at :math:`\langle J_z\rangle = -j`, where
    :math:`2f_+(j, -j) = 2\sqrt{2j}` (the paper prints 2; see the errata).

    Parameters
    ----------
    j : float
        Spin quantum number.
    omega_tau : array_like
        Times :math:`\Omega\tau` >= 0.

    Returns
    -------
    ndarray, same shape as ``omega_tau``, in [0, 2j]
    """
    b = j + 0.5
    phase = np.arcsin((0.5 - j) / b) + R0 * np.asarray(omega_tau, dtype=float)
    u = b * np.sin(np.minimum(phase, np.pi / 2))
    return u - 0.5 + j


def full_charge_time_spin_bound(j, printed=False):
    r"""Shortest incoherent full-charge time :math:`\Omega\tau^*` of a spin j, Eq. (29).

    Parameters
    ----------
    j : float
    printed : bool, optional
        False (default): from :func:`bound_spin`,
        :math:`[\pi/2 - \arcsin((1/2 - j)/(j + 1/2))]/R_0`. True: the expression printed
        in Eq. (29), :math:`[\arctan((2j+1)/2) - \arctan((1-2j)/2)]/R_0`.

    Returns
    -------
    float
    """
    if printed:
        return (np.arctan((2 * j + 1) / 2) - np.arctan((1 - 2 * j) / 2)) / R0
    return (np.pi / 2 - np.arcsin((0.5 - j) / (j + 0.5))) / R0


def full_swap_time_asymptotic(K):
    r"""Large-K form of the oscillator full-swap time, Eq. (17): :math:`(\pi/2)\sum_{k\le K}k^{-1/2}`.

    :math:`\sum_{k=1}^K k^{-1/2} = 2\sqrt K + \zeta(1/2) + O(K^{-1/2})` with
    :math:`\zeta(1/2) = -1.4604`, so :math:`\Omega\tau = \pi\sqrt K + (\pi/2)\zeta(1/2) + O(K^{-1/2})`.
    """
    from scipy.special import zeta

    return np.pi * np.sqrt(K) + np.pi / 2 * zeta(0.5)


def coherent_limit_oscillator(omega_tau):
    r"""θ → 0 limit for the oscillator, Eqs. (19)-(20): a coherent state with :math:`\bar E = (\Omega\tau)^2/4`."""
    return np.asarray(omega_tau, dtype=float) ** 2 / 4


def coherent_limit_spin(j, omega_tau):
    r"""θ → 0 limit for a spin j, Eqs. (31)-(32): a rotation by :math:`\Omega\tau`, :math:`\bar E = j(1 - \cos\Omega\tau)`."""
    return j * (1 - np.cos(np.asarray(omega_tau, dtype=float)))


def advantage_onset(ladder, theta, omega_tau_max, bound=bound_oscillator, q=0.5, loss=0.0):
    r"""First charging time at which constant-θ coherent charging beats an incoherent bound.

    This is :math:`\Omega\tau_{ad}` of Fig. 4: the smallest :math:`\Omega\tau = k\theta`, k >= 1,
    with :math:`\bar E_k > \bar E_{\rm bound}(k\theta)`, for qubits :math:`\rho_Q(q, 1, 0)` and an
    optional loss γ between collisions (:func:`charge_coherent`). The run stops there.

    Parameters
    ----------
    ladder : Ladder
    theta : float
        Swap angle per collision, > 0.
    omega_tau_max : float
        Last time searched; collisions :math:`k \le \lfloor\Omega\tau_{max}/\theta\rfloor`.
    bound : callable, optional
        ``bound(omega_tau) -> energy``, by default Eq. (15) without loss (as in Fig. 4).
    q, loss : float, optional
        Qubit ground-state population, Eq. (1), and loss γ, Eq. (21).

    Returns
    -------
    float
        :math:`\Omega\tau_{ad}`, or nan if the bound is not beaten up to ``omega_tau_max``.

    Raises
    ------
    ValueError
        For theta <= 0 and the errors of :func:`charge_coherent`.
    """
    if not theta > 0:
        raise ValueError(f"theta must be > 0, got {theta}")
    run = charge_coherent(
        ladder,
        theta,
        int(np.floor(omega_tau_max / theta + 1e-9)),
        q=q,
        loss=loss,
        stop=lambda t, E: E > bound(t),
    )
    t = run.omega_tau[-1]
    return float(t) if t > 0 and run.energy[-1] > bound(t) else np.nan


def advantage_threshold(ladder, omega_tau, bound, theta_lo, theta_hi, q=0.5, xtol=1e-5):
    r"""Swap angle above which constant-θ coherent charging falls below a bound at time Ωτ.

    The root in θ of :math:`f(\theta) = \bar E_K - \bar E_{\rm bound}(K\theta)` with
    :math:`K = \lfloor\Omega\tau/\theta\rfloor` collisions of qubits :math:`\rho_Q(q, 1, 0)`,
    found by Brent's method inside a bracket where f changes sign from + to −. Because K is an
    integer, f has small jumps of one collision's energy gain; the result is a sign change of f
    to ``xtol``, which is how we read the paper's statements "coherent charging beats the bound
    for θ ≲ ..." (Secs. III C and IV C).

    Parameters
    ----------
    ladder : Ladder
    omega_tau : float
        Time at which coherent charging and the bound are compared.
    bound : callable
        ``bound(omega_tau) -> energy``.
    theta_lo, theta_hi : float
        Bracket, 0 < theta_lo < theta_hi; f(theta_lo) > 0 > f(theta_hi).
    q : float, optional
        Qubit ground-state population, Eq. (1).
    xtol : float, optional
        Absolute tolerance in θ (radians).

    Returns
    -------
    float
        Threshold angle in radians.

    Raises
    ------
    ValueError
        If the bracket is not ordered and positive, or f does not go from + at theta_lo to − at
        theta_hi.
    """
    if not 0 < theta_lo < theta_hi:
        raise ValueError(f"need 0 < theta_lo < theta_hi, got {theta_lo}, {theta_hi}")

    def margin(theta):
        K = int(np.floor(omega_tau / theta + 1e-9))
        return charge_coherent(ladder, theta, K, q=q).energy[-1] - float(bound(K * theta))

    f_lo, f_hi = margin(theta_lo), margin(theta_hi)
    if not (f_lo > 0 > f_hi):
        raise ValueError(
            f"theta_lo, theta_hi do not bracket the threshold: energy minus bound is "
            f"{f_lo:.3g} at theta_lo and {f_hi:.3g} at theta_hi (need + and -)"
        )
    return brentq(margin, theta_lo, theta_hi, xtol=xtol)
