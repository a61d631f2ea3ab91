r"""Ensemble quantum battery: π-pulse charging, storage, collective release (Pirmoradian & Mølmer).

N emitters are charged by an instantaneous π pulse, store their energy while only
individual emission (rate ``gamma``) acts (cavity detuned, Γ = 0), and release it
by collective, Purcell-enhanced emission Γ into a cavity tuned into resonance,
Eq. (5). The protocols here run on either solver of that master equation:
:class:`qbkit.cumulants.CumulantEnsemble` (the paper's second-order mean-field
theory) or :class:`qbkit.dicke.DickeEnsemble` (exact, permutation invariant). Both
provide ``ground()``, ``pi_pulse(state)``, ``evolve(state, tlist, gamma, Gamma)``
(an :class:`~qbkit.dicke.EnsembleEvolution`), ``Jz(states)`` and ``J2(states)``.

The limit cycle of repeated pulse → storage τ_s → discharge τ_d has two exact tools for
the Dicke solver. After a complete collective release the state lies on the dark
states :math:`|j, -j\rangle`, which individual emission maps among themselves; one cycle
is then a stochastic map of the N/2 + 1 dark-state populations (:func:`dark_cycle_map`),
whose fixed point is the limit cycle (:func:`limit_cycle`). As τ → 0 the map becomes
:math:`1 + \tau_s A_{top} + \tau_d A_{bottom}`, a birth-death process in j whose
stationary distribution is the exact small-τ limit (:func:`small_tau_limit`).

Energies are in units of the transition energy :math:`\hbar\omega_s`, times in 1/gamma
when gamma = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import brentq, root

from .._checks import check_count, check_positive, check_rates
from ..cumulants import CumulantEnsemble
from ..dicke import DickeEnsemble, individual_emission_rates
from ..series import extrapolate_to_zero

__all__ = [
    "PULSE",
    "spin_length",
    "Protocol",
    "Trace",
    "run_protocol",
    "Release",
    "release_run",
    "Burst",
    "burst",
    "trace_difference",
    "CycleResult",
    "cycle_until_converged",
    "DarkCycleMap",
    "dark_cycle_map",
    "SpinDistribution",
    "LimitCycle",
    "limit_cycle",
    "small_tau_limit",
    "SmallTauSequence",
    "small_tau_sequence",
    "spin_square_rates",
    "limit_cycle_spin_length",
    "limit_cycle_spin_length_first_order",
    "limit_cycle_spin_length_large_N",
    "sharp_spin_shift",
    "balance_readings",
    "ReleaseScan",
    "release_scan",
    "LimitCycleScan",
    "limit_cycle_scan",
]

PULSE = "pulse"


def spin_length(J2):
    r"""Effective spin length S from :math:`S(S+1) = \langle\vec S^2\rangle` (text below Eq. (7)).

    Parameters
    ----------
    J2 : float or array_like
        :math:`\langle\vec S^2\rangle >= -1/4`.

    Returns
    -------
    float or ndarray
        :math:`S = -1/2 + \sqrt{1/4 + \langle\vec S^2\rangle}`.
    """
    return -0.5 + np.sqrt(0.25 + np.asarray(J2, dtype=float))


@dataclass(frozen=True)
class Protocol:
    """One charging cycle: π pulse, storage τ_s (Γ = 0), discharge τ_d (collective rate Γ).

    Attributes
    ----------
    tau_s, tau_d : float
        Storage and discharge durations (1/gamma), > 0.
    gamma : float
        Individual emission rate, > 0.
    Gamma : float
        Collective emission rate while the cavity is tuned in, >= 0.

    Raises
    ------
    ValueError
        If a duration or gamma is not positive, or Gamma is negative.
    """

    tau_s: float
    tau_d: float
    gamma: float = 1.0
    Gamma: float = 1600.0

    def __post_init__(self):
        check_positive(tau_s=self.tau_s, tau_d=self.tau_d, gamma=self.gamma)
        check_rates(Gamma=self.Gamma)

    def shrunk(self, factor, Gamma_power=2):
        r"""Both durations divided by ``factor``, Γ multiplied by ``factor**Gamma_power``.

        The release must stay complete (its slowest collective step, out of
        :math:`|j, -j+1\rangle`, has rate 2jΓ, so Γτ_d must stay large) and collective
        (its duration, about :math:`2\ln(2j)/((2j+1)\Gamma)`, must become negligible
        against τ_d). Γ ∝ 1/τ keeps both fixed; Γ ∝ 1/τ² makes the release's share of
        the cycle vanish like τ, so that it joins the other corrections linear in τ.
        """
        check_positive(factor=factor)
        tau_s, tau_d = self.tau_s / factor, self.tau_d / factor
        return replace(self, tau_s=tau_s, tau_d=tau_d, Gamma=self.Gamma * factor**Gamma_power)


@dataclass(frozen=True)
class Trace:
    """A protocol's time series (one row per sample; a pulse repeats the time).

    Attributes
    ----------
    times : ndarray, shape (n,)
        Times; a pulse adds a second sample at the same time.
    M : ndarray, shape (n,)
        :math:`M = \\langle S_z\\rangle`.
    J2 : ndarray, shape (n,)
        :math:`\\langle\\vec S^2\\rangle`.
    emitted : ndarray, shape (n,)
        Energy emitted into the cavity since the start (cumulative).
    phase : ndarray of str, shape (n,)
        What produced each sample: ``"start"``, ``"pulse"``, or the segment's label
        (default ``"storage"`` for Γ = 0, ``"discharge"`` otherwise).
    state : ndarray
        Solver state after the last sample.
    segment_states : tuple of ndarray
        Solver state after each segment (pulses included), in order.
    """

    times: np.ndarray
    M: np.ndarray
    J2: np.ndarray
    emitted: np.ndarray
    phase: np.ndarray
    state: np.ndarray
    segment_states: tuple = ()

    @property
    def S(self):
        """Effective spin length S(t), shape (n,)."""
        return spin_length(self.J2)

    def where(self, phase, joined=True):
        """Indices of the samples of ``phase`` (with ``joined``, and the sample before the first).

        Raises
        ------
        ValueError
            If no sample has that phase.
        """
        k = np.flatnonzero(self.phase == phase)
        if not k.size:
            raise ValueError(f"no sample with phase {phase!r}")
        return np.r_[k[0] - 1, k] if joined and k[0] > 0 else k

    def last(self, phase):
        """Index of the last sample of ``phase``."""
        return int(self.where(phase, joined=False)[-1])


class _Recorder:
    """Collects samples as arrays and builds a :class:`Trace` once."""

    def __init__(self, ensemble, state, t0, keep_states=True):
        self.parts = {k: [] for k in ("times", "M", "J2", "emitted", "phase")}
        self.keep_states = keep_states
        self.t, self.emitted, self.states = float(t0), 0.0, []
        self.add(np.array([self.t]), ensemble.Jz(state), ensemble.J2(state), np.zeros(1), "start")

    def add(self, times, M, J2, emitted, phase):
        for k, v in zip(("times", "M", "J2", "emitted"), (times, M, J2, emitted)):
            self.parts[k].append(np.atleast_1d(np.asarray(v, float)))
        phases = np.full(np.size(times), "", dtype="<U12")
        phases[:] = phase  # one label, or one per sample
        self.parts["phase"].append(phases)

    def trace(self, state):
        arrays = {k: np.concatenate(v) for k, v in self.parts.items()}
        return Trace(**arrays, state=state, segment_states=tuple(self.states))


def _segment(seg):
    if isinstance(seg, str):
        if seg != PULSE:
            raise ValueError(
                f"unknown segment {seg!r}; use PULSE or (duration, Gamma, n_points[, label])"
            )
        return None
    if len(seg) not in (3, 4):
        raise ValueError(f"a segment is (duration, Gamma, n_points[, label]), got {seg!r}")
    duration, Gamma, n_points = seg[:3]
    check_positive(duration=duration)
    check_rates(Gamma=Gamma)
    check_count("n_points", n_points, 2)
    label = seg[3] if len(seg) == 4 else ("storage" if Gamma == 0 else "discharge")
    return float(duration), float(Gamma), int(n_points), str(label)


def _run(rec, ensemble, state, segments, gamma):
    for seg in segments:
        spec = _segment(seg)
        if spec is None:
            state = ensemble.pi_pulse(state)
            rec.add([rec.t], ensemble.Jz(state), ensemble.J2(state), [rec.emitted], PULSE)
            if rec.keep_states:
                rec.states.append(state)
            continue
        duration, Gamma, n_points, label = spec
        tlist = np.linspace(0.0, duration, n_points)
        ev = ensemble.evolve(state, tlist, gamma, Gamma)
        state = ev.states[-1]
        rec.add(rec.t + tlist[1:], ev.M[1:], ev.J2[1:], rec.emitted + ev.emitted[1:], label)
        rec.t, rec.emitted = rec.t + duration, rec.emitted + ev.emitted[-1]
        if rec.keep_states:
            rec.states.append(state)
    return state


def run_protocol(ensemble, state0, segments, *, gamma, t0=0.0):
    r"""Apply pulses and constant-rate segments in order, recording M, ⟨S²⟩ and the emitted energy.

    Parameters
    ----------
    ensemble : CumulantEnsemble or DickeEnsemble
        The solver.
    state0 : ndarray
        Initial state of that solver (e.g. ``ensemble.ground()``).
    segments : sequence
        Each item is :data:`PULSE` (an instantaneous π pulse) or a tuple
        ``(duration, Gamma, n_points[, label])``: evolve for ``duration`` with collective
        rate ``Gamma`` (0 = storage), sampled at ``n_points >= 2`` equally spaced times,
        the samples tagged ``label``.
    gamma : float
        Individual emission rate, >= 0.
    t0 : float, optional
        Time of the first sample.

    Returns
    -------
    Trace

    Raises
    ------
    ValueError
        If a segment is malformed or a rate/duration is invalid.
    """
    check_rates(gamma=gamma)
    rec = _Recorder(ensemble, state0, t0)
    state = _run(rec, ensemble, state0, segments, gamma)
    return rec.trace(state)


@dataclass(frozen=True)
class Release:
    """One charge from the ground state, a storage of ``t_s`` and a release (Fig. 2).

    Attributes
    ----------
    N : int
    t_s : float
        Storage time.
    trace : Trace
        Phases ``"pulse"``, ``"storage"``, ``"release"`` (the release window) and, if
        the cavity stays tuned in afterwards, ``"dark"``.
    """

    N: int
    t_s: float
    trace: Trace

    @property
    def stored_state(self):
        """Solver state at the end of the storage (the start of the release)."""
        return self.trace.segment_states[1]

    @property
    def k_stored(self):
        """Index of the sample at the end of the storage."""
        return self.trace.last("storage")

    @property
    def k_released(self):
        """Index of the sample at the end of the release window."""
        return self.trace.last("release")

    @property
    def lost_in_storage(self):
        """Quanta lost during the storage, N/2 - M."""
        return self.N / 2 - self.trace.M[self.k_stored]

    @property
    def drop(self):
        """Fall of M over the whole release window (the burst and the dark-state decay after it)."""
        return self.trace.M[self.k_stored] - self.trace.M[self.k_released]

    @property
    def released(self):
        """Energy sent into the cavity over the release window."""
        return self.trace.emitted[self.k_released] - self.trace.emitted[self.k_stored]

    @property
    def trapped(self):
        """Quanta left after the release window, N/2 + M."""
        return self.N / 2 + self.trace.M[self.k_released]

    @property
    def S_after(self):
        """Effective spin length at the end of the release window."""
        return float(self.trace.S[self.k_released])

    #: column titles of :meth:`budget` (Markdown)
    BUDGET = (
        r"$\gamma t_s$",
        "lost in storage",
        "window: drop of $M$",
        "window: into the cavity",
        r"burst: $\gamma t$",
        "burst: drop of $M$",
        "burst: cavity share",
        "trapped after",
        "trapped / lost",
        "$S$ after",
    )

    def budget(self, burst, gamma=1.0):
        """The energy budget of this release, one value per :attr:`BUDGET` column (quanta).

        Parameters
        ----------
        burst : Burst
            The collective burst of this release (:func:`burst`).
        gamma : float
            Scales the times to γt.
        """
        b = burst
        return (
            gamma * self.t_s,
            self.lost_in_storage,
            self.drop,
            self.released,
            gamma * b.duration,
            b.drop,
            b.share,
            self.trapped,
            self.trapped / self.lost_in_storage,
            self.S_after,
        )


def release_run(ensemble, t_s, *, gamma, Gamma, t_release, t_end=None, n_release=41, n_tail=21):
    """Pulse the ground state, store for ``t_s``, release for ``t_release``; the cavity stays on.

    Parameters
    ----------
    ensemble : CumulantEnsemble or DickeEnsemble
    t_s, t_release : float
        Storage time and length of the release window, > 0.
    gamma, Gamma : float
        Individual and collective emission rates.
    t_end : float, optional
        If later than ``t_s + t_release``, the cavity stays tuned in until then (phase "dark").
    n_release, n_tail : int
        Samples of the release window and of the rest.

    Returns
    -------
    Release
    """
    segs = [PULSE, (t_s, 0.0, 2, "storage"), (t_release, Gamma, n_release, "release")]
    if t_end is not None and t_end > t_s + t_release:
        segs.append((t_end - t_s - t_release, Gamma, n_tail, "dark"))
    trace = run_protocol(ensemble, ensemble.ground(), segs, gamma=gamma)
    return Release(ensemble.N, float(t_s), trace)


def trace_difference(a, b, N):
    """Largest |ΔM|/N and |ΔS| between two traces over their common samples (from the start).

    Two cycle runs may stop after different numbers of cycles; only the samples both
    have are compared.

    Returns
    -------
    (float, float)
    """
    n = min(a.times.size, b.times.size)
    return float(np.abs(a.M[:n] - b.M[:n]).max() / N), float(np.abs(a.S[:n] - b.S[:n]).max())


@dataclass(frozen=True)
class Burst:
    """The collective emission of a release, up to a share ``fraction`` of its cavity output.

    Attributes
    ----------
    duration : float
        Time after which the cavity has received ``fraction`` of what it gets in the window.
    drop : float
        Fall of M until then.
    released : float
        Energy into the cavity until then.
    fraction : float
    """

    duration: float
    drop: float
    released: float
    fraction: float

    @property
    def share(self):
        """Cavity share of the energy the emitters lose during the burst."""
        return self.released / self.drop


def burst(ensemble, state, *, gamma, Gamma, window, fraction=0.999, n_fine=161, fine_window=None):
    """Measure the collective burst of a release that starts from ``state``.

    The cavity output over the whole ``window`` is computed first; the release is then
    sampled at ``n_fine`` equally spaced times over ``fine_window`` (default
    ``window / 8``), and the time at which the output reaches ``fraction`` of that
    total is found by linear interpolation, with M and the output there.

    Raises
    ------
    ValueError
        If the burst is not over within ``fine_window`` or ``fraction`` is not in (0, 1).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    fine_window = window / 8 if fine_window is None else fine_window
    total = ensemble.evolve(state, [0.0, window], gamma, Gamma).emitted[-1]
    ev = ensemble.evolve(state, np.linspace(0.0, fine_window, n_fine), gamma, Gamma)
    target = fraction * total
    if ev.emitted[-1] < target:
        raise ValueError(
            f"the burst lasts longer than fine_window = {fine_window!r}; give a longer one"
        )
    k = int(np.argmax(ev.emitted >= target))
    w = (target - ev.emitted[k - 1]) / (ev.emitted[k] - ev.emitted[k - 1])
    t = ev.times[k - 1] + w * (ev.times[k] - ev.times[k - 1])
    M = ev.M[k - 1] + w * (ev.M[k] - ev.M[k - 1])
    return Burst(float(t), float(ev.M[0] - M), float(target), float(fraction))


