"""Sampled curves: peaks refined between grid points, local extrema, sign changes, monotonicity."""

from __future__ import annotations

import numpy as np

__all__ = [
    "refine_peak",
    "interior_maxima",
    "interior_minima",
    "sign_changes",
    "first_root",
    "is_monotonic",
    "extrapolate_to_zero",
    "r_squared",
    "sample_at",
    "window_mean",
    "dip_contrast",
    "deepest_dip",
    "falls_back",
    "last_above",
]


def _samples(t, y, minimum):
    t, y = np.asarray(t, float), np.asarray(y, float)
    if t.shape != y.shape or t.ndim != 1 or t.size < minimum:
        raise ValueError(
            f"the two arrays must be 1-d of the same shape with at least {minimum} points"
        )
    return t, y


def _parabola(t, y, k):
    """Vertex of the parabola through points k-1, k, k+1 (uniform or not)."""
    t0, t1, t2 = t[k - 1 : k + 2]
    y0, y1, y2 = y[k - 1 : k + 2]
    denom = (t0 - t1) * (t0 - t2) * (t1 - t2)
    a = (t2 * (y1 - y0) + t1 * (y0 - y2) + t0 * (y2 - y1)) / denom
    b = (t2**2 * (y0 - y1) + t1**2 * (y2 - y0) + t0**2 * (y1 - y2)) / denom
    if a >= 0:
        return t1, y1
    tv = -b / (2 * a)
    return tv, y1 + a * (tv - t1) ** 2 + (b + 2 * a * t1) * (tv - t1)


def refine_peak(t, y):
    """Global maximum of sampled ``y(t)``, refined by a parabola through its neighbours.

    Parameters
    ----------
    t, y : array_like, shape (n,)
        Increasing sample times and values.

    Returns
    -------
    (float, float)
        ``(t_peak, y_peak)``; at an end point of the grid, the sample itself.

    Raises
    ------
    ValueError
        If the arrays differ in shape or have fewer than 3 points.
    """
    t, y = _samples(t, y, 3)
    k = int(np.argmax(y))
    if k in (0, t.size - 1):
        return float(t[k]), float(y[k])
    tv, yv = _parabola(t, y, k)
    return float(tv), float(yv)


