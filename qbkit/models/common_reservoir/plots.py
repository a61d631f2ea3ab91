r"""Figures of the common-reservoir battery (Quach & Munro 2020): what each panel shows, drawn once.

Each ``draw_*`` function draws on a figure object with ``axes`` (flat list of matplotlib
axes) and ``plot(ax, x, y, *fmt, name=, unit=, x_name=, x_unit=, **kw)`` (draw and record
a CSV column), such as :class:`qbkit.book.Figure`; it sets axis labels and legends and
leaves publishing to the caller. Energies are in :math:`\hbar\omega`, powers in
:math:`\hbar\omega\gamma`, entanglement in ebit, times in units of :math:`1/\gamma`
(``gamma`` scales the time axes). Curves are told apart by colour *and* marker.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "draw_fig2",
    "draw_fig3",
    "draw_fig4",
    "draw_fig5",
    "draw_fig6",
    "draw_limits",
    "draw_beyond",
]

# CSV units and axis labels (with units)
E, P, DSU = "hbar*omega", "hbar*omega*gamma", "ebit*gamma"
TG = ("gamma_t", "1 (gamma*t)")
GT, KT, NB, RR = r"$\gamma t$", r"$k_BT/\hbar\omega$", "$N_B$", "$R$"
EB, ESS = r"$\mathcal{E}_B$ ($\hbar\omega$)", r"$\mathcal{E}_B^{ss}$ ($\hbar\omega$)"
EBC = r"$\mathcal{E}_B$ (solid), $\mathcal{E}_C$ (dotted) ($\hbar\omega$)"
PB, PMAX = r"$\mathcal{P}_B$ ($\hbar\omega\gamma$)", r"$\mathcal{P}_B^{\max}$ ($\hbar\omega\gamma$)"
SB, SSS = "$S_B$ (ebit)", "$S_B^{ss}$ (ebit)"
DS, DSMAX = r"$\dot{S}_B$ (ebit $\gamma$)", r"largest maximum of $\dot{S}_B$ (ebit $\gamma$)"
VS_NB, VS_R = (dict(x_name=x, x_unit="1", markevery=1) for x in ("N_B", "R"))
VS_T = dict(x_name="T", x_unit="hbar*omega/k_B")
REFERENCE = dict(fmt="--", color="k", marker="")


def curves(fig, k, x, ys, name, unit=E, label="", fmt="-", scale=1.0, **kw):
    """Draw one curve per entry of ``ys`` on panel ``k``, colour and marker by position.

    Parameters
    ----------
    fig : figure object (see the module docstring)
    k : int
        Panel index in ``fig.axes``.
    x : array_like, shape (n,)
    ys : dict of key to array_like, shape (n,)
    name, label : str
        CSV column name and legend label; ``{}`` is replaced by the key.
    unit : str
        CSV unit of the values.
    fmt : str
        Matplotlib format string.
    scale : float
        Factor applied to every curve (plotted and recorded).
    **kw
        Further keywords of ``fig.plot`` (they override the colour and marker).
    """
    for i, (key, y) in enumerate(ys.items()):
        lab, col = label.replace("{}", f"{key}"), name.replace("{}", f"{key}")
        st = dict(color=f"C{i}", marker="os^D"[i], markevery=0.1, label=lab) | kw
        fig.plot(fig.axes[k], x, scale * y, fmt, name=col, unit=unit, **st)


def label_axes(fig, *xy, legend="best"):
    """Set the ``(xlabel, ylabel)`` of each panel in order and a legend where it has labels.

    ``legend`` is one location for every panel or one per panel (a ``loc`` string or the
    keywords of ``ax.legend``).
    """
    for ax, (x, y), loc in zip(fig.axes, xy, [legend] * 9 if isinstance(legend, str) else legend):
        ax.set(xlabel=x, ylabel=y)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(**loc if isinstance(loc, dict) else {"loc": loc})


def observable(runs, name):
    """``{key: getattr(run, name)}`` for a dict of runs."""
    return {k: getattr(r, name) for k, r in runs.items()}


def _gamma_t(runs, gamma):
    return gamma * next(iter(runs.values())).times


def draw_fig2(fig, runs, E_ss_vs_N_B, E_ss_vs_R, P_max_vs_N_B, P_max_vs_R, N_B, R, *, gamma):
    r"""Fig. 2: energy and power while charging; steady energy and peak power against N_B and R.

    Parameters
    ----------
    fig : figure object with six panels (2 x 3)
    runs : dict of int to ChargingResult
        One charging run per battery size N_B, on one time grid: panels (a), (d).
    E_ss_vs_N_B, P_max_vs_N_B : dict of int to ndarray, shape (len(N_B),)
        :math:`\mathcal E_B^{ss}` and :math:`\mathcal P_B^{\max}` per R: panels (b), (e).
    E_ss_vs_R, P_max_vs_R : dict of int to ndarray, shape (len(R),)
        The same per N_B against R: panels (c), (f).
    N_B, R : ndarray
        The x axes of (b), (e) and (c), (f).
    gamma : float
        Reservoir damping rate (1/time unit); powers are plotted in units of
        :math:`\hbar\omega\gamma`.
    """
    tg = _gamma_t(runs, gamma)
    curves(fig, 0, tg, observable(runs, "energy_density_B"), "E_B(N_B={})", label="$N_B={}$")
    curves(fig, 0, tg, observable(runs, "energy_density_C"), "E_C(N_B={})", fmt=":")
    power = observable(runs, "power_density_B")
    curves(fig, 3, tg, power, "P_B(N_B={})", P, "$N_B={}$", scale=1 / gamma)
    P_NB, P_R = ({k: v / gamma for k, v in d.items()} for d in (P_max_vs_N_B, P_max_vs_R))
    curves(fig, 1, N_B, E_ss_vs_N_B, "E_B_ss(R={})", label="$R={}$", **VS_NB)
    curves(fig, 4, N_B, P_NB, "P_B_max(R={})", P, "$R={}$", **VS_NB)
    curves(fig, 2, R, E_ss_vs_R, "E_B_ss(N_B={})", label="$N_B={}$", **VS_R)
    curves(fig, 5, R, P_R, "P_B_max(N_B={})", P, "$N_B={}$", **VS_R)
    where = [
        "center right",
        "lower right",
        "lower right",
        "upper right",
        "upper left",
        "upper left",
    ]
    label_axes(fig, (GT, EBC), (NB, ESS), (RR, ESS), (GT, PB), (NB, PMAX), (RR, PMAX), legend=where)


def draw_fig3(fig, runs_N_B, runs_R, *, gamma):
    """Fig. 3: ergotropy (solid) and energy (dotted) per battery spin while charging.

    Parameters
    ----------
    fig : figure object with two panels
    runs_N_B, runs_R : dict of int to ChargingResult
        Runs keyed by N_B (panel a) and by R (panel b), on one time grid.
    gamma : float
    """
    for k, runs, key in [(0, runs_N_B, "N_B"), (1, runs_R, "R")]:
        tg = _gamma_t(runs, gamma)
        W = observable(runs, "ergotropy_density_B")
        curves(fig, k, tg, W, f"W_B({key}={{}})", label=f"${key}={{}}$")
        curves(fig, k, tg, observable(runs, "energy_density_B"), f"E_B({key}={{}})", fmt=":")
    WB_EB = r"$\mathcal{W}_B$ (solid), $\mathcal{E}_B$ (dotted) ($\hbar\omega$)"
    label_axes(fig, (GT, WB_EB), (GT, WB_EB), legend=["lower right", (0.62, 0.42)])


def draw_fig4(fig, runs, S_ss, E_ss, *, N_B, gamma):
    r"""Fig. 4: log negativity while charging, against energy, and in the steady state.

    Parameters
    ----------
    fig : figure object with four panels (2 x 2)
    runs : dict of int to ChargingResult
        Runs keyed by N_B: (a) :math:`S_B(t)`, (b) :math:`\mathcal E_B` against :math:`S_B`.
    S_ss, E_ss : dict of int to ndarray, shape (len(N_B),)
        Steady-state log negativity and energy density per R: (c) against N_B, (d) parametric.
    N_B : ndarray
    gamma : float
    """
    tg = _gamma_t(runs, gamma)
    curves(fig, 0, tg, observable(runs, "log_negativity"), "S_B(N_B={})", "ebit", "$N_B={}$")
    curves(fig, 2, N_B, S_ss, "S_B_ss(R={})", "ebit", "$R={}$", **VS_NB)
    for i, (n, r) in enumerate(runs.items()):  # parametric plots: each curve has its own x column
        kw = dict(color=f"C{i}", marker="os^D"[i], x_name=f"S_B(N_B={n})", x_unit="ebit")
        curves(
            fig, 1, r.log_negativity, {n: r.energy_density_B}, "E_B(N_B={})", label="$N_B={}$", **kw
        )
    for i, r in enumerate(S_ss):
        kw = dict(
            color=f"C{i}", marker="os^D"[i], markevery=1, x_name=f"S_B_ss(R={r})", x_unit="ebit"
        )
        curves(fig, 3, S_ss[r], {r: E_ss[r]}, "E_B_ss(R={})", label="$R={}$", **kw)
    label_axes(fig, (GT, SB), (SB, EB), (NB, SSS), (SSS, ESS))


def draw_fig5(fig, runs, dS_max, lag, *, N_B, gamma):
    r"""Fig. 5: power and entanglement rate while charging; their peaks against N_B.

    Parameters
    ----------
    fig : figure object with four panels (2 x 2)
    runs : dict of int to ChargingResult
        Runs keyed by N_B: (a) :math:`\mathcal P_B(t)`, (b) :math:`\dot S_B(t)`.
    dS_max, lag : dict of int to ndarray, shape (len(N_B),)
        Largest maximum of :math:`\dot S_B` and its lag behind the power peak, per R.
    N_B : ndarray
    gamma : float
    """
    tg, g1 = _gamma_t(runs, gamma), 1 / gamma
    curves(fig, 0, tg, observable(runs, "power_density_B"), "P_B(N_B={})", P, "$N_B={}$", scale=g1)
    dS = observable(runs, "dlog_negativity")
    curves(fig, 1, tg, dS, "dS_B(N_B={})", DSU, "$N_B={}$", scale=g1)
    curves(fig, 2, N_B, dS_max, "dS_B_max(R={})", DSU, "$R={}$", scale=g1, **VS_NB)
    curves(fig, 3, N_B, lag, "lag(R={})", TG[1], "$R={}$", scale=gamma, **VS_NB)
    label_axes(fig, (GT, PB), (GT, DS), (NB, DSMAX), (NB, r"lag $\gamma\Delta t$"))


def draw_fig6(fig, runs, T, E_ss, dE_dT, W_ss, *, R_W, gamma):
    r"""Fig. 6: charging at several temperatures; steady energy, its slope and ergotropy against T.

    Parameters
    ----------
    fig : figure object with four panels (2 x 2)
    runs : dict of str to ChargingResult
        Runs keyed by the temperature label: (a).
    T : ndarray, shape (n_T,)
        Temperature axis, :math:`k_BT/\hbar\omega`.
    E_ss, dE_dT : dict of int to ndarray, shape (n_T,)
        :math:`\mathcal E_B^{ss}` and :math:`d\mathcal E_B^{ss}/dT` per R: (b), (c).
    W_ss : ndarray, shape (n_T,)
        Steady-state ergotropy density at ``R = R_W``, drawn with ``E_ss[R_W]`` in (d).
    R_W : int
    gamma : float
    """
    tg = _gamma_t(runs, gamma)
    curves(fig, 0, tg, observable(runs, "energy_density_B"), "E_B(T={})", label="$T={}$")
    curves(fig, 0, tg, observable(runs, "energy_density_C"), "E_C(T={})", fmt=":")
    curves(fig, 1, T, E_ss, "E_B_ss(R={})", label="$R={}$", **VS_T)
    curves(fig, 2, T, dE_dT, "dE_B_ss_dT(R={})", "k_B", "$R={}$", **VS_T)
    curves(fig, 3, T, {R_W: E_ss[R_W]}, "E_B_ss(R={})", label=r"$\mathcal{E}_B^{ss}$", **VS_T)
    W = {R_W: W_ss}
    curves(fig, 3, T, W, "W_B_ss(R={})", label=r"$\mathcal{W}_B^{ss}$", fmt=":", **VS_T)
    EW = r"$\mathcal{E}_B^{ss}$ (solid), $\mathcal{W}_B^{ss}$ (dotted) ($\hbar\omega$)"
    DEDT = r"$d\mathcal{E}_B^{ss}/dT$ ($k_B$)"
    where = ["center right", dict(loc="upper right", ncols=2), "upper right", "center right"]
    label_axes(fig, (GT, EBC), (KT, ESS), (KT, DEDT), (KT, EW), legend=where)


def draw_limits(fig, limits):
    r"""Large-R and large-N_B limits at T = 0 (:func:`~.analysis.size_limits`).

    (a) :math:`\mathcal E_B^{ss}` against R with the closed form :math:`(R/(R+1))^2` of
    :math:`N_B = 1`; (b) against :math:`N_B`; (c) the distance to the limit (to 1/2 at R = 1)
    with the asymptote :math:`\sqrt{\pi/N_B}/4` of R = 1; (d) :math:`1 - \mathcal W/\mathcal E`.

    Parameters
    ----------
    fig : figure object with four panels (2 x 2)
    limits : SizeLimits
    """
    R, N_B = limits.R, limits.N_B
    curves(fig, 0, R, limits.E_vs_R, "E_B_ss_vs_R(N_B={})", label="$N_B={}$", **VS_R)
    closed = {1: (R / (R + 1.0)) ** 2}
    curves(fig, 0, R, closed, "(R/(R+1))^2", label="$(R/(R+1))^2$", **REFERENCE | VS_R)
    curves(fig, 1, N_B, limits.E_vs_N_B, "E_B_ss_vs_N_B(R={})", label="$R={}$", **VS_NB)
    curves(fig, 2, N_B, limits.deficit, "deficit(R={})", label="$R={}$", **VS_NB)
    asym = {1: np.sqrt(np.pi / N_B) / 4}
    curves(fig, 2, N_B, asym, "sqrt(pi/N_B)/4", label=r"$\sqrt{\pi/N_B}/4$", **REFERENCE | VS_NB)
    WE = {r: 1 - limits.W_vs_N_B[r] / limits.E_vs_N_B[r] for r in limits.W_vs_N_B}
    curves(fig, 3, N_B, WE, "1-W/E(R={})", "1", "$R={}$", **VS_NB)
    for k, ax in enumerate(fig.axes):
        ax.set(xscale="log", yscale="log" if k > 1 else "linear")
    DEF = r"$1 - \mathcal{E}_B^{ss}$; $\frac{1}{2} - \mathcal{E}_B^{ss}$ at $R = 1$ ($\hbar\omega$)"
    WoE, where = r"$1 - \mathcal{W}_B^{ss}/\mathcal{E}_B^{ss}$", ["lower right", "center right"]
    label_axes(fig, (RR, ESS), (NB, ESS), (NB, DEF), (NB, WoE), legend=where + ["lower left"] * 2)


def draw_beyond(fig, R_scan, S_ss, R, dS_max, study, T, E_thermal, *, gamma):
    r"""Entanglement against R, discharge, and a battery of independent thermal spins.

    Parameters
    ----------
    fig : figure object with six panels (2 x 3)
    R_scan : ndarray
        R axis of (a).
    S_ss : dict of int to ndarray, shape (len(R_scan),)
        Steady-state log negativity per N_B: (a).
    R : ndarray
        R axis of (b) (its own CSV column ``R'``).
    dS_max : dict of int to ndarray, shape (len(R),)
        Largest maximum of :math:`\dot S_B` per N_B: (b).
    study : DischargeStudy
        (c) the energy of the largest battery after removing the charger, collective and
        dephased, with the single-spin decay from the same start; (d) the half-lives.
    T : ndarray
        Temperature axis of (e), (f).
    E_thermal : dict of str to dict of int to ndarray, shape (len(T),)
        :math:`\mathcal E_B^{ss}` at N_B = 2 per R, for the ``"thermal"`` (collective Gibbs)
        and ``"independent"`` battery states: (e), (f).
    gamma : float
    """
    curves(fig, 0, R_scan, S_ss, "S_B_ss(N_B={})", "ebit", "$N_B={}$", **VS_R)
    VS_R2 = VS_R | {"x_name": "R'"}  # a second R column: the rate scan stops at R_max
    curves(fig, 1, R, dS_max, "dS_B_max(N_B={})", DSU, "$N_B={}$", scale=1 / gamma, **VS_R2)
    n, t = study.N_B[-1], study.times
    ys = {
        "collective": study.collective[n].energy_density,
        "dephased": study.dephased[n].energy_density,
    }
    ys["independent"] = ys["collective"][0] * np.exp(-2 * gamma * t)
    curves(fig, 2, gamma * t, ys, f"E_B_{{}}(N_B={n})", label="{}", x_name="gamma_t", x_unit=TG[1])
    curves(fig, 3, study.N_B, study.half_life_ratio, "t_half_{}_over_single", "1", "{}", **VS_NB)
    for k, b in [(4, "thermal"), (5, "independent")]:
        curves(fig, k, T, E_thermal[b], f"E_B_ss_{b}(N_B=2,R={{}})", label="$R={}$", **VS_T)
    DIS, HALF = r"$\gamma t$ after removing the charger", r"half-life / $(\ln 2/2\gamma)$"
    E2 = [ESS.replace("$ (", f"$, {b} (") for b in ("collective Gibbs", "independent")]
    where = ["upper right", "upper left"] + ["upper right"] * 4
    label_axes(
        fig, (RR, SSS), (RR, DSMAX), (DIS, EB), (NB, HALF), (KT, E2[0]), (KT, E2[1]), legend=where
    )