@dataclass(frozen=True)
class CycleResult:
    """Result of :func:`cycle_until_converged`.

    Attributes
    ----------
    trace : Trace
        Samples of every cycle.
    S_end : ndarray, shape (cycles,)
        S at the end of each discharge.
    M_charged : ndarray, shape (cycles,)
        M right after each pulse.
    M_before : ndarray, shape (cycles,)
        M right before each pulse.
    released : ndarray, shape (cycles,)
        Energy emitted into the cavity during each discharge.
    converged : bool
        Whether S_end changed by less than ``tol`` in the last cycle.
    state : ndarray
        State at the end of the last discharge.
    """

    trace: Trace
    S_end: np.ndarray
    M_charged: np.ndarray
    M_before: np.ndarray
    released: np.ndarray
    converged: bool
    state: np.ndarray

    @property
    def cycles(self):
        """Number of cycles run."""
        return self.S_end.size

    @property
    def capacity(self):
        """Energy each pulse puts into the battery, M_charged - M_before, shape (cycles,)."""
        return self.M_charged - self.M_before

    def geometric_limit(self):
        r"""Limit of S_end if it approaches it geometrically (Aitken's Δ² on the last three cycles).

        With :math:`q = \delta_n/\delta_{n-1}` the ratio of the last two changes, the
        remaining distance is :math:`\delta_n q/(1-q)`.

        Returns
        -------
        (float, float)
            ``(limit, q)``.
        """
        if self.cycles < 3:
            raise ValueError("the geometric limit needs at least three cycles")
        d1, d2 = np.diff(self.S_end[-3:])
        q = d2 / d1
        return float(self.S_end[-1] + d2 * q / (1 - q)), float(q)


