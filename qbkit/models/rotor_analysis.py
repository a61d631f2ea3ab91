r"""Studies of the rotor device of Leitch et al.: regime boundaries, moment-of-inertia scans,
rectification, comparisons between master equations, validity checks, and the panels that draw them.

The model and its solvers are in :mod:`qbkit.models.rotor`; this module combines them into the
searches and tables of the chapter. Units as there: :math:`\hbar = k_B = 1`, energies in the unit of
the fields :math:`B_i`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import qutip
from scipy.optimize import brentq, minimize_scalar

from ..thermo import best_tradeoff, carnot_efficiency, rectification_coefficient
from .rotor import (
    RotorDevice,
    Sweep,
    bath_rates,
    load_exponent_error,
    ohmic_spectral_density,
    rotor_gibbs,
    steady_state,
    sweep,
)

__all__ = [
    "Regimes",
    "regimes",
    "fit_inertia",
    "InertiaScan",
    "scan_inertia",
    "Rectification",
    "rectification",
    "tradeoff_table",
    "fig45_statements",
    "fig4_shape",
    "appendix_c_statements",
    "tradeoff_change",
    "bound_ratios",
    "load_alone",
    "smallest_splitting",
    "qutip_differences",
    "identities",
    "compare_equations",
    "lambda_limit",
    "load_range",
    "max_relative_change",
    "lamb_shift_change",
    "rectifications",
    "cutoff_scan",
    "draw_flows",
    "draw_tradeoff",
    "draw_populations",
    "draw_performance",
    "draw_boundaries",
    "draw_ergotropies",
    "draw_powers",
]


# --- the operating regimes of Fig. 2 --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Regimes:
    r"""Where the device (local equation) changes its operation along :math:`\beta_2/\beta_1`.

    Attributes
    ----------
    engine_to_accelerator : float
        :math:`\beta_2/\beta_1` where :math:`\dot W^{(Q)}` changes sign for the last time below
        the next boundary (NaN if it does not; for small I it also changes sign at very small
        ratios, where the hot bath is too hot for the engine).
    accelerator_to_refrigerator : float
        Where :math:`\dot Q_1` first changes sign.
    eta_peak_ratio, eta_peak : float
        Position and value of the largest interior maximum of :math:`\eta = -\dot W^{(Q)}/\dot Q_2`,
        Eq. (36), in the engine range (NaN if none).
    cop_peak_ratio : float
        Grid point where COP (37) is largest in the refrigerator range (:math:`\dot Q_1 > 0`,
        :math:`\dot Q_2 < 0`, :math:`\dot W^{(Q)} > 0`).
    ratios : ndarray, shape (n,)
        The grid.
    sweep : Sweep
        The steady states on the grid.
    """

    engine_to_accelerator: float
    accelerator_to_refrigerator: float
    eta_peak_ratio: float
    eta_peak: float
    cop_peak_ratio: float
    ratios: np.ndarray
    sweep: Sweep


def _root(f, x, y, xtol, below=np.inf, last=False):
    """First (or last) sign change of sampled y(x) with x < below, refined by Brent's method."""
    k = np.flatnonzero((np.sign(y[:-1]) * np.sign(y[1:]) <= 0) & (x[:-1] < below))
    if not k.size:
        return float("nan")
    k = k[-1] if last else k[0]
    return float(x[k] if y[k] == 0 else brentq(f, x[k], x[k + 1], xtol=xtol))


def regimes(device, baths, ratios, *, xtol=1e-7, peak=True):
    r"""Regime boundaries, efficiency peak and COP maximum of the local equation.

    The steady states are computed on the grid ``ratios`` of :math:`\beta_2/\beta_1` (at the
    baths' :math:`\beta_1`); each boundary is bracketed by the first sign change on the grid and
    refined by Brent's method to ``xtol``; the efficiency's largest interior maximum on the grid
    is refined by a bounded scalar maximization between its two neighbours.

    Parameters
    ----------
    device : RotorDevice
    baths : Baths
    ratios : array_like, shape (n,)
        Increasing grid in (0, 1), n >= 3.
    xtol : float, keyword-only
    peak : bool, keyword-only
        Refine the efficiency's peak (else ``eta_peak_ratio`` and ``eta_peak`` are NaN).

    Returns
    -------
    Regimes
    """
    r = np.asarray(ratios, dtype=float)
    if r.ndim != 1 or r.size < 3 or np.any(np.diff(r) <= 0):
        raise ValueError("ratios must be an increasing 1-d grid of at least 3 points")
    sw = sweep(device, [baths.at_ratio(x) for x in r])
    at = lambda x: steady_state(device, baths.at_ratio(x))  # noqa: E731
    r_AR = _root(lambda x: at(x).Q1, r, sw.Q1, xtol)
    r_EA = _root(lambda x: at(x).W_Q, r, sw.W_Q, xtol, below=r_AR, last=True)
    engine, eta = np.flatnonzero(sw.engine), sw.eta
    r_eta = eta_max = float("nan")
    inner = [k for k in engine[1:-1] if eta[k] > eta[k - 1] and eta[k] >= eta[k + 1]]
    inner = [k for k in inner if k - 1 in engine and k + 1 in engine]
    if inner and peak:
        k = max(inner, key=lambda k: eta[k])

        def minus_eta(x):
            s = at(x)
            return s.W_Q / s.Q2

        res = minimize_scalar(
            minus_eta, bounds=(r[k - 1], r[k + 1]), method="bounded", options={"xatol": 1e-6}
        )
        r_eta, eta_max = float(res.x), float(-res.fun)
    fridge = np.flatnonzero(sw.refrigerator)
    cop_at = float(r[fridge[np.argmax(sw.cop[fridge])]]) if fridge.size else float("nan")
    return Regimes(r_EA, r_AR, r_eta, eta_max, cop_at, r, sw)


