"""Collisional charging: the banded channel against the exact unitary, loss, bounds, protocols."""

import dataclasses

import numpy as np
import pytest
import qutip
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from systems.collisional_ladders import coherent_state, spin_rotation_state

from qbkit.collision import (
    CollisionChannel,
    Ladder,
    LossChannel,
    _apply_banded,
    channel_residual,
    collide_exact,
    dissipator,
    incoherent_step,
    qubit_state,
)
from qbkit.models import collisional_battery as cb

LADDERS = [Ladder.oscillator(12), Ladder.spin(4.5), Ladder.uniform(7)]


def random_state(d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = X @ X.conj().T
    return rho / np.trace(rho)


@pytest.mark.parametrize("ladder", LADDERS, ids=lambda lad: lad.name)
@pytest.mark.parametrize(
    "theta, q, c, alpha",
    [(0.3, 0.5, 1, 0), (1.1, 0.2, 0.6, 0.7), (0.05, 0, 0, 0), (2.0, 0.9, 0.3, -1.2)],
)
def test_kraus_channel_equals_unitary_and_partial_trace(ladder, theta, q, c, alpha):
    rho = random_state(ladder.dim, 7)
    channel = CollisionChannel(ladder, theta, q=q, c=c, alpha=alpha)
    exact = collide_exact(ladder, rho, theta, qubit_state(q, c, alpha))
    np.testing.assert_allclose(channel.apply(rho), exact, atol=1e-12)
    completeness = sum(k.conj().T @ k for k in channel.dense_kraus())
    np.testing.assert_allclose(completeness, np.eye(ladder.dim), atol=1e-13)
    # the same channel in the frame u^i conj(u)^j rho_ij has real coefficients
    phase = channel.frame_phase**ladder.n
    rotated = _apply_banded(channel.real_frame(), phase[:, None] * rho * phase.conj()[None, :], 99)
    np.testing.assert_allclose(phase.conj()[:, None] * rotated * phase[None, :], exact, atol=1e-12)
    assert channel_residual(ladder, [(theta, q, c, alpha)], seed=3) < 1e-12


def test_ladder_is_a_frozen_dataclass():
    lad = Ladder.oscillator(5)
    assert dataclasses.is_dataclass(lad) and lad.dim == 5
    np.testing.assert_array_equal(lad.a, np.sqrt(np.arange(5)))
    np.testing.assert_array_equal(lad.a_up, np.append(np.sqrt(np.arange(1, 5)), 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        lad.dim = 6
    with pytest.raises(ValueError):
        lad.a[1] = 3.0  # read-only arrays
    assert lad.is_oscillator and not Ladder.spin(2).is_oscillator


def test_spin_ladder_is_J_minus():
    j = 3.5
    lad = Ladder.spin(j)
    Jm = qutip.jmat(j, "-").full()[::-1, ::-1]  # qutip orders m = j..-j; ours n = m + j = 0..2j
    np.testing.assert_allclose(lad.lowering(), Jm, atol=1e-13)


def test_dissipator_of_a_on_one_photon():
    """D[a]|1><1| = |0><0| - |1><1| (decay), traceless for any state."""
    lad = Ladder.oscillator(4)
    one = np.diag([0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(dissipator(lad.lowering(), one), np.diag([1.0, -1.0, 0, 0]))
    assert abs(np.trace(dissipator(lad.lowering(), random_state(4, 1)))) < 1e-14
    with pytest.raises(ValueError, match="square"):
        dissipator(np.eye(3), np.eye(4))


def test_incoherent_step_is_the_channel_on_populations():
    lad = Ladder.oscillator(15)
    p = np.random.default_rng(3).random(15)
    p /= p.sum()
    for q in (0.0, 0.3):
        full = CollisionChannel(lad, 0.7, q=q, c=0.0).apply(np.diag(p).astype(complex))
        np.testing.assert_allclose(
            incoherent_step(lad, p, 0.7, q=q), np.diag(full).real, atol=1e-15
        )
        assert np.abs(full - np.diag(np.diag(full))).max() == 0  # no coherences created


def test_loss_channel_equals_the_damping_master_equation():
    lad = Ladder.oscillator(20)
    rho = random_state(20, 11)
    kappa_t0 = 0.05
    L = qutip.liouvillian(qutip.qzero(20), [qutip.destroy(20)]).full()
    ref = (expm(kappa_t0 * L) @ rho.reshape(-1, order="F")).reshape(20, 20, order="F")
    loss = LossChannel(lad, 1 - np.exp(-kappa_t0))
    np.testing.assert_allclose(loss.apply(rho), ref, atol=1e-12)
    p = np.diag(rho).real
    np.testing.assert_allclose(loss.apply_populations(p), np.diag(ref).real, atol=1e-12)


def test_coherent_runs_equal_the_dense_unitary_collision_by_collision():
    lad = Ladder.oscillator(30)
    run = cb.charge_coherent(
        lad, 0.3, 40, q=0.4, c=0.8, alpha=0.3, loss=2e-3, states_at=[40 * 0.3], tol=0.0
    )
    rho = lad.ground()
    loss = LossChannel(lad, 2e-3)
    for _ in range(40):
        rho = loss.apply(collide_exact(lad, rho, 0.3, qubit_state(0.4, 0.8, 0.3)))
    np.testing.assert_allclose(run.states[40], rho, atol=1e-13)
    np.testing.assert_allclose(run.state_at(12.0), rho, atol=1e-13)
    default = cb.charge_coherent(lad, 0.3, 40, q=0.4, c=0.8, alpha=0.3, loss=2e-3)
    np.testing.assert_allclose(default.energy, run.energy, atol=1e-12)
    np.testing.assert_allclose(run.times, 0.3 * np.arange(41), rtol=1e-15)
    with pytest.raises(KeyError, match="not kept"):
        run.state_at(3.0)


def test_energy_read_before_the_loss():
    lad = Ladder.oscillator(30)
    after = cb.charge_coherent(lad, 0.2, 30, loss=0.01)
    before = cb.charge_coherent(lad, 0.2, 30, loss=0.01, read_before_loss=True)
    # the loss takes a fraction gamma of the energy: E_after = (1 - gamma) E_before
    np.testing.assert_allclose(after.energy, 0.99 * before.energy, rtol=1e-12)


def test_small_theta_generators():
    """(A12) and (A13) are the channel to second order: remainders fall like theta^3 (theta^4)."""
    lad = Ladder.oscillator(10)
    rho = random_state(10, 5)

    def remainder(theta, c, q=0.3, alpha=0.4):
        gen = cb.small_angle_generator(lad, rho, theta, q=q, c=c, alpha=alpha)
        channel = CollisionChannel(lad, theta, q=q, c=c, alpha=alpha)
        return np.abs(channel.apply(rho) - rho - gen).max()

    for c, order in [(1.0, 3), (0.0, 4)]:
        ratio = remainder(2e-3, c) / remainder(1e-3, c)
        assert ratio == pytest.approx(2**order, rel=0.02)


def test_appendix_B_on_the_uniform_ladder():
    """(B2) is exact; (B3) is exact only with P_0 and P_N exchanged, under no other convention."""
    cases = [(0.4, 0.5, 0.0), (1.2, 0.25, 0.8)]
    res = cb.uniform_ladder_residuals(6, cases, seed=2)
    assert res["B2"] < 1e-14 and res["B3 swapped"] < 1e-14
    assert res["B3"] > 1e-2 and res["B3 best other reading"] > 1e-2
    # the last line of (B3) follows from its first line by (A5), for either placement
    lad, rho, th, q, al = Ladder.uniform(6), random_state(6, 4), 0.7, 0.3, 0.5
    A, P0, PN = lad.lowering(), lad.projector(0), lad.projector(-1)
    for first, second, swap in [(P0, PN, False), (PN, P0, True)]:
        K1 = np.sqrt(q) * np.sin(th) * A + 1j * np.sqrt(1 - q) * np.exp(1j * al) * (
            np.cos(th) * np.eye(6) + (1 - np.cos(th)) * first
        )
        K2 = np.sqrt(1 - q) * np.sin(th) * A.T + 1j * np.exp(-1j * al) * np.sqrt(q) * (
            np.cos(th) * np.eye(6) + (1 - np.cos(th)) * second
        )
        first_line = dissipator(K1, rho) + dissipator(K2, rho)
        last_line = cb.uniform_ladder_generator(lad, rho, th, q=q, alpha=al, swap_projectors=swap)
        np.testing.assert_allclose(last_line, first_line, atol=1e-14)
    with pytest.raises(ValueError, match="uniform"):
        cb.uniform_ladder_generator(Ladder.oscillator(6), rho, th)


def test_swap_rate_optimum():
    R0, x = cb.swap_rate_optimum()
    grid = np.linspace(1e-3, 3, 300001)
    assert R0 == pytest.approx((np.sin(grid) ** 2 / grid).max(), rel=1e-9)
    assert np.tan(x) == pytest.approx(2 * x)


def test_full_swap_climbs_one_level_per_collision():
    for lad in (Ladder.oscillator(9), Ladder.spin(2.5)):
        run = cb.charge_full_swap(lad, lad.dim - 1)
        np.testing.assert_allclose(run.energy, np.arange(lad.dim), atol=1e-12)
        assert run.states[lad.dim - 1][-1] == pytest.approx(1.0, abs=1e-13)


def test_full_swap_time_expansion():
    """Euler-Maclaurin: each further term shrinks the error to the order of the next one."""
    K = 100
    exact = cb.full_swap_time(K)
    assert exact == pytest.approx(np.pi / 2 * sum(k**-0.5 for k in range(1, K + 1)), rel=1e-14)
    errors = [abs(exact - cb.full_swap_time_asymptotic(K, terms=n)) for n in (2, 3, 4)]
    assert errors[0] == pytest.approx(np.pi / (4 * np.sqrt(K)), rel=1e-3)
    assert errors[1] == pytest.approx(np.pi / (48 * K**1.5), rel=1e-3)
    assert errors[2] < 1e-8
    with pytest.raises(ValueError, match="terms"):
        cb.full_swap_time_asymptotic(K, terms=5)


def test_spin_full_charge_times_approach_their_limits_like_j_to_the_minus_half():
    j = np.array([1e3, 1e4, 1e5]) - 0.5
    bound = cb.full_charge_time_spin_bound(j)
    # arcsin(1 - 1/(j + 1/2)) = pi/2 - sqrt(2/(j + 1/2)) + ...
    np.testing.assert_allclose(
        (np.pi / cb.R0 - bound) * np.sqrt(j + 0.5), np.sqrt(2) / cb.R0, rtol=1e-3
    )
    swap = np.array([cb.full_swap_time_spin(jj) for jj in j])
    gaps = (np.pi**2 / 2 - swap) * np.sqrt(j)
    assert np.all(gaps > 0) and abs(gaps[-1] - gaps[-2]) < 1e-3 * gaps[-1]
    m = np.arange(-2.5, 2.5)
    assert cb.full_swap_time_spin(2.5) == pytest.approx(
        np.sum(np.pi / (2 * np.sqrt(2.5 * 3.5 - m * (m + 1))))
    )


def test_bounds_solve_their_differential_inequalities_with_equality():
    x = np.linspace(0, 8, 41)
    np.testing.assert_allclose(
        cb.bound_oscillator_damped(x, 0.0), cb.bound_oscillator(x), rtol=1e-8, atol=1e-10
    )
    j = 9.5
    ode = solve_ivp(
        lambda _, J: cb.R0 * np.sqrt(max(j * (j + 1) - J[0] * (J[0] + 1), 0.0)),
        (0, 2.0),
        [-j + 1e-12],
        t_eval=np.linspace(0, 2.0, 21),
        rtol=1e-11,
        atol=1e-12,
    )
    np.testing.assert_allclose(cb.bound_spin(j, ode.t), ode.y[0] + j, atol=1e-6)
    T = cb.full_charge_time_spin_bound(j)
    assert cb.bound_spin(j, T) == pytest.approx(2 * j)
    assert cb.bound_spin(j, 0.5 * T) < 2 * j
    # the printed initial term of Eq. (28) delays the same curve
    delay = (np.arcsin((0.5 - j) / (j + 0.5)) - np.arctan((1 - 2 * j) / 2)) / cb.R0
    t = np.linspace(delay, 5, 11)
    np.testing.assert_allclose(cb.bound_spin(j, t, printed=True), cb.bound_spin(j, t - delay))
    assert cb.bound_spin(j, 0.5 * delay, printed=True) == 0


def test_coherent_charging_approaches_the_driving_limits():
    osc, spin = Ladder.oscillator(40), Ladder.spin(10)
    for theta in (2e-3, 1e-3):
        K = int(round(2.0 / theta))
        E_osc = cb.charge_coherent(osc, theta, K).energy[-1]
        E_spin = cb.charge_coherent(spin, theta, K).energy[-1]
        assert E_osc == pytest.approx(cb.coherent_limit_oscillator(K * theta), rel=3 * theta)
        assert E_spin == pytest.approx(cb.coherent_limit_spin(10, K * theta), rel=3 * theta)


def test_driving_limit_states_are_the_analytic_ones():
    osc, spin = Ladder.oscillator(60), Ladder.spin(7.5)
    psi = cb.driving_limit_state(osc, 3.0)
    np.testing.assert_allclose(psi, coherent_state(-1.5j, 60), atol=1e-12)
    np.testing.assert_allclose(cb.driving_limit_state(spin, 2.2), spin_rotation_state(7.5, 2.2))
    # a phase alpha rotates the state by exp(i alpha n)
    rotated = cb.driving_limit_state(osc, 3.0, alpha=0.6)
    np.testing.assert_allclose(rotated, np.exp(0.6j * osc.n) * psi, atol=1e-12)
    infid, impure = cb.driving_limit_distance(osc, [0.02, 0.01], 3.0)
    # both vanish linearly in theta: halving theta halves them
    assert 0.4 < infid[1] / infid[0] < 0.65 and 0.4 < impure[1] / impure[0] < 0.65


def test_alpha_does_not_change_the_energy():
    """exp(i alpha N) maps the qubit phase away; the ground state is invariant."""
    lad = Ladder.spin(3)
    E = [cb.charge_coherent(lad, 0.2, 30, alpha=a).energy for a in (0.0, 0.9, -2.0)]
    np.testing.assert_allclose(E[1], E[0], atol=1e-12)
    np.testing.assert_allclose(E[2], E[0], atol=1e-12)


def test_optimal_q_tends_to_one_half():
    lad = Ladder.oscillator(30)
    q_big, _ = cb.optimal_q(lad, 0.1, 2.0, bracket=(0.2, 0.6))
    q_small, _ = cb.optimal_q(lad, 0.025, 2.0, bracket=(0.2, 0.6))
    assert q_big < q_small < 0.5 and 0.5 - q_small < 0.3 * (0.5 - q_big)


def test_coherent_run_stops_when_asked():
    lad = Ladder.oscillator(60)
    full = cb.charge_coherent(lad, 0.05, 400)

    def stop(t, E):
        return E > cb.bound_oscillator(t) and t > 0

    early = cb.charge_coherent(lad, 0.05, 400, stop=stop)
    k = early.theta.size
    assert 0 < k < 400 and early.energy.size == k + 1 and early.times.size == k + 1
    np.testing.assert_array_equal(early.energy, full.energy[: k + 1])
    assert stop(full.times[k], full.energy[k]) and not any(
        stop(t, E) for t, E in zip(full.times[:k], full.energy[:k])
    )


def test_advantage_onset_in_the_driving_limit():
    # theta -> 0: (x/2)^2 = R0 x (1 + R0 x / 4) at x = 4 R0 / (1 - R0^2)
    x_cross = 4 * cb.R0 / (1 - cb.R0**2)
    theta = 1e-3
    onset = cb.advantage_onset(Ladder.oscillator(60), theta, 10.0)
    assert onset == pytest.approx(x_cross, abs=5e-3)
    run = cb.charge_coherent(Ladder.oscillator(60), theta, int(round(onset / theta)))
    assert run.energy[-1] > cb.bound_oscillator(onset) and run.energy[-2] <= cb.bound_oscillator(
        onset - theta
    )
    # too short a search, too large an angle, or too much loss: no advantage
    assert np.isnan(cb.advantage_onset(Ladder.oscillator(60), theta, 0.9 * x_cross))
    assert np.isnan(cb.advantage_onset(Ladder.oscillator(60), 0.3, 10.0))
    assert np.isnan(cb.advantage_onset(Ladder.oscillator(60), 0.02, 10.0, loss=0.01))


def test_margin_edge_and_critical_loss_agree_with_the_onset():
    lad, T = Ladder.oscillator(60), 10.0
    for theta, loss in [(0.02, 0.0), (0.3, 0.0), (0.05, 0.004), (0.02, 0.01)]:
        onset = cb.advantage_onset(lad, theta, T, loss=loss)
        assert (cb.advantage_margin(lad, theta, T, loss=loss) > 0) == np.isfinite(onset)
    edge = cb.advantage_edge(lad, 0.1, 0.3, T, xtol=1e-4)
    assert np.isfinite(cb.advantage_onset(lad, edge - 2e-4, T))
    assert np.isnan(cb.advantage_onset(lad, edge + 2e-4, T))
    gamma_c, theta_c = cb.critical_loss(lad, T, (0.02, 0.2), 1e-3, 2e-2, xtol=1e-7)
    thetas = np.linspace(0.02, 0.2, 19)
    assert max(cb.advantage_margin(lad, th, T, loss=1.03 * gamma_c) for th in thetas) < 0
    assert cb.advantage_margin(lad, theta_c, T, loss=0.97 * gamma_c) > 0


def test_advantage_threshold_is_a_sign_change_of_the_margin():
    lad, T = Ladder.oscillator(60), 2 * np.sqrt(59)

    def margin(theta):
        run = cb.charge_until(lad, theta, T)
        return run.energy[-1] - cb.bound_oscillator(run.times[-1])

    grid = np.linspace(0.02, 0.3, 29)
    signs = np.sign([margin(th) for th in grid])
    k = int(np.argmax(signs < 0))  # first angle on the grid below the bound
    assert k > 0 and np.all(signs[:k] > 0)
    theta_c = cb.advantage_threshold(lad, T, cb.bound_oscillator, grid[k - 1], grid[k], xtol=1e-6)
    assert grid[k - 1] < theta_c < grid[k]
    assert margin(theta_c - 1e-3) > 0 > margin(theta_c + 1e-3)
    with pytest.raises(ValueError, match="bracket"):
        cb.advantage_threshold(lad, T, cb.bound_oscillator, grid[k], grid[-1])
    assert np.isnan(
        cb.advantage_threshold(lad, T, cb.bound_oscillator, grid[k], grid[-1], strict=False)
    )


@pytest.mark.parametrize("objective", ["cumulative", "per_step"])
def test_greedy_stays_below_the_incoherent_bounds(objective):
    _, x_opt = cb.swap_rate_optimum()
    osc = cb.charge_greedy(Ladder.oscillator(80), 12.0, objective=objective)
    # from the vacuum both objectives maximize sin^2(theta)/theta
    assert osc.theta[0] == pytest.approx(x_opt, rel=1e-6)
    assert np.all(osc.energy <= cb.bound_oscillator(osc.times) + 1e-12)
    spin = cb.charge_greedy(Ladder.spin(12.5), 5.0, objective=objective)
    assert np.all(spin.energy <= cb.bound_spin(12.5, spin.times) + 1e-12)


def test_greedy_when_no_angle_raises_the_average_power():
    spin = Ladder.spin(24.5)
    runs = {
        (rule, n): cb.charge_greedy(
            spin, 5.0, objective="cumulative", when_stuck=rule, n_grid=n, states_at=[5.0]
        )
        for rule in ("per_step", "stop", "argmax")
        for n in (100, 400)
    }
    stuck = runs["stop", 400].stuck_at
    assert np.isfinite(stuck) and runs["stop", 400].times[-1] == stuck
    # at that time no angle on a fine grid raises the cumulative average power
    k = runs["per_step", 400].index_at(stuck)
    E, t = runs["per_step", 400].energy[k], stuck
    p = cb.charge_incoherent(spin, runs["per_step", 400].theta[:k]).states[k]
    th = np.linspace(1e-5, np.pi / 2, 200001)
    gain = np.sin(np.outer(th, spin.a_up[:-1])) ** 2 @ p[:-1]
    assert np.max((E + gain) / (t + th)) <= E / t * (1 + 1e-12)
    # the fallback does not depend on the grid; keeping the grid's best angle does
    for rule in ("per_step", "stop"):
        np.testing.assert_allclose(runs[rule, 100].energy, runs[rule, 400].energy, atol=1e-6)
    assert abs(runs["argmax", 100].energy[-1] - runs["argmax", 400].energy[-1]) > 1.0
    assert runs["per_step", 400].energy[-1] > runs["argmax", 400].energy[-1]
    # before it gets stuck, every rule takes the same steps
    k = runs["argmax", 400].index_at(stuck)
    np.testing.assert_allclose(
        runs["argmax", 400].energy[: k + 1], runs["per_step", 400].energy[: k + 1], atol=1e-6
    )
    assert np.isnan(cb.charge_greedy(spin, 5.0).stuck_at)  # the per-step objective never is


def test_incoherent_schedules_with_loss_and_ahead_from():
    lad = Ladder.oscillator(20)
    thetas, qs = np.full(6, 0.4), np.linspace(0, 0.5, 6)
    run = cb.charge_incoherent(lad, thetas, q=qs, loss=0.05)
    rho, loss = lad.ground(), LossChannel(lad, 0.05)
    for th, q in zip(thetas, qs):
        rho = loss.apply(CollisionChannel(lad, th, q=q, c=0.0).apply(rho))
    np.testing.assert_allclose(run.states[6], np.diag(rho).real, atol=1e-14)
    assert run.energy[-1] == pytest.approx(lad.energy(rho))
    a = cb.ChargingResult(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 3.0]), np.ones(2))
    b = cb.ChargingResult(np.array([0.0, 1.5]), np.array([0.0, 1.2]), np.ones(1))
    assert cb.ahead_from(a, b, 2.0) == 2.0 and cb.ahead_from(b, a, 1.7) == 1.5
    assert cb.ahead_from(a, b, 1.7) == np.inf and cb.ahead_from(b, a, 1.2) == np.inf


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: qubit_state(1.5), "q must"),
        (lambda: qubit_state(0.5, c=-0.1), "c must"),
        (lambda: CollisionChannel(Ladder.oscillator(5), -0.1), "theta"),
        (lambda: Ladder.spin(0.3), "j must"),
        (lambda: Ladder.oscillator(1), "d must"),
        (lambda: Ladder([1.0, np.nan]), "amplitudes"),
        (lambda: LossChannel(Ladder.spin(2), 0.1), "oscillator"),
        (lambda: LossChannel(Ladder.oscillator(5), 1.5), "gamma"),
        (lambda: incoherent_step(Ladder.oscillator(5), np.ones(4), 0.1), "p must"),
        (lambda: cb.charge_coherent(Ladder.oscillator(5), 0.1, -1), "n_collisions"),
        (lambda: cb.charge_coherent(Ladder.oscillator(5), 0.1, 3, loss=2.0), "loss"),
        (lambda: cb.charge_full_swap(Ladder.oscillator(5), 5), "n_collisions"),
        (lambda: cb.charge_greedy(Ladder.oscillator(5), 1.0, objective="fastest"), "objective"),
        (lambda: cb.charge_greedy(Ladder.oscillator(5), 1.0, when_stuck="wait"), "when_stuck"),
        (lambda: cb.charge_greedy(Ladder.oscillator(5), 1.0, n_grid=2), "n_grid"),
        (lambda: cb.charge_greedy(Ladder.oscillator(5), 1.0, "per_step"), "positional"),
        (lambda: CollisionChannel(Ladder.oscillator(5), 0.1).apply(np.eye(6)), "rho"),
        (lambda: cb.n_collisions(1.0, 0.0), "theta"),
        (lambda: cb.advantage_onset(Ladder.oscillator(5), 0.0, 1.0), "theta"),
        (
            lambda: cb.advantage_threshold(
                Ladder.oscillator(5), 1.0, cb.bound_oscillator, 0.2, 0.1
            ),
            "theta_lo",
        ),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_loss_study_and_helpers_on_a_small_cavity():
    lad, T = Ladder.oscillator(60), 10.0
    thetas, gammas = np.array([0.02, 0.05, 0.1, 0.2, 0.3]), np.array([0.0, 2e-3])
    study = cb.loss_study(
        lad, thetas, gammas, T, gamma_bracket=(1e-3, 2e-2), theta_bracket=(0.02, 0.2)
    )
    np.testing.assert_array_equal(study.tau, cb.onset_map(lad, thetas, gammas, T))
    ok = np.isfinite(study.tau[0])
    assert thetas[ok].max() < study.edge < thetas[~ok].min()
    assert np.isfinite(study.tau_edge) and 0 < study.tau_edge <= T
    assert 1e-3 < study.gamma_c < 2e-2
    # the margin changes sign at gamma_c for the angle of the last advantage
    assert cb.advantage_margin(lad, study.theta_c, T, loss=0.97 * study.gamma_c) > 0
    assert cb.advantage_margin(lad, study.theta_c, T, loss=1.03 * study.gamma_c) < 0


def test_window_ratios_and_excess():
    run = cb.ChargingResult(np.arange(5.0), np.array([0.0, 0.5, 3.0, 4.0, 2.0]), np.ones(4))
    assert cb.advantage_window(run, lambda t: t) == (2.0, 3.0)
    assert np.isnan(cb.advantage_window(run, lambda t: 10 + t)[0])
    assert run.best_power(4.0) == pytest.approx(1.5) and run.best_power(1.5) == pytest.approx(0.5)
    # the bound E = t has best average power 1 at every time
    assert cb.power_ratios({"r": run}, lambda t: t, 4.0)["r"] == pytest.approx(1.5, rel=1e-3)
    assert cb.largest_excess([(run, lambda t: t)]) == pytest.approx(1.0)
    assert cb.relative_gap(np.array([0.0, 2.0, 3.0]), np.array([0.0, 1.0, 3.0])) == 1.0
    lad = Ladder.oscillator(30)
    assert cb.random_schedule_excess(lad, 5, 10, losses=(0.0, 0.01), seed=3) < 0
    assert cb.alpha_spread(Ladder.spin(2), 0.2, 3.0) < 1e-12


def test_greedy_rules_table():
    rows = cb.greedy_rules(Ladder.spin(12.5), 5.0)
    assert len(rows) == len(cb.GREEDY_RULES)
    by = {(r[0], r[1], r[2]): r for r in rows}
    assert np.isnan(by["per_step", "stop", 100][3])  # the per-step objective never gets stuck
    stuck = by["cumulative", "stop", 400]
    assert stuck[3] == stuck[4]  # "stop" ends where the objective runs out
    assert by["cumulative", "per_step", 100][5] == pytest.approx(
        by["cumulative", "per_step", 1600][5], abs=1e-6
    )


def test_plot_helpers_record_every_curve():
    from qbkit.book import Figure

    osc = Ladder.oscillator(20)
    coh = {0.02: cb.charge_until(osc, 0.02 * np.pi, 3.0, states_at=[1.0, 3.0])}
    greedy = {
        o: cb.charge_greedy(osc, 3.0, objective=o, states_at=[1.0, 3.0]) for o in ("per_step",)
    }
    swap = cb.charge_full_swap(osc, 19)
    x = np.linspace(0, 3, 11)
    fig = Figure("t3", x=("Omega_tau", "1/Omega"))
    curves = [(cb.bound_oscillator(x), "k--", "bound_eq15", "bound", {"lw": 1})]
    cb.plot_charging(
        fig, fig.axes[0], x, coherent=coh, curves=curves, greedy=greedy, swap=swap, t_max=3.0
    )
    assert {
        "E(theta=0.02pi)",
        "Omega_tau(theta=0.02pi)",
        "bound_eq15",
        "E(greedy_per_step)",
    } <= set(fig.columns)
    np.testing.assert_array_equal(
        fig.columns["E(full_swap)"][0], swap.energy[: swap.index_at(3.0) + 1]
    )
    fig2 = Figure("t2", 1, 2, x=("n", "level"))
    cb.plot_distributions(fig2, osc, [1.0, 3.0], coh[0.02], greedy["per_step"], swap, "coherent")
    np.testing.assert_allclose(fig2.columns["p_coherent(Omega_tau=3)"][0].sum(), 1.0)
    study = cb.LossStudy(
        np.array([0.1, 0.2]), np.array([0.0]), np.array([[6.0, np.nan]]), 0.15, 7.0, 1e-3, 0.1
    )
    fig4 = Figure("t4", 1, 2, x=("theta_over_pi", "pi rad"))
    cb.plot_onsets(fig4, study, 10.0)
    assert fig4.columns["gamma_c"][0][0] == 1e-3
    import matplotlib.pyplot as plt

    plt.close("all")
