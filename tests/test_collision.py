"""Collisional charging: the banded channel against the exact unitary, loss, bounds, protocols."""

import numpy as np
import pytest
import qutip
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from qbkit.collision import (
    CollisionChannel,
    Ladder,
    LossChannel,
    collide_exact,
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
    channel = CollisionChannel(ladder, theta, q, c, alpha)
    exact = collide_exact(ladder, rho, theta, qubit_state(q, c, alpha))
    np.testing.assert_allclose(channel.apply(rho), exact, atol=1e-12)
    completeness = sum(k.conj().T @ k for k in channel.dense_kraus())
    np.testing.assert_allclose(completeness, np.eye(ladder.dim), atol=1e-13)


def test_spin_ladder_is_J_minus():
    j = 3.5
    lad = Ladder.spin(j)
    Jm = qutip.jmat(j, "-").full()[::-1, ::-1]  # qutip orders m = j..-j; ours n = m + j = 0..2j
    np.testing.assert_allclose(lad.lowering(), Jm, atol=1e-13)


def test_incoherent_step_is_the_channel_on_populations():
    lad = Ladder.oscillator(15)
    p = np.random.default_rng(3).random(15)
    p /= p.sum()
    for q in (0.0, 0.3):
        full = CollisionChannel(lad, 0.7, q=q, c=0.0).apply(np.diag(p).astype(complex))
        np.testing.assert_allclose(incoherent_step(lad, p, 0.7, q), np.diag(full).real, atol=1e-15)
        assert np.abs(full - np.diag(np.diag(full))).max() == 0  # no coherences created


def test_loss_channel_equals_the_damping_master_equation():
    lad = Ladder.oscillator(20)
    rho = random_state(20, 11)
    kappa_t0 = 0.05
    L = qutip.liouvillian(qutip.qzero(20), [qutip.destroy(20)]).full()
    ref = (expm(kappa_t0 * L) @ rho.reshape(-1, order="F")).reshape(20, 20, order="F")
    out = LossChannel(lad, 1 - np.exp(-kappa_t0)).apply(rho)
    np.testing.assert_allclose(out, ref, atol=1e-12)


def test_block_propagation_equals_the_full_ladder():
    lad = Ladder.oscillator(30)
    run = cb.charge_coherent(
        lad, 0.3, 40, q=0.4, c=0.8, alpha=0.3, loss=2e-3, snapshots=[40], tol=0.0
    )
    rho = lad.ground()
    channel, loss = CollisionChannel(lad, 0.3, 0.4, 0.8, 0.3), LossChannel(lad, 2e-3)
    for _ in range(40):
        rho = loss.apply(channel.apply(rho))
    np.testing.assert_allclose(run.snapshots[40], rho, atol=1e-14)
    default = cb.charge_coherent(lad, 0.3, 40, q=0.4, c=0.8, alpha=0.3, loss=2e-3)
    np.testing.assert_allclose(default.energy, run.energy, atol=1e-12)


def test_small_theta_generators():
    """(A12) and (A13) are the channel to second order: the remainder falls like theta^3 (theta^4 incoherent)."""
    lad = Ladder.oscillator(10)
    rho = random_state(10, 5)
    A = lad.lowering()

    def D(M, r):
        return M @ r @ M.conj().T - 0.5 * (M.conj().T @ M @ r + r @ M.conj().T @ M)

    def remainder(theta, c, q=0.3, alpha=0.4):
        gen = theta**2 * (q * D(A, rho) + (1 - q) * D(A.conj().T, rho))
        V = np.exp(-1j * alpha) * A + np.exp(1j * alpha) * A.conj().T
        gen = gen - 1j * c * np.sqrt(q * (1 - q)) * theta * (V @ rho - rho @ V)
        return np.abs(CollisionChannel(lad, theta, q, c, alpha).apply(rho) - rho - gen).max()

    for c, order in [(1.0, 3), (0.0, 4)]:
        ratio = remainder(2e-3, c) / remainder(1e-3, c)
        assert ratio == pytest.approx(2**order, rel=0.02)


def test_swap_rate_optimum():
    R0, x = cb.swap_rate_optimum()
    grid = np.linspace(1e-3, 3, 300001)
    assert R0 == pytest.approx((np.sin(grid) ** 2 / grid).max(), rel=1e-9)
    assert np.tan(x) == pytest.approx(2 * x)


def test_full_swap_climbs_one_level_per_collision():
    for lad in (Ladder.oscillator(9), Ladder.spin(2.5)):
        run = cb.charge_full_swap(lad, lad.dim - 1)
        rho = lad.ground()
        for k, theta in enumerate(run.theta, start=1):
            rho = CollisionChannel(lad, theta, q=0.0, c=0.0).apply(rho)
            assert rho[k, k].real == pytest.approx(1.0, abs=1e-13)
    sums = np.pi / 2 * np.cumsum(1 / np.sqrt(np.arange(1, 10001)))
    assert sums[-1] - cb.full_swap_time_asymptotic(10000) == pytest.approx(
        0, abs=np.pi / 4 / 100 * 1.01
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


def test_coherent_charging_approaches_the_driving_limits():
    osc, spin = Ladder.oscillator(40), Ladder.spin(10)
    for theta in (2e-3, 1e-3):
        K = int(round(2.0 / theta))
        E_osc = cb.charge_coherent(osc, theta, K).energy[-1]
        E_spin = cb.charge_coherent(spin, theta, K).energy[-1]
        assert E_osc == pytest.approx(cb.coherent_limit_oscillator(K * theta), rel=3 * theta)
        assert E_spin == pytest.approx(cb.coherent_limit_spin(10, K * theta), rel=3 * theta)


def test_coherent_run_stops_when_asked():
    lad = Ladder.oscillator(60)
    full = cb.charge_coherent(lad, 0.05, 400)
    stop = lambda t, E: E > cb.bound_oscillator(t) and t > 0
    early = cb.charge_coherent(lad, 0.05, 400, stop=stop)
    k = early.theta.size
    assert 0 < k < 400 and early.energy.size == k + 1 and early.omega_tau.size == k + 1
    np.testing.assert_array_equal(early.energy, full.energy[: k + 1])
    assert stop(full.omega_tau[k], full.energy[k]) and not any(
        stop(t, E) for t, E in zip(full.omega_tau[:k], full.energy[:k])
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


def test_advantage_threshold_is_a_sign_change_of_the_margin():
    lad, T = Ladder.oscillator(60), 2 * np.sqrt(59)

    def margin(theta):
        K = int(np.floor(T / theta + 1e-9))
        return cb.charge_coherent(lad, theta, K).energy[-1] - cb.bound_oscillator(K * theta)

    grid = np.linspace(0.02, 0.3, 29)
    signs = np.sign([margin(th) for th in grid])
    k = int(np.argmax(signs < 0))  # first angle on the grid below the bound
    assert k > 0 and np.all(signs[:k] > 0)
    theta_c = cb.advantage_threshold(lad, T, cb.bound_oscillator, grid[k - 1], grid[k], xtol=1e-6)
    assert grid[k - 1] < theta_c < grid[k]
    assert margin(theta_c - 1e-3) > 0 > margin(theta_c + 1e-3)
    with pytest.raises(ValueError, match="bracket"):
        cb.advantage_threshold(lad, T, cb.bound_oscillator, grid[k], grid[-1])


@pytest.mark.parametrize("objective", ["cumulative", "transient"])
def test_greedy_stays_below_the_incoherent_bounds(objective):
    _, x_opt = cb.swap_rate_optimum()
    osc = cb.charge_greedy(Ladder.oscillator(80), 12.0, objective)
    assert osc.theta[0] == pytest.approx(
        x_opt, rel=1e-6
    )  # from the vacuum both maximize sin^2(theta)/theta
    assert np.all(osc.energy <= cb.bound_oscillator(osc.omega_tau) + 1e-12)
    spin = cb.charge_greedy(Ladder.spin(12.5), 5.0, objective)
    assert np.all(spin.energy <= cb.bound_spin(12.5, spin.omega_tau) + 1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: qubit_state(1.5), "q must"),
        (lambda: qubit_state(0.5, c=-0.1), "c must"),
        (lambda: CollisionChannel(Ladder.oscillator(5), -0.1), "theta"),
        (lambda: Ladder.spin(0.3), "j must"),
        (lambda: Ladder.oscillator(1), "d must"),
        (lambda: LossChannel(Ladder.spin(2), 0.1), "oscillator"),
        (lambda: LossChannel(Ladder.oscillator(5), 1.5), "gamma"),
        (lambda: cb.charge_coherent(Ladder.oscillator(5), 0.1, -1), "n_collisions"),
        (lambda: cb.charge_full_swap(Ladder.oscillator(5), 5), "n_collisions"),
        (lambda: cb.charge_greedy(Ladder.oscillator(5), 1.0, "fastest"), "objective"),
        (lambda: CollisionChannel(Ladder.oscillator(5), 0.1).apply(np.eye(6)), "rho"),
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