def fit_inertia(params, baths, targets, bracket, ratios, *, xtol=1e-4):
    r"""The moment of inertia that puts the two regime boundaries closest to ``targets``.

    Minimizes :math:`F(I) = (r_{EA}(I) - t_{EA})^2 + (r_{AR}(I) - t_{AR})^2` over ``bracket`` by
    bounded scalar minimization (Brent), each :math:`r(I)` from :func:`regimes` on ``ratios``.

    Parameters
    ----------
    params : RotorParameters
        Everything but I.
    baths : Baths
    targets : (float, float)
        Engine-accelerator and accelerator-refrigerator boundaries to reproduce.
    bracket : (float, float)
        Range of I searched.
    ratios : array_like
        Grid that brackets both boundaries.

    Returns
    -------
    (float, float)
        I at the minimum and :math:`\sqrt{F}` there.
    """

    def F(I):
        reg = regimes(RotorDevice(replace(params, I=float(I))), baths, ratios, peak=False)
        return (reg.engine_to_accelerator - targets[0]) ** 2 + (
            reg.accelerator_to_refrigerator - targets[1]
        ) ** 2

    res = minimize_scalar(F, bounds=bracket, method="bounded", options={"xatol": xtol})
    return float(res.x), float(np.sqrt(res.fun))


@dataclass(frozen=True, eq=False)
class InertiaScan:
    r"""The operating regimes of the local equation across moments of inertia.

    Attributes
    ----------
    I : ndarray, shape (k,)
    engine_to_accelerator, accelerator_to_refrigerator, eta_peak_ratio, eta_peak, cop_peak_ratio
        The fields of :class:`Regimes` for each I, arrays of shape (k,).
    ratios : ndarray, shape (n,)
        The grid of :math:`\beta_2/\beta_1`.
    eta_over_carnot : ndarray, shape (k, n)
        :math:`\eta/\eta_C` on the grid, NaN outside the engine regime.
    regimes : tuple of Regimes
        The full result for each I (with its steady states).
    """

    I: np.ndarray
    engine_to_accelerator: np.ndarray
    accelerator_to_refrigerator: np.ndarray
    eta_peak_ratio: np.ndarray
    eta_peak: np.ndarray
    cop_peak_ratio: np.ndarray
    ratios: np.ndarray
    eta_over_carnot: np.ndarray
    regimes: tuple

    @staticmethod
    def header(at):
        """Column titles of :meth:`rows` (for :func:`qbkit.book.table`)."""
        return [
            "$I$",
            r"$\dot W^{(Q)} = 0$",
            r"$\dot Q_1 = 0$",
            r"$\eta$ peaks at",
            r"peak $\eta$",
            rf"$\eta/\eta_C$ at {at:g}",
            r"largest $\eta/\eta_C$",
            "COP largest at",
        ]

    def rows(self, at):
        r"""One row per I (see :meth:`header`): I, the two boundaries, position and value of the
        efficiency's peak, :math:`\eta/\eta_C` at the ratio ``at``, the largest
        :math:`\eta/\eta_C` and where the COP is largest (for :func:`qbkit.book.table`)."""
        eoc = self.eta_over_carnot
        return [
            [self.I[k], self.engine_to_accelerator[k], self.accelerator_to_refrigerator[k]]
            + [self.eta_peak_ratio[k], self.eta_peak[k], np.interp(at, self.ratios, eoc[k])]
            + [np.nanmax(eoc[k]), self.cop_peak_ratio[k]]
            for k in range(self.I.size)
        ]


def scan_inertia(params, baths, I_values, ratios):
    """:func:`regimes` for each moment of inertia in ``I_values`` (the rest of ``params`` fixed).

    Every device shares the sector matrices of its window, so a new I costs only its solves.

    Returns
    -------
    InertiaScan
    """
    regs = [regimes(RotorDevice(replace(params, I=float(i))), baths, ratios) for i in I_values]
    r = np.asarray(ratios, dtype=float)
    eta_C = carnot_efficiency(r * baths.beta1, baths.beta1)
    ratio = [np.where(g.sweep.engine, g.sweep.eta / eta_C, np.nan) for g in regs]
    field = lambda name: np.array([getattr(g, name) for g in regs])  # noqa: E731
    return InertiaScan(
        I=np.asarray(I_values, dtype=float),
        engine_to_accelerator=field("engine_to_accelerator"),
        accelerator_to_refrigerator=field("accelerator_to_refrigerator"),
        eta_peak_ratio=field("eta_peak_ratio"),
        eta_peak=field("eta_peak"),
        cop_peak_ratio=field("cop_peak_ratio"),
        ratios=r,
        eta_over_carnot=np.array(ratio),
        regimes=tuple(regs),
    )