def interior_maxima(t, y):
    """All strict local maxima of ``y(t)`` away from the grid's end points, refined.

    Returns
    -------
    list of (float, float)
        ``(t_k, y_k)`` in time order (empty when ``y`` is monotonic).
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    ks = np.nonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:]))[0] + 1
    return [tuple(map(float, _parabola(t, y, k))) for k in ks]


def is_monotonic(y, increasing=True, tol=0.0):
    """Whether ``y`` never decreases (or never increases) by more than ``tol`` between samples."""
    d = np.diff(np.asarray(y, float))
    return bool(np.all(d >= -tol) if increasing else np.all(d <= tol))


def interior_minima(t, y):
    """All strict local minima of ``y(t)`` away from the grid's end points, refined.

    Returns
    -------
    list of (float, float)
        ``(t_k, y_k)`` in time order.
    """
    return [(tk, -yk) for tk, yk in interior_maxima(t, -np.asarray(y, float))]


def sign_changes(x, y):
    """Where sampled ``y(x)`` changes sign, by linear interpolation between the samples.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Increasing abscissae and values; a sample exactly 0 counts once.

    Returns
    -------
    numpy.ndarray
        The crossings in increasing order (empty if ``y`` keeps its sign).

    Raises
    ------
    ValueError
        If the arrays differ in shape or have fewer than 2 points.
    """
    x, y = _samples(x, y, 2)
    s = np.sign(y)
    k = np.flatnonzero((s[:-1] * s[1:] < 0) | ((s[:-1] != 0) & (s[1:] == 0)))
    return x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])


def first_root(f, grid, xtol=1e-10):
    """The first root of ``f`` on ``grid``: a sign change on the grid, refined by Brent's method.

    Parameters
    ----------
    f : callable
        Scalar function of one float.
    grid : array_like, shape (n,)
        Increasing points at which ``f`` is sampled to find the bracket.
    xtol : float
        Absolute tolerance of the root.

    Returns
    -------
    float
        The root, or NaN when ``f`` keeps its sign on the grid.
    """
    from scipy.optimize import brentq

    grid = np.asarray(grid, float)
    vals = np.array([f(g) for g in grid])
    k = np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))
    if not k.size:
        return float("nan")
    a, b = grid[k[0]], grid[k[0] + 1]
    return float(a if vals[k[0]] == 0 else brentq(f, a, b, xtol=xtol))


def extrapolate_to_zero(h, y, degree=2):
    r"""Value at h = 0 of the polynomial through the ``degree + 1`` points of smallest ``h``.

    Richardson extrapolation for a quantity with an expansion :math:`y(h) = y_0 + a h + b h^2
    + \dots` (e.g. a result at step or period ``h``). The error estimate is the change
    from the extrapolation of one degree less (through the ``degree`` smallest-``h`` points).

    Parameters
    ----------
    h, y : array_like, shape (n,)
        Positive, distinct ``h`` and the values there; n >= degree + 1.
    degree : int
        Degree of the polynomial, >= 1.

    Returns
    -------
    (float, float)
        ``(y_0, error_estimate)``.

    Raises
    ------
    ValueError
        If the shapes differ, ``h`` is not positive and distinct, or there are too few points.

    Examples
    --------
    >>> h = np.array([0.4, 0.2, 0.1])
    >>> extrapolate_to_zero(h, 1 + 2 * h + 3 * h**2)[0]  # doctest: +ELLIPSIS
    1.0...
    """
    h, y = np.asarray(h, float), np.asarray(y, float)
    if h.shape != y.shape or h.ndim != 1 or h.size < degree + 1 or degree < 1:
        raise ValueError("h and y must be 1-d of the same length, at least degree + 1 >= 2 points")
    if np.any(h <= 0) or np.unique(h).size != h.size:
        raise ValueError("h must be positive and distinct")
    order = np.argsort(h)
    h, y = h[order], y[order]

    def at_zero(d):
        return float(np.polyval(np.polyfit(h[: d + 1], y[: d + 1], d), 0.0))

    value = at_zero(degree)
    return value, abs(value - at_zero(degree - 1))


def r_squared(x, y):
    """Coefficient of determination of the least-squares line through ``y(x)`` (NaNs skipped).

    Parameters
    ----------
    x, y : array_like, shape (n,)

    Returns
    -------
    float
        1 for points on a line; NaN with fewer than 3 finite points.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    fit = np.polyval(np.polyfit(x[ok], y[ok], 1), x[ok])
    return float(1 - np.sum((y[ok] - fit) ** 2) / np.sum((y[ok] - y[ok].mean()) ** 2))


def sample_at(times, y, t):
    """The sample of ``y`` at the time ``t``, which must be one of ``times`` (to 1e-9 relative).

    Parameters
    ----------
    times : array_like, shape (n,)
        Increasing sample times.
    y : array_like, shape (..., n)
    t : float

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    ValueError
        If ``t`` is not a sample time: an interpolated value would hide the sampling.
    """
    times = np.asarray(times, float)
    k = int(np.argmin(np.abs(times - t)))
    if abs(times[k] - t) > 1e-9 * max(abs(t), 1.0):
        raise ValueError(f"t = {t} is not a sample time (nearest {times[k]})")
    return np.asarray(y)[..., k]


