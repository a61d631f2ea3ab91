"""Benchmarks of the martins2023 chapter: its heaviest computations."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.models import flywheel as fw

    p = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18 (units of gamma)
    Omega, Delta_max = np.meshgrid(np.linspace(0, 16, 41), np.linspace(0, 20, 41))
    return {
        "martins2023: mean-field map 41x41 (Omega, Delta_max) to t = 100, one batched RK4": lambda: (
            fw.integrate_mean_field(p, 100.0, (0.0, Delta_max), (Omega, Omega))
        ),
        "martins2023: exact master equation, N = 60 Fock states, to t = 400 (Lawson RK4)": lambda: (
            fw.solve_exact(p, 60, 400.0, (0.0, 9.0), (8.0, 8.0))
        ),
        "martins2023: the same with N = 120 (truncation check)": lambda: fw.solve_exact(
            p, 120, 400.0, (0.0, 9.0), (8.0, 8.0)
        ),
    }