# --- rectification, Figs. 4-5 --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Rectification:
    r"""Heat and angular-momentum rectification along :math:`\chi`, Eqs. (38)-(43).

    Attributes (arrays of shape (n,) over ``chi``)
    ----------------------------------------------
    chi : ndarray
    Q, Q_swap : ndarray
        Heat into the system from the hot bath, :math:`\dot Q = \dot Q_2`, and after swapping the
        two temperatures, :math:`\dot Q^{(swap)} = \dot Q_1^{(swap)}`, Eq. (38).
    R, J : ndarray
        Eq. (39) and Eq. (40) (J divided by :math:`\lambda g^2`).
    Lz, Lz_swap : ndarray
        :math:`\langle L_z\rangle` in the two configurations.
    R_angular : ndarray
        Eq. (42) read literally, with the signed :math:`\langle L_z\rangle` (exceeds 1 where the
        swap reverses the rotation).
    R_angular_abs : ndarray
        Eq. (42) with :math:`|\langle L_z\rangle|` and its swapped value (in [0, 1]).
    J_angular : ndarray
        Eq. (43).
    forward, backward : Sweep
        The steady states before and after the swap.
    """

    chi: np.ndarray
    Q: np.ndarray
    Q_swap: np.ndarray
    R: np.ndarray
    J: np.ndarray
    Lz: np.ndarray
    Lz_swap: np.ndarray
    R_angular: np.ndarray
    R_angular_abs: np.ndarray
    J_angular: np.ndarray
    forward: Sweep
    backward: Sweep


def rectification(device, baths, chis, *, equation="global"):
    r"""R, J, :math:`R_{angular}` (two readings), :math:`J_{angular}` for each χ, Eqs. (38)-(43).

    ``baths`` holds the forward configuration (bath 2 hot); each point is solved as it is and
    with :meth:`Baths.swapped`.

    Returns
    -------
    Rectification
    """
    chis = np.asarray(chis, dtype=float)
    fwd = sweep(device, [replace(baths, chi=c) for c in chis], equation=equation)
    bwd = sweep(device, [replace(baths, chi=c).swapped() for c in chis], equation=equation)
    Q, Qs, Lz, Lzs = fwd.Q2, bwd.Q1, fwd.Lz, bwd.Lz
    return Rectification(
        chi=chis,
        Q=Q,
        Q_swap=Qs,
        R=rectification_coefficient(Q, Qs),
        J=np.maximum(np.abs(Q), np.abs(Qs)) / (device.params.lam * baths.g**2),
        Lz=Lz,
        Lz_swap=Lzs,
        R_angular=rectification_coefficient(Lz, Lzs),
        R_angular_abs=rectification_coefficient(np.abs(Lz), np.abs(Lzs)),
        J_angular=np.maximum(np.abs(Lz), np.abs(Lzs)),
        forward=fwd,
        backward=bwd,
    )


TRADEOFF_HEADER = (
    r"$\beta_2$",
    r"$\alpha$",
    r"$\chi$",
    "$R$",
    "$J$",
    r"$\chi$",
    "$R_{ang}$ (signed)",
    "$J_{ang}$",
    r"$\chi$",
    r"$R_{ang}$ ($|L_z|$)",
    "$J_{ang}$",
)


def tradeoff_table(rects, alphas):
    r"""Where :math:`\Gamma_\alpha`, Eqs. (41) and (44), is largest along each curve.

    Parameters
    ----------
    rects : dict of float to Rectification
        One sweep over χ per hot-bath inverse temperature.
    alphas : sequence of float

    Returns
    -------
    list of list
        One row per (β₂, α), see :data:`TRADEOFF_HEADER`: χ, R, J at the heat optimum; χ,
        :math:`R_{angular}` (signed), :math:`J_{angular}` and χ, :math:`R_{angular}` (with
        :math:`|\langle L_z\rangle|`), :math:`J_{angular}` at the angular optima.
    """
    rows = []
    for b2, r in rects.items():
        for a in alphas:
            h = best_tradeoff(r.R, r.J, a)
            s = best_tradeoff(r.R_angular, r.J_angular, a)
            u = best_tradeoff(r.R_angular_abs, r.J_angular, a)
            rows.append([b2, a, r.chi[h], r.R[h], r.J[h], r.chi[s], r.R_angular[s]])
            rows[-1] += [r.J_angular[s], r.chi[u], r.R_angular_abs[u], r.J_angular[u]]
    return rows


def fig4_shape(rects):
    r"""The shape of Fig. 4 stated in Sec. IV B, for each curve: R and J rise with χ at first, J
    has its maximum before (or where) R has its own, R's maximum lies inside the grid, and J falls
    after its maximum.

    Returns
    -------
    dict of float to bool
        ``{beta2: holds}``.
    """
    return {
        b2: bool(
            r.R[1] > r.R[0]
            and r.J[1] > r.J[0]
            and np.argmax(r.J) <= np.argmax(r.R) < r.chi.size - 1
            and r.J[-1] < r.J.max()
        )
        for b2, r in rects.items()
    }


