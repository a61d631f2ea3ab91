r"""Studies of the common-reservoir battery built from the exact solvers: size limits, discharge,
peak tables and the convergence of the peak search.

Quach & Munro, Phys. Rev. Applied 14, 024092 (2020). Units as in :mod:`.model`
(:math:`\hbar = k_B = 1`, energies in :math:`\hbar\omega`, times in :math:`1/\gamma`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import qutip

from ..._checks import check_choice, check_tlist
from ...entanglement import log_negativity
from ...series import is_monotonic
from .charging import charging_peaks
from .discharge import discharge
from .model import BATTERY_STATES, CommonReservoir, charge, evolve, two_spin_generator
from .steady import (
    steady_battery_populations,
    steady_energy_densities,
    steady_ergotropy_density,
    steady_state,
)

__all__ = [
    "Family",
    "SizeLimits",
    "size_limits",
    "DischargeStudy",
    "discharge_study",
    "peak_table",
    "peak_grid_change",
    "mesolve_deviation",
    "temperature_trends",
    "APPENDIX_RATES",
    "appendix_rates",
]


@dataclass(frozen=True)
class Family:
    r"""Batteries of every size at one damping rate, temperature and initial battery state.

    A chapter asks for the same model at many :math:`(R, N_B)`; this binds the rest.
    Each method takes ``(R, N_B)`` first (:math:`N_C = R N_B`); ``nbar`` and ``battery``
    default to the family's.

    Parameters
    ----------
    gamma : float
        Reservoir damping rate of Eq. (2) (1/time unit).
    nbar : float
        Thermal occupation of the reservoir.
    battery : {"ground", "thermal", "independent"}
        Battery state at t = 0 (:meth:`~.model.CommonReservoir.initial_state`).

    Raises
    ------
    ValueError
        If ``battery`` is unknown, ``gamma`` not positive or ``nbar`` negative.
    """

    gamma: float = 1.0
    nbar: float = 0.0
    battery: str = "ground"
    _peaks: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        check_choice("battery", self.battery, BATTERY_STATES)
        self.model(1, 1)  # checks gamma and nbar

    def model(self, R, N_B, nbar=None):
        """The :class:`~.model.CommonReservoir` with ``N_C = R N_B``."""
        nbar = self.nbar if nbar is None else nbar
        return CommonReservoir.with_ratio(R, N_B, gamma=self.gamma, nbar=nbar)

    def charge(self, R, N_B, tlist, nbar=None):
        """A charging run from a full charger (:func:`~.model.charge`)."""
        return charge(self.model(R, N_B, nbar), tlist, battery=self.battery)

    def E_ss(self, R, N_B, nbar=None, battery=None):
        """Steady battery energy density (closed form by multiplets, Eq. (6)), in hbar*omega."""
        model = self.model(R, N_B, nbar)
        return steady_energy_densities(model, battery=battery or self.battery)[1]

    def steady(self, R, N_B, nbar=None, battery=None):
        """The steady state (:func:`~.steady.steady_state`), a block-diagonal state."""
        model = self.model(R, N_B, nbar)
        return steady_state(model, model.initial_state(battery or self.battery))

    def peaks(self, R, N_B, points=401):
        """Peak power and entanglement-rate maximum (:func:`~.charging.charging_peaks`), cached."""
        key = (R, N_B, points)
        if key not in self._peaks:
            model = self.model(R, N_B)
            self._peaks[key] = charging_peaks(model, battery=self.battery, points=points)
        return self._peaks[key]


@dataclass(frozen=True, eq=False)
class SizeLimits:
    r"""Steady-state energy and ergotropy densities at :math:`T = 0` for large R and N_B.

    Attributes
    ----------
    R, N_B : ndarray, shape (n,)
        The sizes scanned (the same values on both axes).
    E_vs_R : dict of int to ndarray, shape (n,)
        :math:`\mathcal E_B^{ss}` against R, per N_B.
    E_vs_N_B, W_vs_N_B : dict of int to ndarray, shape (n,)
        :math:`\mathcal E_B^{ss}` and :math:`\mathcal W_B^{ss}/N_B` against N_B, per R.
    W_over_E_vs_R : ndarray, shape (n,)
        :math:`\mathcal W_B^{ss}/\mathcal E_B^{ss}` against R at :math:`N_B = 1`.
    """

    R: np.ndarray
    N_B: np.ndarray
    E_vs_R: dict
    E_vs_N_B: dict
    W_vs_N_B: dict
    W_over_E_vs_R: np.ndarray

    @property
    def deficit(self):
        r"""Distance of :math:`\mathcal E_B^{ss}` from its large-N_B limit, per R, shape (n,).

        The limit is 1 for R > 1 and 1/2 for R = 1 (dark states with
        :math:`\langle J_B^z\rangle \le 0`).
        """
        return {r: np.abs(1.0 - 0.5 * (r == 1) - E) for r, E in self.E_vs_N_B.items()}

    def deficit_exponents(self, last=4):
        """Slope of log(deficit) against log(N_B) over the ``last`` sizes, per R."""
        logN = np.log(self.N_B[-last:])
        return {r: np.polyfit(logN, np.log(d[-last:]), 1)[0] for r, d in self.deficit.items()}


def size_limits(sizes, *, N_B_curves=(1, 2, 3), R_curves=(1, 2, 5), gamma=1.0):
    r"""Scan the steady state at :math:`T = 0` (battery from its ground state) to large sizes.

    Closed forms by multiplet decomposition (:func:`~.steady.steady_energy_densities`,
    Eq. (6) of Quach & Munro (2020); :func:`~.steady.steady_ergotropy_density`, Eq. (10)),
    so sizes in the thousands cost milliseconds.

    Parameters
    ----------
    sizes : array_like of int, shape (n,)
        Values of R (at fixed N_B) and of N_B (at fixed R).
    N_B_curves, R_curves : tuple of int
        The fixed N_B of the scans in R, the fixed R of the scans in N_B.
    gamma : float
        Reservoir damping rate (does not change the steady state).

    Returns
    -------
    SizeLimits

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or not np.all(sizes == np.round(sizes)) or np.any(sizes < 1):
        raise ValueError(f"sizes must be positive integers, got {sizes!r}")

    fam = Family(gamma=gamma)  # T = 0, battery from its ground state

    def E(r, n):
        return fam.E_ss(int(r), int(n))

    def W(r, n):
        return steady_ergotropy_density(fam.model(int(r), int(n)))

    E_vs_R = {n: np.array([E(r, n) for r in sizes]) for n in N_B_curves}
    E_vs_N_B = {r: np.array([E(r, n) for n in sizes]) for r in R_curves}
    W_vs_N_B = {r: np.array([W(r, n) for n in sizes]) for r in R_curves}
    W_R = np.array([W(r, 1) for r in sizes])
    E_R1 = E_vs_R[1] if 1 in E_vs_R else np.array([E(r, 1) for r in sizes])
    return SizeLimits(sizes, sizes, E_vs_R, E_vs_N_B, W_vs_N_B, W_R / E_R1)


