"""Ensemble battery (Pirmoradian & Mølmer 2019): cumulant equations, the exact Dicke solver, the
limit cycle and its first-order balance, against analytic results, full-Hilbert-space master
equations, PIQS and an independent derivation."""

import itertools

import numpy as np
import pytest
import qutip
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from systems.emitter_moments import (
    SM,
    SP,
    SZ,
    adjoint_one_site,
    adjoint_three_site,
    closed_expectation,
    site_op,
)

from qbkit import cumulants
from qbkit.cumulants import CumulantEnsemble
from qbkit.dicke import DickeEnsemble, individual_emission_rates, piqs_rate_matrix
from qbkit.models import ensemble_battery as eb
from qbkit.series import extrapolate_to_zero


def symmetric_random_state(N, seed):
    """A random pure state symmetrized over permutations (coherences in every moment)."""
    rng = np.random.default_rng(seed)
    psi = qutip.Qobj(
        rng.normal(size=2**N) + 1j * rng.normal(size=2**N), dims=[[2] * N, [1] * N]
    ).unit()
    rho = psi.proj()
    perms = list(itertools.permutations(range(N)))
    return sum(rho.permute(list(p)) for p in perms) / len(perms)


# -- cumulant theory -----------------------------------------------------------------------------
def test_cumulants_exact_for_two_emitters():
    # N = 2: every closed three-spin term carries (N - 2), so the equations are exact
    gamma, Gamma = 0.7, 3.1
    rho0 = symmetric_random_state(2, seed=3)
    t = np.linspace(0, 1.5, 31)
    exact = cumulants.mesolve_moments(rho0, t, gamma, Gamma)
    y = CumulantEnsemble(2).evolve(exact[0], t, gamma, Gamma, rtol=1e-12, atol=1e-14).states
    assert np.abs(exact[-1]).max() > 1e-2  # the state has not decayed to nothing
    np.testing.assert_allclose(y, exact, atol=1e-8)


def test_two_emitter_state_has_every_moment():
    y = cumulants.moments_of(cumulants.two_emitter_state(np.pi / 3, 0.7))
    assert np.abs(y).min() > 1e-3


def test_moments_of_a_product_state():
    # each emitter cos(a/2)|e> + sin(a/2)|g>: <sz> = cos a, <sx> = sin a, pairs factorize
    a = 0.9
    one = np.cos(a / 2) * qutip.basis(2, 0) + np.sin(a / 2) * qutip.basis(2, 1)
    y = cumulants.moments_of(qutip.tensor(one, one, one).proj())
    sp = 0.5 * np.sin(a)
    expected = [np.cos(a), np.sin(a), 0, sp * sp, np.cos(a) ** 2, sp * np.cos(a), 0, sp * sp, 0]
    np.testing.assert_allclose(y, expected, atol=1e-12)


@pytest.mark.parametrize("N", [3, 7, 140])
def test_cumulant_equations_match_independent_derivation(N):
    gamma, Gamma = 0.9, 2.3
    rng = np.random.default_rng(N)
    y = rng.normal(size=9)
    d = CumulantEnsemble(N).rhs(0.0, y, gamma, Gamma)

    def two(a, b):
        return closed_expectation(adjoint_three_site(site_op({0: a, 1: b}, 3), N, gamma, Gamma), y)

    def one(a):
        return closed_expectation(adjoint_one_site(site_op({0: a}, 3), N, gamma, Gamma), y)

    scale = N * (gamma + Gamma)
    np.testing.assert_allclose(d[0], one(SZ).real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[1] + 1j * d[2], 2 * one(SP), atol=1e-12 * scale)
    np.testing.assert_allclose(d[3], two(SP, SM).real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[4], two(SZ, SZ).real, atol=1e-12 * scale)
    np.testing.assert_allclose(d[5] + 1j * d[6], two(SP, SZ), atol=1e-12 * scale)
    np.testing.assert_allclose(d[7] + 1j * d[8], two(SP, SP), atol=1e-12 * scale)


