r"""Battery and charger spin ensembles decaying into one common thermal reservoir.

Quach & Munro, "Using dark states to charge and stabilize open quantum batteries",
Phys. Rev. Applied 14, 024092 (2020), Eq. (2):

.. math::
    \dot\rho = -i\omega[J_C^z + J_B^z, \rho]
      + \gamma\left[(\bar n + 1)\mathcal L(J^-) + \bar n\,\mathcal L(J^+)\right],
    \qquad \mathcal L(O) = 2O\rho O^\dagger - O^\dagger O\rho - \rho O^\dagger O,

with :math:`J^\pm = J_C^\pm + J_B^\pm`, a charger of :math:`N_C` and a battery of
:math:`N_B` spin-1/2 held as collective spins :math:`j_C = N_C/2`, :math:`j_B = N_B/2`.
Units: hbar = k_B = 1, energies in units of hbar*omega, time in the unit of ``1/gamma``.

Structure used by the exact solver :func:`evolve`: the generator commutes with the
total :math:`J^z` (the Hamiltonian only dephases different total :math:`M`), so a
state diagonal in :math:`M` stays so and the Hamiltonian drops out. In the multiplet
basis :math:`|J, M\rangle` of :math:`\mathbf J_C + \mathbf J_B`, :math:`J^\pm` does not
change :math:`J`, so each matrix element :math:`c^{JJ'}_M = \langle J,M|\rho|J',M\rangle`
couples only to :math:`c^{JJ'}_{M\pm1}`: every pair :math:`(J, J')` is an independent
tridiagonal chain in :math:`M`, propagated exactly by a small matrix exponential.
Long-time limits need no evolution at all (:func:`steady_state`,
:func:`steady_energy_densities`): each multiplet keeps its weight and relaxes to a Gibbs
ladder, at :math:`T = 0` to its dark state :math:`|J, -J\rangle`.

Everything follows one shape: a model's parameters are a frozen :class:`CommonReservoir`;
solvers take ``(model, rho0, tlist)`` with options keyword-only; results are frozen
dataclasses with ``.times`` and named observables. The package is split by concept:

* :mod:`.model`: the parameters, Eq. (2) as QuTiP operators, initial states and the exact
  time evolution;
* :mod:`.steady`: long-time limits (multiplet decomposition, closed forms, the thermal
  state of independent battery spins, ergotropy, energy balance);
* :mod:`.charging`: peak power and the entanglement-rate maximum of a charging run;
* :mod:`.discharge`: the battery alone in the reservoir once the charger is removed;
* :mod:`.analysis`: studies built on these (size limits, discharge study, peak tables,
  the check against ``qutip.mesolve``, the appendix rates) and :class:`~.analysis.Family`,
  the models of every size at one temperature;
* :mod:`.plots`: the chapter's figures, drawn once.
"""

from .charging import ChargingPeaks, charging_peaks, peak_window
from .discharge import DischargeResult, discharge
from .model import (
    BATTERY_STATES,
    ChargingResult,
    CommonReservoir,
    charge,
    energy_density,
    evolve,
    two_spin_generator,
)
from .steady import (
    EnergyBalance,
    energy_balance,
    multiplet_weights,
    steady_battery_populations,
    steady_energy_densities,
    steady_ergotropy_density,
    steady_state,
    thermal_sectors,
)

__all__ = [
    "CommonReservoir",
    "BATTERY_STATES",
    "energy_density",
    "ChargingResult",
    "evolve",
    "charge",
    "multiplet_weights",
    "steady_state",
    "steady_energy_densities",
    "steady_battery_populations",
    "steady_ergotropy_density",
    "EnergyBalance",
    "energy_balance",
    "thermal_sectors",
    "ChargingPeaks",
    "peak_window",
    "charging_peaks",
    "DischargeResult",
    "discharge",
    "two_spin_generator",
]