@dataclass(frozen=True, eq=False)
class DischargeStudy:
    r"""Discharge of steady-state batteries of several sizes, collective and after dephasing.

    Attributes
    ----------
    N_B : ndarray, shape (n,)
    times : ndarray, shape (n_t,)
    collective, dephased : dict of int to DischargeResult
        Per N_B, from the steady state of the charging (:func:`discharge_study`).
    gamma : float
    """

    N_B: np.ndarray
    times: np.ndarray
    collective: dict
    dephased: dict
    gamma: float

    @property
    def half_life_ratio(self):
        r"""Half-life over the single-spin :math:`\ln 2/(2\gamma)`, ``{"collective", "dephased"}``.

        Each an ndarray of shape (n,) over N_B (inf where the energy never halves).
        """
        return {
            k: np.array([d.half_life for d in v.values()]) * 2 * self.gamma / np.log(2)
            for k, v in (("collective", self.collective), ("dephased", self.dephased))
        }

    @property
    def initial_rate_ratio(self):
        r"""Initial relative discharge rate after dephasing over :math:`2\gamma`, shape (n,)."""
        d = self.dephased.values()
        return np.array([r.power_density[0] / r.energy_density[0] for r in d]) / 2 / self.gamma

    @property
    def trapped(self):
        """Energy density left at the last time after dephasing, shape (n,)."""
        return np.array([d.energy_density[-1] for d in self.dephased.values()])