def cycle_until_converged(
    ensemble,
    protocol,
    *,
    tol=1e-3,
    max_cycles=2000,
    n_points=9,
    state0=None,
    method="auto",
):
    r"""Repeat pulse → storage τ_s → discharge τ_d until S at the end of a discharge settles.

    The cycle of Pirmoradian & Mølmer (2019), Sec. IV and Fig. 3, by default started from
    the ground state. Stops after the first cycle whose end-of-discharge S differs from
    the previous cycle's by less than ``tol``, or after ``max_cycles``.

    Parameters
    ----------
    ensemble : CumulantEnsemble or DickeEnsemble
    protocol : Protocol
    tol : float
        Convergence threshold on the change of S per cycle.
    max_cycles : int
    n_points : int
        Samples per segment in the trace.
    state0 : ndarray, optional
        Initial state (default: ground state).
    method : {"auto", "direct", "map"}
        ``"direct"`` evolves the state through every segment; ``"map"`` (Dicke solver,
        state on the dark states) applies the :func:`dark_cycle_map` once per cycle, which
        drops at most its ``leak`` of population per cycle; ``"auto"`` uses the map
        when it can.

    Returns
    -------
    CycleResult
    """
    check_count("max_cycles", max_cycles, 2)
    check_positive(tol=tol)
    state = ensemble.ground() if state0 is None else np.asarray(state0, float)
    dicke = isinstance(ensemble, DickeEnsemble)
    on_dark = dicke and np.abs(np.delete(state, ensemble.dark)).max(initial=0) == 0
    if method not in ("auto", "direct", "map"):
        raise ValueError(f"method must be 'auto', 'direct' or 'map', got {method!r}")
    if method == "map" and not on_dark:
        raise ValueError("method 'map' needs a DickeEnsemble and a state on the dark states")
    if method == "map" or (method == "auto" and on_dark):
        return _cycle_by_map(ensemble, protocol, state, tol, max_cycles, n_points)
    rec = _Recorder(ensemble, state, 0.0, keep_states=False)
    p = protocol
    segments = [(p.tau_s, 0.0, n_points), (p.tau_d, p.Gamma, n_points)]
    S_end, M_charged, M_before, released = [], [], [], []
    converged = False
    for _ in range(max_cycles):
        M_before.append(ensemble.Jz(state))
        state = _run(rec, ensemble, state, [PULSE], p.gamma)
        M_charged.append(ensemble.Jz(state))
        before = rec.emitted
        state = _run(rec, ensemble, state, segments, p.gamma)
        released.append(rec.emitted - before)
        S_end.append(float(spin_length(ensemble.J2(state))))
        if len(S_end) > 1 and abs(S_end[-1] - S_end[-2]) < tol:
            converged = True
            break
    arrays = (np.array(a, float) for a in (S_end, M_charged, M_before, released))
    return CycleResult(rec.trace(state), *arrays, converged, state)


