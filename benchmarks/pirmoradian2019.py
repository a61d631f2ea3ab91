"""Benchmarks of the pirmoradian2019 chapter: its heaviest computations, and a release the plain
QuTiP way (``qutip.piqs``) next to ours."""

from __future__ import annotations

import numpy as np

GAMMA, GAMMA_C, T_STORE, T_RELEASE = 1.0, 1600.0, 0.2, 0.0187


def cases():
    from qbkit.cumulants import CumulantEnsemble
    from qbkit.dicke import DickeEnsemble
    from qbkit.models import ensemble_battery as eb

    short, long = eb.Protocol(0.0187, 0.0187), eb.Protocol(0.0187, 0.0375)

    # each repetition builds a fresh ensemble: first-use factorizations and step control included
    def cycling(make, protocol):
        return lambda: eb.cycle_until_converged(make(), protocol, tol=1e-3)

    def fixed_point(protocol):
        return lambda: eb.limit_cycle(DickeEnsemble(140), protocol)

    def release(N):
        def run():
            ens = DickeEnsemble(N)
            segs = [eb.PULSE, (T_STORE, 0.0, 2), (T_RELEASE, GAMMA_C, 41)]
            eb.run_protocol(ens, ens.ground(), segs, gamma=GAMMA)

        return run

    def long_discharge(N, t):
        def run():
            ens = DickeEnsemble(N)
            ens.evolve(ens.pi_pulse(ens.ground()), np.linspace(0, t, 3), GAMMA, GAMMA_C)

        return run

    def small_tau():
        return eb.small_tau_sequence(DickeEnsemble(140), short, (1, 2, 4, 8, 16))

    return {
        "pirmoradian2019: Dicke rate matrices, N=140 (5041 levels)": lambda: DickeEnsemble(140),
        "pirmoradian2019: exact cycles by the dark-state map, N=140, tau_d=tau_s (133)": cycling(
            lambda: DickeEnsemble(140), short
        ),
        "pirmoradian2019: exact cycles by the dark-state map, N=140, tau_d=2 tau_s (136)": cycling(
            lambda: DickeEnsemble(140), long
        ),
        "pirmoradian2019: cumulant cycles, N=140, tau_d=tau_s (133)": cycling(
            lambda: CumulantEnsemble(140), short
        ),
        "pirmoradian2019: exact limit cycle (fixed point), N=140, tau_d=tau_s": fixed_point(short),
        "pirmoradian2019: exact limit cycles for tau/1..16, N=140": small_tau,
        "pirmoradian2019: exact charge, storage 0.2, release, N=400 (40401 levels)": release(400),
        "pirmoradian2019: exact discharge over 10/gamma, N=140": long_discharge(140, 10.0),
    }


def _release_ours(N, tlist):
    from qbkit.dicke import DickeEnsemble

    ens = DickeEnsemble(N)
    p = ens.local_decay(ens.pi_pulse(ens.ground()), [0.0, T_STORE], GAMMA)[-1]
    ev = ens.evolve(p, tlist, GAMMA, GAMMA_C)
    return np.concatenate([ev.M, ev.J2])


def _release_mesolve(N, tlist):
    """piqs.Dicke's Liouvillian (full Dicke-basis density matrix) integrated by qutip.mesolve."""
    import qutip
    from qutip import piqs

    store = piqs.Dicke(N, emission=GAMMA).liouvillian()
    release = piqs.Dicke(N, emission=GAMMA, collective_emission=GAMMA_C).liouvillian()
    jx, jy, jz = piqs.jspin(N, basis="dicke")
    opts = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 100000, "method": "bdf"}
    rho = qutip.mesolve(store, piqs.excited(N), [0.0, T_STORE], options=opts).final_state
    res = qutip.mesolve(release, rho, tlist, e_ops=[jz, jx * jx + jy * jy + jz * jz], options=opts)
    return np.real(np.concatenate(res.expect))


def _release_pim(N, tlist):
    """piqs.Pim's rate matrix (Dicke-diagonal populations) by solve_ivp, Radau, sparse Jacobian."""
    from qutip import piqs
    from scipy.integrate import solve_ivp

    def run(L, p0, t):
        sol = solve_ivp(
            lambda _, p: L @ p,
            (t[0], t[-1]),
            p0,
            method="Radau",
            jac=L,
            t_eval=t,
            rtol=1e-12,
            atol=1e-15,
        )
        return sol.y.T

    store = piqs.Pim(N, emission=GAMMA).coefficient_matrix()
    release = piqs.Pim(N, emission=GAMMA, collective_emission=GAMMA_C).coefficient_matrix()
    p0 = np.zeros(store.shape[0])
    p0[0] = 1.0  # piqs orders levels by j, then m, both descending: |N/2, N/2> first
    p = run(store, p0, [0.0, T_STORE])[-1]
    P = run(release, p, tlist)
    j = np.concatenate([np.full(int(2 * jj) + 1, jj) for jj in sorted(piqs.j_vals(N))[::-1]])
    m = np.concatenate([np.arange(jj, -jj - 0.5, -1.0) for jj in sorted(piqs.j_vals(N))[::-1]])
    return np.concatenate([P @ m, P @ (j * (j + 1))])


def comparisons():
    from run import Comparison

    t = np.linspace(0.0, T_RELEASE, 41)
    return [
        Comparison(
            "release after a storage of 0.2/gamma: M(t), <S^2>(t); ours vs qutip.mesolve on "
            "piqs.Dicke's Liouvillian",
            "N=20 (mesolve on a 14641-element Dicke-basis density matrix; the chapter has N=140)",
            ours=lambda: _release_ours(20, t),
            plain=lambda: _release_mesolve(20, t),
        ),
        Comparison(
            "the same release; ours vs solve_ivp (Radau) on piqs.Pim's rate matrix",
            "N=140 (5041 populations), the chapter's size",
            ours=lambda: _release_ours(140, t),
            plain=lambda: _release_pim(140, t),
        ),
    ]