def discharge_study(N_B, tlist, *, R=5, gamma=1.0):
    r"""Charge to the :math:`T = 0` steady state at ratio ``R``, remove the charger, discharge.

    The battery decays through :math:`\gamma\mathcal L(J_B^-)` (:func:`~.discharge.discharge`),
    from its steady Dicke populations as they are (collective) and after a dephasing pulse.

    Parameters
    ----------
    N_B : array_like of int, shape (n,)
    tlist : array_like, shape (n_t,)
        Times after the charger is removed, in units of 1/gamma.
    R : int
        N_C/N_B of the charging.
    gamma : float
        Reservoir damping rate (1/time unit).

    Returns
    -------
    DischargeStudy

    Raises
    ------
    ValueError
        If ``gamma`` is not positive or a size is invalid.
    """
    fam, N_B = Family(gamma=gamma), np.asarray(N_B)  # T = 0, battery from its ground state
    pops = {int(n): steady_battery_populations(fam.model(R, int(n))) for n in N_B}
    coll = {n: discharge(p, tlist, gamma=gamma) for n, p in pops.items()}
    deph = {n: discharge(p, tlist, gamma=gamma, dephased=True) for n, p in pops.items()}
    return DischargeStudy(N_B, next(iter(coll.values())).times, coll, deph, gamma)


def peak_table(peaks, cases):
    r"""One row per (R, N_B) on the maxima of :math:`\dot S_B` and the lag behind the power peak.

    Parameters
    ----------
    peaks : callable
        ``peaks(R, N_B)`` returns the :class:`~.charging.ChargingPeaks` of that charging run.
    cases : iterable of (int, int)

    Returns
    -------
    list of tuple
        ``(R, N_B, number of interior maxima, whether the first is the largest,
        whether the initial rate exceeds the largest maximum, t_P, lag, lag / t_P)``.
    """
    rows = []
    for r, n in cases:
        p = peaks(r, n)
        v = [v for _, v in p.S_maxima] or [np.nan]
        rows.append(
            (r, n, len(p.S_maxima), v[0] >= max(v), p.dS_0 > p.dS_max, p.t_P, p.lag, p.lag / p.t_P)
        )
    return rows


def peak_grid_change(peaks, cases, *, points=(401, 801), keys=("P_max", "dS_max", "lag")):
    """Largest relative change of the located peaks when the search grid is refined.

    Parameters
    ----------
    peaks : callable
        ``peaks(R, N_B, points)`` returns :class:`~.charging.ChargingPeaks`.
    cases : iterable of (int, int)
        The (R, N_B) compared.
    points : (int, int)
        The coarse and the fine number of search-grid points.
    keys : tuple of str
        Attributes of :class:`~.charging.ChargingPeaks` compared.

    Returns
    -------
    dict of str to float
        Per key, ``max |a - b| / max(|b|, 1e-6)`` over the cases (the floor where a peak is
        itself about zero).
    """
    change = dict.fromkeys(keys, 0.0)
    for r, n in cases:
        a, b = peaks(r, n, points[0]), peaks(r, n, points[1])
        for key, old in change.items():
            new = abs(getattr(a, key) - getattr(b, key)) / max(abs(getattr(b, key)), 1e-6)
            change[key] = max(old, new)
    return change


def mesolve_deviation(model, tlist, *, battery="ground", samples=(5, 3)):
    r"""How far the structured solver :func:`~.model.evolve` is from ``qutip.mesolve``.

    ``qutip.mesolve`` integrates Eq. (2) of Quach & Munro (2020) on the full
    :math:`(N_C+1)(N_B+1)`-dimensional space (``atol`` 1e-12, ``rtol`` 1e-10) from the same
    initial state; the two are compared at evenly spaced samples of ``tlist``.

    Parameters
    ----------
    model : CommonReservoir
    tlist : array_like, shape (n_t,)
        Strictly increasing times, unit 1/gamma.
    battery : {"ground", "thermal"}
        Initial battery state (:meth:`~.model.CommonReservoir.initial_state`).
    samples : (int, int)
        Number of times at which the states and the log negativities are compared.

    Returns
    -------
    (float, float)
        Largest trace distance between the states and largest
        :math:`|\Delta S_B|` (ebit) over the samples.

    Raises
    ------
    ValueError
        If ``tlist`` is not strictly increasing.
    """
    tlist = check_tlist(tlist)
    rho0 = model.initial_state(battery)
    options = {"atol": 1e-12, "rtol": 1e-10, "store_states": True}
    ref = qutip.mesolve(
        model.hamiltonian(), rho0, tlist, model.collapse_operators(), options=options
    )
    ours = evolve(model, rho0, tlist)
    at = [np.linspace(0, tlist.size - 1, k).round().astype(int) for k in samples]
    dist = max((ref.states[k] - ours.state(k)).norm("tr") for k in at[0])
    dS = max(abs(log_negativity(ref.states[k]) - ours.log_negativity[k]) for k in at[1])
    return float(dist), float(dS)


