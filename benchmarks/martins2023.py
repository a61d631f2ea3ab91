"""Benchmarks of the martins2023 chapter: the mean-field maps, the exact solver's cost per drive
period against the Fock space, the converged runs, and the exact solver against qutip.mesolve."""

from __future__ import annotations

import numpy as np
from run import Comparison

PERIODS = 10  # the cost per period is the printed time divided by this


def cases():
    from qbkit.models import flywheel as fw

    p = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18 (units of gamma)
    det = fw.TwoStroke.detuning(8.0, 0.0, 9.0)
    Omega, Delta_max = np.meshgrid(np.linspace(0, 16, 41), np.linspace(0, 20, 41))
    t_periods = np.arange(0, PERIODS * p.tau_d + 1e-9, p.tau_d / 16)
    t400 = np.union1d(np.arange(0, 400 + p.tau_d / 8, p.tau_d / 16), [400.0])

    def fixed(N, band):
        return lambda: fw.solve_exact(p, det, t_periods, N_max=N, band=band)

    out = {
        "martins2023: mean-field map 41x41 (Omega, Delta_max) to gamma t = 100, one batched RK4": (
            lambda: fw.solve_mean_field(p, fw.TwoStroke.detuning(Omega, 0.0, Delta_max), [100.0])
        ),
    }
    for N in (60, 120, 240, 480):  # cost per period against the size of the Fock space
        out[f"martins2023: exact, {PERIODS} periods on N = {N} Fock states, band 16"] = fixed(N, 16)
    for N in (60, 120):
        out[f"martins2023: exact, {PERIODS} periods on N = {N}, the whole matrix"] = fixed(N, None)
    settings = {"converged": dict(tol=1e-9, band=16), "tightened": dict(tol=1e-11, band=32)}
    for name, kw in settings.items():
        out[f"martins2023: exact to gamma t = 400, growing window, {name} ({kw})"] = lambda kw=kw: (
            fw.solve_exact(p, det, t400, N_max=1000, **kw)
        )
    return out


def comparisons():
    import qutip

    from qbkit.models import flywheel as fw

    p, N, halves = fw.FlywheelParameters(kappa2=-0.1, V0=-17.0), 30, 80
    det = fw.TwoStroke.detuning(8.0, 0.0, 9.0)
    t = np.arange(halves * 8 + 1) * p.tau_d / 16

    def plain():  # Eq. (3) by mesolve on Fock(30) x ions, one call per stroke
        a = qutip.tensor(qutip.destroy(N), qutip.qeye(4))
        x = (a + a.dag()) / np.sqrt(2)
        x2 = (a * a + a.dag() * a.dag() + 2 * a.dag() * a + 1) / 2
        o = fw.electronic_operators()

        def el(M):
            return qutip.tensor(qutip.qeye(N), qutip.Qobj(M))

        H = p.omega_rel * a.dag() * a + (p.V0 + p.kappa1 * x + p.kappa2 * x2) * el(o["nn"])
        rho, h, xs = qutip.tensor(qutip.fock_dm(N, 0), qutip.fock_dm(4, 0)), p.tau_d / 2, [0.0]
        opts = {"atol": 1e-10, "rtol": 1e-8, "store_final_state": True}
        for k in range(halves):
            D, O = det.half(k)
            Hk = H + D * el(o["n1"] + o["n2"]) + O * el(o["sx"])
            r = qutip.mesolve(Hk, rho, np.linspace(k * h, (k + 1) * h, 9),
                              [el(o["sm1"]), el(o["sm2"])], e_ops=[x], options=opts)  # fmt: skip
            xs += list(r.expect[0][1:])
            rho = r.final_state
        return np.array(xs)

    def ours():
        return fw.solve_exact(p, det, t, N_max=N, band=16, tol=1e-10, N_start=8).x

    return [
        Comparison(
            "exact <x>(t), red parameters, 40 drive periods",
            "N = 30 Fock states (both)",
            ours,
            plain,
        )
    ]