def window_mean(times, y, width):
    r"""Running mean of ``y`` over the window ``[t - width, t]``, by the trapezoid rule.

    :math:`\bar y(t) = \frac1w\int_{t-w}^t y\,dt'` with the integral of the piecewise-linear
    interpolant, so the samples need not be uniform.

    Parameters
    ----------
    times : array_like, shape (n,)
        Increasing sample times.
    y : array_like, shape (..., n)
    width : float
        Window length, > 0.

    Returns
    -------
    (ndarray, ndarray)
        The times at least ``width`` after ``times[0]``, shape (m,), and the means, shape (..., m).
    """
    t, y = np.asarray(times, float), np.asarray(y, float)
    F = np.concatenate(
        [np.zeros(y.shape[:-1] + (1,)), np.cumsum(np.diff(t) * (y[..., 1:] + y[..., :-1]) / 2, -1)],
        axis=-1,
    )
    keep = t - t[0] >= width * (1 - 1e-9)
    s = np.clip(t[keep] - width, t[0], t[-1])
    k = np.clip(np.searchsorted(t, s, side="right") - 1, 0, t.size - 2)
    frac = (s - t[k]) / (t[k + 1] - t[k])
    y_s = y[..., k] + frac * (y[..., k + 1] - y[..., k])
    F_s = F[..., k] + (s - t[k]) * (y[..., k] + y_s) / 2
    return t[keep], (F[..., keep] - F_s) / width


def dip_contrast(x, y, x0, half_width):
    r"""Depth of ``y`` at ``x0`` below its two shoulders at ``x0 ± half_width``.

    :math:`C = 1 - y(x_0)/\tfrac12[y(x_0 - w) + y(x_0 + w)]`, with ``y`` interpolated linearly;
    C > 0 is a dip, C < 0 a bump. Vectorized over leading axes of ``y`` and over ``x0``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Increasing abscissae covering ``[x0 - half_width, x0 + half_width]``.
    y : array_like, shape (..., n)
    x0 : float or array_like, shape (m,)
    half_width : float

    Returns
    -------
    ndarray, shape (...) or (..., m)

    Raises
    ------
    ValueError
        If the shoulders lie outside ``x``.
    """
    x, y, x0 = np.asarray(x, float), np.asarray(y, float), np.asarray(x0, float)
    if np.any(x0 - half_width < x[0]) or np.any(x0 + half_width > x[-1]):
        raise ValueError(f"the shoulders {x0} +- {half_width} lie outside [{x[0]}, {x[-1]}]")

    def at(v):
        k = np.clip(np.searchsorted(x, v) - 1, 0, x.size - 2)
        f = (v - x[k]) / (x[k + 1] - x[k])
        return y[..., k] * (1 - f) + y[..., k + 1] * f

    return 1 - at(x0) / (0.5 * (at(x0 - half_width) + at(x0 + half_width)))


def deepest_dip(x, Y, half_width):
    """Where a family of curves has its deepest common dip: the largest median :func:`dip_contrast`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Increasing abscissae.
    Y : array_like, shape (m, n)
        One curve per row (rows with zero shoulders give NaN contrasts and are ignored).
    half_width : float
        Distance of the shoulders.

    Returns
    -------
    (float, ndarray, ndarray)
        The position of the deepest dip, and the tested positions (every x at least
        ``half_width`` from both ends) with the median contrast at each.
    """
    x = np.asarray(x, float)
    x0 = x[(x >= x[0] + half_width) & (x <= x[-1] - half_width)]
    with np.errstate(invalid="ignore", divide="ignore"):
        median = np.nanmedian(dip_contrast(x, Y, x0, half_width), axis=0)
    return float(x0[np.nanargmax(median)]), x0, median


def falls_back(y, fraction=0.5):
    """Whether ``y`` ever falls below ``fraction`` of its largest earlier value (a reversal).

    Parameters
    ----------
    y : array_like, shape (..., n)
    fraction : float

    Returns
    -------
    bool or ndarray of bool, shape (...)
    """
    y = np.asarray(y, float)
    return np.any(y < fraction * np.maximum.accumulate(y, axis=-1), axis=-1)


def last_above(t, y, fraction=0.01):
    """The last sample time at which ``|y|`` exceeds ``fraction`` of its largest value.

    Where a transient ends, e.g. the charging power or the entanglement rate.

    Parameters
    ----------
    t, y : array_like, shape (n,)
    fraction : float
        In (0, 1).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the arrays differ in shape, ``y`` is zero everywhere or ``fraction`` is not in (0, 1).
    """
    t, y = _samples(t, y, 1)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    size = np.abs(y)
    if not size.max() > 0:
        raise ValueError("y is zero everywhere: no transient to end")
    return float(t[np.flatnonzero(size > fraction * size.max())[-1]])
