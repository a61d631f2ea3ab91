r"""Charging protocols and incoherent power bounds for collisional ladder batteries (Salvia et al.).

Times are dimensionless, :math:`\Omega\tau = \sum_k\theta_k` (time in units of :math:`1/\Omega`);
energies are in units of the level spacing E, counted from the ground state (for a spin j:
:math:`\langle J_z\rangle + j`). A run is a sequence of collisions, so its grid is the
collision count: after collision k the result holds the time ``times[k]`` and the
observables there (``times[0] = 0`` is the empty battery).

Every solver has the shape ``solver(ladder, <protocol>, <grid>, *, options)`` and returns a
:class:`ChargingResult`. Equation numbers refer to R. Salvia, M. Perarnau-Llobet, G. Haack,
N. Brunner and S. Nimmrichter, *Quantum advantage in charging cavity and spin batteries by
repeated interactions*, arXiv:2205.00026.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.linalg import eigh_tridiagonal
from scipy.optimize import brentq, minimize_scalar
from scipy.special import zeta

from .._checks import check_count, check_rates
from ..collision import (
    CollisionChannel,
    Ladder,
    LossChannel,
    _apply_banded,
    _check_unit,
    collide_exact,
    dissipator,
    incoherent_step,
    qubit_state,
)
from ..ergotropy import ergotropy, ergotropy_from_populations

__all__ = [
    "swap_rate_optimum",
    "R0",
    "n_collisions",
    "ChargingResult",
    "charge_coherent",
    "charge_until",
    "charge_full_swap",
    "charge_greedy",
    "charge_incoherent",
    "ahead_from",
    "advantage_window",
    "relative_gap",
    "bound_best_power",
    "power_ratios",
    "bound_oscillator",
    "bound_oscillator_damped",
    "bound_spin",
    "full_charge_time_spin_bound",
    "full_swap_time",
    "full_swap_time_asymptotic",
    "full_swap_time_spin",
    "coherent_limit_oscillator",
    "coherent_limit_spin",
    "driving_limit_state",
    "driving_limit_distance",
    "optimal_q",
    "optimal_q_limit",
    "alpha_spread",
    "advantage_onset",
    "advantage_margin",
    "advantage_threshold",
    "advantage_edge",
    "critical_loss",
    "onset_map",
    "LossStudy",
    "loss_study",
    "random_schedule_excess",
    "plot_charging",
    "plot_distributions",
    "plot_onsets",
    "greedy_rules",
    "largest_change",
    "largest_excess",
    "small_angle_generator",
    "small_angle_remainders",
    "small_angle_orders",
    "uniform_ladder_generator",
    "uniform_ladder_residuals",
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


def n_collisions(omega_tau, theta):
    r"""How many collisions at angle θ fit in a time: :math:`\lfloor\Omega\tau/\theta\rfloor`.

    A time that is a multiple of θ to rounding counts as reached (relative slack 1e-9).

    Raises
    ------
    ValueError
        If theta <= 0 or omega_tau < 0.
    """
    if not theta > 0:
        raise ValueError(f"theta must be > 0, got {theta}")
    check_rates(omega_tau=omega_tau)
    return int(np.floor(omega_tau / theta + 1e-9))


@dataclass(frozen=True)
class ChargingResult:
    """A charging run, collision by collision (k = 0 is the empty battery).

    Attributes
    ----------
    times : ndarray, shape (K + 1,)
        Charging time after each collision, :math:`\\Omega\\tau_k = \\sum_{k' \\le k}\\theta_{k'}`.
    energy : ndarray, shape (K + 1,)
        Mean energy above the ground state, units of E.
    theta : ndarray, shape (K,)
        Swap angle of each collision.
    states : dict of int to ndarray
        Collision index -> battery state, kept where asked: a (d, d) density matrix
        (coherent runs) or (d,) populations (incoherent runs).
    top_population : float
        Largest population ever reached in the top level of the ladder (truncation check).
    stuck_at : float
        Greedy runs with the cumulative objective: the time from which no swap angle raised
        the cumulative average power any more (nan if that never happened).
    """

    times: np.ndarray
    energy: np.ndarray
    theta: np.ndarray
    states: dict = field(default_factory=dict)
    top_population: float = 0.0
    stuck_at: float = np.nan

    def index_at(self, t):
        """Index of the last collision that ends at or before time ``t`` (scalar or array)."""
        t = np.asarray(t, dtype=float)
        k = np.searchsorted(self.times, t + 1e-9 * np.maximum(1.0, np.abs(t)), side="right") - 1
        return np.maximum(k, 0) if k.ndim else int(max(k, 0))

    def energy_at(self, t):
        """Energy at time ``t``: the run is a step function between collisions."""
        return self.energy[self.index_at(t)]

    def state_at(self, t):
        """The kept state at time ``t``.

        Raises
        ------
        KeyError
            If the state of that collision was not kept (pass ``states_at``).
        """
        k = self.index_at(t)
        if k not in self.states:
            raise KeyError(f"the state after collision {k} (time {t:g}) was not kept")
        return self.states[k]

    def power(self):
        """Cumulative average power :math:`\\bar E(k)/(\\Omega\\tau_k)`, Eq. (6), units of E Omega.

        nan at k = 0.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.times > 0, self.energy / self.times, np.nan)

    def best_power(self, t_max):
        """Largest cumulative average power :meth:`power` over the collisions up to ``t_max``."""
        return float(np.nanmax(self.power()[: self.index_at(t_max) + 1]))

    def ergotropy_at(self, t):
        """Ergotropy of the kept state at time ``t``, units of E (passive-state definition)."""
        state = self.state_at(t)
        levels = np.arange(state.shape[0], dtype=float)
        if state.ndim == 1:
            return float(ergotropy_from_populations(state, levels))
        return ergotropy(state, np.diag(levels))