@dataclass(frozen=True)
class DarkCycleMap:
    """One cycle (pulse, storage, discharge) as a map of the dark-state populations.

    Column k of every array belongs to the cycle started from the dark state
    :math:`|j_k, -j_k\\rangle`; the cycle is linear, so any dark-state mixture q gives
    ``T @ q``, ``M @ q``, ...

    Attributes
    ----------
    j : ndarray, shape (k,)
        The multiplets (increasing).
    T : ndarray, shape (k, k)
        Dark-state populations at the end of the discharge.
    times : ndarray, shape (n,)
        Sample times within the cycle (0 is the pulse).
    phase : ndarray of str, shape (n,)
        ``"pulse"``, ``"storage"`` or ``"discharge"``.
    M, J2, emitted : ndarray, shape (n, k)
        M, ⟨S²⟩ and the cumulative cavity output at the samples.
    leak : float
        Largest population left off the dark states at the end of a cycle.
    """

    j: np.ndarray
    T: np.ndarray
    times: np.ndarray
    phase: np.ndarray
    M: np.ndarray
    J2: np.ndarray
    emitted: np.ndarray
    leak: float

    def fixed_point(self):
        """Dark-state populations that one cycle maps onto themselves (sum 1), shape (k,)."""
        k = self.j.size
        A = self.T - np.eye(k)
        A[-1] = 1.0
        b = np.zeros(k)
        b[-1] = 1.0
        return np.linalg.solve(A, b)

    def contraction(self):
        """Second largest modulus of the eigenvalues of T: per-cycle approach to the limit cycle."""
        return float(np.sort(np.abs(np.linalg.eigvals(self.T)))[-2])


def dark_cycle_map(ensemble, protocol, *, n_points=9):
    """The :class:`DarkCycleMap` of ``protocol`` for a :class:`~qbkit.dicke.DickeEnsemble`.

    All N/2 + 1 dark states are evolved together (as columns) through the pulse, the
    storage (closed form) and the discharge (``n_points - 1`` equal intervals).

    Raises
    ------
    TypeError
        If ``ensemble`` is not a DickeEnsemble.
    """
    if not isinstance(ensemble, DickeEnsemble):
        raise TypeError("dark_cycle_map needs a DickeEnsemble")
    check_count("n_points", n_points, 2)
    ens, p = ensemble, protocol
    k = ens.dark.size
    P = np.zeros((ens.dim, k))
    P[ens.dark, np.arange(k)] = 1.0
    P = ens.pi_pulse(P)
    jj = ens.j * (ens.j + 1)
    M, J2, em = [ens.m @ P], [jj @ P], [np.zeros(k)]
    stored = ens.local_decay(P, np.linspace(0.0, p.tau_s, n_points), p.gamma)
    for Pk in stored[1:]:
        M.append(ens.m @ Pk)
        J2.append(jj @ Pk)
        em.append(np.zeros(k))
    P, total = stored[-1], np.zeros(k)
    for _ in range(n_points - 1):
        P, e = ens.propagate(P, p.tau_d / (n_points - 1), p.gamma, p.Gamma)
        total = total + e
        M.append(ens.m @ P)
        J2.append(jj @ P)
        em.append(total)
    T = P[ens.dark]
    times = np.concatenate(
        [
            [0.0],
            np.linspace(0, p.tau_s, n_points)[1:],
            p.tau_s + np.linspace(0, p.tau_d, n_points)[1:],
        ]
    )
    phase = np.array([PULSE] + ["storage"] * (n_points - 1) + ["discharge"] * (n_points - 1))
    leak = float(np.abs(1 - T.sum(axis=0)).max())
    return DarkCycleMap(ens.j_values, T, times, phase, *map(np.array, (M, J2, em)), leak)