def test_cumulant_storage_is_exponential_decay():
    # Gamma = 0 from full inversion: <sigma_z> = 2 exp(-gamma t) - 1 (any N)
    ens = CumulantEnsemble(140)
    t = np.linspace(0, 2, 21)
    ev = ens.evolve(ens.pi_pulse(ens.ground()), t, 0.8, 0.0)
    np.testing.assert_allclose(ev.states[:, 0], 2 * np.exp(-0.8 * t) - 1, atol=1e-14)
    assert np.all(ev.emitted == 0)


def test_cumulant_closed_form_storage_against_integration():
    ens = CumulantEnsemble(30)
    y0 = np.random.default_rng(1).normal(size=9)
    t = np.linspace(0, 1.3, 7)
    sol = solve_ivp(
        lambda tt, y: ens.rhs(tt, y, 0.7, 0.0), (0, 1.3), y0, t_eval=t, rtol=1e-12, atol=1e-13
    )
    np.testing.assert_allclose(ens.storage(y0, t, 0.7), sol.y.T, atol=1e-9)


def test_moments_from_dicke_populations():
    ex, cu = DickeEnsemble(12), CumulantEnsemble(12)
    p = np.random.default_rng(2).random(ex.dim)
    p /= p.sum()
    y = cu.from_populations(ex.j, ex.m, p)
    assert cu.Jz(y) == pytest.approx(ex.Jz(p))
    assert cu.J2(y) == pytest.approx(ex.J2(p))


# -- exact solver --------------------------------------------------------------------------------
@pytest.mark.parametrize("N", [3, 4, 7, 10, 41])
def test_dicke_rates_are_those_of_piqs(N):
    ens = DickeEnsemble(N)
    assert abs(piqs_rate_matrix(ens, emission=1.0) - ens.L_local).max() < 1e-13 * N
    assert abs(piqs_rate_matrix(ens, collective_emission=1.0) - ens.L_collective).max() == 0
    a0, am, ap = individual_emission_rates(N, ens.j, ens.m)
    np.testing.assert_allclose(a0 + am + ap, N / 2 + ens.m, atol=1e-12)  # out-rate: excited count


@pytest.mark.parametrize("N", [3, 4])
def test_dicke_matches_full_hilbert_space(N):
    gamma, Gamma = 1.0, 7.0
    dims = [[2] * N, [2] * N]
    sm = [qutip.Qobj(site_op({k: SM}, N), dims=dims) for k in range(N)]
    c_ops = [np.sqrt(gamma) * s for s in sm] + [np.sqrt(Gamma) * sum(sm)]
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
    p = ens.evolve(p, t, gamma, 0.0).states[-1]
    rho, p = pulse * rho * pulse.dag(), ens.pi_pulse(p)
    res = qutip.mesolve(
        qutip.qzero(dims), rho, t, c_ops, e_ops=[Jz, J2, Gamma * Jm.dag() * Jm], options=opts
    )
    ev = ens.evolve(p, t, gamma, Gamma)
    np.testing.assert_allclose(ev.M, res.expect[0].real, atol=1e-9)
    np.testing.assert_allclose(ev.J2, res.expect[1].real, atol=1e-9)
    np.testing.assert_allclose(
        ens.collective_emission_rate(ev.states, Gamma), res.expect[2].real, atol=1e-8
    )
    assert ev.emitted[-1] > 0.1


@pytest.mark.parametrize("N", [10, 21, 40])
@pytest.mark.parametrize("Gamma", [0.0, 1.0, 1600.0])
def test_dicke_evolution_against_dense_expm(N, Gamma):
    ens = DickeEnsemble(N)
    rng = np.random.default_rng(N)
    p0 = rng.random(ens.dim)
    p0 /= p0.sum()
    L = (ens.L_local + Gamma * ens.L_collective).toarray()
    t = np.array([0.0, 1e-4, 0.0187, 0.5, 3.0])  # short and long intervals, several sub-step counts
    P = ens.evolve(p0, t, 1.0, Gamma).states
    for k, tt in enumerate(t):
        np.testing.assert_allclose(P[k], expm(tt * L) @ p0, atol=1e-10)


