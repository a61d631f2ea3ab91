r"""Reference system: Eq. (2) of Quach & Munro (2020) on individual qubits, no symmetry assumed.

Every charger and battery spin is its own qubit (charger first), the space has dimension
:math:`2^{N_C+N_B}` and the collapse operators are :math:`\sqrt{2\gamma(\bar n+1)}\,J^-` and
:math:`\sqrt{2\gamma\bar n}\,J^+` with :math:`J^- = \sum_i \sigma_i^-` over all spins (QuTiP's
:math:`D[c] = \tfrac12\mathcal L(c)`). It tests the reduction of
:mod:`qbkit.models.common_reservoir` to two collective spins :math:`j_C = N_C/2`,
:math:`j_B = N_B/2` without relying on it.

Analytic answer (T = 0, :math:`N_C = N_B = 1`, from :math:`|\uparrow\rangle_C|\downarrow\rangle_B`):
the singlet half of the state is dark and the triplet half decays to
:math:`|\downarrow\downarrow\rangle` through :math:`|\psi_+\rangle`, whose population is
:math:`e^{-4\gamma t}/2`; hence

.. math:: \langle J_B^z\rangle(t) = \frac{(1 - e^{-2\gamma t})^2}{4} - \frac12,
    \qquad \mathcal E_B(t) = \frac{(1 - e^{-2\gamma t})^2}{4} \to \frac14 .

For any sizes the long-time battery energy is the closed form of
:func:`qbkit.models.common_reservoir.steady_energy_densities`, with ``battery="independent"``
when every battery qubit starts in its own thermal state (a sum over the :math:`j_B` sectors
of :func:`qbkit.models.common_reservoir.thermal_sectors`).
"""

from __future__ import annotations

import numpy as np
import qutip


def individual_spin_model(N_C, N_B, gamma=1.0, nbar=0.0, omega=1.0, battery="ground"):
    """Hamiltonian, collapse operators, initial state and observables on individual qubits.

    Parameters
    ----------
    N_C, N_B : int
        Ensemble sizes, ``N_C + N_B <= 10``.
    gamma, nbar, omega : float
        As in Eq. (2).
    battery : {"ground", "thermal"}
        ``"thermal"`` gives every battery qubit its own thermal state (the true thermal
        state of independent spins).

    Returns
    -------
    dict
        ``"H"``, ``"c_ops"``, ``"rho0"``, ``"Jz_C"``, ``"Jz_B"`` (Qobj) and ``"mask_B"``
        (the partial-transpose mask of the battery qubits).
    """
    N = N_C + N_B
    if N > 10 or min(N_C, N_B) < 1:
        raise ValueError(f"need 1 <= N_C, N_B and N_C + N_B <= 10, got {N_C}, {N_B}")

    def site(op, i):
        return qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])

    sz, sm = qutip.jmat(0.5, "z"), qutip.jmat(0.5, "-")
    Jz_C = sum(site(sz, i) for i in range(N_C))
    Jz_B = sum(site(sz, i) for i in range(N_C, N))
    Jm = sum(site(sm, i) for i in range(N))
    c_ops = [np.sqrt(2 * gamma * (nbar + 1)) * Jm]
    if nbar > 0:
        c_ops.append(np.sqrt(2 * gamma * nbar) * Jm.dag())
    p_up = nbar / (2 * nbar + 1) if battery == "thermal" else 0.0
    spin_B = qutip.Qobj(np.diag([p_up, 1 - p_up]))
    rho0 = qutip.tensor([qutip.fock_dm(2, 0)] * N_C + [spin_B] * N_B)
    return {
        "H": omega * (Jz_C + Jz_B),
        "c_ops": c_ops,
        "rho0": rho0,
        "Jz_C": Jz_C,
        "Jz_B": Jz_B,
        "mask_B": [0] * N_C + [1] * N_B,
    }
