"""Benchmarks: each chapter end to end, and its heaviest computations.

Run with ``make benchmark`` (one BLAS thread, as the book build uses). Prints one
line per measurement: the best of ``--repeat`` wall-clock times. Figures are
machine-dependent; compare ratios, and run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def quach2020_cases():
    from qbkit.models import common_reservoir as cr

    def charging(N_B, R, t_end, points):
        def run():
            r = cr.charging_run(N_B, R, np.linspace(0, t_end, points))
            r.log_negativity, r.ergotropy_density_B, r.dJz_B  # noqa: B018 - force every observable
        return run

    return {
        "quach2020: R=50, N_B=3 charging, 801 times, all observables": charging(3, 50, 0.2, 801),
        "quach2020: R=5, N_B=10 charging, 601 times, all observables": charging(10, 5, 1.5, 601),
        "quach2020: R=10, N_B=10 (dim 1111), 401 times, all observables": charging(10, 10, 0.1, 401),
        "quach2020: steady state, R=10, N_B=200 (multiplet decomposition)":
            lambda: cr.steady_state(cr.initial_state(2000, 200)).Jz_B(),
    }


def pirmoradian2019_cases():
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
        "pirmoradian2019: exact limit cycle, N=140, tau_d=tau_s (133 cycles)":
            limit_cycle(lambda: DickeEnsemble(140), 0.0187),
        "pirmoradian2019: exact limit cycle, N=140, tau_d=2 tau_s (136 cycles)":
            limit_cycle(lambda: DickeEnsemble(140), 0.0375),
        "pirmoradian2019: cumulant limit cycle, N=140, tau_d=tau_s (133 cycles)":
            limit_cycle(lambda: CumulantEnsemble(140), 0.0187),
        "pirmoradian2019: exact charge, storage 0.2, release, N=400 (40401 levels)": release(400),
        "pirmoradian2019: exact discharge over 10/gamma, N=140": long_discharge(140, 10.0),
    }


def salvia2023_cases():
    from qbkit.collision import Ladder
    from qbkit.models import collisional_battery as cb

    osc, pi = Ladder.oscillator(250), np.pi
    T = 2 * np.sqrt(249)  # full charge of the theta -> 0 drive

    def fig4():
        for gamma in (0.0, 5e-4, 1e-3, 1.5e-3, 2e-3, 2.5e-3):
            for th in (0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05):
                cb.advantage_onset(osc, th * pi, T, loss=gamma)

    return {
        "salvia2023: theta=0.01pi to Omega tau=20, 250 levels (636 collisions; dense Kraus: 90 s)":
            lambda: cb.charge_coherent(osc, 0.01 * pi, 636),
        "salvia2023: theta=0.01pi, gamma=1e-3 to full charge, 250 levels (1004 collisions + losses)":
            lambda: cb.charge_coherent(osc, 0.01 * pi, 1004, loss=1e-3),
        "salvia2023: Fig. 4 grid, 6 gamma x 8 theta, up to full charge": fig4,
        "salvia2023: theta threshold at full charge (Brent, 250 levels)":
            lambda: cb.advantage_threshold(osc, T, cb.bound_oscillator, 0.5 / np.sqrt(250), 2.5 / np.sqrt(250),
                                           xtol=1e-4 * pi),
    }


def leitch2024_cases():
    from qbkit.models import rotor as rt

    ratios = np.linspace(0.01, 0.9, 100)

    def sweep(equation):
        def run():
            dev = rt.RotorDevice(4, 10, I=1.0, lam=0.1, L_max=60)  # fresh: includes building the Liouvillian parts
            for r in ratios:
                L, parts = dev.liouvillian(0.1, 0.1 * r, 0.09, equation=equation)
                dev.currents(dev.sector.steady_state(L), parts, equation)
        return run

    def evolution():
        dev = rt.RotorDevice(10, 10, I=1.0, lam=0.1, L_max=60)
        L, _ = dev.liouvillian(0.1, 0.02, 0.09, gamma=5e-4)
        dev.evolve(L, dev.initial_state(0.1, 0.02), np.linspace(0, 1e5, 201))

    return {
        "leitch2024: 100-point beta2/beta1 sweep of steady states, local equation, L_max=60": sweep("local"),
        "leitch2024: the same, semi-global equation (incl. 482 Bohr-frequency dissipators)": sweep("global"),
        "leitch2024: rotor evolution, 201 times up to 1e5, L_max=60 (sector dim 726)": evolution,
    }


def martins2023_cases():
    from qbkit.models import flywheel as fw

    p = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18 (units of gamma)
    Omega, Delta_max = np.meshgrid(np.linspace(0, 16, 41), np.linspace(0, 20, 41))
    return {
        "martins2023: mean-field map 41x41 (Omega, Delta_max) to t = 100, one batched RK4":
            lambda: fw.integrate_mean_field(p, 100.0, (0.0, Delta_max), (Omega, Omega)),
        "martins2023: exact master equation, N = 60 Fock states, to t = 400 (Lawson RK4)":
            lambda: fw.solve_exact(p, 60, 400.0, (0.0, 9.0), (8.0, 8.0)),
        "martins2023: the same with N = 120 (truncation check)":
            lambda: fw.solve_exact(p, 120, 400.0, (0.0, 9.0), (8.0, 8.0)),
    }


def chapter(name):
    def run():
        from qbkit.book.runner import run_chapter

        with tempfile.TemporaryDirectory() as tmp:
            run_chapter(name, [], Path(tmp) / "out", progress=False)
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each kernel (default 3)")
    parser.add_argument("--no-chapters", action="store_true", help="skip the end-to-end chapter runs")
    args = parser.parse_args(argv)
    cases = {**quach2020_cases(), **pirmoradian2019_cases(), **salvia2023_cases(), **leitch2024_cases(),
             **martins2023_cases()}
    for name, fn in cases.items():
        print(f"{best_of(fn, args.repeat):8.2f} s  {name}", flush=True)
    if not args.no_chapters:
        from qbkit.book.registry import CHAPTERS

        for name in CHAPTERS:
            print(f"{best_of(chapter(name), 1):8.2f} s  chapter {name} end to end (qbkit run, incl. kernel start)",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
