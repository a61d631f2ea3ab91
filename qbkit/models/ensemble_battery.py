r"""An ensemble quantum battery: π-pulse charging, storage and collective release (Pirmoradian & Mølmer 2019).

N emitters are charged by an instantaneous π pulse, store their energy while only
individual emission (rate ``gamma``) acts (cavity detuned, Γ = 0), and release it
by collective, Purcell-enhanced emission Γ into a cavity tuned into resonance,
Eq. (5). The protocols here run on either solver of that master equation:
:class:`qbkit.cumulants.CumulantEnsemble` (the paper's second-order mean-field
theory) or :class:`qbkit.dicke.DickeEnsemble` (exact, permutation invariant). Both
provide ``ground()``, ``pi_pulse(state)``, ``evolve(state, tlist, gamma, Gamma)``,
``Jz(states)`` and ``J2(states)``.

Energies are in units of the transition energy :math:`\hbar\omega_s`, times in 1/gamma
when gamma = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._checks import check_count, check_rates

__all__ = [
    "PULSE",
    "Trace",
    "spin_length",
    "run_protocol",
    "cycle_until_converged",
    "limit_cycle_spin_length",
    "limit_cycle_spin_length_large_N",
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


@dataclass
class Trace:
    """A protocol's time series (one row per sample; a pulse repeats the time).

    Attributes
    ----------
    t : ndarray, shape (n,)
        Times; a pulse adds a second sample at the same time.
    M : ndarray, shape (n,)
        :math:`M = \\langle S_z\\rangle`.
    J2 : ndarray, shape (n,)
        :math:`\\langle\\vec S^2\\rangle`.
    emitted : ndarray, shape (n,)
        Energy emitted into the cavity since the start (cumulative).
    phase : ndarray of str, shape (n,)
        ``"start"``, ``"pulse"``, ``"storage"`` or ``"discharge"``: what produced each sample.
    """

    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    M: np.ndarray = field(default_factory=lambda: np.zeros(0))
    J2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    emitted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phase: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U9"))

    @property
    def S(self):
        """Effective spin length S(t), shape (n,)."""
        return spin_length(self.J2)

    def _append(self, t, M, J2, emitted, phase):
        self.t = np.append(self.t, t)
        self.M = np.append(self.M, M)
        self.J2 = np.append(self.J2, J2)
        self.emitted = np.append(self.emitted, emitted)
        self.phase = np.append(self.phase, np.full(np.size(t), phase))


def run_protocol(ensemble, state, segments, gamma, trace=None, t0=0.0):
    r"""Apply pulses and constant-rate segments in order, recording M, ⟨S²⟩ and the emitted energy.

    Parameters
    ----------
    ensemble : CumulantEnsemble or DickeEnsemble
        The solver.
    state : ndarray
        Initial state of that solver (e.g. ``ensemble.ground()``).
    segments : sequence
        Each item is :data:`PULSE` (an instantaneous π pulse) or a tuple
        ``(duration, Gamma, n_points)``: evolve for ``duration`` with collective rate
        ``Gamma`` (0 = storage), sampled at ``n_points >= 2`` equally spaced times.
    gamma : float
        Individual emission rate, >= 0.
    trace : Trace, optional
        Trace to extend (default: a new one).
    t0 : float, optional
        Time of the first sample.

    Returns
    -------
    state : ndarray
        Final state.
    trace : Trace

    Raises
    ------
    ValueError
        If a segment is malformed or a rate/duration is invalid.
    """
    check_rates(gamma=gamma)
    if trace is None:
        trace = Trace()
        trace._append(t0, ensemble.Jz(state), ensemble.J2(state), 0.0, "start")
    t, emitted = float(trace.t[-1]), float(trace.emitted[-1])
    for seg in segments:
        if isinstance(seg, str):
            if seg != PULSE:
                raise ValueError(
                    f"unknown segment {seg!r}; use PULSE or (duration, Gamma, n_points)"
                )
            state = ensemble.pi_pulse(state)
            trace._append(t, ensemble.Jz(state), ensemble.J2(state), emitted, PULSE)
            continue
        duration, Gamma, n_points = seg
        if not (np.isfinite(duration) and duration > 0):
            raise ValueError(f"segment duration must be > 0, got {duration!r}")
        check_count("n_points", n_points, 2)
        tlist = np.linspace(0.0, duration, n_points)
        states, em = ensemble.evolve(state, tlist, gamma, Gamma)
        state = states[-1]
        trace._append(
            t + tlist[1:],
            ensemble.Jz(states[1:]),
            ensemble.J2(states[1:]),
            emitted + em[1:],
            "storage" if Gamma == 0 else "discharge",
        )
        t, emitted = t + duration, emitted + em[-1]
    return state, trace


@dataclass
class CycleResult:
    """Result of :func:`cycle_until_converged`.

    Attributes
    ----------
    trace : Trace
        Samples of every cycle.
    S_end : ndarray, shape (cycles,)
        S at the end of each discharge.
    M_charged : ndarray, shape (cycles,)
        M right after each pulse (the charge taken up).
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
    released: np.ndarray
    converged: bool
    state: np.ndarray

    @property
    def cycles(self):
        """Number of cycles run."""
        return self.S_end.size