@pytest.mark.parametrize("Gamma", [0.0, 300.0])
def test_dicke_columns_evolve_like_single_states(Gamma):
    # many states as columns (block forward substitution) against one at a time (sparse LU)
    ens = DickeEnsemble(16)
    P = np.random.default_rng(4).random((ens.dim, 9))
    P /= P.sum(axis=0)
    out, em = ens.propagate(P, 0.05, 1.0, Gamma)
    for k in range(P.shape[1]):
        ev = ens.evolve(P[:, k], [0.0, 0.05], 1.0, Gamma)
        np.testing.assert_allclose(out[:, k], ev.states[-1], atol=1e-13)
        assert em[k] == pytest.approx(ev.emitted[-1], abs=1e-12)


def test_dicke_equal_intervals_share_one_step_control():
    ens = DickeEnsemble(20)
    t = np.linspace(0.0, 0.3, 31)  # np.diff(t) differs in the last bits
    assert np.unique(np.diff(t)).size > 1
    P = ens.evolve(ens.pi_pulse(ens.ground()), t, 1.0, 50.0).states
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
    ev = ens.evolve(ens.pi_pulse(ens.ground()), np.linspace(0, 0.05, 6), 0.0, 40.0)
    np.testing.assert_allclose(ev.emitted, ev.M[0] - ev.M, atol=1e-10)  # all to the cavity
    np.testing.assert_allclose(ev.M[-1], -6, atol=1e-9)  # superradiant decay to |6, -6>


def test_first_individual_emission_from_the_top():
    # text below Fig. 3: from |N/2, N/2>, weight 1/N to |N/2, N/2 - 1> and (N - 1)/N to
    # j = N/2 - 1 (the N - 1 multiplets of that j), not to j = (N - 1)/2
    N = 140
    ens = DickeEnsemble(N)
    rates = ens.L_local[:, [ens.index(N / 2, N / 2)]].toarray().ravel()
    weights = rates / N
    assert weights[ens.index(N / 2, N / 2 - 1)] == pytest.approx(1 / N, rel=1e-12)
    assert weights[ens.index(N / 2 - 1, N / 2 - 1)] == pytest.approx((N - 1) / N, rel=1e-12)


def test_multiplet_distribution_of_the_ground_state():
    ens = DickeEnsemble(9)
    dist = ens.multiplet_distribution(ens.ground())
    assert dist[-1] == 1 and dist.sum() == 1 and ens.j_values[-1] == 4.5


# -- protocols -----------------------------------------------------------------------------------
def test_pi_pulse_inverts_and_cycles_converge():
    for ens in (CumulantEnsemble(20), DickeEnsemble(20)):
        assert ens.Jz(ens.pi_pulse(ens.ground())) == pytest.approx(10)
        res = eb.cycle_until_converged(ens, eb.Protocol(0.05, 0.05, Gamma=100.0), tol=1e-3)
        assert res.converged and abs(res.S_end[-1] - res.S_end[-2]) < 1e-3
        assert res.S_end[0] > res.S_end[-1] > 0  # aging: S shrinks toward the limit cycle
        assert res.trace.phase[1] == eb.PULSE
        np.testing.assert_allclose(res.capacity, res.M_charged - res.M_before)


def test_cycling_by_the_dark_state_map_equals_direct_cycling():
    ens, p = DickeEnsemble(20), eb.Protocol(0.05, 0.07, Gamma=200.0)
    a = eb.cycle_until_converged(ens, p, max_cycles=4, tol=1e-14, method="direct")
    b = eb.cycle_until_converged(ens, p, max_cycles=4, tol=1e-14, method="map")
    np.testing.assert_allclose(a.trace.times, b.trace.times, atol=1e-15)
    assert list(a.trace.phase) == list(b.trace.phase)
    for name in ("M", "J2", "emitted"):
        np.testing.assert_allclose(getattr(a.trace, name), getattr(b.trace, name), atol=1e-9)
    np.testing.assert_allclose(a.S_end, b.S_end, atol=1e-10)