def temperature_trends(E_ss, tol=1e-12):
    r"""The trends of :math:`\mathcal E_B^{ss}(T)` that Quach & Munro (2020) read off Fig. 6(b),(c).

    Sec. VI: at :math:`N_B = 1` the steady energy rises with T for R = 1, first falls and
    then rises for R = 2, and falls monotonically towards 1/2 for R = 3, 4.

    Parameters
    ----------
    E_ss : dict of int to array_like, shape (n_T,)
        :math:`\mathcal E_B^{ss}` (:math:`\hbar\omega`) on an increasing temperature grid,
        for R = 1, 2, 3, 4.
    tol : float
        How far below 1/2 the R = 3, 4 curves may dip (rounding).

    Returns
    -------
    dict of str to bool
        ``"R=1 rises"``, ``"R=2 falls, then rises"``, ``"R=3,4 fall monotonically"``,
        ``"R=3,4 stay above 1/2"``.

    Raises
    ------
    KeyError
        If a curve for R = 1, 2, 3 or 4 is missing.
    """
    E1, E2, E3, E4 = (np.asarray(E_ss[r], float) for r in (1, 2, 3, 4))
    return {
        "R=1 rises": is_monotonic(E1, True),
        "R=2 falls, then rises": not is_monotonic(E2, True) and not is_monotonic(E2, False),
        "R=3,4 fall monotonically": is_monotonic(np.array([E3, E4]), False),
        "R=3,4 stay above 1/2": bool(min(E3.min(), E4.min()) >= 0.5 - tol),
    }


# Quach & Munro (2020), Eqs. (18)-(27) as printed, basis |1>..|4> = |up>, |+>, |->, |down>:
# (Eq., i, j, k, l, a, b) means d rho_ij/dt contains gamma (a nbar + b) rho_kl (1-based).
APPENDIX_RATES = (
    ("(18)", 1, 1, 1, 1, -2, -2), ("(18)", 1, 1, 2, 2, 2, 0), ("(19)", 2, 2, 1, 1, 2, 2),
    ("(19)", 2, 2, 2, 2, -4, -2), ("(19)", 2, 2, 4, 4, 2, 0), ("(20)", 3, 3, 3, 3, 0, 0),
    ("(21)", 4, 4, 2, 2, 2, 2), ("(21)", 4, 4, 4, 4, -2, 0), ("(22)", 1, 2, 1, 2, -3, -2),
    ("(23)", 1, 3, 1, 3, -1, 0), ("(24)", 1, 4, 1, 4, -2, -1), ("(25)", 2, 3, 2, 3, -2, -1),
    ("(26)", 2, 4, 2, 4, -3, -1), ("(27)", 3, 4, 3, 4, -1, 0),
)  # fmt: skip


def appendix_rates(nbar, *, gamma=1.0):
    r"""Each printed rate of the appendix of Quach & Munro (2020) against the generator of Eq. (2).

    Parameters
    ----------
    nbar : float
        Thermal occupation; any value > 0 separates the :math:`\bar n` and the constant terms.
    gamma : float
        Reservoir damping rate (1/time unit).

    Returns
    -------
    list of (str, float, float, float)
        ``(coefficient, printed, Eq. (2), Eq. (2) at half the rate)`` per entry of
        :data:`APPENDIX_RATES`; the half-rate generator is that of the dissipator
        :math:`O\rho O^\dagger - \frac12\{O^\dagger O, \rho\}`.

    Raises
    ------
    ValueError
        If ``nbar`` is negative or ``gamma`` not positive.
    """
    L2 = two_spin_generator(nbar, gamma=gamma)
    L1 = two_spin_generator(nbar, gamma=gamma / 2)
    return [
        (f"{e} rho{i}{j}<-rho{k}{m}", gamma * (a * nbar + b), L2[i - 1, j - 1, k - 1, m - 1],
         L1[i - 1, j - 1, k - 1, m - 1])
        for e, i, j, k, m, a, b in APPENDIX_RATES
    ]  # fmt: skip
