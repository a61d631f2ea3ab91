"""Thermal occupations and Gibbs states (hbar = k_B = 1)."""

from __future__ import annotations

import numpy as np

__all__ = ["bose_occupation", "gibbs_populations"]


def bose_occupation(T, omega=1.0):
    r"""Mean thermal occupation :math:`\bar n = 1/(e^{\omega/T} - 1)` of a mode of frequency omega.

    Quach & Munro, PRApplied 14, 024092 (2020), text below Eq. (2).

    Parameters
    ----------
    T : float or array_like
        Temperature in the same energy unit as ``omega`` (k_B = 1); ``T = 0`` gives 0.
    omega : float, optional
        Transition energy (default 1, i.e. T in units of hbar*omega/k_B).

    Returns
    -------
    float or ndarray
        :math:`\bar n \ge 0`, same shape as ``T``.

    Raises
    ------
    ValueError
        If any ``T`` is negative or not finite, or ``omega`` is not positive.
    """
    T_arr = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(T_arr)) or np.any(T_arr < 0):
        raise ValueError(f"T must be finite and >= 0, got {T}")
    if not omega > 0:
        raise ValueError(f"omega must be > 0, got {omega}")
    with np.errstate(divide="ignore", over="ignore"):
        x = np.where(T_arr > 0, omega / np.where(T_arr > 0, T_arr, 1.0), np.inf)
        n = np.where(np.isinf(x), 0.0, 1.0 / np.expm1(x))
    return float(n) if n.ndim == 0 else n


def gibbs_populations(energies, nbar):
    r"""Populations :math:`p_k \propto x^{(E_k - E_0)}`, :math:`x = \bar n/(\bar n + 1) = e^{-1/T}`.

    The Gibbs distribution of an equally spaced ladder written through the thermal
    occupation of its spacing (energies in units of that spacing).

    Parameters
    ----------
    energies : array_like, shape (d,)
        Level energies in units of the level spacing.
    nbar : float
        Thermal occupation of the spacing, >= 0 (0 gives the ground state).

    Returns
    -------
    ndarray, shape (d,)
        Normalized populations.

    Raises
    ------
    ValueError
        If ``nbar`` is negative.
    """
    if not nbar >= 0:
        raise ValueError(f"nbar must be >= 0, got {nbar}")
    E = np.asarray(energies, dtype=float)
    dE = E - E.min()
    if nbar == 0:
        p = (dE < 1e-12).astype(float)
    else:
        p = np.exp(-dE * np.log1p(1.0 / nbar))
    return p / p.sum()