def test_limit_cycle_is_a_fixed_point_of_one_cycle():
    p = eb.Protocol(0.05, 0.05, Gamma=600.0)  # release complete: exp(-2 Gamma tau_d) = 1e-26
    ens = DickeEnsemble(20)
    lc = eb.limit_cycle(ens, p)
    kw = dict(max_cycles=2, tol=1e-14, state0=lc.state, method="direct")
    after = eb.cycle_until_converged(ens, p, **kw)
    np.testing.assert_allclose(after.state, lc.state, atol=1e-10)
    assert 0 < lc.contraction < 1 and lc.leak < 1e-10
    assert lc.capacity == pytest.approx(lc.distribution.capacity, abs=1e-9)  # dark -> top: 2<j>
    # cycling approaches it geometrically at the map's contraction rate
    res = eb.cycle_until_converged(ens, p, tol=1e-6)
    limit, q = res.geometric_limit()
    assert q == pytest.approx(lc.contraction, rel=1e-3)
    assert limit == pytest.approx(lc.S, abs=1e-6)
    cum = CumulantEnsemble(20)
    lcc = eb.limit_cycle(cum, p)
    y = eb.cycle_until_converged(cum, p, max_cycles=2, tol=1e-14, state0=lcc.state).state
    np.testing.assert_allclose(y, lcc.state, atol=1e-9)


def test_release_bookkeeping_and_burst():
    ens = DickeEnsemble(30)
    r = eb.release_run(ens, 0.2, gamma=1.0, Gamma=800.0, t_release=0.02, t_end=0.5)
    tr = r.trace
    assert r.lost_in_storage == pytest.approx(15 - 15 * (2 * np.exp(-0.2) - 1), rel=1e-10)
    assert r.trapped == pytest.approx(15 + tr.M[r.k_released])
    np.testing.assert_allclose(tr.M[tr.where("dark", joined=False)[0] - 1], tr.M[r.k_released])
    # without individual decay the whole drop goes to the cavity, all of it in the burst
    b = eb.burst(ens, r.stored_state, gamma=0.0, Gamma=800.0, window=0.02)
    assert b.share == pytest.approx(1.0, abs=1e-9) and 0 < b.duration < 0.02 / 8
    with pytest.raises(ValueError, match="fine_window"):
        eb.burst(ens, r.stored_state, gamma=1.0, Gamma=800.0, window=0.02, fine_window=1e-6)


# -- the first-order balance -----------------------------------------------------------------------
@pytest.mark.parametrize("N", [21, 140])
def test_spin_square_rates_against_the_rate_matrix(N):
    ens = DickeEnsemble(N)
    dJ2 = ens.L_local.T @ (ens.j * (ens.j + 1))
    top, bottom = eb.spin_square_rates(N, ens.j_values)
    jv = ens.j_values
    np.testing.assert_allclose(dJ2[ens.index(jv, jv)], top, atol=1e-12 * N**2)
    np.testing.assert_allclose(dJ2[ens.dark], bottom, atol=1e-12 * N**2)


def test_first_order_spin_length():
    for N in (140, 1e4):
        S = eb.limit_cycle_spin_length_first_order(N, 1.0, 1.0)
        assert S == pytest.approx((np.sqrt(1 + 8 * N) - 1) / 4)
        top, bottom = eb.spin_square_rates(N, S)
        assert top + bottom == pytest.approx(0, abs=1e-9 * N)
    N, ts, td = 140, 0.0187, 0.0375
    S = eb.limit_cycle_spin_length_first_order(N, ts, td)
    top, bottom = eb.spin_square_rates(N, S)
    assert ts * top + td * bottom == pytest.approx(0, abs=1e-9)
    x = 2 * S / N  # the x form of the docstring
    assert x**2 - x * ((td - ts) / (td + ts) - 2 * td / (N * (td + ts))) - 2 / N == pytest.approx(
        0, abs=1e-14
    )
    S_big = eb.limit_cycle_spin_length_first_order(1e7, 1.0, 2.0)
    assert S_big == pytest.approx(eb.limit_cycle_spin_length_large_N(1e7, 1.0, 2.0), rel=1e-5)


def test_eq8_limits():
    # tau_d = tau_s: x^2 + 4x/N - 4/N = 0 -> S = sqrt(N + 1) - 1
    for N in [140, 1e4]:
        assert eb.limit_cycle_spin_length(N, 1.0, 1.0) == pytest.approx(np.sqrt(N + 1) - 1)
    S = eb.limit_cycle_spin_length(1e7, 1.0, 2.0)
    assert S == pytest.approx(eb.limit_cycle_spin_length_large_N(1e7, 1.0, 2.0), rel=1e-5)
    assert eb.spin_length(2.0) == pytest.approx(1.0)


