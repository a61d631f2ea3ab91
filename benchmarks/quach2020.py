"""Benchmarks of the quach2020 chapter: its heaviest computations, and ours against mesolve."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.models import common_reservoir as cr

    def charging(N_B, R, t_end, points):
        def run():
            r = cr.charge(cr.CommonReservoir.with_ratio(R, N_B), np.linspace(0, t_end, points))
            r.log_negativity, r.ergotropy_density_B, r.dJz_B  # noqa: B018 - force every observable

        return run

    def peaks(N_B, R):
        return lambda: cr.charging_peaks(cr.CommonReservoir.with_ratio(R, N_B))

    return {
        "quach2020: R=50, N_B=3 charging, 801 times, all observables": charging(3, 50, 0.2, 801),
        "quach2020: R=5, N_B=10 charging, 601 times, all observables": charging(10, 5, 1.5, 601),
        "quach2020: R=10, N_B=10 (dim 1111), 401 times, all observables": charging(
            10, 10, 0.1, 401
        ),
        "quach2020: peak power and dS_B/dt maximum, R=10, N_B=10 (window and two refinements)": (
            peaks(10, 10)
        ),
        "quach2020: steady state, R=10, N_B=200 (multiplet decomposition)": lambda: cr.steady_state(
            m := cr.CommonReservoir.with_ratio(10, 200), m.initial_state()
        ).Jz_B(),
        "quach2020: steady energy, R=10, N_B=200 (closed form)": lambda: cr.steady_energy_densities(
            cr.CommonReservoir.with_ratio(10, 200)
        ),
    }


def comparisons():
    """The paper's largest run (R = 50, N_B = 3, dimension 604): E_B(t), ours and mesolve's.

    ``qutip.mesolve`` integrates the full Liouvillian of the two collective spins (dimension
    604^2 = 364 816, Hamiltonian included) at tolerances tight enough for the comparison to show
    the integrator's error; ours propagates the 10 independent (J, J') chains exactly.
    """
    import qutip
    from run import Comparison

    from qbkit.models import common_reservoir as cr

    model = cr.CommonReservoir.with_ratio(50, 3)
    tlist = np.linspace(0.0, 0.2, 81)
    Jz_B = model.hamiltonian(0.0) + qutip.tensor(qutip.qeye(151), qutip.jmat(1.5, "z"))

    def ours():
        return cr.charge(model, tlist).energy_density_B

    def plain():
        result = qutip.mesolve(
            model.hamiltonian(),
            model.initial_state(),
            tlist,
            model.collapse_operators(),
            e_ops=[Jz_B],
            options={"atol": 1e-10, "rtol": 1e-8},
        )
        return np.asarray(result.expect[0]) / 3 + 0.5

    return [Comparison("E_B(t), R=50, N_B=3 charging, 81 times", "dim 604, both", ours, plain)]
