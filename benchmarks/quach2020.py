"""Benchmarks of the quach2020 chapter: its heaviest computations."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.models import common_reservoir as cr

    def charging(N_B, R, t_end, points):
        def run():
            r = cr.charging_run(N_B, R, np.linspace(0, t_end, points))
            r.log_negativity, r.ergotropy_density_B, r.dJz_B  # noqa: B018 - force every observable

        return run

    return {
        "quach2020: R=50, N_B=3 charging, 801 times, all observables": charging(3, 50, 0.2, 801),
        "quach2020: R=5, N_B=10 charging, 601 times, all observables": charging(10, 5, 1.5, 601),
        "quach2020: R=10, N_B=10 (dim 1111), 401 times, all observables": charging(
            10, 10, 0.1, 401
        ),
        "quach2020: steady state, R=10, N_B=200 (multiplet decomposition)": lambda: cr.steady_state(
            cr.initial_state(2000, 200)
        ).Jz_B(),
    }
