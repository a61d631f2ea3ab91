r"""Figures of the ensemble battery (Pirmoradian & Mølmer 2019): what each panel shows, drawn once.

Each function draws on a figure object with ``axes`` (flat list of matplotlib axes),
``plot(ax, x, y, *fmt, name=, unit=, x_name=, x_unit=, **kw)`` (draw and record a CSV
column) and ``record(name, values, unit)`` (record only), such as
:class:`qbkit.book.Figure`; it sets axis labels and legends and leaves publishing to the
caller. Energies are in quanta of the transition energy :math:`\hbar\omega_s`, times in
units of 1/γ (``gamma`` scales the time axes).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

__all__ = ["draw_release_runs", "draw_cycles", "draw_short_cycle_limit", "draw_cumulant_scan"]

PER_EMITTER = "hbar*omega_s per emitter"
STYLES = {"exact": dict(lw=1.6), "cumulant": dict(lw=0.8, color="k", ls=":")}
BOUND = dict(color="0.6", lw=0.8, ls=(0, (1, 2)))


def draw_release_runs(fig, storage, releases, *, N, gamma):
    """Fig. 2: (a) M/N against γt, (b) the same runs in the (S, M) plane.

    Parameters
    ----------
    fig : figure object with two axes
    storage : dict of str to Trace
        ``{"exact": trace, "cumulant": trace}``: pulse, then storage only.
    releases : dict of str to list of Release
        The same solvers; one :class:`~qbkit.models.ensemble_battery.Release` per storage time.
    N : int
    gamma : float

    Notes
    -----
    CSV columns: ``gamma_t_storage``, ``M_over_N_storage_{solver}``,
    ``S_storage_{solver}``, and per release ``gamma_t(ts=..)``, ``M_over_N(ts=..,{solver})``,
    ``S(ts=..,{solver})``.
    """
    ax = fig.axes
    for name, style in STYLES.items():
        st = storage[name]
        t = gamma * st.times[1:]
        fig.record("gamma_t_storage", t, "1 (gamma*t)")
        fig.record(f"M_over_N_storage_{name}", st.M[1:] / N, PER_EMITTER)
        fig.record(f"S_storage_{name}", st.S[1:], "1")
        ax[0].plot(t, st.M[1:] / N, **({"color": "C3"} | style))
        ax[1].plot(st.S[1:], st.M[1:], **({"color": "C3"} | style))
        ax[1].plot(st.S[:2], st.M[:2], **({"color": "C2", "lw": 2.4, "zorder": 3} | style))
        for r in releases[name]:
            tr, tag = r.trace, f"ts={gamma * r.t_s:g}"
            fig.record(f"gamma_t({tag})", gamma * tr.times, "1 (gamma*t)")
            fig.record(f"M_over_N({tag},{name})", tr.M / N, PER_EMITTER)
            fig.record(f"S({tag},{name})", tr.S, "1")
            for phase, ls in [("release", "-"), ("dark", "--")]:
                k = tr.where(phase)
                kw = {"color": "C0", "ls": ls} | style
                ax[0].plot(gamma * tr.times[k], tr.M[k] / N, **kw)
                ax[1].plot(tr.S[k], tr.M[k], **kw)
    S = np.array([0, N / 2])
    for y in (S, -S):
        ax[1].plot(S, y, **BOUND)
    ax[1].axvline(N / 2, **BOUND)
    ax[0].set(xlabel=r"$\gamma t$", ylabel=r"$M/N$ ($\hbar\omega_s$ per emitter)")
    ax[1].set(xlabel=r"$S$", ylabel=r"$M$ ($\hbar\omega_s$)", xlim=(0, N / 2 * 1.05))
    legend = [
        ("C3", "-", 1.6, "storage"),
        ("C0", "-", 1.6, "release"),
        ("C0", "--", 1.6, "dark-state decay"),
        ("C2", "-", 2.4, "π pulse"),
        ("k", ":", 0.8, "cumulant theory"),
        ("0.6", BOUND["ls"], 0.8, r"$|M| \leq S \leq N/2$"),
    ]
    handles = [Line2D([], [], color=c, ls=ls, lw=lw, label=lab) for c, ls, lw, lab in legend]
    ax[0].legend(handles=handles, loc="upper right")


def draw_cycles(fig, cycles, protocols, lines, *, gamma, zoom_cycles=3):
    """Fig. 3 and a zoom: (a, b), (c, d) M and S of two protocols; (e, f) their last cycles.

    Parameters
    ----------
    fig : figure object with 3 x 2 axes
    cycles : dict of (protocol key, solver) to CycleResult
    protocols : dict of str to Protocol
        Two protocols, in row order.
    lines : dict of str to dict of str to float
        Horizontal reference lines on the S panels: ``{label: {protocol key: S}}``.
    gamma : float
    zoom_cycles : int
        Number of cycles in the zoom panels: the last ones that both solvers ran.

    Notes
    -----
    CSV columns: ``gamma_t({p},{solver})``, ``M({p},{solver})``, ``S({p},{solver})``.
    """
    ax = fig.axes
    styles = {"exact": dict(lw=1.0, color="C0"), "cumulant": dict(lw=0.7, color="k", ls=":")}
    line_styles = [dict(color="C3", ls="--"), dict(color="C2", ls="-.")]
    for row, (p, pr) in enumerate(protocols.items()):
        end = min(cycles[(p, k)].trace.times[-1] for k in styles)
        window = (end - zoom_cycles * (pr.tau_s + pr.tau_d) - 1e-12, end)
        for name, style in styles.items():
            tr = cycles[(p, name)].trace
            kw = dict(x_name=f"gamma_t({p},{name})", x_unit="1 (gamma*t)", label=name) | style
            t = gamma * tr.times
            fig.plot(ax[2 * row], t, tr.M, name=f"M({p},{name})", unit="hbar*omega_s", **kw)
            fig.plot(ax[2 * row + 1], t, tr.S, name=f"S({p},{name})", unit="1", **kw)
            zoom = (tr.times >= window[0]) & (tr.times <= window[1])
            ax[4 + row].plot(t[zoom], tr.M[zoom], **style, label=f"$M$, {name}")
            if name == "exact":
                ax[4 + row].plot(t[zoom], tr.S[zoom], "C1--", lw=1.0, label="$S$, exact")
                top = tr.S[zoom].max()
        for (label, values), ls in zip(lines.items(), line_styles):
            ax[2 * row + 1].axhline(values[p], lw=0.8, label=label, **ls)
        title = rf"$\gamma\tau_s={gamma * pr.tau_s:g}$, $\gamma\tau_d={gamma * pr.tau_d:g}$"
        ax[2 * row].set(xlabel=r"$\gamma t$", ylabel=r"$M$ ($\hbar\omega_s$)", title=title)
        ax[2 * row + 1].set(xlabel=r"$\gamma t$", ylabel=r"$S$")
        ax[4 + row].set(
            xlabel=r"$\gamma t$",
            ylabel=r"$M$ ($\hbar\omega_s$), $S$",
            title=rf"$\gamma\tau_d={gamma * pr.tau_d:g}$, last {zoom_cycles} cycles",
            ylim=(-1.25 * top, 1.9 * top),  # room for the legend above the data
        )
        ax[4 + row].legend(loc="upper center", ncols=3)
    ax[1].legend(loc="upper right")


def draw_short_cycle_limit(fig, sequences, limits, cycles, lines, *, gamma):
    """Exact limit cycles for shrinking τ (a, b) and the multiplet distributions (c).

    Parameters
    ----------
    fig : figure object with three axes
    sequences : dict of str to SmallTauSequence
        Two protocols.
    limits : dict of str to SpinDistribution
        Their short-cycle limits (:func:`~qbkit.models.ensemble_battery.small_tau_limit`).
    cycles : dict of str to LimitCycle
        The exact limit cycles at the chapter's τ (with distributions).
    lines : dict of str to dict of str to float
        Reference values of S per protocol, ``{label: {p: S}}`` (drawn as short lines);
        the S of ``limits`` is added as "birth-death limit".
    gamma : float

    Notes
    -----
    CSV columns: ``gamma_tau_s({p})``, ``S_limit_cycle({p},exact)``, one-value columns
    ``{label}({p})`` and ``S_extrapolated({p})``, ``j``, ``P_j({p},exact)``,
    ``P_j({p},small_tau_limit)``.
    """
    ax = fig.axes
    styles = ["C3--", "C2-.", "k:"]
    lines = {**lines, "birth-death limit": {p: d.S for p, d in limits.items()}}
    for k, ((p, seq), marker) in enumerate(zip(sequences.items(), "os")):
        tau = gamma * seq.tau_s
        kw = dict(x_name=f"gamma_tau_s({p})", x_unit="1 (gamma*tau_s)", label="exact limit cycle")
        fig.plot(ax[k], tau, seq.S, marker + "-", name=f"S_limit_cycle({p},exact)", unit="1", **kw)
        for (label, values), style in zip(lines.items(), styles):
            fig.record(f"{label}({p})", [values[p]], "1")
            ax[k].plot([0, tau[0]], [values[p]] * 2, style, lw=1.0, label=label)
        fig.record(f"S_extrapolated({p})", [seq.S_limit], "1")
        ax[k].plot([0], [seq.S_limit], "k*", ms=8, label="extrapolated to τ = 0")
        ratio = seq.protocols[0].tau_d / seq.protocols[0].tau_s
        xlabel = r"$\gamma\tau_s$ ($\Gamma\tau_s^2$ fixed)"
        ax[k].set(xlabel=xlabel, ylabel=r"$S$", title=rf"$\tau_d/\tau_s = {ratio:.3g}$")
        kw = dict(x_name="j", x_unit="1", color=f"C{k}")
        tag = rf"$\gamma\tau_s = {gamma * seq.protocols[0].tau_s:g}$"
        fig.plot(
            ax[2],
            limits[p].j,
            cycles[p].distribution.P,
            "-",
            name=f"P_j({p},exact)",
            unit="1",
            label=f"{p}, {tag}",
            **kw,
        )
        fig.plot(
            ax[2],
            limits[p].j,
            limits[p].P,
            ":",
            name=f"P_j({p},small_tau_limit)",
            unit="1",
            label=f"{p}, τ → 0",
            **kw,
        )
        ax[2].axvline(cycles[p].S, color=f"C{k}", lw=0.6, ls="--")
    ax[0].legend(loc="center right")
    top = max(float(np.max(c.distribution.j[c.distribution.P > 1e-4])) for c in cycles.values())
    high = 1.5 * max(float(c.distribution.P.max()) for c in cycles.values())  # room for the legend
    ax[2].set(xlabel=r"multiplet $j$", ylabel=r"$P(j)$, end of a discharge", xlim=(0, top))
    ax[2].set_ylim(0, high)
    ax[2].legend(loc="upper right")


def draw_cumulant_scan(fig, release_scan, limit_cycle_scan):
    """Cumulant theory against the exact solution versus N: (a) one release, (b) the limit cycle.

    Notes
    -----
    CSV columns: ``N``, ``max_abs_dM_over_N``, ``max_abs_dS_over_N``,
    ``dM_over_N_after_release`` (absolute value, as drawn) and its signed value
    ``dM_over_N_after_release_signed``; ``N_limit_cycle``, ``rel_error_S_limit_cycle``,
    ``rel_error_capacity_limit_cycle``.
    """
    ax, r, c = fig.axes, release_scan, limit_cycle_scan
    kw = dict(x_name="N", x_unit="1")
    fig.plot(
        ax[0],
        r.N,
        r.max_dM,
        "o-",
        name="max_abs_dM_over_N",
        unit=PER_EMITTER,
        label=r"max $|\Delta M|/N$",
        **kw,
    )
    fig.plot(
        ax[0],
        r.N,
        r.max_dS,
        "s--",
        name="max_abs_dS_over_N",
        unit="1",
        label=r"max $|\Delta S|/N$",
        **kw,
    )
    fig.plot(
        ax[0],
        r.N,
        np.abs(r.dM_after),
        "^:",
        name="dM_over_N_after_release",
        unit=PER_EMITTER,
        label=r"$|\Delta M|/N$ after the release",
        **kw,
    )
    fig.record("dM_over_N_after_release_signed", r.dM_after, PER_EMITTER)
    kw = dict(x_name="N_limit_cycle", x_unit="1")
    fig.plot(
        ax[1], c.N, c.S_error, "o-", name="rel_error_S_limit_cycle", unit="1", label="$S$", **kw
    )
    fig.plot(
        ax[1],
        c.N,
        c.capacity_error,
        "s--",
        name="rel_error_capacity_limit_cycle",
        unit="1",
        label="charging capacity",
        **kw,
    )
    ax[0].set(xscale="log", yscale="log", xlabel=r"$N$", ylabel="cumulant minus exact, per emitter")
    ax[0].set_title("one release")
    ax[1].set(xscale="log", xlabel=r"$N$", ylabel="relative error, cumulant/exact − 1")
    ax[1].set_title(r"limit cycle, $\tau_d = \tau_s$")
    ax[1].axhline(0, color="0.6", lw=0.6)
    ax[0].legend(loc="lower left")
    ax[1].legend(loc="upper left")
