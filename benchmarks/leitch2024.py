"""Benchmarks of the leitch2024 chapter: its heaviest computations, and ours next to plain QuTiP."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

RATIOS = np.linspace(0.01, 0.9, 100)


def _setup(l_max=60, lam=0.1):
    from qbkit.models import rotor as rt

    params = rt.RotorParameters(B1=4, B2=10, I=1.0, lam=lam, l_max=l_max)
    return rt, params, rt.Baths(beta1=0.1, beta_r=0.09, g=1.0, gamma=5e-5)


def cases():
    from qbkit.models import rotor_analysis as ra

    rt, params, baths = _setup()

    def sweep(equation):
        def run():  # fresh device: includes building its Liouvillian parts
            rt.ratio_sweep(rt.RotorDevice(params), baths, RATIOS, equation=equation)

        return run

    def evolution():
        dev = rt.RotorDevice(replace(params, B1=10.0))
        b = replace(baths, gamma=5e-4)
        rt.evolve(dev, dev.initial_state(b), np.linspace(0, 1e5, 201), b)

    def inertia_scan():
        ra.scan_inertia(params, baths, np.round(np.arange(0.5, 1.501, 0.05), 2), RATIOS[::2])

    return {
        "leitch2024: 100-point beta2/beta1 sweep of steady states, local equation, L_max=60": sweep(
            "local"
        ),
        "leitch2024: the same, semi-global equation (incl. 482 Bohr-frequency dissipators)": sweep(
            "global"
        ),
        "leitch2024: the same, non-secular (Redfield) equation": sweep("redfield"),
        "leitch2024: regimes of Fig. 2 for 21 moments of inertia (50-point sweeps + roots)": (
            inertia_scan
        ),
        "leitch2024: rotor evolution, 201 times up to 1e5, L_max=60 (sector dim 726)": evolution,
    }


def _plain_local(rt, dev, baths, ratios):
    """Heats and work of Eqs. (19), (24) from qutip.steadystate on the full space."""
    import qutip

    out = []
    for r in ratios:
        b = baths.at_ratio(r)
        c_ops = dev.collapse_operators(b)
        rho = qutip.operator_to_vector(qutip.steadystate(dev.H, c_ops))
        flows = []
        for ops in (c_ops[0:2], c_ops[2:4]):  # bath 1, bath 2 (g_i sqrt(n_i) sigma^+, ...)
            D = sum(qutip.lindblad_dissipator(c) for c in ops)
            flows.append(qutip.vector_to_operator(D @ rho))
        Q1, Q2 = ((dev.H0 * f).tr().real for f in flows)
        out.append([Q1, Q2, (dev.HI * (flows[0] + flows[1])).tr().real])
    return np.array(out)


def _plain_global(dev, baths, ratios, secular):
    """<L_z> from qutip.steadystate of QuTiP's Bloch-Redfield tensor (brcrossterm), full space."""
    import qutip

    return np.array(
        [
            qutip.expect(
                dev.Lz, qutip.steadystate(dev.bloch_redfield(baths.at_ratio(r), secular=secular))
            )
            for r in ratios
        ]
    )


def comparisons():
    from run import Comparison

    rt, params, baths = _setup()
    dev = rt.RotorDevice(params)
    ratios = RATIOS[::10]
    # a window around the rotor's resonance (l = 5.5): QuTiP's tensor costs ~N^4 (N = 4 x 7)
    small = rt.RotorDevice(replace(params, lam=0.3, l_min=2, l_max=8))
    few = ratios[::2]

    def ours_local():
        sw = rt.ratio_sweep(dev, baths, ratios)
        return np.column_stack([sw.Q1, sw.Q2, sw.W_Q])

    def ours_global(equation):
        return lambda: rt.ratio_sweep(small, baths, few, equation=equation).Lz

    return [
        Comparison(
            "leitch2024: local steady-state heats and work (Q1, Q2, W_Q) along Fig. 2, sector "
            "solve vs qutip.steadystate",
            "10 ratios, L_max=60 (full space 484, Liouvillian 234256)",
            ours=ours_local,
            plain=lambda: _plain_local(rt, dev, baths, ratios),
        ),
        Comparison(
            "leitch2024: <L_z> of the semi-global (secular) equation, sector vs QuTiP brcrossterm",
            "5 ratios, 2 <= l <= 8 (full space 28; the chapter uses -60 <= l <= 60)",
            ours=ours_global("global"),
            plain=lambda: _plain_global(small, baths, few, True),
        ),
        Comparison(
            "leitch2024: <L_z> of the non-secular (Redfield) equation, sector vs QuTiP brcrossterm",
            "5 ratios, 2 <= l <= 8 (full space 28, dense tensor; the chapter uses -60..60)",
            ours=ours_global("redfield"),
            plain=lambda: _plain_global(small, baths, few, False),
        ),
    ]