def charge_coherent(
    ladder,
    theta,
    n_collisions,
    *,
    q=0.5,
    c=1.0,
    alpha=0.0,
    loss=0.0,
    states_at=(),
    read_before_loss=False,
    tol=1e-40,
    stop=None,
):
    r"""Charge with identical qubits :math:`\rho_Q(q, c, \alpha)` at a constant swap angle, Eq. (3).

    Each collision is :class:`~qbkit.collision.CollisionChannel`; with ``loss`` > 0 it is followed
    by the photon-loss channel of Eq. (21) (oscillator ladders only), so the loss acts after
    every collision. The state is propagated in the real frame of
    :meth:`CollisionChannel.real_frame`, on the levels that can be occupied: starting from
    :math:`|0\rangle`, a collision adds at most one level, and a level is added only while the
    population reaching it exceeds ``tol`` (the neglected entries are below
    :math:`\sqrt{\mathrm{tol}}`).

    Parameters
    ----------
    ladder : Ladder
    theta : float
        Swap angle per collision, >= 0.
    n_collisions : int
        Number of qubits K, >= 0: the grid is k = 0..K at times kθ.
    q, c, alpha : float, keyword-only
        Qubit state, Eq. (1) (default: :math:`|+\rangle`).
    loss : float, keyword-only
        Damping :math:`\gamma = 1 - e^{-\kappa t_0}` between collisions, in [0, 1].
    states_at : iterable of float, keyword-only
        Times :math:`\Omega\tau` at which to keep the full (d, d) state (after the last
        collision that ends at or before each).
    read_before_loss : bool, keyword-only
        Record the energy right after each collision instead of after the loss that follows.
    tol : float, keyword-only
        Population below which the next level is not opened.
    stop : callable, keyword-only
        ``stop(omega_tau, energy) -> bool``, checked after each collision; the run ends at
        the first True (the returned arrays end there).

    Returns
    -------
    ChargingResult

    Raises
    ------
    ValueError
        For a negative theta or n_collisions, q, c or loss outside [0, 1], or loss on a
        ladder that is not an oscillator.
    """
    K = check_count("n_collisions", n_collisions, 0)
    channel = CollisionChannel(ladder, theta, q=q, c=c, alpha=alpha)
    coeff = channel.real_frame()
    damp = LossChannel(ladder, loss) if _check_unit("loss", loss) > 0 else None
    keep = {min(int(np.floor(t / theta + 1e-9)), K) if theta > 0 else K for t in states_at}
    d = ladder.dim
    phase = channel.frame_phase**ladder.n
    rho = np.ones((1, 1))  # levels 0..m-1 in the real frame, all above empty
    energy = np.zeros(K + 1)
    top = 0.0
    out = {}

    def full(block):
        m = block.shape[0]
        state = np.zeros((d, d), dtype=complex)
        state[:m, :m] = np.conj(phase[:m])[:, None] * block * phase[None, :m]
        return state

    if 0 in keep:
        out[0] = full(rho)
    for k in range(1, K + 1):
        m = rho.shape[0]
        if m < d:  # open the next level for this collision
            rho = np.pad(rho, ((0, 1), (0, 1)))
        rho = _apply_banded(coeff, rho, d)
        if read_before_loss:
            energy[k] = rho.diagonal() @ ladder.n[: rho.shape[0]]
        if damp is not None:
            rho = damp.apply(rho)
        if rho.shape[0] > m and rho[-1, -1] < tol:
            rho = rho[:m, :m]  # nothing worth keeping reached the new level
        if not read_before_loss:
            energy[k] = rho.diagonal() @ ladder.n[: rho.shape[0]]
        if rho.shape[0] == d:
            top = max(top, rho[-1, -1])
        if k in keep:
            out[k] = full(rho)
        if stop is not None and stop(k * channel.theta, energy[k]):
            K, energy = k, energy[: k + 1]
            break
    th = np.full(K, channel.theta)
    return ChargingResult(channel.theta * np.arange(K + 1), energy, th, out, float(top))


def charge_until(ladder, theta, omega_tau, **options):
    r""":func:`charge_coherent` with as many collisions as fit in :math:`\Omega\tau`.

    The number is :func:`n_collisions`; ``options`` are those of :func:`charge_coherent`.
    """
    return charge_coherent(ladder, theta, n_collisions(omega_tau, theta), **options)


def charge_incoherent(ladder, thetas, *, q=0.0, loss=0.0):
    r"""Charge with incoherent qubits (c = 0) at the given swap angles, on populations, Eq. (9).

    Parameters
    ----------
    ladder : Ladder
    thetas : array_like, shape (K,)
        Swap angle of each collision.
    q : float or array_like, shape (K,), keyword-only
        Ground-state population of each qubit.
    loss : float, keyword-only
        Damping γ after every collision (oscillator ladders), Eq. (21).

    Returns
    -------
    ChargingResult
        With the final populations kept as ``states[K]``.
    """
    thetas = np.asarray(thetas, dtype=float)
    qs = np.broadcast_to(np.asarray(q, dtype=float), thetas.shape)
    damp = LossChannel(ladder, loss) if _check_unit("loss", loss) > 0 else None
    p = np.zeros(ladder.dim)
    p[0] = 1.0
    energy, top = np.zeros(thetas.size + 1), 0.0
    for k, (th, qk) in enumerate(zip(thetas, qs), start=1):
        p = incoherent_step(ladder, p, th, q=qk)
        if damp is not None:
            p = damp.apply_populations(p)
        energy[k], top = p @ ladder.n, max(top, p[-1])
    times = np.concatenate([[0.0], np.cumsum(thetas)])
    return ChargingResult(times, energy, thetas, {thetas.size: p}, float(top))


def charge_full_swap(ladder, n_collisions):
    r"""Deterministic full swaps with excited qubits: :math:`\theta_k = \pi/(2a_k)`.

    Oscillator: :math:`\vartheta_k = \pi/(2\sqrt k)` (Sec. III B); spin:
    :math:`\vartheta_k = \pi/(2f_+(j, m))` (Sec. IV B, Eq. (30)). The populations are
    propagated with the collision channel (:func:`charge_incoherent`); the battery climbs one
    level per collision and stays in :math:`|k\rangle`.

    Parameters
    ----------
    ladder : Ladder
    n_collisions : int
        At most d - 1.

    Returns
    -------
    ChargingResult

    Raises
    ------
    ValueError
        If n_collisions lies outside [0, d - 1].
    """
    K = check_count("n_collisions", n_collisions, 0)
    if K > ladder.dim - 1:
        raise ValueError(f"n_collisions must lie in [0, {ladder.dim - 1}], got {n_collisions}")
    return charge_incoherent(ladder, np.pi / (2 * ladder.a[1 : K + 1]))


_OBJECTIVES = ("per_step", "cumulative")
_WHEN_STUCK = ("per_step", "stop", "argmax")


