"""Ensemble battery (Pirmoradian & Mølmer 2019): cumulant equations and the exact Dicke solver,
against analytic results, full-Hilbert-space master equations and an independent derivation."""

import itertools

import numpy as np
import pytest
import qutip
from scipy.linalg import expm

from qbkit.cumulants import CumulantEnsemble
from qbkit.dicke import DickeEnsemble
from qbkit.models import ensemble_battery as eb

SM, SP, SZ, ID = qutip.sigmam().full(), qutip.sigmap().full(), qutip.sigmaz().full(), np.eye(2)


def site_op(ops, n):
    """Kronecker product over n sites; ``ops`` maps site -> 2x2 matrix."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, ops.get(k, ID))
    return out


def full_model(N, gamma, Gamma):
    """Eq. (5) on the full 2^N space with QuTiP: individual and collective emission."""
    dims = [[2] * N, [2] * N]
    sm = [qutip.Qobj(site_op({k: SM}, N), dims=dims) for k in range(N)]
    c_ops = [np.sqrt(gamma) * s for s in sm] + [np.sqrt(Gamma) * sum(sm)]
    return sm, c_ops, dims


def moments_of(rho, N):
    """The nine moments (order of MOMENTS) of a permutation-symmetric N-spin density matrix."""
    r = rho.full()

    def ev(ops):
        return np.trace(r @ site_op(ops, N))

    q, u = ev({0: SP, 1: SZ}), ev({0: SP, 1: SP})
    return np.array(
        [
            ev({0: SZ}).real,
            2 * ev({0: SP}).real,
            2 * ev({0: SP}).imag,
            ev({0: SP, 1: SM}).real,
            ev({0: SZ, 1: SZ}).real,
            q.real,
            q.imag,
            u.real,
            u.imag,
        ]
    )


def symmetric_random_state(N, seed):
    """A random pure state symmetrized over permutations (coherences in every moment)."""
    rng = np.random.default_rng(seed)
    psi = qutip.Qobj(
        rng.normal(size=2**N) + 1j * rng.normal(size=2**N), dims=[[2] * N, [1] * N]
    ).unit()
    rho = psi.proj()
    perms = list(itertools.permutations(range(N)))
    return sum(rho.permute(list(p)) for p in perms) / len(perms)


def test_cumulants_exact_for_two_emitters():
    # N = 2: every closed three-spin term carries (N - 2), so the equations are exact
    gamma, Gamma = 0.7, 3.1
    rho0 = symmetric_random_state(2, seed=3)
    _, c_ops, dims = full_model(2, gamma, Gamma)
    t = np.linspace(0, 1.5, 31)
    res = qutip.mesolve(qutip.qzero(dims), rho0, t, c_ops, options={"atol": 1e-13, "rtol": 1e-11})
    exact = np.array([moments_of(s, 2) for s in res.states])
    ens = CumulantEnsemble(2)
    y, _ = ens.evolve(moments_of(rho0, 2), t, gamma, Gamma, rtol=1e-12, atol=1e-14)
    assert np.abs(exact[-1]).max() > 1e-2  # the state has not decayed to nothing
    np.testing.assert_allclose(y, exact, atol=1e-8)


def adjoint_three_site(Q, N, gamma, Gamma):
    """L^dagger(Q) for Q on sites 0, 1, written on three sites; site 2 stands for the N - 2 others.

    Independent of the hand-derived equations: L^dagger(Q) = gamma sum_k D^dagger[s_k](Q)
    + (Gamma/2)(S+ [Q, S-] + [S+, Q] S-), where terms linear in an outside spin are
    (N - 2) copies of the same term on site 2.
    """
    sm = [site_op({k: SM}, 3) for k in range(3)]
    sp = [s.conj().T for s in sm]
    out = np.zeros((8, 8), complex)
    for k in (0, 1):
        out += gamma * (sp[k] @ Q @ sm[k] - 0.5 * (sp[k] @ sm[k] @ Q + Q @ sp[k] @ sm[k]))
    inner_m, inner_p = sm[0] + sm[1], sp[0] + sp[1]
    C, Cp = Q @ inner_m - inner_m @ Q, inner_p @ Q - Q @ inner_p
    out += 0.5 * Gamma * ((inner_p + (N - 2) * sp[2]) @ C + Cp @ (inner_m + (N - 2) * sm[2]))
    return out


def closed_expectation(X, y):
    """<X> for a three-site operator X from the nine moments, the third cumulant dropped."""
    sz, sx, sy, p, z, qr, qi, ur, ui = y
    s = {"p": 0.5 * (sx + 1j * sy), "m": 0.5 * (sx - 1j * sy), "z": sz}
    q, u = qr + 1j * qi, ur + 1j * ui
    pair = {
        ("p", "m"): p,
        ("m", "p"): p,
        ("z", "z"): z,
        ("p", "z"): q,
        ("z", "p"): q,
        ("m", "z"): np.conj(q),
        ("z", "m"): np.conj(q),
        ("p", "p"): u,
        ("m", "m"): np.conj(u),
    }
    basis = {"1": ID, "p": SP, "m": SM, "z": SZ}
    norms = {"1": 2, "p": 1, "m": 1, "z": 2}
    total = 0
    for labels in itertools.product("1pmz", repeat=3):
        B = site_op({k: basis[a] for k, a in enumerate(labels)}, 3)
        coeff = np.trace(B.conj().T @ X) / np.prod([norms[a] for a in labels])
        if abs(coeff) < 1e-14:
            continue
        ops = [a for a in labels if a != "1"]
        if len(ops) == 0:
            value = 1.0
        elif len(ops) == 1:
            value = s[ops[0]]
        elif len(ops) == 2:
            value = pair[tuple(ops)]
        else:
            a, b, c = ops
            value = (
                s[a] * pair[(b, c)]
                + s[b] * pair[(a, c)]
                + s[c] * pair[(a, b)]
                - 2 * s[a] * s[b] * s[c]
            )
        total += coeff * value
    return total


@pytest.mark.parametrize("N", [3, 7, 140])
def test_cumulant_equations_match_independent_derivation(N):
    gamma, Gamma = 0.9, 2.3
    rng = np.random.default_rng(N)
    y = rng.normal(size=9)
    ens = CumulantEnsemble(N)
    d = ens.rhs(0.0, y, gamma, Gamma)
    derived = {
        "pm": closed_expectation(
            adjoint_three_site(site_op({0: SP, 1: SM}, 3), N, gamma, Gamma), y
        ),
        "zz": closed_expectation(
            adjoint_three_site(site_op({0: SZ, 1: SZ}, 3), N, gamma, Gamma), y
        ),
        "pz": closed_expectation(
            adjoint_three_site(site_op({0: SP, 1: SZ}, 3), N, gamma, Gamma), y
        ),
        "pp": closed_expectation(
            adjoint_three_site(site_op({0: SP, 1: SP}, 3), N, gamma, Gamma), y
        ),
    }
    # single-spin equations: the outside spin enters with multiplicity N - 1
    derived["sz"] = closed_expectation(_adjoint_one_site(site_op({0: SZ}, 3), N, gamma, Gamma), y)
    derived["sp"] = closed_expectation(_adjoint_one_site(site_op({0: SP}, 3), N, gamma, Gamma), y)
    scale = N * (gamma + Gamma)
    np.testing.assert_allclose(d[0], derived["sz"].real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[1] + 1j * d[2], 2 * derived["sp"], atol=1e-12 * scale)
    np.testing.assert_allclose(d[3], derived["pm"].real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[4], derived["zz"].real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[5] + 1j * d[6], derived["pz"], atol=1e-12 * scale)
    np.testing.assert_allclose(d[7] + 1j * d[8], derived["pp"], atol=1e-12 * scale)


def _adjoint_one_site(Q, N, gamma, Gamma):
    """As adjoint_three_site for Q on site 0 alone: site 1 stands for the N - 1 others (site 2 unused)."""
    sm = [site_op({k: SM}, 3) for k in range(3)]
    sp = [s.conj().T for s in sm]
    out = gamma * (sp[0] @ Q @ sm[0] - 0.5 * (sp[0] @ sm[0] @ Q + Q @ sp[0] @ sm[0]))
    C, Cp = Q @ sm[0] - sm[0] @ Q, sp[0] @ Q - Q @ sp[0]
    out += 0.5 * Gamma * ((sp[0] + (N - 1) * sp[1]) @ C + Cp @ (sm[0] + (N - 1) * sm[1]))
    return out


def test_cumulant_storage_is_exponential_decay():
    # Gamma = 0 from full inversion: <sigma_z> = 2 exp(-gamma t) - 1 (any N)
    ens = CumulantEnsemble(140)
    t = np.linspace(0, 2, 21)
    y, emitted = ens.evolve(ens.pi_pulse(ens.ground()), t, 0.8, 0.0)
    np.testing.assert_allclose(y[:, 0], 2 * np.exp(-0.8 * t) - 1, atol=1e-9)
    assert np.all(emitted == 0)


@pytest.mark.parametrize("N", [3, 4])
def test_dicke_matches_full_hilbert_space(N):
    gamma, Gamma = 1.0, 7.0
    sm, c_ops, dims = full_model(N, gamma, Gamma)
    Jx = 0.5 * sum(s + s.dag() for s in sm)
    Jz = 0.5 * sum(s.dag() * s - s * s.dag() for s in sm)
    Jm = sum(sm)
    J2 = Jx * Jx + (0.5j * (Jm - Jm.dag())) ** 2 + Jz * Jz
    ground = qutip.Qobj(site_op({k: np.diag([0.0, 1.0]) for k in range(N)}, N), dims=dims)
    pulse = (-1j * np.pi * Jx).expm()
    t = np.linspace(0, 0.6, 13)
    ens = DickeEnsemble(N)
    # pulse, storage, pulse, discharge: both pulse mappings and both generators
    rho, p = pulse * ground * pulse.dag(), ens.pi_pulse(ens.ground())
    opts = {"atol": 1e-13, "rtol": 1e-11}
    rho = qutip.mesolve(qutip.qzero(dims), rho, t, c_ops[:N], options=opts).final_state
    p = ens.evolve(p, t, gamma, 0.0)[0][-1]
    rho, p = pulse * rho * pulse.dag(), ens.pi_pulse(p)
    res = qutip.mesolve(
        qutip.qzero(dims), rho, t, c_ops, e_ops=[Jz, J2, Gamma * Jm.dag() * Jm], options=opts
    )
    P, emitted = ens.evolve(p, t, gamma, Gamma)
    np.testing.assert_allclose(ens.Jz(P), res.expect[0].real, atol=1e-9)
    np.testing.assert_allclose(ens.J2(P), res.expect[1].real, atol=1e-9)
    np.testing.assert_allclose(
        ens.collective_emission_rate(P, Gamma), res.expect[2].real, atol=1e-8
    )
    assert emitted[-1] > 0.1


@pytest.mark.parametrize("N", [10, 21, 40])
@pytest.mark.parametrize("Gamma", [0.0, 1.0, 1600.0])
def test_dicke_evolution_against_dense_expm(N, Gamma):
    ens = DickeEnsemble(N)
    rng = np.random.default_rng(N)
    p0 = rng.random(ens.dim)
    p0 /= p0.sum()
    L = (ens.L_local + Gamma * ens.L_collective).toarray()
    t = np.array([0.0, 1e-4, 0.0187, 0.5, 3.0])  # short and long intervals, several sub-step counts
    P, _ = ens.evolve(p0, t, 1.0, Gamma)
    for k, tt in enumerate(t):
        np.testing.assert_allclose(P[k], expm(tt * L) @ p0, atol=1e-10)


def test_dicke_equal_intervals_share_one_step_control():
    ens = DickeEnsemble(20)
    t = np.linspace(0.0, 0.3, 31)  # np.diff(t) differs in the last bits
    assert np.unique(np.diff(t)).size > 1
    P, _ = ens.evolve(ens.pi_pulse(ens.ground()), t, 1.0, 50.0)
    assert len(ens._n_sub) == 1
    L = (ens.L_local + 50.0 * ens.L_collective).toarray()
    np.testing.assert_allclose(P[-1], expm(0.3 * L) @ ens.pi_pulse(ens.ground()), atol=1e-10)


def test_dicke_local_decay_of_full_inversion_is_binomial():
    # independent emitters: M = (N/2)(2 e^{-gamma t} - 1); and <S^2> of the product state
    N, gamma = 60, 1.3
    ens = DickeEnsemble(N)
    t = np.linspace(0, 3, 16)
    P = ens.local_decay(ens.pi_pulse(ens.ground()), t, gamma)
    e = np.exp(-gamma * t)
    np.testing.assert_allclose(ens.Jz(P), 0.5 * N * (2 * e - 1), atol=1e-11)
    # product state with excited fraction e: <S^2> = 3N/4 + N(N-1)/4 <sz>^2 (no pair correlations)
    np.testing.assert_allclose(
        ens.J2(P), 0.75 * N + 0.25 * N * (N - 1) * (2 * e - 1) ** 2, rtol=1e-12
    )
    assert P.min() >= 0


def test_energy_balance_and_collective_only_decay():
    ens = DickeEnsemble(12)
    p = ens.pi_pulse(ens.ground())
    t = np.linspace(0, 0.05, 6)
    P, emitted = ens.evolve(p, t, 0.0, 40.0)
    np.testing.assert_allclose(emitted, ens.Jz(P[0]) - ens.Jz(P), atol=1e-10)  # all to the cavity
    np.testing.assert_allclose(ens.Jz(P[-1]), -6, atol=1e-9)  # superradiant decay to |6, -6>


def test_first_individual_emission_leaves_1_over_N_on_the_symmetric_ladder():
    # text below Fig. 3: from |N/2, N/2>, one emission goes to |N/2, N/2 - 1> with probability 1/N
    N = 140
    ens = DickeEnsemble(N)
    top = np.flatnonzero((ens.j == N / 2) & (ens.m == N / 2))[0]
    rates = ens.L_local[:, [top]].toarray().ravel()
    out = -rates[top]
    sym = np.flatnonzero((ens.j == N / 2) & (ens.m == N / 2 - 1))[0]
    assert rates[sym] / out == pytest.approx(1 / N, rel=1e-12)


def test_pi_pulse_inverts_and_cycles_converge():
    for ens in (CumulantEnsemble(20), DickeEnsemble(20)):
        assert ens.Jz(ens.pi_pulse(ens.ground())) == pytest.approx(10)
        res = eb.cycle_until_converged(ens, 0.05, 0.05, 1.0, 100.0, tol=1e-3)
        assert res.converged and abs(res.S_end[-1] - res.S_end[-2]) < 1e-3
        assert res.S_end[0] > res.S_end[-1] > 0  # aging: S shrinks toward the limit cycle
        assert res.trace.phase[1] == eb.PULSE


def test_eq8_limits():
    # tau_d = tau_s: x^2 + 4x/N - 4/N = 0 -> S = sqrt(N)(sqrt(1 + 1/N) - 1/sqrt(N))
    for N in [140, 1e4]:
        assert eb.limit_cycle_spin_length(N, 1.0, 1.0) == pytest.approx(np.sqrt(N + 1) - 1)
    S = eb.limit_cycle_spin_length(1e7, 1.0, 2.0)
    assert S == pytest.approx(eb.limit_cycle_spin_length_large_N(1e7, 1.0, 2.0), rel=1e-5)
    assert eb.spin_length(2.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: CumulantEnsemble(1), "N must be >= 2"),
        (lambda: DickeEnsemble(2.5), "N must be an integer"),
        (lambda: DickeEnsemble(4).evolve(DickeEnsemble(4).ground(), [0, 1], -1.0, 0), "gamma"),
        (lambda: DickeEnsemble(4).evolve(DickeEnsemble(4).ground(), [0, 1], 1.0, np.nan), "Gamma"),
        (lambda: CumulantEnsemble(4).evolve(CumulantEnsemble.ground(), [1, 0], 1.0, 1.0), "tlist"),
        (lambda: DickeEnsemble(4).evolve(np.ones(3), [0, 1], 1.0, 1.0), "p0 must have shape"),
        (lambda: eb.limit_cycle_spin_length(140, 0.0, 1.0), "tau_s"),
        (
            lambda: eb.run_protocol(CumulantEnsemble(4), CumulantEnsemble.ground(), ["kick"], 1.0),
            "unknown segment",
        ),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
