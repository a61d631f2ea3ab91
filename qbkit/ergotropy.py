"""Ergotropy: the work extractable by a unitary (Allahverdyan, Balian & Nieuwenhuizen 2004)."""

from __future__ import annotations

import numpy as np
import qutip

__all__ = ["passive_energy", "ergotropy", "ergotropy_from_populations"]


def _hermitian_array(x, name):
    if isinstance(x, qutip.Qobj):
        if x.isket:
            x = qutip.ket2dm(x)
        x = x.full()
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {x.shape}")
    if not np.allclose(x, x.conj().T, atol=1e-10):
        raise ValueError(f"{name} must be Hermitian")
    return x


def passive_energy(rho, H):
    r"""Energy of the passive state of ``rho`` for Hamiltonian ``H``.

    .. math:: E_\text{passive} = \sum_k r_k \epsilon_k, \qquad r_1 \ge r_2 \ge \dots,
              \quad \epsilon_1 \le \epsilon_2 \le \dots

    Allahverdyan et al., EPL 67, 565 (2004); Quach & Munro (2020), Eq. (10).

    Parameters
    ----------
    rho : qutip.Qobj or ndarray, shape (d, d)
        Density matrix (a ket is turned into a projector).
    H : qutip.Qobj or ndarray, shape (d, d)
        Hamiltonian on the same space.

    Returns
    -------
    float
        :math:`\min_U \mathrm{Tr}(H U \rho U^\dagger)`, in the unit of ``H``.

    Raises
    ------
    ValueError
        If the shapes differ or a matrix is not square and Hermitian.
    """
    r = _hermitian_array(rho, "rho")
    h = _hermitian_array(H, "H")
    if r.shape != h.shape:
        raise ValueError(f"rho and H must have the same shape, got {r.shape} and {h.shape}")
    r_k = np.sort(np.linalg.eigvalsh(r))[::-1]
    e_k = np.sort(np.linalg.eigvalsh(h))
    return float(r_k @ e_k)


def ergotropy(rho, H):
    r"""Ergotropy :math:`\mathcal W = \mathrm{Tr}(H\rho) - \min_U \mathrm{Tr}(H U\rho U^\dagger)`.

    Quach & Munro (2020), Eqs. (9)-(10); Allahverdyan et al., EPL 67, 565 (2004).

    Parameters
    ----------
    rho, H : qutip.Qobj or ndarray, shape (d, d)
        State and Hamiltonian, as in :func:`passive_energy`.

    Returns
    -------
    float
        Ergotropy :math:`\ge 0` in the unit of ``H``.

    Raises
    ------
    ValueError
        As :func:`passive_energy`.
    """
    r = _hermitian_array(rho, "rho")
    h = _hermitian_array(H, "H")
    energy = float(np.real(np.trace(h @ r)))
    return energy - passive_energy(r, h)


def ergotropy_from_populations(populations, energies, multiplicities=None):
    r"""Ergotropy of states diagonal in the energy basis, vectorized over leading axes.

    For :math:`\rho = \sum_k p_k |k\rangle\langle k|` and :math:`H|k\rangle = E_k|k\rangle`
    the passive state reassigns the sorted populations to the sorted energies
    (Quach & Munro (2020), Eq. (10)).

    Parameters
    ----------
    populations : array_like, shape (..., d)
        Populations :math:`p_k` of the levels (each level's total when it is degenerate).
    energies : array_like, shape (d,)
        Level energies :math:`E_k`.
    multiplicities : array_like of int, shape (d,), optional
        Degeneracy of each level; the population of a level is spread evenly over
        its states (default: all 1).

    Returns
    -------
    ndarray, shape (...)
        Ergotropy in the unit of ``energies``.

    Raises
    ------
    ValueError
        If the last axis of ``populations`` does not match ``energies``.
    """
    p = np.asarray(populations, dtype=float)
    E = np.asarray(energies, dtype=float)
    if p.shape[-1] != E.shape[0]:
        raise ValueError(
            f"populations has {p.shape[-1]} levels but energies has {E.shape[0]}"
        )
    g = np.ones(E.shape, dtype=int) if multiplicities is None else np.asarray(multiplicities)
    if g.shape != E.shape or np.any(g < 1):
        raise ValueError("multiplicities must be positive integers, one per level")
    energy = p @ E
    eig = np.repeat(p / g, g, axis=-1)  # eigenvalues of rho, state by state
    levels = np.sort(np.repeat(E, g))
    passive = np.sort(eig, axis=-1)[..., ::-1] @ levels
    return energy - passive