def _cycle_by_map(ens, protocol, state, tol, max_cycles, n_points):
    cmap = dark_cycle_map(ens, protocol, n_points=n_points)
    q = state[ens.dark]
    rec = _Recorder(ens, state, 0.0, keep_states=False)
    period = protocol.tau_s + protocol.tau_d
    S_end, M_charged, M_before, released = [], [], [], []
    converged = False
    for c in range(max_cycles):
        M_before.append(float(ens.m[ens.dark] @ q))
        M, J2, em = cmap.M @ q, cmap.J2 @ q, cmap.emitted @ q
        rec.add(c * period + cmap.times, M, J2, rec.emitted + em, cmap.phase)
        rec.emitted += em[-1]
        M_charged.append(M[0])
        released.append(em[-1])
        q = cmap.T @ q
        S_end.append(float(spin_length(J2[-1])))
        if len(S_end) > 1 and abs(S_end[-1] - S_end[-2]) < tol:
            converged = True
            break
    state = np.zeros(ens.dim)
    state[ens.dark] = q
    arrays = (np.array(a, float) for a in (S_end, M_charged, M_before, released))
    return CycleResult(rec.trace(state), *arrays, converged, state)


@dataclass(frozen=True)
class SpinDistribution:
    """Probabilities of the multiplets j (e.g. of the dark states at the end of a discharge).

    Attributes
    ----------
    j : ndarray, shape (k,)
    P : ndarray, shape (k,)
    """

    j: np.ndarray
    P: np.ndarray

    @property
    def J2(self):
        """:math:`\\langle j(j+1)\\rangle`."""
        return float(self.P @ (self.j * (self.j + 1)))

    @property
    def S(self):
        """Effective spin length from :math:`S(S+1) = \\langle j(j+1)\\rangle` (the paper's S)."""
        return float(spin_length(self.J2))

    @property
    def mean_j(self):
        """:math:`\\langle j\\rangle`."""
        return float(self.P @ self.j)

    @property
    def capacity(self):
        """Energy a π pulse puts into dark states of this P(j), :math:`2\\langle j\\rangle`."""
        return 2 * self.mean_j


@dataclass(frozen=True)
class LimitCycle:
    """The limit cycle of a protocol, seen at the end of a discharge.

    Attributes
    ----------
    protocol : Protocol
    S : float
        Effective spin length at the end of a discharge.
    M_before, M_charged : float
        M just before and just after the pulse.
    state : ndarray
        Solver state at the end of a discharge (Dicke: populations on the dark states).
    distribution : SpinDistribution or None
        Multiplet distribution (Dicke solver only).
    leak : float
        Dicke: population a cycle leaves off the dark states (dropped); cumulant: 0.
    contraction : float or None
        Dicke: per-cycle factor by which a deviation from the limit cycle shrinks.
    """

    protocol: Protocol
    S: float
    M_before: float
    M_charged: float
    state: np.ndarray
    distribution: SpinDistribution | None = None
    leak: float = 0.0
    contraction: float | None = None

    @property
    def capacity(self):
        """Charging capacity: the energy the pulse puts into the battery, M_charged - M_before."""
        return self.M_charged - self.M_before


def limit_cycle(ensemble, protocol, *, n_points=2, state0=None, rtol=1e-12, atol=1e-14):
    r"""The limit cycle of ``protocol``: the end-of-discharge state that one cycle maps onto itself.

    Dicke solver: the fixed point of :func:`dark_cycle_map` (a linear solve of N/2 + 1
    equations; exact up to the map's ``leak``). Cumulant solver: a root of
    F(y) - y, F one cycle of the moment equations (``scipy.optimize.root``, started from
    ``state0`` or the ground state), integrated with ``rtol``/``atol``.

    Parameters
    ----------
    ensemble : DickeEnsemble or CumulantEnsemble
    protocol : Protocol
    n_points : int
        Dicke: samples per segment of the map (the discharge is split into
        ``n_points - 1`` steps; changing it changes every rational step).
    state0 : ndarray, optional
        Cumulant: starting point of the root search.
    rtol, atol : float
        Cumulant: integrator tolerances.

    Returns
    -------
    LimitCycle

    Raises
    ------
    RuntimeError
        If the cumulant root search fails.
    """
    p = protocol
    if isinstance(ensemble, DickeEnsemble):
        cmap = dark_cycle_map(ensemble, p, n_points=n_points)
        q = cmap.fixed_point()
        state = np.zeros(ensemble.dim)
        state[ensemble.dark] = q
        dist = SpinDistribution(cmap.j, q)
        return LimitCycle(
            p,
            float(spin_length(cmap.J2[-1] @ q)),
            float(cmap.M[-1] @ q),
            float(cmap.M[0] @ q),
            state,
            dist,
            cmap.leak,
            cmap.contraction(),
        )
    ens = ensemble

    def cycle(y):
        y = ens.storage(ens.pi_pulse(y), [0.0, p.tau_s], p.gamma)[-1]
        return ens.evolve(y, [0.0, p.tau_d], p.gamma, p.Gamma, rtol=rtol, atol=atol).states[-1]

    y0 = ens.ground() if state0 is None else np.asarray(state0, float)
    sol = root(lambda y: cycle(y) - y, y0, method="hybr", options={"xtol": 1e-11})
    if not sol.success:
        raise RuntimeError(f"limit-cycle search failed: {sol.message}")
    y = sol.x
    return LimitCycle(p, float(spin_length(ens.J2(y))), float(ens.Jz(y)), float(-ens.Jz(y)), y)


