r"""Peak power and the entanglement-rate maximum of a charging run, located exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._checks import check_count
from .model import charge

__all__ = ["ChargingPeaks", "peak_window", "charging_peaks"]


@dataclass(frozen=True)
class ChargingPeaks:
    """Peak power and the entanglement-rate maximum of one charging run (:func:`charging_peaks`).

    Attributes
    ----------
    t_P, P_max : float
        Time and value of the largest power density :math:`\\mathcal P_B`.
    t_S, dS_max : float
        Time and value of the largest *interior* local maximum of :math:`\\dot S_B`
        (:math:`t > 0`); NaN if there is none or it was not asked for.
    dS_0 : float
        :math:`\\dot S_B(0^+)`, the rate at which the product state starts to entangle.
    S_maxima : tuple of (float, float)
        Every interior local maximum of :math:`\\dot S_B` among the samples of the search grid,
        ``(t, value)`` in time order (unrefined: for counting and ordering them).
    """

    t_P: float
    P_max: float
    t_S: float = float("nan")
    dS_max: float = float("nan")
    dS_0: float = float("nan")
    S_maxima: tuple = ()

    @property
    def lag(self):
        """:math:`t_S - t_P`: how long the entanglement-rate maximum lags the power peak."""
        return self.t_S - self.t_P


def peak_window(model, points=401):
    r"""Search grid of the peaks: :math:`0 \le t \le 2(1 + \ln N)/(\gamma N)`, :math:`N = N_C+N_B`.

    The collective decay of :math:`N` excitations takes about :math:`\ln N/(\gamma N)`; the
    window covers the charging and the lagging entanglement rate with room to spare.

    Returns
    -------
    ndarray, shape (points,)
    """
    N = model.N_C + model.N_B
    return np.linspace(
        0.0, 2 * (1 + np.log(N)) / (model.gamma * N), check_count("points", points, 3)
    )


def _zoom(run, values, k, points):
    r"""Re-solve exactly between samples k-1 and k+1; the largest value on that fine grid.

    No parabola: :math:`\dot S_B` jumps where an eigenvalue of :math:`\rho^\Gamma` crosses
    zero, and a parabola through a jump overshoots. The sample maximum is within
    :math:`|y'|h` of the supremum at a jump and :math:`|y''|h^2/8` at a smooth maximum
    (:math:`h` the fine step); its time within :math:`h/2`.
    """
    if k in (0, len(run.times) - 1):  # a maximum on the window's edge stays a sample
        return float(run.times[k]), float(values(run)[k])
    fine = run.restart(k - 1, np.linspace(run.times[k - 1], run.times[k + 1], points))
    y = values(fine)
    k = int(np.argmax(y))
    return float(fine.times[k]), float(y[k])


def charging_peaks(model, *, battery="ground", points=401, zoom_points=41, entanglement=True):
    r"""Peak power density and entanglement-rate maximum of a charging run.

    Both are located on the grid :func:`peak_window` and then refined by solving the
    dynamics again, exactly, on ``zoom_points`` points between the neighbouring samples
    (:math:`\dot S_B` jumps where an eigenvalue of :math:`\rho^\Gamma` crosses zero, so no
    interpolation of the coarse samples is trusted). :math:`\dot S_B^{\max}` is the
    largest interior local maximum (:math:`t > 0`; Quach & Munro (2020), Sec. V: with
    several local maxima, the largest).

    Parameters
    ----------
    model : CommonReservoir
    battery : {"ground", "thermal"}
        Initial battery state.
    points, zoom_points : int
        Samples of the search window and of each refinement.
    entanglement : bool
        Also locate :math:`\dot S_B^{\max}` (costs the negativity on the grid).

    Returns
    -------
    ChargingPeaks
    """
    run = charge(model, peak_window(model, points), battery=battery)
    k_P = int(np.argmax(run.power_density_B))
    t_P, P_max = _zoom(run, lambda r: r.power_density_B, k_P, zoom_points)
    if not entanglement:
        return ChargingPeaks(t_P, P_max)
    dS = run.dlog_negativity
    ks = np.nonzero((dS[1:-1] > dS[:-2]) & (dS[1:-1] >= dS[2:]))[0] + 1
    maxima = tuple((float(run.times[k]), float(dS[k])) for k in ks)
    if not ks.size:
        return ChargingPeaks(t_P, P_max, dS_0=float(dS[0]), S_maxima=maxima)
    k_S = int(ks[np.argmax(dS[ks])])
    t_S, dS_max = _zoom(run, lambda r: r.dlog_negativity, k_S, zoom_points)
    return ChargingPeaks(t_P, P_max, t_S, dS_max, float(dS[0]), maxima)
