"""Entanglement measures."""

from __future__ import annotations

import numpy as np
import qutip

__all__ = ["log_negativity"]


def log_negativity(rho, subsystem=1):
    r"""Logarithmic negativity :math:`E_N = \log_2 \lVert \rho^{\Gamma} \rVert_1`.

    Vidal & Werner, PRA 65, 032314 (2002); Quach & Munro (2020), Eq. (12).

    Parameters
    ----------
    rho : qutip.Qobj
        Density matrix of a bipartite system, ``dims = [[d_1, d_2], [d_1, d_2]]``
        (a ket is turned into a projector).
    subsystem : {0, 1}
        Index of the factor that is partially transposed (the result does not
        depend on it).

    Returns
    -------
    float
        :math:`E_N \ge 0` in bits (0 for separable states, 1 for a Bell state).

    Raises
    ------
    TypeError
        If ``rho`` is not a Qobj.
    ValueError
        If ``rho`` is not bipartite or ``subsystem`` is not 0 or 1.
    """
    if not isinstance(rho, qutip.Qobj):
        raise TypeError(f"rho must be a qutip.Qobj, got {type(rho).__name__}")
    if rho.isket:
        rho = qutip.ket2dm(rho)
    if len(rho.dims[0]) != 2:
        raise ValueError(f"rho must be bipartite, got dims {rho.dims}")
    if subsystem not in (0, 1):
        raise ValueError(f"subsystem must be 0 or 1, got {subsystem}")
    mask = [0, 0]
    mask[subsystem] = 1
    pt = qutip.partial_transpose(rho, mask).full()
    eig = np.linalg.eigvalsh(0.5 * (pt + pt.conj().T))
    return float(np.log2(np.abs(eig).sum()))
