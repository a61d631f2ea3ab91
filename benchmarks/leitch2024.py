"""Benchmarks of the leitch2024 chapter: its heaviest computations."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.models import rotor as rt

    ratios = np.linspace(0.01, 0.9, 100)

    def sweep(equation):
        def run():
            dev = rt.RotorDevice(
                4, 10, I=1.0, lam=0.1, L_max=60
            )  # fresh: includes building the Liouvillian parts
            for r in ratios:
                L, parts = dev.liouvillian(0.1, 0.1 * r, 0.09, equation=equation)
                dev.currents(dev.sector.steady_state(L), parts, equation)

        return run

    def evolution():
        dev = rt.RotorDevice(10, 10, I=1.0, lam=0.1, L_max=60)
        L, _ = dev.liouvillian(0.1, 0.02, 0.09, gamma=5e-4)
        dev.evolve(L, dev.initial_state(0.1, 0.02), np.linspace(0, 1e5, 201))

    return {
        "leitch2024: 100-point beta2/beta1 sweep of steady states, local equation, L_max=60": sweep(
            "local"
        ),
        "leitch2024: the same, semi-global equation (incl. 482 Bohr-frequency dissipators)": sweep(
            "global"
        ),
        "leitch2024: rotor evolution, 201 times up to 1e5, L_max=60 (sector dim 726)": evolution,
    }
