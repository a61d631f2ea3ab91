"""Benchmarks of the pirmoradian2019 chapter: its heaviest computations."""

from __future__ import annotations

import numpy as np


def cases():
    from qbkit.cumulants import CumulantEnsemble
    from qbkit.dicke import DickeEnsemble
    from qbkit.models import ensemble_battery as eb

    # each repetition builds a fresh ensemble: first-use factorizations and step control included
    def limit_cycle(make, tau_d):
        return lambda: eb.cycle_until_converged(make(), 0.0187, tau_d, 1.0, 1600.0, tol=1e-3)

    def release(N):
        def run():
            ens = DickeEnsemble(N)
            eb.run_protocol(ens, ens.ground(), [eb.PULSE, (0.2, 0.0, 2), (0.0187, 1600.0, 41)], 1.0)

        return run

    def long_discharge(N, t):
        def run():
            ens = DickeEnsemble(N)
            ens.evolve(ens.pi_pulse(ens.ground()), np.linspace(0, t, 3), 1.0, 1600.0)

        return run

    return {
        "pirmoradian2019: Dicke rate matrices, N=140 (5041 levels)": lambda: DickeEnsemble(140),
        "pirmoradian2019: exact limit cycle, N=140, tau_d=tau_s (133 cycles)": limit_cycle(
            lambda: DickeEnsemble(140), 0.0187
        ),
        "pirmoradian2019: exact limit cycle, N=140, tau_d=2 tau_s (136 cycles)": limit_cycle(
            lambda: DickeEnsemble(140), 0.0375
        ),
        "pirmoradian2019: cumulant limit cycle, N=140, tau_d=tau_s (133 cycles)": limit_cycle(
            lambda: CumulantEnsemble(140), 0.0187
        ),
        "pirmoradian2019: exact charge, storage 0.2, release, N=400 (40401 levels)": release(400),
        "pirmoradian2019: exact discharge over 10/gamma, N=140": long_discharge(140, 10.0),
    }
