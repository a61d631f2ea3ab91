"""Argument checks shared by the solvers (each error names the argument)."""

from __future__ import annotations

import numpy as np


def check_rates(**rates):
    """Raise ValueError naming the first rate that is negative or not finite."""
    for name, value in rates.items():
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")


def check_tlist(tlist):
    """``tlist`` as a float array; ValueError unless 1-d, finite and strictly increasing."""
    t = np.asarray(tlist, dtype=float)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError("tlist must be a 1-d array of finite, strictly increasing times")
    return t


def check_count(name, value, minimum):
    """An integer >= minimum; TypeError or ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_positive(**values):
    """Each value as a float (an array as a float array); TypeError unless real, ValueError
    unless finite and > 0 (arrays: every entry)."""
    out = []
    for name, value in values.items():
        is_array = isinstance(value, np.ndarray) and value.dtype.kind in "iuf"
        if not is_array and (
            isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
        ):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        v = np.asarray(value, dtype=float)
        if not (np.all(np.isfinite(v)) and np.all(v > 0)):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
        out.append(v if is_array else float(v))
    return out[0] if len(out) == 1 else tuple(out)


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices``; ValueError naming ``name`` otherwise."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_finite(**values):
    """Raise ValueError naming the first value that is not finite (arrays: every entry)."""
    for name, value in values.items():
        if not np.all(np.isfinite(np.asarray(value, dtype=float))):
            raise ValueError(f"{name} must be finite, got {value!r}")
