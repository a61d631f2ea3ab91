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