def charge_greedy(
    ladder, omega_tau_max, *, objective="per_step", when_stuck="per_step", n_grid=400, states_at=()
):
    r"""Greedy adaptive incoherent charging with excited qubits (q = 0), Eqs. (9), (24).

    Each swap angle maximizes, over :math:`0 < \theta \le \pi/2`,

    * ``"per_step"``: the power of the step, :math:`\Delta\bar E(\theta)/\theta`, Eq. (7)
      (Fig. 2 caption);
    * ``"cumulative"``: the cumulative average power after the step,
      :math:`(\bar E_{k-1} + \Delta\bar E(\theta))/(\Omega\tau_{k-1} + \theta)` (Fig. 3 caption,
      Secs. III B, IV B).

    A step can raise the cumulative average power only if its own power exceeds it,
    :math:`\Delta\bar E(\theta)/\theta > \bar E_{k-1}/\Omega\tau_{k-1}`. Once no angle does (a spin
    near full charge), the cumulative objective is largest for θ → 0 and has no maximum; then
    ``when_stuck`` decides: ``"per_step"`` (default) takes the per-step angle from there on,
    ``"stop"`` ends the run, ``"argmax"`` keeps the best angle of the search grid (its smallest
    angle, so the result depends on the grid; kept to show that).

    The maximum is searched on a grid of ``n_grid`` angles and refined by a bounded scalar
    search between the grid neighbours. The run stops at the first step that would pass
    ``omega_tau_max``, or when no angle adds energy (a full battery).

    Parameters
    ----------
    ladder : Ladder
    omega_tau_max : float
        Charging time budget :math:`\Omega\tau`.
    objective : {"per_step", "cumulative"}, keyword-only
    when_stuck : {"per_step", "stop", "argmax"}, keyword-only
    n_grid : int, keyword-only
        Search grid, >= 3.
    states_at : iterable of float, keyword-only
        Times :math:`\Omega\tau` at which to keep the populations.

    Returns
    -------
    ChargingResult

    Raises
    ------
    ValueError
        For an unknown objective or when_stuck, or n_grid < 3.
    """
    if objective not in _OBJECTIVES:
        raise ValueError(f"objective must be one of {_OBJECTIVES}, got {objective!r}")
    if when_stuck not in _WHEN_STUCK:
        raise ValueError(f"when_stuck must be one of {_WHEN_STUCK}, got {when_stuck!r}")
    n_grid = check_count("n_grid", n_grid, 3)
    check_rates(omega_tau_max=omega_tau_max)
    up = ladder.a_up[:-1]  # level n -> n+1
    grid = np.linspace(np.pi / 2 / n_grid, np.pi / 2, n_grid)
    S = np.sin(np.outer(grid, up)) ** 2  # (n_grid, d - 1), fixed for the whole run
    p = np.zeros(ladder.dim)
    p[0] = 1.0
    E, t, stuck_at = 0.0, 0.0, np.nan
    times, energies, thetas, pops = [0.0], [0.0], [], [p.copy()]

    def best(f, values):
        k = int(np.argmax(values))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, n_grid - 1)]
        res = minimize_scalar(
            lambda x: -f(x), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
        )
        return (res.x, -res.fun) if -res.fun >= values[k] else (grid[k], values[k])

    while True:
        gains = S @ p[:-1]
        if gains.max() <= 0:
            break

        def gain(x, p=p):
            return float(np.sin(x * up) ** 2 @ p[:-1])

        th, rate = best(lambda x, g=gain: g(x) / x, gains / grid)
        if objective == "cumulative":
            stuck = t > 0 and rate <= E / t  # no angle raises the cumulative average power
            if stuck and np.isnan(stuck_at):
                stuck_at = t
            if stuck and when_stuck == "stop":
                break
            if not stuck or when_stuck == "argmax":
                cum = (E + gains) / (t + grid)
                th, _ = best(lambda x, g=gain, E=E, t=t: (E + g(x)) / (t + x), cum)
        if t + th > omega_tau_max:
            break
        p = incoherent_step(ladder, p, th, q=0.0)
        E, t = float(p @ ladder.n), t + th
        times.append(t), energies.append(E), thetas.append(th), pops.append(p.copy())
    times = np.array(times)
    index = ChargingResult(times, np.array(energies), np.array(thetas)).index_at
    states = {index(ts): pops[index(ts)] for ts in states_at}
    top = max(pk[-1] for pk in pops)
    return ChargingResult(
        times, np.array(energies), np.array(thetas), states, float(top), float(stuck_at)
    )


def ahead_from(run, other, t_max):
    """The first time from which ``run``'s energy stays above ``other``'s up to ``t_max``.

    Both are step functions of time (:meth:`ChargingResult.energy_at`).

    Returns
    -------
    float
        That time, or inf if ``run`` is not ahead at ``t_max``.
    """
    ts = np.union1d(run.times, other.times)
    ts = ts[ts <= t_max]
    behind = np.flatnonzero(run.energy_at(ts) <= other.energy_at(ts))
    if not behind.size:
        return 0.0
    return float(ts[behind[-1] + 1]) if behind[-1] + 1 < ts.size else np.inf


def advantage_window(run, bound):
    """First and last charging time at which ``run``'s energy exceeds ``bound`` (nan if never)."""
    above = run.times[run.energy > bound(run.times)]
    return (float(above[0]), float(above[-1])) if above.size else (np.nan, np.nan)