def _top_bottom_rates(N, j):
    """Jump rates (per gamma) out of |j, j> (down, up in j) and out of |j, -j> (up)."""
    _, down, up_top = individual_emission_rates(N, j, j)
    up_bottom = individual_emission_rates(N, j, -j)[2]
    return down, up_top, up_bottom


def small_tau_limit(N, tau_s, tau_d):
    r"""Exact limit-cycle distribution of the multiplets as τ_s, τ_d → 0 at fixed τ_d/τ_s.

    With the release complete and instantaneous on the scale of τ, one cycle maps
    :math:`|j,-j\rangle` to itself with probability :math:`1 - O(\tau)`; to first order it
    is :math:`1 + \tau_s A_{top} + \tau_d A_{bottom}`, where :math:`A_{top}` holds the jumps
    of j out of :math:`|j, j\rangle` (down with :math:`A_-`, up with :math:`A_+` of
    :func:`qbkit.dicke.individual_emission_rates`; jumps within the multiplet end in the
    same dark state after the release) and :math:`A_{bottom}` the jump up out of
    :math:`|j, -j\rangle` (rate N/2 - j). The fixed point is the stationary distribution
    of this birth-death process: :math:`P(j+1)/P(j) = u(j)/d(j+1)` with
    :math:`u = f_s A_+(j,j) + f_d (N/2 - j)`, :math:`d = f_s A_-(j,j)`,
    :math:`f_{s,d} = \tau_{s,d}/(\tau_s + \tau_d)`.

    Parameters
    ----------
    N : int
        Number of emitters, >= 2 (any size: the cost is O(N)).
    tau_s, tau_d : float
        Only their ratio matters, > 0.

    Returns
    -------
    SpinDistribution
    """
    check_count("N", N, 2)
    check_positive(tau_s=tau_s, tau_d=tau_d)
    fs, fd = tau_s / (tau_s + tau_d), tau_d / (tau_s + tau_d)
    j = np.arange(N % 2 / 2, N / 2 + 0.25, 1.0)
    down, up_top, up_bottom = _top_bottom_rates(N, j)
    up = fs * up_top + fd * up_bottom
    log_ratio = np.log(up[:-1]) - np.log(fs * down[1:])
    logP = np.concatenate([[0.0], np.cumsum(log_ratio)])
    P = np.exp(logP - logP.max())
    return SpinDistribution(j, P / P.sum())


@dataclass(frozen=True)
class SmallTauSequence:
    """Exact limit cycles for shrinking τ (Γ ∝ 1/τ², :meth:`Protocol.shrunk`), extrapolated to 0.


    Attributes
    ----------
    protocols : tuple of Protocol
    S : ndarray, shape (n,)
        Limit-cycle S of each protocol.
    capacity : ndarray, shape (n,)
    leak : float
        Largest population left off the dark states in one cycle, over the sequence.
    S_limit, S_limit_error : float
        Extrapolation of S to τ = 0 (:func:`qbkit.series.extrapolate_to_zero`, degree 2) and
        its change from the degree-1 extrapolation.
    """

    protocols: tuple
    S: np.ndarray
    capacity: np.ndarray
    leak: float
    S_limit: float
    S_limit_error: float

    @property
    def tau_s(self):
        """Storage times, shape (n,)."""
        return np.array([p.tau_s for p in self.protocols])


def small_tau_sequence(ensemble, protocol, factors=(1, 2, 4, 8), *, Gamma_power=2):
    """Exact limit cycles of ``protocol.shrunk(f, Gamma_power)`` for each factor, extrapolated.

    Returns
    -------
    SmallTauSequence
    """
    protocols = tuple(protocol.shrunk(f, Gamma_power) for f in factors)
    cycles = [limit_cycle(ensemble, p) for p in protocols]
    S = np.array([c.S for c in cycles])
    tau = np.array([p.tau_s for p in protocols])
    S0, err = extrapolate_to_zero(tau, S, degree=2)
    capacity = np.array([c.capacity for c in cycles])
    return SmallTauSequence(protocols, S, capacity, max(c.leak for c in cycles), S0, err)


def spin_square_rates(N, j):
    r"""Exact :math:`d\langle\vec S^2\rangle/dt` (units of γ) from individual emission at M = ±j.

    From :math:`\mathcal D^\dagger[\sigma_i^-]` applied to
    :math:`\vec S^2 = \sum_{k,l}\vec s_k\cdot\vec s_l` (the pair terms lose
    :math:`s^x s^x + s^y s^y` at rate γ, :math:`s^z_k s^z_l` at 2γ plus a drift
    :math:`-\gamma(s^z_k + s^z_l)/2`):

    .. math::
        \frac{d\langle\vec S^2\rangle}{dt} = \gamma\langle N - \vec S^2 - S_z^2 - (N-1)S_z\rangle,

    so at the top (after the pulse, storage) and at the bottom (after the release):

    .. math:: r_+(j) = N - 2j^2 - Nj, \qquad r_-(j) = N - 2j^2 + (N-2)j.

    Parameters
    ----------
    N : int or float
    j : float or array_like

    Returns
    -------
    (ndarray, ndarray)
        :math:`(r_+, r_-)`.
    """
    j = np.asarray(j, float)
    return N - 2 * j**2 - N * j, N - 2 * j**2 + (N - 2) * j