def test_balance_readings():
    r = eb.balance_readings(140, 1.0, 2.0)
    assert r["S(S+1)"] == pytest.approx(eb.limit_cycle_spin_length_first_order(140, 1.0, 2.0))
    assert r["quanta"] == pytest.approx(eb.limit_cycle_spin_length_large_N(140, 1.0, 2.0))
    assert np.isnan(eb.balance_readings(140, 1.0, 1.0)["quanta"])  # no root at tau_d = tau_s


def test_small_tau_limit_is_stationary_under_the_averaged_rates():
    # independent of the closed-form rates: the averaged j-jump generator from the rate matrix
    N, ts, td = 24, 1.0, 1.7
    ens, dist = DickeEnsemble(N), eb.small_tau_limit(N, ts, td)
    jv = ens.j_values
    A = np.zeros((jv.size, jv.size))
    for f, levels in ((ts, ens.index(jv, jv)), (td, ens.dark)):
        L = ens.L_local[:, levels].toarray()  # (dim, k)
        for k in range(jv.size):
            for row in np.flatnonzero(L[:, k]):
                kk = int(round(ens.j[row] - jv[0]))
                if kk != k:
                    A[kk, k] += f * L[row, k]
                    A[k, k] -= f * L[row, k]
    np.testing.assert_allclose(A @ dist.P, 0, atol=1e-12)
    delta, residual = eb.sharp_spin_shift(N, ts, td, dist)
    assert residual == pytest.approx(0, abs=1e-10)
    S_c = eb.limit_cycle_spin_length_first_order(N, ts, td)
    assert S_c - dist.S == pytest.approx(delta, abs=1e-10)


def test_shrinking_cycles_approach_the_small_tau_limit():
    ens = DickeEnsemble(24)
    seq = eb.small_tau_sequence(ens, eb.Protocol(0.05, 0.08, Gamma=400.0), (1, 2, 4, 8))
    assert seq.S_limit == pytest.approx(eb.small_tau_limit(24, 0.05, 0.08).S, abs=1e-4)
    assert seq.S_limit_error < 1e-3 and seq.leak < 1e-9
    assert eb.Protocol(0.05, 0.08, Gamma=400.0).shrunk(2) == eb.Protocol(0.025, 0.04, Gamma=1600.0)


def test_extrapolate_to_zero():
    h = np.array([0.4, 0.1, 0.2, 0.05])
    y0, err = extrapolate_to_zero(h, 3 - h + 2 * h**2 + 5 * h**3)
    assert abs(y0 - 3) < 5 * 0.05 * 0.1 * 0.2 + 1e-12  # the cubic term left over
    assert err > abs(y0 - 3)