def relative_gap(a, b):
    """Largest ``|a / b - 1|`` over the entries where ``b`` is not zero (two bounds compared)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    nz = b != 0
    return float(np.max(np.abs(a[nz] / b[nz] - 1)))


def bound_best_power(bound, t_max, n=4001):
    r"""Largest average power of a bound up to ``t_max``, :math:`\max \bar E_{\rm bound}(x)/x`.

    ``bound(omega_tau) -> energy``, evaluated on n points of :math:`(0, t_{max}]`.
    """
    t = np.linspace(t_max / n, t_max, n)
    return float(np.max(bound(t) / t))


def power_ratios(runs, bound, t_max):
    """Best average power of each run to ``t_max`` over the bound's (:func:`bound_best_power`).

    ``runs``: dict of name to :class:`ChargingResult`; returns a dict with the same keys.
    """
    ref = bound_best_power(bound, t_max)
    return {k: run.best_power(t_max) / ref for k, run in runs.items()}


def bound_oscillator(omega_tau):
    r"""Incoherent bound on the oscillator energy, Eq. (15), :math:`R_0x(1 + R_0x/4)`, x = Ωτ.

    Units of E; any shape.
    """
    x = np.asarray(omega_tau, dtype=float)
    return R0 * x * (1 + R0 * x / 4)


def bound_oscillator_damped(omega_tau, gamma):
    r"""Incoherent bound with loss γ between collisions: the solution of (C4) with equality.

    .. math:: \frac{d\bar E}{d(\Omega\tau)} = R_0(1-\gamma)\sqrt{\bar E + 1}
              - \frac{2\gamma}{\pi}\bar E, \qquad \bar E(0) = 0 .

    Parameters
    ----------
    omega_tau : array_like
        Times :math:`\Omega\tau` >= 0.
    gamma : float
        Loss per waiting time, in [0, 1].

    Returns
    -------
    ndarray, same shape as ``omega_tau``
    """
    gamma = _check_unit("gamma", gamma)
    x = np.atleast_1d(np.asarray(omega_tau, dtype=float))
    order = np.argsort(x)
    sol = solve_ivp(
        lambda _, E: R0 * (1 - gamma) * np.sqrt(E + 1) - 2 * gamma / np.pi * E,
        (0.0, max(x.max(), 0.0)),
        [0.0],
        t_eval=x[order],
        rtol=1e-11,
        atol=1e-12,
    )
    out = np.empty_like(x)
    out[order] = sol.y[0]
    return out.reshape(np.shape(omega_tau))


def bound_spin(j, omega_tau, *, printed=False):
    r"""Incoherent bound on the spin energy :math:`\langle J_z\rangle + j`: Eq. (27) with equality.

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
    printed : bool, keyword-only
        Use the initial term as printed in Eq. (28), :math:`\arctan((1-2j)/2)`: the same curve
        delayed in time (energy held at 0 until it starts).

    Returns
    -------
    ndarray, same shape as ``omega_tau``, in [0, 2j]
    """
    b = j + 0.5
    start = np.arctan((1 - 2 * j) / 2) if printed else np.arcsin((0.5 - j) / b)
    phase = start + R0 * np.asarray(omega_tau, dtype=float)
    u = b * np.sin(np.clip(phase, np.arcsin((0.5 - j) / b), np.pi / 2))
    return u - 0.5 + j


def full_charge_time_spin_bound(j, printed=False):
    r"""Shortest incoherent full-charge time :math:`\Omega\tau^*` of a spin j, Eq. (29).

    Parameters
    ----------
    j : float or array_like
    printed : bool, optional
        False (default): from :func:`bound_spin`,
        :math:`[\pi/2 - \arcsin((1/2 - j)/(j + 1/2))]/R_0`. True: the expression printed
        in Eq. (29), :math:`[\arctan((2j+1)/2) - \arctan((1-2j)/2)]/R_0`.

    Returns
    -------
    float or ndarray
    """
    j = np.asarray(j, dtype=float)
    if printed:
        return (np.arctan((2 * j + 1) / 2) - np.arctan((1 - 2 * j) / 2)) / R0
    return (np.pi / 2 - np.arcsin((0.5 - j) / (j + 0.5))) / R0


def full_swap_time(K):
    r"""Oscillator full-swap time, Eq. (17), the exact sum :math:`(\pi/2)\sum_{k\le K}k^{-1/2}`."""
    K = check_count("K", K, 1)
    return float(np.pi / 2 * np.sum(1 / np.sqrt(np.arange(K, 0, -1, dtype=float))))


def full_swap_time_asymptotic(K, terms=2):
    r"""Large-K expansion of the full-swap time, Eq. (17).

    By Euler-Maclaurin, :math:`\sum_{k=1}^K k^{-1/2} = 2\sqrt K + \zeta(1/2) + \tfrac12 K^{-1/2}
    - \tfrac1{24}K^{-3/2} + O(K^{-7/2})` with :math:`\zeta(1/2) = -1.4604`, so

    .. math:: \Omega\tau = \pi\sqrt K + \frac\pi2\zeta(\tfrac12) + \frac{\pi}{4\sqrt K}
              - \frac{\pi}{48K^{3/2}} + \dots

    Parameters
    ----------
    K : float or array_like
    terms : int
        How many terms to keep, 1 to 4 (2: up to the constant).
    """
    K = np.asarray(K, dtype=float)
    parts = [
        np.pi * np.sqrt(K),
        np.pi / 2 * zeta(0.5),
        np.pi / (4 * np.sqrt(K)),
        -np.pi / (48 * K**1.5),
    ]
    if not 1 <= terms <= len(parts):
        raise ValueError(f"terms must lie in [1, {len(parts)}], got {terms}")
    return sum(parts[:terms])


def full_swap_time_spin(j):
    r"""Spin full-swap time, Eq. (30): :math:`\sum_{m=-j}^{j-1} \pi/(2f_+(j, m))`, exact sum."""
    m = np.arange(-j, j - 0.5)
    return float(np.sum(np.pi / (2 * np.sqrt(j * (j + 1) - m * (m + 1)))))


def coherent_limit_oscillator(omega_tau):
    r"""θ → 0 limit for the oscillator, Eqs. (19)-(20): :math:`\bar E = (\Omega\tau)^2/4`."""
    return np.asarray(omega_tau, dtype=float) ** 2 / 4


def coherent_limit_spin(j, omega_tau):
    r"""θ → 0 limit for a spin j, Eqs. (31)-(32): :math:`\bar E = j(1 - \cos\Omega\tau)`."""
    return j * (1 - np.cos(np.asarray(omega_tau, dtype=float)))


def driving_limit_state(ladder, omega_tau, *, q=0.5, alpha=0.0):
    r"""The pure state of the θ → 0 limit, :math:`e^{-i\Omega\tau\sqrt{q(1-q)}V}|0\rangle` (A13).

    :math:`V = e^{-i\alpha}A + e^{i\alpha}A^\dagger`. For the oscillator at q = 1/2, α = 0 this is
    the coherent state :math:`|{-i\Omega\tau/2}\rangle` (Eq. (19), errata); for a spin the rotation
    :math:`e^{-i\Omega\tau J_x}|j, -j\rangle` (Eqs. (31), (32), errata).

    Returns
    -------
    ndarray, shape (d,), complex
    """
    q = _check_unit("q", q)
    # V = P W P^dag with W = A + A^dag real tridiagonal and P = diag(e^{i alpha n})
    w, vecs = eigh_tridiagonal(np.zeros(ladder.dim), ladder.amplitudes)
    psi = vecs @ (np.exp(-1j * omega_tau * np.sqrt(q * (1 - q)) * w) * vecs[0])
    return np.exp(1j * alpha * ladder.n) * psi


def driving_limit_distance(ladder, thetas, omega_tau, *, q=0.5, alpha=0.0):
    r"""Infidelity to the θ → 0 state and impurity of coherent runs, against θ.

    For each θ, :math:`K = \lfloor\Omega\tau/\theta\rfloor` collisions of qubits
    :math:`\rho_Q(q, 1, \alpha)`, then :math:`1 - \langle\psi|\rho|\psi\rangle` with ψ of
    :func:`driving_limit_state` at the reached time :math:`K\theta`, and
    :math:`1 - \mathrm{tr}\rho^2`.

    Returns
    -------
    infidelity, impurity : ndarray, shape (len(thetas),)
    """
    infid, impure = [], []
    for th in thetas:
        run = charge_until(ladder, th, omega_tau, q=q, alpha=alpha, states_at=[omega_tau])
        rho = run.states[run.theta.size]
        psi = driving_limit_state(ladder, run.times[-1], q=q, alpha=alpha)
        infid.append(1 - (psi.conj() @ rho @ psi).real)
        impure.append(1 - np.vdot(rho, rho).real)
    return np.array(infid), np.array(impure)


def optimal_q(ladder, theta, omega_tau, *, c=1.0, bracket=(0.05, 0.95), xtol=1e-4):
    r"""The qubit population q that maximizes the energy at :math:`\Omega\tau` (constant θ).

    Bounded scalar search of :func:`charge_until` over q in ``bracket`` (qubits
    :math:`\rho_Q(q, c, 0)`).

    Returns
    -------
    q_best, E_best : float
    """
    res = minimize_scalar(
        lambda x: -charge_until(ladder, theta, omega_tau, q=x, c=c).energy[-1],
        bounds=bracket,
        method="bounded",
        options={"xatol": xtol},
    )
    return float(res.x), float(-res.fun)


def optimal_q_limit(ladder, thetas, omega_tau, *, bracket=(0.2, 0.6)):
    r""":func:`optimal_q` for each θ and its linear extrapolation to θ → 0 from the two smallest.

    Returns
    -------
    q_best : ndarray, shape (len(thetas),)
    q_limit : float
    """
    thetas = np.asarray(thetas, dtype=float)
    q_best = np.array([optimal_q(ladder, th, omega_tau, bracket=bracket)[0] for th in thetas])
    small = np.argsort(thetas)[:2]
    return q_best, float(np.polyfit(thetas[small], q_best[small], 1)[-1])


def alpha_spread(ladder, theta, omega_tau, alphas=(0.0, 0.7, 2.0)):
    r"""Relative spread :math:`(\max - \min)/E(\alpha_0)` of the energy over qubit phases α.

    :func:`charge_until` with qubits :math:`\rho_Q(1/2, 1, \alpha)`; the phase is removed exactly
    by :math:`e^{i\alpha N}`, so the spread is rounding.
    """
    E = [charge_until(ladder, theta, omega_tau, alpha=a).energy[-1] for a in alphas]
    return float(np.ptp(E) / E[0])


def advantage_onset(
    ladder, theta, omega_tau_max, *, bound=bound_oscillator, q=0.5, loss=0.0, read_before_loss=False
):
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
    bound : callable, keyword-only
        ``bound(omega_tau) -> energy``, by default Eq. (15) without loss (as in Fig. 4).
    q, loss : float, keyword-only
        Qubit ground-state population, Eq. (1), and loss γ, Eq. (21).
    read_before_loss : bool, keyword-only
        Compare the energy right after each collision instead of after the loss.

    Returns
    -------
    float
        :math:`\Omega\tau_{ad}`, or nan if the bound is not beaten up to ``omega_tau_max``.

    Raises
    ------
    ValueError
        For theta <= 0 and the errors of :func:`charge_coherent`.
    """
    run = charge_until(
        ladder,
        theta,
        omega_tau_max,
        q=q,
        loss=loss,
        read_before_loss=read_before_loss,
        stop=lambda t, E: E > bound(t),
    )
    t = run.times[-1]
    return float(t) if t > 0 and run.energy[-1] > bound(t) else np.nan


