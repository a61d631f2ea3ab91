"""Thermal occupations, Gibbs states, Carnot bounds and rectification (hbar = k_B = 1)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "bose_occupation",
    "gibbs_populations",
    "carnot_efficiency",
    "carnot_cop",
    "rectification_coefficient",
    "best_tradeoff",
]


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


def carnot_efficiency(beta_hot, beta_cold):
    r"""Carnot efficiency :math:`\eta_C = 1 - \beta_h/\beta_c` (arrays broadcast).

    Leitch et al., arXiv:2304.08122, text below Eq. (36).
    """
    return 1.0 - np.asarray(beta_hot, dtype=float) / np.asarray(beta_cold, dtype=float)


def carnot_cop(beta_hot, beta_cold, pump=False):
    r"""Carnot bound of a refrigerator, :math:`T_c/(T_h - T_c) = \beta_h/(\beta_c - \beta_h)`.

    With ``pump=True``, the heat pump's :math:`T_h/(T_h - T_c) = \beta_c/(\beta_c - \beta_h)`
    (the form printed below Eq. (37) of Leitch et al.). Arrays broadcast.
    """
    bh, bc = np.asarray(beta_hot, dtype=float), np.asarray(beta_cold, dtype=float)
    return (bc if pump else bh) / (bc - bh)


def rectification_coefficient(q, q_swap):
    r"""Rectification :math:`R = |(q - q^{(swap)})/(q + q^{(swap)})|` of a current and its swap.

    Leitch et al., Eqs. (39) and (42). Arrays broadcast; ``R = 1`` when one of them is zero,
    and it exceeds 1 when the two have opposite signs.
    """
    q, qs = np.asarray(q, dtype=float), np.asarray(q_swap, dtype=float)
    return np.abs((q - qs) / (q + qs))


def best_tradeoff(R, J, alpha):
    r"""Index of the largest :math:`\Gamma_\alpha = \alpha R + (1-\alpha)J` along a curve, Eq. (41).

    Parameters
    ----------
    R, J : array_like, shape (n,)
    alpha : float
        Weight in [0, 1].

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If alpha is outside [0, 1] or the shapes differ.
    """
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    R, J = np.asarray(R, dtype=float), np.asarray(J, dtype=float)
    if R.shape != J.shape or R.ndim != 1:
        raise ValueError("R and J must be 1-d arrays of the same shape")
    return int(np.argmax(alpha * R + (1 - alpha) * J))