def test_limit_cycle_scan_small():
    scan = eb.limit_cycle_scan([8, 12], eb.Protocol(0.05, 0.05, Gamma=200.0))
    assert scan.N.tolist() == [8, 12] and np.all(scan.S_exact > 0)
    np.testing.assert_allclose(scan.S_error, scan.S_cumulant / scan.S_exact - 1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: CumulantEnsemble(1), "N must be >= 2"),
        (lambda: DickeEnsemble(2.5), "N must be an integer"),
        (lambda: DickeEnsemble(4).evolve(DickeEnsemble(4).ground(), [0, 1], -1.0, 0), "gamma"),
        (lambda: DickeEnsemble(4).evolve(DickeEnsemble(4).ground(), [0, 1], 1.0, np.nan), "Gamma"),
        (lambda: CumulantEnsemble(4).evolve(CumulantEnsemble.ground(), [1, 0], 1.0, 1.0), "tlist"),
        (lambda: DickeEnsemble(4).evolve(np.ones(3), [0, 1], 1.0, 1.0), "p0 must have shape"),
        (lambda: DickeEnsemble(4).index(3, 0), "not a level"),
        (lambda: eb.limit_cycle_spin_length(140, 0.0, 1.0), "tau_s"),
        (lambda: eb.Protocol(0.1, -1.0), "tau_d"),
        (lambda: eb.Protocol(0.1, 0.1, Gamma=-1.0), "Gamma"),
        (
            lambda: eb.run_protocol(
                CumulantEnsemble(4), CumulantEnsemble.ground(), ["kick"], gamma=1.0
            ),
            "unknown segment",
        ),
        (lambda: eb.dark_cycle_map(CumulantEnsemble(4), eb.Protocol(0.1, 0.1)), "DickeEnsemble"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# -- figures ---------------------------------------------------------------------------------------
def test_figures_record_their_curves(monkeypatch, tmp_path):
    from qbkit.book import Figure
    from qbkit.models import ensemble_battery_plots as draw

    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    N, solvers = 8, {"exact": DickeEnsemble(8), "cumulant": CumulantEnsemble(8)}
    proto = {
        "short": eb.Protocol(0.05, 0.05, Gamma=300.0),
        "long": eb.Protocol(0.05, 0.1, Gamma=300),
    }
    kw = dict(gamma=1.0, Gamma=300.0, t_release=0.05, t_end=0.5)
    releases = {k: [eb.release_run(e, t, **kw) for t in (0.1, 0.2)] for k, e in solvers.items()}
    storage = {
        k: eb.run_protocol(e, e.ground(), [eb.PULSE, (0.5, 0.0, 11)], gamma=1.0)
        for k, e in solvers.items()
    }
    fig = Figure("t-fig2", 1, 2)
    draw.draw_release_runs(fig, storage, releases, N=N, gamma=1.0)
    assert {"gamma_t_storage", "M_over_N(ts=0.2,cumulant)", "S(ts=0.1,exact)"} <= set(fig.columns)
    fig.publish()
    cycles = {
        (p, k): eb.cycle_until_converged(e, pr, tol=1e-2)
        for p, pr in proto.items()
        for k, e in solvers.items()
    }
    lines = {"Eq. (8)": {p: 1.0 for p in proto}, "first-order balance": {p: 2.0 for p in proto}}
    fig = Figure("t-fig3", 3, 2, width=3.6, height=2.3)
    draw.draw_cycles(fig, cycles, proto, lines, gamma=1.0)
    assert {"M(long,exact)", "S(short,cumulant)", "gamma_t(long,cumulant)"} <= set(fig.columns)
    fig.publish()
    seq = {p: eb.small_tau_sequence(solvers["exact"], pr, (1, 2, 4)) for p, pr in proto.items()}
    lim = {p: eb.small_tau_limit(N, pr.tau_s, pr.tau_d) for p, pr in proto.items()}
    lc = {p: eb.limit_cycle(solvers["exact"], pr) for p, pr in proto.items()}
    fig = Figure("t-limit", 1, 3)
    draw.draw_short_cycle_limit(fig, seq, lim, lc, lines, gamma=1.0)
    assert fig.columns["birth-death limit(long)"][0][0] == pytest.approx(lim["long"].S)
    np.testing.assert_allclose(fig.columns["P_j(short,small_tau_limit)"][0], lim["short"].P)
    fig.publish()
    fig = Figure("t-scan", 1, 2)
    rscan = eb.release_scan([4, 6], 0.1, gamma=1.0, Gamma=300.0, t_release=0.05)
    draw.draw_cumulant_scan(fig, rscan, eb.limit_cycle_scan([4, 6], proto["short"]))
    np.testing.assert_allclose(fig.columns["dM_over_N_after_release_signed"][0], rscan.dM_after)
    fig.publish()
    assert {p.name for p in tmp_path.iterdir()} >= {"t-fig2.png", "t-scan.csv", "t-limit.pdf"}


def test_cumulant_equations_as_printed():
    # errata 4 and 5: the printed source term creates correlations in the ground state, and the
    # printed equations are not exact for N = 2
    printed, fixed = CumulantEnsemble(5, as_printed=True), CumulantEnsemble(5)
    g = CumulantEnsemble.ground()
    assert printed.rhs(0, g, 1.0, 2.0)[3] == pytest.approx(-2.0)
    assert fixed.rhs(0, g, 1.0, 2.0)[3] == 0
    rho0 = symmetric_random_state(2, seed=5)
    t = np.linspace(0, 0.5, 6)
    exact = cumulants.mesolve_moments(rho0, t, 0.5, 2.0)
    y = CumulantEnsemble(2, as_printed=True).evolve(exact[0], t, 0.5, 2.0).states
    assert np.abs(y - exact).max() > 1e-3