def cycle_until_converged(
    ensemble, tau_s, tau_d, gamma, Gamma, tol=1e-3, max_cycles=2000, n_points=9, state=None
):
    r"""Repeat pulse → storage τ_s → discharge τ_d until S at the end of a discharge settles.

    The cycle of Pirmoradian & Mølmer (2019), Sec. IV and Fig. 3, started from the
    ground state. Stops after the first cycle whose end-of-discharge S differs from
    the previous cycle's by less than ``tol`` (the limit cycle), or after ``max_cycles``.

    Parameters
    ----------
    ensemble : CumulantEnsemble or DickeEnsemble
    tau_s, tau_d : float
        Storage (Γ = 0) and discharge (collective rate Γ) durations, > 0.
    gamma, Gamma : float
        Individual and collective emission rates.
    tol : float, optional
        Convergence threshold on the change of S per cycle.
    max_cycles : int, optional
    n_points : int, optional
        Samples per segment in the trace.
    state : ndarray, optional
        Initial state (default: ground state).

    Returns
    -------
    CycleResult
    """
    check_count("max_cycles", max_cycles, 2)
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    state = ensemble.ground() if state is None else state
    trace = None
    S_end, M_charged, released = [], [], []
    converged = False
    for _ in range(max_cycles):
        state, trace = run_protocol(ensemble, state, [PULSE], gamma, trace)
        M_charged.append(trace.M[-1])
        before = trace.emitted[-1]
        state, trace = run_protocol(
            ensemble, state, [(tau_s, 0.0, n_points), (tau_d, Gamma, n_points)], gamma, trace
        )
        released.append(trace.emitted[-1] - before)
        S_end.append(trace.S[-1])
        if len(S_end) > 1 and abs(S_end[-1] - S_end[-2]) < tol:
            converged = True
            break
    return CycleResult(
        trace, np.array(S_end), np.array(M_charged), np.array(released), converged, state
    )


def limit_cycle_spin_length(N, tau_s, tau_d):
    r"""Limit-cycle spin length from the balance condition, Eq. (8) of Pirmoradian & Mølmer (2019).

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
    for name, value in (("N", N), ("tau_s", tau_s), ("tau_d", tau_d)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    b = (tau_d - tau_s) / (tau_d + tau_s) - 4.0 / N
    x = 0.5 * (b + np.sqrt(b * b + 16.0 / N))
    return 0.5 * N * x


def limit_cycle_spin_length_large_N(N, tau_s, tau_d):
    r"""Large-N form of Eq. (8): :math:`S = (N/2)(\tau_d - \tau_s)/(\tau_d + \tau_s)` (text below Eq. (8))."""
    return 0.5 * N * (tau_d - tau_s) / (tau_d + tau_s)