def bound_ratios(scans, beta1):
    r"""Largest :math:`\eta/\eta_C` over the engine points and :math:`\mathrm{COP}/\mathrm{COP}_C`
    over the refrigerator points of every sweep of the given :class:`InertiaScan` objects."""
    from ..thermo import carnot_cop

    eta, cop = [0.0], [0.0]
    for s in scans:
        for reg in s.regimes:
            r, sw = reg.ratios, reg.sweep
            eta += list(sw.eta[sw.engine] / carnot_efficiency(r * beta1, beta1)[sw.engine])
            cop += list(sw.cop[sw.refrigerator] / carnot_cop(r * beta1, beta1)[sw.refrigerator])
    return max(eta), max(cop)


def load_alone(params, baths):
    r""":math:`\langle L_z^2\rangle` of the rotor under the load alone (λ = 0) and in the Gibbs
    state at :math:`\beta_r` (Sec. II A)."""
    free = RotorDevice(replace(params, lam=0.0))
    lz2 = free.rotor_populations(steady_state(free, baths).x) @ free.l**2
    return float(lz2), float(rotor_gibbs(free.l, params.I, baths.beta_r) @ free.l**2)


def smallest_splitting(device):
    """Smallest energy splitting of the 2-by-2 blocks of :math:`H_S` (the dressed pairs)."""
    E = device.eigen()[0]
    return float(min(abs(E[b[0]] - E[b[1]]) for b in device.sector.blocks if b.size == 2))


def appendix_c_statements(ev, t_min=10.0):
    r"""The statements of Appendix C about Fig. 8 that our evolution can test.

    Returns
    -------
    bool
        The net power has an interior maximum and ends below 1e-3 of it, and the kinetic power
        decreases monotonically after ``t_min`` (after the first coherent oscillations) to below
        1e-3 of its largest value.
    """
    late = ev.times >= t_min
    end = max(abs(ev.net[-1]) / ev.net.max(), abs(ev.kinetic[-1]) / ev.kinetic.max())
    peak = 0 < np.argmax(ev.net) < ev.times.size - 1
    return bool(peak and end < 1e-3 and np.all(np.diff(ev.kinetic[late]) <= 0))


def tradeoff_change(new, old, alphas):
    r"""Largest change of the maximum of :math:`\Gamma_\alpha = \alpha R + (1-\alpha)J` between two
    sets of rectification sweeps (e.g. two χ grids), over the hot baths and the α."""
    return float(
        max(
            abs((a * n.R + (1 - a) * n.J).max() - (a * o.R + (1 - a) * o.J).max())
            for n, o in zip(new.values(), old.values())
            for a in alphas
        )
    )


def fig45_statements(hot, cold):
    r"""The four statements of Sec. IV B about Figs. 4-5, for the hottest and the coldest bath 2.

    Returns
    -------
    dict of bool
        ``"J"``: the largest J (:math:`\Gamma_0`) is much larger, read as more than twice, for
        the hotter bath; ``"R"``: the largest R (:math:`\Gamma_1`) is at least as large;
        ``"R_angular"``: the colder bath gives the larger maximal :math:`R_{angular}` (signed);
        ``"J_angular"``: the hotter bath gives the larger maximal :math:`J_{angular}`.
    """
    return {
        "J": bool(hot.J.max() > 2 * cold.J.max()),
        "R": bool(hot.R.max() >= cold.R.max()),
        "R_angular": bool(cold.R_angular.max() > hot.R_angular.max()),
        "J_angular": bool(hot.J_angular.max() > cold.J_angular.max()),
    }


# --- checks --------------------------------------------------------------------------------------


def qutip_differences(device, baths, equations):
    """Largest entry difference between our sector steady state and QuTiP's on the full space.

    ``"local"`` against ``qutip.steadystate(H, c_ops)``; ``"global"`` and ``"redfield"`` against
    ``qutip.steadystate`` of :meth:`RotorDevice.bloch_redfield` with and without the secular cut
    (the full space has dimension :math:`4d`, so keep the rotor small for those).

    Returns
    -------
    dict of str to float
    """
    out = {}
    for eq in equations:
        if eq == "local":
            rho = qutip.steadystate(device.H, device.collapse_operators(baths))
        else:
            rho = qutip.steadystate(device.bloch_redfield(baths, secular=eq == "global"))
        x = steady_state(device, baths, equation=eq).x
        out[eq] = float(np.abs(rho.full() - device.sector.matrix(x)).max())
    return out