def _check_balance_args(N, tau_s, tau_d):
    check_positive(N=N, tau_s=tau_s, tau_d=tau_d)


def limit_cycle_spin_length(N, tau_s, tau_d):
    r"""Limit-cycle spin length from the balance condition as printed, Eq. (8) of the paper.

    .. math:: x^2 - x\left(\frac{\tau_d - \tau_s}{\tau_d + \tau_s} - \frac4N\right) - \frac4N = 0,
       \qquad x = 2S/N,

    solved for its positive root.

    Parameters
    ----------
    N : int or float
        Number of emitters, > 0.
    tau_s, tau_d : float
        Storage and discharge durations, > 0.

    Returns
    -------
    float
        S.

    Raises
    ------
    ValueError
        If an argument is not positive.
    """
    _check_balance_args(N, tau_s, tau_d)
    b = (tau_d - tau_s) / (tau_d + tau_s) - 4.0 / N
    x = 0.5 * (b + np.sqrt(b * b + 16.0 / N))
    return 0.5 * N * x


def limit_cycle_spin_length_first_order(N, tau_s, tau_d):
    r"""Limit-cycle S from the first-order balance of ⟨S²⟩: Eq. (8) of the paper, corrected.

    Derivation. In the limit cycle every mean value returns to itself after a cycle,
    :math:`\langle\vec S^2\rangle` included, and S is defined from it. For short τ the
    cycle is: the pulse maps :math:`|S,-S\rangle \to |S,S\rangle`; storage acts for τ_s at
    :math:`M = +S`; the collective release (instantaneous on this scale, and it conserves
    :math:`\vec S^2`) returns the state to :math:`M = -S`, where individual emission acts
    for the rest of τ_d. To first order in τ the change of :math:`\langle\vec S^2\rangle`
    over a cycle is :math:`\gamma[\tau_s r_+(S) + \tau_d r_-(S)]` with the exact rates
    :math:`r_\pm` of :func:`spin_square_rates`. Setting it to zero,

    .. math:: 2S^2 - bS - N = 0, \qquad b = \frac{(N-2)\tau_d - N\tau_s}{\tau_s + \tau_d},

    or with :math:`x = 2S/N`,

    .. math:: x^2 - x\left(\frac{\tau_d - \tau_s}{\tau_d + \tau_s}
       - \frac{2\tau_d}{N(\tau_d + \tau_s)}\right) - \frac2N = 0 .

    Against Eq. (8) the leading term is the same; the constant is 2/N instead of 4/N and
    the 1/N part of the linear coefficient is :math:`2\tau_d/(N(\tau_s+\tau_d))` instead
    of 4/N. At :math:`\tau_d = \tau_s`: :math:`S = (\sqrt{1 + 8N} - 1)/4 \approx \sqrt{N/2}`.
    The balance treats S as sharp; the spread of j in the limit cycle shifts the root
    (:func:`sharp_spin_shift`).

    Parameters
    ----------
    N : int or float
        Number of emitters, > 0.
    tau_s, tau_d : float
        Storage and discharge durations, > 0.

    Returns
    -------
    float
        S.

    Raises
    ------
    ValueError
        If an argument is not positive.
    """
    _check_balance_args(N, tau_s, tau_d)
    b = ((N - 2) * tau_d - N * tau_s) / (tau_s + tau_d)
    return (b + np.sqrt(b * b + 8.0 * N)) / 4


def limit_cycle_spin_length_large_N(N, tau_s, tau_d):
    r"""Large-N form of Eq. (8), :math:`S = (N/2)(\tau_d - \tau_s)/(\tau_d + \tau_s)` (below it).

    Also the leading term of :func:`limit_cycle_spin_length_first_order`.
    """
    _check_balance_args(N, tau_s, tau_d)
    return 0.5 * N * (tau_d - tau_s) / (tau_d + tau_s)


def sharp_spin_shift(N, tau_s, tau_d, distribution):
    r"""How far the sharp-S root of the first-order balance lies from the S of a spread P(j).

    The exact first-order balance is an average over the multiplets,
    :math:`\sum_j P(j)[N - 2j^2 + bj] = 0` (b of
    :func:`limit_cycle_spin_length_first_order`), so
    :math:`\langle j(j+1)\rangle = N/2 + (b/2 + 1)\langle j\rangle`. The sharp root
    :math:`S_c` solves the same with :math:`\langle j\rangle \to S_c`; subtracting, with
    S the distribution's effective spin length, :math:`\delta = S_c - S` solves
    :math:`\delta^2 + (2S - b/2)\delta - (b/2 + 1)(S - \langle j\rangle) = 0`.

    Parameters
    ----------
    N : int
    tau_s, tau_d : float
    distribution : SpinDistribution

    Returns
    -------
    (float, float)
        ``(delta, residual)``: the shift, and the balance's residual on the distribution,
        :math:`\sum_j P(j)[N - 2j^2 + bj]` (zero for an exact small-τ limit).
    """
    _check_balance_args(N, tau_s, tau_d)
    b = ((N - 2) * tau_d - N * tau_s) / (tau_s + tau_d)
    d = distribution
    S, mj = d.S, d.mean_j
    c = 2 * S - b / 2
    delta = 0.5 * (-c + np.sqrt(c * c + 4 * (b / 2 + 1) * (S - mj)))
    residual = float(d.P @ (N - 2 * d.j**2 + b * d.j))
    return float(delta), residual


