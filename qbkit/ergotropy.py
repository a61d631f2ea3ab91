"""Ergotropy: the work extractable by a unitary (Allahverdyan, Balian & Nieuwenhuizen 2004)."""

from __future__ import annotations

import numpy as np
import qutip

__all__ = [
    "passive_energy",
    "ergotropy",
    "passive_energy_from_spectrum",
    "ergotropy_from_populations",
]


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
    passive = passive_energy(r, h)  # also checks the shapes
    return float(np.real(np.trace(h @ r))) - passive


def passive_energy_from_spectrum(eigenvalues, energies):
    r"""Passive energy :math:`\sum_k r_k^\downarrow \epsilon_k^\uparrow`; leading axes vectorized.

    Quach & Munro (2020), Eq. (10). When ``energies`` has more entries than the state
    has eigenvalues (a state supported on a subspace), the missing eigenvalues are 0.

    Parameters
    ----------
    eigenvalues : array_like, shape (..., n)
        Eigenvalues of the density matrix (any order).
    energies : array_like, shape (d,), d >= n
        The full spectrum of the Hamiltonian, degenerate levels repeated.

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    ValueError
        If there are more eigenvalues than energies.
    """
    r = np.asarray(eigenvalues, dtype=float)
    E = np.sort(np.asarray(energies, dtype=float))
    if r.shape[-1] > E.size:
        raise ValueError(f"{r.shape[-1]} eigenvalues but only {E.size} energies")
    r_desc = np.sort(r, axis=-1)[..., ::-1]
    return r_desc @ E[: r.shape[-1]]


def ergotropy_from_populations(populations, energies):
    r"""Ergotropy of states diagonal in a non-degenerate energy basis, vectorized.

    For :math:`\rho = \sum_k p_k |k\rangle\langle k|`, :math:`H|k\rangle = E_k|k\rangle`:
    :math:`\mathcal W = \sum_k p_k E_k - \sum_k p_k^\downarrow E_k^\uparrow`
    (Quach & Munro (2020), Eqs. (9)-(10)).

    Parameters
    ----------
    populations : array_like, shape (..., d)
        Populations :math:`p_k`.
    energies : array_like, shape (d,)
        Level energies :math:`E_k`, in the order of the populations.

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
        raise ValueError(f"populations has {p.shape[-1]} levels but energies has {E.shape[0]}")
    return p @ E - passive_energy_from_spectrum(p, E)