def identities(device, sw, baths):
    r"""Identities of the local equation along a sweep (steady states of ``baths.at_ratio``).

    Returns
    -------
    dict of float
        ``eq23``: largest relative difference between Eq. (23), evaluated from
        :math:`\langle\sigma_1^+\sigma_2^-e^{i\varphi}\rangle`, and Eq. (24); ``sum_rule``: largest
        relative deviation from :math:`\dot Q_2 = 2B_2\gamma\langle L_z\rangle` and
        :math:`\dot Q_1 = -2B_1\gamma\langle L_z\rangle`; ``thermal``: largest deviation of either
        qubit's excited population from the Gibbs value of its bath; ``thermal_identity``: how
        well that deviation equals :math:`-\dot Q_i/[2B_ig_i^2(2n_i+1)]` (Eq. (19));
        ``W_r``: largest :math:`|\dot W^{(r)}|` over the largest other flow.
    """
    p = device.params
    b = sw.points
    n1 = np.array([1 / np.expm1(2 * p.B1 * s.baths.beta1) for s in b])
    n2 = np.array([1 / np.expm1(2 * p.B2 * s.baths.beta2) for s in b])
    op = device.sm1.dag() * device.sm2 * device.exp_iphi
    c = np.real(sw.x @ device.sector.functional(op))
    eq23 = -p.lam * (baths.g1**2 * (2 * n1 + 1) + baths.g2**2 * (2 * n2 + 1)) * c
    q = device.qubit_populations(sw.x)
    dev1 = q[:, 2] + q[:, 3] - n1 / (2 * n1 + 1)
    dev2 = q[:, 1] + q[:, 3] - n2 / (2 * n2 + 1)
    pred1 = -sw.Q1 / (2 * p.B1 * baths.g1**2 * (2 * n1 + 1))
    pred2 = -sw.Q2 / (2 * p.B2 * baths.g2**2 * (2 * n2 + 1))
    flows = np.abs([sw.Q1, sw.Q2, sw.W_Q]).max()
    gL = 2 * baths.gamma * sw.Lz
    return {
        "eq23": float(np.abs(eq23 - sw.W_Q).max() / np.abs(sw.W_Q).max()),
        "sum_rule": float(
            max(
                np.abs(sw.Q2 - p.B2 * gL).max() / np.abs(sw.Q2).max(),
                np.abs(sw.Q1 + p.B1 * gL).max() / np.abs(sw.Q1).max(),
            )
        ),
        "thermal": float(max(np.abs(dev1).max(), np.abs(dev2).max())),
        "thermal_identity": float(max(np.abs(dev1 - pred1).max(), np.abs(dev2 - pred2).max())),
        "W_r": float(np.abs(sw.W_r).max() / flows),
    }


COMPARISON_HEADER = (
    "$g$",
    r"$\beta_2/\beta_1$",
    r"rate $J_2(2B_2)(n_2+1)$",
    r"$\langle L_z\rangle$ local",
    r"$\langle L_z\rangle$ semi-global",
    r"$\langle L_z\rangle$ Redfield",
    r"$\dot Q_2$ semi-global",
    r"$\dot Q_2$ Redfield",
    r"$\langle L_z\rangle$ Redfield / semi-global",
)


def compare_equations(device, baths, couplings, ratios):
    r"""The local, semi-global and Redfield steady states side by side.

    Returns
    -------
    (rows, lz_ratio)
        Rows of :data:`COMPARISON_HEADER` for each coupling g and ratio :math:`\beta_2/\beta_1`,
        and ``{(g, ratio): <L_z>_Redfield / <L_z>_semi-global}``.
    """
    rows, lz_ratio = [], {}
    for g in couplings:
        for r in ratios:
            b = replace(baths, g=g).at_ratio(r)
            s = {eq: steady_state(device, b, equation=eq) for eq in ("local", "global", "redfield")}
            lz_ratio[g, r] = s["redfield"].Lz / s["global"].Lz
            rate = float(bath_rates(2 * device.params.B2, b.beta2, b.g2, b.cutoff)[0])
            rows.append([g, r, rate, s["local"].Lz, s["global"].Lz, s["redfield"].Lz])
            rows[-1] += [s["global"].Q2, s["redfield"].Q2, lz_ratio[g, r]]
    return rows, lz_ratio


LAMBDA_HEADER = (
    "$g$",
    r"$\lambda$",
    r"$\dot Q_2$ local ($g_i^2$)",
    r"$\dot Q_2$ local ($J_i(2B_i)$)",
    r"$\dot Q_2$ semi-global",
    "ratio to local",
    r"ratio to local with $J_i(2B_i)$",
)


@dataclass(frozen=True, eq=False)
class LambdaLimit:
    r"""The semi-global equation against the local ones as :math:`\lambda\to0`.

    Attributes
    ----------
    rows : list
        :data:`LAMBDA_HEADER` for each coupling g and λ.
    dissipator_gap : dict of float to float
        λ to the largest entry of :math:`\mathcal L_1 + \mathcal L_2` (semi-global minus local with
        the rates :math:`J_i(2B_i)`) over the largest entry of the latter, at the weakest coupling.
    current_gap : dict of float to float
        Cutoff Ω to :math:`\dot Q_2` (semi-global) over :math:`\dot Q_2` (local, :math:`J_i(2B_i)`)
        at the smallest λ and the weakest coupling.
    rate_factors : (float, float)
        :math:`J_i(2B_i)/g_i^2` at the baths' cutoff.
    """

    rows: list
    dissipator_gap: dict
    current_gap: dict
    rate_factors: tuple