def balance_readings(N, tau_s, tau_d):
    r"""The root S of the first-order balance under several readings of the paper's conventions.

    Each reading is a pair of rates (storage at :math:`M = +S`, after the release at
    :math:`M = -S`) of the balanced quantity; the balance
    :math:`\tau_s r_+ + \tau_d r_- = 0` is solved for its largest root in (0, N/2]
    (NaN if none):

    ``"S(S+1)"``
        :math:`\langle\vec S^2\rangle` with :math:`S(S+1)` (this module's derivation).
    ``"S^2"``
        the same with :math:`\langle\vec S^2\rangle = S^2` in the rates.
    ``"pairs N^2"``
        moments from Eq. (7) with N² for the N(N-1) pairs (:math:`N - 1 \approx N`).
    ``"zz = sz^2"``
        :math:`\langle\sigma_i^z\sigma_j^z\rangle` factorized as :math:`\langle\sigma^z\rangle^2`
        (also the printed :math:`((1+\sigma_i^z)\sigma_j^z)` read as a product of means).
    ``"no Sz^2"``
        the :math:`S_z^2` term of the rate dropped.
    ``"mean j"``
        S itself balanced with the jump rates of j (not :math:`\vec S^2`).
    ``"quanta"``
        S falls by one per quantum lost in storage and rises by one per quantum after
        the release (the large-N form).

    Parameters
    ----------
    N : int
    tau_s, tau_d : float

    Returns
    -------
    dict of str to float
    """
    _check_balance_args(N, tau_s, tau_d)

    def ident(J2, Jz2, Jz):
        return N - J2 - Jz2 - (N - 1) * Jz

    def pairs(J2, M, npairs, factorized):
        sz = 2 * M / N
        z = sz**2 if factorized else (4 * M**2 - N) / npairs
        pm = (J2 - 0.75 * N - npairs * z / 4) / npairs
        return npairs / 4 * (-4 * pm - 2 * (sz + z))

    def jumps(S):
        down, up_top, up_bottom = _top_bottom_rates(N, S)
        return up_top - down, up_bottom

    P2 = N * (N - 1)
    readings = {
        "S(S+1)": lambda S: spin_square_rates(N, S),
        "S^2": lambda S: (ident(S * S, S * S, S), ident(S * S, S * S, -S)),
        "pairs N^2": lambda S: (pairs(S * (S + 1), S, N * N, 0), pairs(S * (S + 1), -S, N * N, 0)),
        "zz = sz^2": lambda S: (pairs(S * (S + 1), S, P2, 1), pairs(S * (S + 1), -S, P2, 1)),
        "no Sz^2": lambda S: (N - S * (S + 1) - (N - 1) * S, N - S * (S + 1) + (N - 1) * S),
        "mean j": jumps,
        "quanta": lambda S: (-(N / 2 + S), N / 2 - S),
    }
    grid = np.linspace(1e-3, N / 2, 4001)
    out = {}
    for name, rates in readings.items():

        def f(S, rates=rates):
            a, b = rates(S)
            return tau_s * a + tau_d * b

        v = f(grid)
        k = np.flatnonzero(np.sign(v[:-1]) != np.sign(v[1:]))
        out[name] = float(brentq(f, grid[k[-1]], grid[k[-1] + 1])) if k.size else float("nan")
    return out


@dataclass(frozen=True)
class ReleaseScan:
    """Cumulant theory minus the exact solution for one release, against N (:func:`release_scan`).

    Attributes
    ----------
    N : ndarray, shape (n,)
    max_dM, max_dS : ndarray, shape (n,)
        Largest |ΔM|/N and |ΔS|/N along the run.
    dM_after : ndarray, shape (n,)
        ΔM/N at the end of the release window.
    """

    N: np.ndarray
    max_dM: np.ndarray
    max_dS: np.ndarray
    dM_after: np.ndarray


def release_scan(Ns, t_s, *, gamma, Gamma, t_release, t_end=None):
    """Run :func:`release_run` with both solvers for each N and compare them.

    Returns
    -------
    ReleaseScan
    """
    rows = []
    for n in Ns:
        kw = dict(gamma=gamma, Gamma=Gamma, t_release=t_release, t_end=t_end)
        ex = release_run(DickeEnsemble(n), t_s, **kw)
        cu = release_run(CumulantEnsemble(n), t_s, **kw)
        a, b = ex.trace, cu.trace
        rows.append(
            (
                n,
                np.abs(a.M - b.M).max() / n,
                np.abs(a.S - b.S).max() / n,
                (a.M[ex.k_released] - b.M[cu.k_released]) / n,
            )
        )
    return ReleaseScan(*np.array(rows, float).T)


@dataclass(frozen=True)
class LimitCycleScan:
    """Limit cycles of one protocol against N, exact and cumulant (:func:`limit_cycle_scan`).

    Attributes
    ----------
    N : ndarray, shape (n,)
    S_exact, S_cumulant, capacity_exact, capacity_cumulant : ndarray, shape (n,)
    """

    N: np.ndarray
    S_exact: np.ndarray
    S_cumulant: np.ndarray
    capacity_exact: np.ndarray
    capacity_cumulant: np.ndarray

    @property
    def S_error(self):
        """Relative error of the cumulant S, shape (n,)."""
        return self.S_cumulant / self.S_exact - 1

    @property
    def capacity_error(self):
        """Relative error of the cumulant charging capacity, shape (n,)."""
        return self.capacity_cumulant / self.capacity_exact - 1


def limit_cycle_scan(Ns, protocol):
    """Exact and cumulant limit cycles of ``protocol`` for each N.

    The cumulant root search starts from the moments of the exact limit cycle.

    Returns
    -------
    LimitCycleScan
    """
    rows = []
    for n in Ns:
        ens = DickeEnsemble(n)
        ex = limit_cycle(ens, protocol)
        cum = CumulantEnsemble(n)
        y0 = cum.from_populations(ens.j, ens.m, ex.state)
        cu = limit_cycle(cum, protocol, state0=y0)
        rows.append((n, ex.S, cu.S, ex.capacity, cu.capacity))
    return LimitCycleScan(*np.array(rows, float).T)
