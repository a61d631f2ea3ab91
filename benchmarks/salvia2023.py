"""Benchmarks of the salvia2023 chapter: its heaviest computations."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.collision import Ladder
    from qbkit.models import collisional_battery as cb

    osc, pi = Ladder.oscillator(250), np.pi
    T = 2 * np.sqrt(249)  # full charge of the theta -> 0 drive

    def fig4():
        for gamma in (0.0, 5e-4, 1e-3, 1.5e-3, 2e-3, 2.5e-3):
            for th in (0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05):
                cb.advantage_onset(osc, th * pi, T, loss=gamma)

    return {
        "salvia2023: theta=0.01pi to Omega tau=20, 250 levels (636 collisions; dense Kraus: 90 s)": lambda: (
            cb.charge_coherent(osc, 0.01 * pi, 636)
        ),
        "salvia2023: theta=0.01pi, gamma=1e-3 to full charge, 250 levels (1004 collisions + losses)": lambda: (
            cb.charge_coherent(osc, 0.01 * pi, 1004, loss=1e-3)
        ),
        "salvia2023: Fig. 4 grid, 6 gamma x 8 theta, up to full charge": fig4,
        "salvia2023: theta threshold at full charge (Brent, 250 levels)": lambda: (
            cb.advantage_threshold(
                osc, T, cb.bound_oscillator, 0.5 / np.sqrt(250), 2.5 / np.sqrt(250), xtol=1e-4 * pi
            )
        ),
    }