def advantage_margin(ladder, theta, omega_tau_max, *, bound=bound_oscillator, q=0.5, loss=0.0):
    r"""Largest excess of constant-θ coherent charging over a bound after its initial dip.

    :math:`\delta_k = \bar E_k - \bar E_{\rm bound}(k\theta)` starts at 0 and first falls (the bound
    grows linearly, the coherent energy quadratically); the margin is the largest
    :math:`\delta_k` from its first local minimum on (:math:`\delta_K` if it never turns up).
    Positive exactly when :func:`advantage_onset` is finite; a continuous function of θ and γ
    for root finding.
    """
    run = charge_until(ladder, theta, omega_tau_max, q=q, loss=loss)
    delta = run.energy[1:] - bound(run.times[1:])
    turn = np.flatnonzero(np.diff(delta) > 0)
    return float(delta[turn[0] :].max() if turn.size else delta[-1])


def advantage_threshold(
    ladder, omega_tau, bound, theta_lo, theta_hi, *, q=0.5, xtol=1e-5, strict=True
):
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
    q : float, keyword-only
        Qubit ground-state population, Eq. (1).
    xtol : float, keyword-only
        Absolute tolerance in θ (radians).
    strict : bool, keyword-only
        If False, return nan instead of raising when the bracket does not hold (other
        parameters can move the threshold out of it).

    Returns
    -------
    float
        Threshold angle in radians.

    Raises
    ------
    ValueError
        If the bracket is not ordered and positive, or (strict) f does not go from + at
        theta_lo to − at theta_hi.
    """
    if not 0 < theta_lo < theta_hi:
        raise ValueError(f"need 0 < theta_lo < theta_hi, got {theta_lo}, {theta_hi}")

    def margin(theta):
        run = charge_until(ladder, theta, omega_tau, q=q)
        return run.energy[-1] - float(bound(run.times[-1]))

    f_lo, f_hi = margin(theta_lo), margin(theta_hi)
    if not (f_lo > 0 > f_hi):
        if not strict:
            return np.nan
        raise ValueError(
            f"theta_lo, theta_hi do not bracket the threshold: energy minus bound is "
            f"{f_lo:.3g} at theta_lo and {f_hi:.3g} at theta_hi (need + and -)"
        )
    return brentq(margin, theta_lo, theta_hi, xtol=xtol)


def advantage_edge(
    ladder, theta_in, theta_out, omega_tau_max, *, q=0.5, loss=0.0, xtol=1e-5, strict=True
):
    r"""Where the swap angles with an advantage end, between ``theta_in`` (one) and ``theta_out``.

    Bisection on whether :func:`advantage_onset` is finite, to ``xtol`` (radians); works on
    either side (``theta_out`` may be smaller or larger).

    With ``strict=False`` an invalid bracket gives nan instead of an error.

    Raises
    ------
    ValueError
        If ``theta_in`` has no advantage or ``theta_out`` has one (strict).
    """

    def has(theta):
        return np.isfinite(advantage_onset(ladder, theta, omega_tau_max, q=q, loss=loss))

    if not has(theta_in) or has(theta_out):
        if not strict:
            return np.nan
        raise ValueError("theta_in must show an advantage and theta_out none")
    a, b = theta_in, theta_out
    while abs(b - a) > xtol:
        mid = 0.5 * (a + b)
        a, b = (mid, b) if has(mid) else (a, mid)
    return 0.5 * (a + b)


def critical_loss(
    ladder,
    omega_tau_max,
    theta_bracket,
    gamma_lo,
    gamma_hi,
    *,
    q=0.5,
    xtol=1e-6,
    theta_rtol=0.02,
    rounds=2,
    strict=True,
):
    r"""The loss γ_c above which no swap angle beats Eq. (15) up to ``omega_tau_max``.

    :math:`\gamma_c = \max_\theta\gamma^*(\theta)`, where :math:`\gamma^*(\theta)` is the root in γ
    of :func:`advantage_margin`. Alternating search: the best θ at ``gamma_lo`` (bounded scalar
    search in ``theta_bracket``), then ``rounds`` times the root :math:`\gamma^*(\theta)` (Brent)
    and the best θ at that γ within a factor 1.25; the result is :math:`\gamma^*` at the last θ.
    At the maximum the margin is flat in θ, so an error δθ changes γ_c only at order δθ².

    Parameters
    ----------
    theta_rtol : float, keyword-only
        Relative tolerance of the θ searches.
    strict : bool, keyword-only
        If False, return (nan, nan) instead of raising when the brackets do not hold.

    Returns
    -------
    gamma_c : float
    theta_c : float
        The swap angle of the last advantage.

    Raises
    ------
    ValueError
        If the margin is not positive at gamma_lo (best θ) and negative at gamma_hi (strict).
    """

    def margin(theta, gamma):
        return advantage_margin(ladder, theta, omega_tau_max, q=q, loss=gamma)

    def best_theta(gamma, lo, hi):
        res = minimize_scalar(
            lambda th: -margin(th, gamma),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": theta_rtol * lo},
        )
        return res.x, -res.fun

    theta, m_lo = best_theta(gamma_lo, *theta_bracket)
    if not m_lo > 0 or not margin(theta, gamma_hi) < 0:
        if not strict:
            return np.nan, np.nan
        raise ValueError("the margin must be positive at gamma_lo and negative at gamma_hi")
    for _ in range(rounds):
        gamma = brentq(lambda g, th=theta: margin(th, g), gamma_lo, gamma_hi, xtol=xtol)
        theta, _ = best_theta(gamma, theta / 1.25, theta * 1.25)
    gamma = brentq(lambda g: margin(theta, g), gamma_lo, gamma_hi, xtol=xtol)
    return float(gamma), float(theta)


def onset_map(ladder, thetas, gammas, omega_tau_max, *, q=0.5):
    r""":func:`advantage_onset` on a grid: rows are losses γ, columns swap angles θ.

    Returns
    -------
    ndarray, shape (len(gammas), len(thetas))
        nan where the bound (15) is not beaten up to ``omega_tau_max``.
    """
    return np.array(
        [[advantage_onset(ladder, th, omega_tau_max, q=q, loss=g) for th in thetas] for g in gammas]
    )


@dataclass(frozen=True)
class LossStudy:
    """Fig. 4: onsets on a grid, where the loss-free curve ends, and the critical loss.

    Attributes
    ----------
    thetas, gammas : ndarray
        The grid (θ in radians).
    tau : ndarray, shape (len(gammas), len(thetas))
        :func:`onset_map`.
    edge, tau_edge : float
        Where the advantage ends at γ = 0 (radians, :func:`advantage_edge`, between the last
        grid angle with an advantage and the next) and the last onset time there.
    gamma_c, theta_c : float
        :func:`critical_loss` and the angle of the last advantage.
    """

    thetas: np.ndarray
    gammas: np.ndarray
    tau: np.ndarray
    edge: float
    tau_edge: float
    gamma_c: float
    theta_c: float


def loss_study(
    ladder, thetas, gammas, omega_tau_max, *, q=0.5, gamma_bracket=(2e-3, 2.5e-3), theta_bracket
):
    r"""Everything Fig. 4 needs: :func:`onset_map`, the end of the γ = 0 curve, γ_c.

    Parameters
    ----------
    thetas : array_like
        Swap angles (radians), increasing; ``gammas[0]`` should be 0.
    gamma_bracket, theta_bracket : (float, float), keyword-only
        Losses with and without an advantage, and the swap angles (radians) searched, for
        :func:`critical_loss`.

    Returns
    -------
    LossStudy
        nan for the edge or γ_c when their brackets do not hold.
    """
    thetas, gammas = np.asarray(thetas, dtype=float), np.asarray(gammas, dtype=float)
    tau = onset_map(ladder, thetas, gammas, omega_tau_max, q=q)
    ok = np.flatnonzero(np.isfinite(tau[0]))
    k = min(ok[-1], thetas.size - 2) if ok.size else 0
    xtol = 1e-5 * np.pi
    edge = advantage_edge(
        ladder, thetas[k], thetas[k + 1], omega_tau_max, q=q, xtol=xtol, strict=False
    )
    tau_edge = advantage_onset(ladder, edge - xtol, omega_tau_max, q=q) if edge > 0 else np.nan
    gamma_c, theta_c = critical_loss(
        ladder, omega_tau_max, theta_bracket, *gamma_bracket, q=q, xtol=1e-5, rounds=1, strict=False
    )
    return LossStudy(thetas, gammas, tau, float(edge), float(tau_edge), gamma_c, theta_c)


def random_schedule_excess(ladder, n_schedules, n_steps, *, losses=(0.0,), seed=0):
    r"""Largest excess of random incoherent schedules over the bound (15), or (C4) with loss.

    Each schedule has ``n_steps`` collisions with swap angles uniform in :math:`[0, \pi/2]` and
    qubit populations q uniform in [0, 1] (:func:`charge_incoherent`); the excess is
    :math:`\max_k (\bar E_k - \bar E_{\rm bound}(\Omega\tau_k))` over all steps and schedules, so a
    bound that holds gives a negative number. Every schedule is run with each of ``losses``.
    """
    rng = np.random.default_rng(seed)
    worst = -np.inf
    for _ in range(n_schedules):
        thetas, qs = rng.uniform(0, np.pi / 2, n_steps), rng.uniform(0, 1, n_steps)
        for loss in losses:
            run = charge_incoherent(ladder, thetas, q=qs, loss=loss)
            excess = run.energy[1:] - bound_oscillator_damped(run.times[1:], loss)
            worst = max(worst, np.max(excess))
    return float(worst)


def plot_charging(fig, ax, x=None, *, coherent=None, curves=(), greedy=None, swap=None, t_max=None):
    r"""Draw one panel of energy against charging time (Figs. 3, 5, 6) on a ``qbkit.book.Figure``.

    Every curve is recorded in the figure's CSV with its unit (energies ``E``, times
    ``1/Omega``): coherent runs as ``E(theta=...pi)`` against ``Omega_tau(theta=...pi)``,
    greedy runs as ``E(greedy_<objective>)``, the full swaps as ``E(full_swap)``.

    Parameters
    ----------
    fig : qbkit.book.Figure
        Its default x column must be the charging time on ``x``.
    ax : matplotlib Axes
        One of ``fig.axes``.
    x : ndarray, optional
        Shared times of ``curves``.
    coherent : dict of float to ChargingResult, optional
        Swap angle in units of π -> run; drawn in shades of blue, light to dark, with markers.
    curves : sequence of (y, fmt, name, label[, style])
        Curves on ``x``; ``style`` a dict of matplotlib keywords.
    greedy : dict of str to ChargingResult, optional
        Objective -> run; black, solid for ``"cumulative"`` and dotted for ``"per_step"``; an
        open circle marks where a cumulative run got stuck (:attr:`ChargingResult.stuck_at`).
    swap : ChargingResult, optional
        The full swaps, black dash-dotted, up to ``t_max``.
    """
    from matplotlib import colormaps

    coherent = coherent or {}
    shades = colormaps["Blues"](np.linspace(0.45, 1.0, max(len(coherent), 1)))
    for (th, run), shade, mk in zip(coherent.items(), shades, "osv^Dp"):
        tag = f"(theta={th:g}pi)"
        fig.plot(
            ax,
            run.times,
            run.energy,
            color=shade,
            marker=mk,
            markevery=0.1,
            ms=3,
            name="E" + tag,
            unit="E",
            x_name="Omega_tau" + tag,
            x_unit="1/Omega",
            label=rf"$\theta = {th:g}\pi$",
        )
    for y, fmt, name, label, *style in curves:
        fig.plot(ax, x, y, fmt, name=name, unit="E", label=label, **(style[0] if style else {}))
    for objective, run in (greedy or {}).items():
        if np.isfinite(run.stuck_at):
            label = "no angle raises the average power"
            ax.plot(run.stuck_at, run.energy_at(run.stuck_at), "ko", mfc="none", label=label)
        tag = f"(greedy_{objective})"
        fig.plot(
            ax,
            run.times,
            run.energy,
            color="k",
            lw=1.0,
            ls="-" if objective == "cumulative" else (0, (1, 1)),
            name="E" + tag,
            unit="E",
            x_name="Omega_tau" + tag,
            x_unit="1/Omega",
            label=f"greedy ({objective.replace('_', ' ')})",
        )
    if swap is not None:
        k = swap.index_at(t_max) + 1 if t_max is not None else swap.times.size
        fig.plot(
            ax,
            swap.times[:k],
            swap.energy[:k],
            "k-.",
            name="E(full_swap)",
            unit="E",
            x_name="Omega_tau(full_swap)",
            x_unit="1/Omega",
            label="full swap",
        )


def plot_distributions(fig, ladder, times, coherent, greedy, swap, coherent_label):
    r"""Fig. 2: energy distributions at several times, one panel per time of ``fig.axes``.

    Each panel shows the populations of the coherent run (blue, solid) and of the greedy
    run (black, dashed) with their mean energies (dotted verticals), the full swaps' energy
    (grey, dash-dotted) and the energies allowed by Eq. (15) (grey band). The CSV gets
    ``p_coherent(Omega_tau=t)`` and ``p_greedy_per_step(Omega_tau=t)`` against the level n.

    Parameters
    ----------
    fig : qbkit.book.Figure
        With as many panels as ``times`` and a default x column for the levels.
    ladder : Ladder
    times : sequence of float
        Charging times; ``coherent`` and ``greedy`` must have kept their states there.
    coherent, greedy, swap : ChargingResult
    coherent_label : str
    """
    for ax, t in zip(fig.axes, times):
        p_coh = ladder.populations(coherent.state_at(t))
        p_inc = greedy.state_at(t)
        ax.axvspan(0, float(bound_oscillator(t)), color="0.9", lw=0, label="allowed by (15)")
        name = f"p_coherent(Omega_tau={t:g})"
        fig.plot(ax, ladder.n, p_coh, color="C0", name=name, unit="1", label=coherent_label)
        name = f"p_greedy_per_step(Omega_tau={t:g})"
        fig.plot(ax, ladder.n, p_inc, "k--", name=name, unit="1", label="greedy (per step)")
        ax.axvline(ladder.n @ p_coh, color="C0", ls=":", label=r"coherent, $\bar E$")
        ax.axvline(ladder.n @ p_inc, color="k", ls=":", label=r"greedy, $\bar E$")
        ax.axvline(swap.energy_at(t), color="0.45", ls="-.", label=r"full swap, $\bar E$")
        ax.set(xlabel="level $n$", ylabel="population", title=rf"$\Omega\tau = {t:g}$")
        ax.set_xlim(0, max(20, 1.6 * ladder.n @ p_coh))


def plot_onsets(fig, study, t_max):
    r"""Fig. 4: (a) :math:`\Omega\tau_{ad}` against θ/π for each loss γ, (b) where there is none.

    Parameters
    ----------
    fig : qbkit.book.Figure
        Two panels; default x column θ/π.
    study : LossStudy
        The onsets (nan: no advantage up to ``t_max``), the end of the γ = 0 curve (a bar in
        (a)) and the critical loss (a dashed line in (b)).
    """
    thetas, gammas, tau = study.thetas / np.pi, study.gammas, study.tau
    edge, tau_edge, gamma_c = study.edge / np.pi, study.tau_edge, study.gamma_c
    a, b = fig.axes
    unit = f"1/Omega; nan: no advantage up to Omega*tau = {t_max:.4g}"
    for g, row, mk in zip(gammas, tau, "osv^Dp"):
        ok, kw = np.isfinite(row), dict(name=f"Omega_tau_ad(gamma={g:g})", unit=unit)
        color = fig.plot(a, thetas, row, marker=mk, label=rf"$\gamma = {g:g}$", **kw)[0].get_color()
        b.plot(thetas[ok], np.full(ok.sum(), g), mk, color=color)
        label = None if g else "no advantage"
        b.plot(thetas[~ok], np.full((~ok).sum(), g), "x", color="0.55", label=label)
    a.plot(edge, tau_edge, "k|", ms=14, mew=1.5, label=r"end, $\gamma = 0$")
    b.axhline(gamma_c, color="k", ls="--", lw=1.0, label=rf"$\gamma_c = {gamma_c:.3g}$")
    fig.record("theta_edge_over_pi(gamma=0)", [edge], "pi rad")
    fig.record("gamma_c", [gamma_c], "probability per waiting time")
    a.set(xlabel=r"swap angle $\theta/\pi$", ylabel=r"first advantage $\Omega\tau_{ad}$")
    b.set(xlabel=r"swap angle $\theta/\pi$", ylabel=r"loss per waiting time $\gamma$")
    a.set_ylim(top=1.3 * np.nanmax(tau))  # room for the legend above the curves
    b.set_ylim(top=1.45 * max(np.max(gammas), np.nan_to_num(gamma_c)))
    a.legend(ncol=3, loc="upper center")
    b.legend(ncol=2, loc="upper center")


GREEDY_RULES = [("per_step", "stop", n) for n in (100, 1600)] + [
    ("cumulative", rule, n)
    for rule, n in [
        ("per_step", 100),
        ("per_step", 1600),
        ("stop", 400),
        ("argmax", 100),
        ("argmax", 400),
    ]
]


def greedy_rules(ladder, omega_tau_max, configs=GREEDY_RULES):
    """Greedy runs for several ``(objective, when_stuck, n_grid)``: one table row each.

    The default configurations compare both objectives on search grids of 100 to 1600 angles,
    and the three rules for a cumulative run that gets stuck.

    Returns
    -------
    list of list
        ``[objective, when_stuck, n_grid, stuck_at, last time, energy at the end]``.
    """
    rows = []
    for objective, rule, n in configs:
        run = charge_greedy(ladder, omega_tau_max, objective=objective, when_stuck=rule, n_grid=n)
        rows.append([objective, rule, n, run.stuck_at, run.times[-1], run.energy[-1]])
    return rows


def largest_change(runs, others, times):
    """Largest ``|E_a(t) - E_b(t)|`` over matching runs of two dicts, for each of ``times``."""
    return [max(abs(runs[k].energy_at(t) - others[k].energy_at(t)) for k in runs) for t in times]


def largest_excess(pairs):
    """Largest ``E_k - bound(t_k)`` over ``(run, bound)`` pairs (negative when all bounds hold)."""
    return max(float(np.max(run.energy - bound(run.times))) for run, bound in pairs)


def small_angle_generator(ladder, rho, theta, *, q=0.5, c=1.0, alpha=0.0):
    r"""The second-order generator of one collision, Eqs. (A12) and (A13).

    .. math:: \mathcal L\rho \approx \theta^2\left(q\mathcal D[A]
              + (1-q)\mathcal D[A^\dagger]\right)\rho
              - ic\sqrt{q(1-q)}\,\theta\,[e^{-i\alpha}A + e^{i\alpha}A^\dagger, \rho]

    (the drive enters with the coherent fraction c of
    :math:`\rho_Q = c\rho_Q^{coh} + (1-c)\rho_Q^{inc}`).

    Returns
    -------
    ndarray, shape (d, d)
    """
    A = ladder.lowering()
    gen = theta**2 * (q * dissipator(A, rho) + (1 - q) * dissipator(A.T, rho))
    V = np.exp(-1j * alpha) * A + np.exp(1j * alpha) * A.T
    return gen - 1j * c * np.sqrt(q * (1 - q)) * theta * (V @ rho - rho @ V)


def small_angle_remainders(ladder, thetas, *, q=0.5, c=1.0, alpha=0.0, seed=0):
    r"""Largest entry of :math:`\Phi\rho - \rho - \mathcal L\rho`, with L of (A12)-(A13), per θ.

    On one random battery state; the remainder should fall like :math:`\theta^3` for coherent
    qubits (c > 0) and :math:`\theta^4` for incoherent ones (odd orders cancel).

    Returns
    -------
    ndarray, shape (len(thetas),)
    """
    rng = np.random.default_rng(seed)
    d = ladder.dim
    X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = X @ X.conj().T / np.trace(X @ X.conj().T)
    out = []
    for th in thetas:
        step = CollisionChannel(ladder, th, q=q, c=c, alpha=alpha).apply(rho) - rho
        gen = small_angle_generator(ladder, rho, th, q=q, c=c, alpha=alpha)
        out.append(np.abs(step - gen).max())
    return np.array(out)


def small_angle_orders(ladder, thetas, *, q=0.5, seed=0):
    """:func:`small_angle_remainders` for coherent (c = 1) and incoherent (c = 0) qubits, and the
    orders fitted to them (slope of log remainder against log θ).

    Returns
    -------
    remainders : dict of int to ndarray
        Keyed by c (1, 0).
    orders : dict of int to float
    """
    rem = {c: small_angle_remainders(ladder, thetas, q=q, c=c, seed=seed) for c in (1, 0)}
    orders = {c: float(np.polyfit(np.log(thetas), np.log(r), 1)[0]) for c, r in rem.items()}
    return rem, orders


def uniform_ladder_generator(
    ladder,
    rho,
    theta,
    *,
    q=0.5,
    alpha=0.0,
    coherent=True,
    swap_projectors=False,
    flip_alpha=False,
    swap_q=False,
    reflect=False,
    flip_i=False,
):
    r"""The generators of Appendix B for a uniform ladder: Eq. (B2) (incoherent) or (B3) (coherent).

    Uses the last lines of (B2) and (B3), with :math:`P_0 = |0\rangle\langle 0|`,
    :math:`P_N = |N\rangle\langle N|`, :math:`s = \sin\theta`, :math:`k = 1 - \cos\theta`:

    .. math::
        \mathcal L_{inc}\rho &= s^2\left(q\mathcal D[A] + (1-q)\mathcal D[A^\dagger]\right)\rho
            + k^2\left(q\mathcal D[P_0] + (1-q)\mathcal D[P_N]\right)\rho, \\
        \mathcal L_{coh}\rho &= -i\sqrt{q(1-q)}\,s\cos\theta\,
            [e^{-i\alpha}A + e^{i\alpha}A^\dagger, \rho]
            + \mathcal D[\sqrt q\,sA + i\sqrt{1-q}e^{i\alpha}kP_0]\rho
            + \mathcal D[\sqrt{1-q}\,sA^\dagger + ie^{-i\alpha}\sqrt q\,kP_N]\rho .

    The keywords change one convention each, to test whether any reading of the printed
    formula reproduces the exact channel: ``swap_projectors`` exchanges :math:`P_0` and
    :math:`P_N` in the coherent dissipators; ``flip_alpha`` uses −α; ``swap_q`` exchanges q and
    1 − q; ``reflect`` counts the levels from the top (:math:`A\leftrightarrow A^\dagger`,
    :math:`P_0\leftrightarrow P_N`); ``flip_i`` replaces i by −i.

    Parameters
    ----------
    ladder : Ladder
        A uniform ladder (``Ladder.uniform``).
    rho : ndarray, shape (d, d)
    theta, q, alpha : float
        Swap angle and qubit state, Eq. (1).

    Returns
    -------
    ndarray, shape (d, d)

    Raises
    ------
    ValueError
        If the ladder is not uniform.
    """
    if not np.allclose(ladder.amplitudes, 1.0):
        raise ValueError("Appendix B applies to a uniform ladder (Ladder.uniform)")
    A, P0, PN = ladder.lowering(), ladder.projector(0), ladder.projector(-1)
    if reflect:
        A, P0, PN = A.T, PN, P0
    if swap_q:
        q = 1 - q
    al = -alpha if flip_alpha else alpha
    i = -1j if flip_i else 1j
    s, k = np.sin(theta), 1 - np.cos(theta)
    if not coherent:
        return s**2 * (q * dissipator(A, rho) + (1 - q) * dissipator(A.T, rho)) + k**2 * (
            q * dissipator(P0, rho) + (1 - q) * dissipator(PN, rho)
        )
    first, second = (PN, P0) if swap_projectors else (P0, PN)
    V = np.exp(-i * al) * A + np.exp(i * al) * A.T
    drive = -i * np.sqrt(q * (1 - q)) * s * np.cos(theta) * (V @ rho - rho @ V)
    return (
        drive
        + dissipator(np.sqrt(q) * s * A + i * np.sqrt(1 - q) * np.exp(i * al) * k * first, rho)
        + dissipator(np.sqrt(1 - q) * s * A.T + i * np.exp(-i * al) * np.sqrt(q) * k * second, rho)
    )


UNIFORM_CASES = ((0.3, 0.5, 0.0), (0.9, 0.2, 0.7), (1.7, 0.8, -1.1), (0.05, 0.5, 2.0))


def uniform_ladder_residuals(d, cases=UNIFORM_CASES, *, seed=0):
    r"""Largest difference between Appendix B's generators and the exact channel, per reading.

    For a uniform ladder of d levels, random states and each ``(theta, q, alpha)`` of
    ``cases`` (default: four angles from 0.05 to 1.7 with several q and α), compares
    :func:`uniform_ladder_generator` with :math:`\Phi\rho - \rho` from the
    dense unitary and partial trace (:func:`~qbkit.collision.collide_exact`).

    Returns
    -------
    dict
        ``"B2"``: the residual of (B2); ``"B3"``: of (B3) as printed; ``"B3 swapped"``: with
        the projectors exchanged; ``"B3 best other reading"``: the smallest residual of (B3)
        over every combination of the four other conventions of
        :func:`uniform_ladder_generator` (each with the projectors as printed).
    """
    lad = Ladder.uniform(d)
    rng = np.random.default_rng(seed)
    flags = ("flip_alpha", "swap_q", "reflect", "flip_i")
    readings = [dict(zip(flags, combo)) for combo in itertools.product((False, True), repeat=4)]
    res = {"B2": 0.0, "B3": 0.0, "B3 swapped": 0.0}
    other = np.zeros(len(readings) - 1)
    for theta, q, alpha in cases:
        X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        rho = X @ X.conj().T / np.trace(X @ X.conj().T)

        exact = {c: collide_exact(lad, rho, theta, qubit_state(q, c, alpha)) - rho for c in (0, 1)}
        args = (lad, rho, theta)

        def gap(c, args=args, q=q, alpha=alpha, exact=exact, **kw):
            gen = uniform_ladder_generator(*args, q=q, alpha=alpha, coherent=c == 1, **kw)
            return np.abs(gen - exact[c]).max()

        res["B2"] = max(res["B2"], gap(0.0))
        res["B3"] = max(res["B3"], gap(1.0))
        res["B3 swapped"] = max(res["B3 swapped"], gap(1.0, swap_projectors=True))
        other = np.maximum(other, [gap(1.0, **kw) for kw in readings[1:]])
    res["B3 best other reading"] = float(other.min())
    return res