def lambda_limit(params, baths, lams, couplings, cutoffs):
    """:class:`LambdaLimit` at the baths' ratio for each λ in ``lams`` (the rest of params kept)."""
    rows, gap, weak = [], {}, replace(baths, g=min(couplings))
    for lam in lams:
        d = RotorDevice(replace(params, lam=float(lam)))
        for g in couplings:
            eqs = ("local", "local-ohmic", "global")
            q2 = [steady_state(d, replace(baths, g=g), equation=eq).Q2 for eq in eqs]
            rows.append([g, lam, *q2, q2[2] / q2[0], q2[2] / q2[1]])
        Lg, Lo = (d.liouvillian(weak, equation=eq) for eq in ("global", "local-ohmic"))
        gap[lam] = float(abs(Lg.L1 + Lg.L2 - Lo.L1 - Lo.L2).max() / abs(Lo.L1 + Lo.L2).max())
    current = {}
    for c in cutoffs:
        b = replace(weak, cutoff=float(c))
        g_, o_ = (steady_state(d, b, equation=eq).Q2 for eq in ("global", "local-ohmic"))
        current[c] = g_ / o_
    p = params
    factors = tuple(ohmic_spectral_density(2 * B, 1.0, baths.cutoff) for B in (p.B1, p.B2))
    return LambdaLimit(rows, gap, current, factors)


LOAD_HEADER = (
    "steady states",
    r"largest $|\langle L_z\rangle|$",
    r"$\beta_r l/4I$ there",
    "error of the load's exponent there",
    r"largest population beyond $4I/\beta_r$",
)


def load_range(cases, beta_r):
    r"""How far the steady states reach into the region where the load (17) is no longer thermal.

    Parameters
    ----------
    cases : dict of str to (RotorDevice, Sweep)
    beta_r : float

    Returns
    -------
    list of list
        Rows of :data:`LOAD_HEADER`: the largest :math:`|\langle L_z\rangle|`, the expansion
        parameter :math:`\beta_r l/4I` there, :func:`qbkit.models.rotor.load_exponent_error`
        there, and the largest population on levels :math:`|l| > 4I/\beta_r`.
    """
    rows = []
    for name, (d, sw) in cases.items():
        I, l_top = d.params.I, float(np.abs(sw.Lz).max())
        pops = d.rotor_populations(sw.x)[:, np.abs(d.l) > 4 * I / beta_r].sum(axis=1)
        rows.append([name, l_top, beta_r * l_top / (4 * I)])
        rows[-1] += [float(load_exponent_error(l_top, I, beta_r)), float(pops.max())]
    return rows


def max_relative_change(new, old, keys):
    """Largest ``|new.k - old.k|`` relative to the largest ``|old.k|``, over the named array fields.

    Scaled by the whole array rather than point by point, so that quantities crossing zero
    (heats at a regime boundary) do not inflate it (truncation, grid and convention checks).
    """
    return float(
        max(
            np.abs(getattr(new, k) - getattr(old, k)).max() / np.abs(getattr(old, k)).max()
            for k in keys
        )
    )


def lamb_shift_change(device, baths, size, seed=0):
    r"""Relative change of the semi-global :math:`\dot Q_2` under a Lamb-shift-like Hamiltonian.

    In the secular equation a Lamb shift is diagonal in the eigenbasis of :math:`H_S`; we add
    :math:`-i[H_{LS}, \cdot]` with :math:`H_{LS} = V\,\mathrm{diag}(\delta)V^\dagger`, δ uniform in
    [-size, size] (seeded), and compare the heat current of bath 2.

    Returns
    -------
    float
    """
    V = device.eigen()[1].toarray()
    shifts = np.random.default_rng(seed).uniform(-size, size, device.sector.N)
    liou = device.liouvillian(baths, equation="global")
    x = device.sector.steady_state(liou.L + device.sector.hamiltonian((V * shifts) @ V.conj().T))
    shifted = float(np.real(device.sector.functional(device.H) @ (liou.L2 @ x)))
    return abs(shifted / steady_state(device, baths, equation="global").Q2 - 1)


# --- panels --------------------------------------------------------------------------------------

FLOWS = (
    ("Q1", "C0-", r"$\dot Q_1$"),
    ("Q2", "C1--", r"$\dot Q_2$"),
    ("W_Q", "C2-.", r"$\dot W^{(Q)}$"),
)


def draw_flows(fig, ax, ratios, sw, tag="", reg=None, keys=("Q1", "Q2", "W_Q"), title=""):
    r"""Energy flows of a sweep against :math:`\beta_2/\beta_1` on a panel of a Figure.

    Each flow is recorded as the column ``key + tag`` (unit :math:`B^2`); with ``reg``
    (:class:`Regimes`) the engine, accelerator and refrigerator ranges are shaded and named.
    """
    for k, fmt, lab in FLOWS:
        if k in keys:
            fig.plot(ax, ratios, getattr(sw, k), fmt, name=k + tag, unit="B^2", label=lab)
    if reg is not None:
        cuts = (0.0, reg.engine_to_accelerator, reg.accelerator_to_refrigerator, ratios[-1])
        names, greys = ("engine", "accel.", "refrigerator"), ("0.88", "0.75", "0.95")
        for lo, hi, name, grey in zip(cuts, cuts[1:], names, greys):
            ax.axvspan(lo, hi, color=grey, lw=0, zorder=0)
            kw = dict(rotation=90, ha="center", va="bottom", transform=ax.get_xaxis_transform())
            ax.text((lo + hi) / 2, 0.03, name, **kw)
    ax.axhline(0, color="k", lw=0.5)
    ax.set(xlabel=r"$\beta_2/\beta_1$", ylabel=r"energy flow ($B^2$)", title=title)
    ax.legend(loc="upper right")


def draw_tradeoff(fig, ax, rects, kR, kJ, column, unit, alphas, loc="upper left"):
    r"""J against R (or the angular pair) for each hot bath, with open markers at the maxima of
    :math:`\Gamma_\alpha` (circles, squares, triangles of shrinking size so none hides another).

    Records ``chi``, ``{column}(beta2=...)`` and ``J(beta2=...)`` on the figure.
    """
    marks = (("o", 9), ("s", 6), ("^", 3.5))
    styles = zip(rects.items(), ("C3", "C1", "C0"), ("-", "--", ":"))
    for (b2, r), c, ls in styles:
        fig.record("chi", r.chi, "1")
        R, J = getattr(r, kR), getattr(r, kJ)
        fig.plot(
            ax,
            R,
            J,
            ls,
            color=c,
            name=f"J(beta2={b2:g})",
            unit=unit,
            x_unit="1",
            x_name=f"{column}(beta2={b2:g})",
            label=rf"$\beta_2 = {b2:g}$",
        )
        for a, (m, ms) in zip(alphas, marks):
            j = best_tradeoff(R, J, a)
            ax.plot(R[j], J[j], m, ms=ms, mfc="none", mew=1.2, color=c)
    for a, (m, ms) in zip(alphas, marks):
        ax.plot([], [], m, ms=ms, mfc="none", color="k", label=rf"max $\Gamma_{{{a:g}}}$")
    ax.legend(loc=loc)


def draw_populations(fig, ax, l, evolution, steady, tag="", mask=slice(None)):
    r"""Rotor populations :math:`\langle l|\rho_r(t)|l\rangle` at each time (grey, light to dark)
    and a steady state (red), recorded as ``p{tag}(t=...)``, ``p{tag}(steady)`` over ``l{tag}``."""
    spec = dict(x_name="l" + tag, x_unit="hbar", unit="1")
    shades = np.linspace(0.75, 0.0, evolution.times.size)
    l, steady = np.asarray(l)[mask], np.asarray(steady)[mask]
    for t, p, grey in zip(evolution.times, evolution.populations, shades):
        fig.plot(
            ax,
            l,
            p[mask],
            "o-",
            ms=2.5,
            color=str(grey),
            name=f"p{tag}(t={t:g})",
            label=rf"$t = {t:g}$",
            **spec,
        )
    fig.plot(ax, l, steady, "C3s-", ms=2.5, name=f"p{tag}(steady)", label="steady", **spec)
    ax.set(xlabel=r"$l$ ($\hbar$)", ylabel=r"$\langle l|\rho_r|l\rangle$")


def rectifications(device, baths, beta2s, chis, *, equation="global"):
    """:func:`rectification` for each hot-bath inverse temperature: ``{beta2: Rectification}``."""
    return {
        b2: rectification(device, replace(baths, beta2=b2), chis, equation=equation)
        for b2 in beta2s
    }


def cutoff_scan(device, baths, beta2s, chis, cutoffs, ratio=0.2, redfield=True):
    r"""The statements about Figs. 4-5 (:func:`fig45_statements`) for each cutoff Ω.

    Returns
    -------
    list of list
        Per cutoff: Ω, the semi-global :math:`\dot Q_2` at ``ratio`` (with the cold bath of
        ``baths``), the largest J for the hottest and the coldest bath 2, then the four statements;
        with ``redfield``, a last row from the non-secular equation at the baths' own cutoff.
    """
    rows = []
    cases = [(float(c), "global") for c in cutoffs] + [(baths.cutoff, "redfield")] * redfield
    for c, eq in cases:
        b = replace(baths, cutoff=c)
        rc = rectifications(device, b, (min(beta2s), max(beta2s)), chis, equation=eq)
        hot, cold = rc[min(beta2s)], rc[max(beta2s)]
        q2 = steady_state(device, b.at_ratio(ratio), equation=eq).Q2
        label = f"{c:g}" + (" (Redfield)" if eq == "redfield" else "")
        rows.append([label, q2, hot.J.max(), cold.J.max(), *fig45_statements(hot, cold).values()])
    return rows


CUTOFF_HEADER = (
    r"$\Omega$",
    r"$\dot Q_2$ at 0.2",
    "max $J$, hottest",
    "max $J$, coldest",
    "$J$ much larger",
    "$R$ larger",
    "colder: larger $R_{ang}$",
    "hotter: larger $J_{ang}$",
)


def draw_performance(fig, ax_eta, ax_cop, ratios, sweeps, beta1):
    r"""Efficiency (36) where each sweep is an engine and COP (37) where it is a refrigerator,
    against the Carnot bounds (:func:`qbkit.thermo.carnot_efficiency`, ``carnot_cop``) and the
    bound printed below Eq. (37), the heat pump's.

    ``sweeps`` maps a column tag to ``(Sweep, I)``; line styles solid, dashed in that order.
    """
    from ..thermo import carnot_cop

    for (tag, (sw, i)), fmt in zip(sweeps.items(), ("k-", "k--", "k:")):
        eta, cop = np.where(sw.engine, sw.eta, np.nan), np.where(sw.refrigerator, sw.cop, np.nan)
        fig.plot(ax_eta, ratios, eta, fmt, name="eta" + tag, unit="1", label=rf"$I$ = {i:.3g}")
        fig.plot(ax_cop, ratios, cop, fmt, name="COP" + tag, unit="1", label=rf"$I$ = {i:.3g}")
    eta_C = carnot_efficiency(ratios * beta1, beta1)
    fig.plot(ax_eta, ratios, eta_C, "C3:", name="eta_C", unit="1", label=r"$\eta_C$")
    bound, pump = carnot_cop(ratios * beta1, beta1), carnot_cop(ratios * beta1, beta1, pump=True)
    fig.plot(
        ax_cop, ratios, bound, "C3:", name="COP_C", unit="1", label=r"$\beta_2/(\beta_1-\beta_2)$"
    )
    fig.plot(ax_cop, ratios, pump, "C4-.", name="COP_C_as_printed", unit="1", label="as printed")
    ax_eta.set(xlabel=r"$\beta_2/\beta_1$", ylabel=r"efficiency $\eta$", ylim=(0, 1), xlim=(0, 0.9))
    ax_cop.set(xlabel=r"$\beta_2/\beta_1$", ylabel="COP", yscale="log", xlim=(0, 0.9))
    ax_eta.legend()
    ax_cop.legend()


def draw_boundaries(fig, ax, scan, targets, I_mark):
    r"""The two regime boundaries and the efficiency's peak against I (:class:`InertiaScan`), with
    the values ``targets`` (dotted) and a vertical line at ``I_mark``."""
    spec = (
        ("engine_to_accelerator", "C2", "o-", r"$\dot W^{(Q)} = 0$"),
        ("accelerator_to_refrigerator", "C0", "s-", r"$\dot Q_1 = 0$"),
        ("eta_peak_ratio", "k", "^-", r"peak of $\eta$"),
    )
    for (k, c, fmt, lab), target in zip(spec, targets):
        y = getattr(scan, k)
        fig.plot(
            ax, scan.I, y, fmt, color=c, ms=3, name=k, unit="1", x_name="I", x_unit="1/B", label=lab
        )
        ax.axhline(target, color=c, ls=":", lw=0.8)
    ax.axvline(I_mark, color="0.4", lw=0.8)
    ax.set_ylim(0.2, 0.6)
    ax.set(
        xlabel=r"moment of inertia $I$ ($1/B$)", ylabel=r"$\beta_2/\beta_1$", title="dotted: paper"
    )
    ax.legend(loc="upper right")


def draw_ergotropies(fig, ax, ratios, ergs, mark):
    r"""Ergotropies of the device, the rotor and the two qubits (log scale); ``ergs`` maps a column
    tag to ``(ergotropies, I)``, drawn solid, dashed in that order, with markers per subsystem. The
    single qubits' ergotropies of the first entry are recorded too; a grey line marks ``mark``."""
    parts = (("total", "o", "k", "device"), ("rotor", "s", "C0", "rotor"))
    parts += (("qubits", "^", "C1", "two qubits"),)
    for key, mk, c, lab in parts:
        for (tag, (e, i)), ls in zip(ergs.items(), ("-", "--", ":")):
            fig.plot(
                ax,
                ratios,
                e[key],
                ls,
                marker=mk,
                markevery=9,
                ms=3.5,
                color=c,
                unit="B",
                name=f"ergotropy_{key}{tag}",
                label=f"{lab}, $I$ = {i:.3g}",
            )
    first = next(iter(ergs.values()))[0]
    for key in ("qubit1", "qubit2"):
        fig.record(f"ergotropy_{key}", first[key], "B")
    ax.axvline(mark, color="0.6", lw=0.6)
    ax.set(xlabel=r"$\beta_2/\beta_1$", ylabel="ergotropy ($B$)", yscale="log", ylim=(1e-6, 100))
    ax.legend(ncols=2, loc="lower left")


def draw_powers(fig, ev, minus_Qr):
    r"""Rotor powers (:class:`qbkit.models.rotor.Evolution`) on a log time axis: kinetic, intrinsic
    and back-action on the first panel with :math:`-\dot Q_r` dotted, the net power on the other."""
    spec = (("kinetic", "C0-", r"$\dot W_{kin}$"), ("intrinsic", "C1--", r"$\dot W_{int}$"))
    spec += (("back_action", "C2-.", r"$\dot Q_{BA}$"), ("net", "C3-", r"$\dot W_{net}$"))
    for k, fmt, lab in spec:
        ax = fig.axes[int(k == "net")]
        fig.plot(ax, ev.times[1:], getattr(ev, k)[1:], fmt, name=k, unit="B^2", label=lab)
    fig.axes[0].axhline(minus_Qr, color="0.5", ls=":", lw=0.8, label=r"$-\dot Q_r$ (steady)")
    for ax in fig.axes:
        ax.set(xscale="log", xlabel=r"$t$ ($1/B$)", ylabel=r"power ($B^2$)")
        ax.legend()
