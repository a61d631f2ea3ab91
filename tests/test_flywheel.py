"""Rydberg-ion flywheel: mean field, the banded exact solver against qutip.mesolve, the theory."""

from dataclasses import replace

import matplotlib
import numpy as np
import pytest
import qutip
import scipy.constants as const

from qbkit.models import flywheel as fw
from qbkit.series import (
    deepest_dip,
    dip_contrast,
    falls_back,
    sample_at,
    window_mean,
)

matplotlib.use("Agg")

P = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18, gamma = 1
RED = fw.FlywheelParameters(kappa2=-0.1, V0=-17.0)
DET = fw.TwoStroke.detuning(8.0, 0.0, 9.0)
RABI = fw.TwoStroke.rabi(9.0, 2.0, 8.0)


def grid(p, periods, per_period=16):
    return np.arange(0.0, periods * p.tau_d + 1e-9, p.tau_d / per_period)


# --- mean field -------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [P, RED])
def test_moment_equations_equal_the_reduced_density_matrices(p):
    t = grid(p, 10, 8)
    run = fw.solve_mean_field(p, DET, t, steps_per_half=96)
    direct = fw.mean_field_density_matrices(p, DET, t)
    assert np.abs(run.x).max() > 0.1
    # RK4 at 96 steps per half period: errors 4.5e-8 and 3.6e-7 (16 times less than at 48 steps)
    np.testing.assert_allclose(run.x, direct.x, atol=2e-7)
    np.testing.assert_allclose(run.s_nn, direct.s_nn, atol=2e-6)
    np.testing.assert_allclose(run.n_ph, direct.n_ph, atol=2e-6)
    # the mean-field oscillator evolves unitarily under a quadratic Hamiltonian: it stays pure
    np.testing.assert_allclose(direct.purity, 1.0, atol=1e-10)
    np.testing.assert_allclose(run.purity, 1.0, atol=1e-6)


def test_runge_kutta_converges_at_fourth_order():
    t = grid(P, 40)
    runs = [fw.solve_mean_field(P, DET, t, steps_per_half=n) for n in (12, 24, 48)]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert 12 < e1 / e2 < 20  # against the finest run: (1 - 2^-8) / (2^-4 - 2^-8) = 17


def test_output_between_grid_points_is_a_step_of_its_own():
    t_grid = grid(P, 4, 48)  # on the 24-steps-per-half grid
    off = np.array([0.37, 1.234, t_grid[-1] - 0.001])
    dense = fw.mean_field_density_matrices(P, DET, np.union1d(t_grid[:3], off))
    run = fw.solve_mean_field(P, DET, np.union1d(t_grid[:3], off), steps_per_half=96)
    np.testing.assert_allclose(run.x, dense.x, atol=3e-7)
    h = P.tau_d / 32  # the step at 16 per half period: 5.5 h lies between two steps
    times = [0.0, 5 * h, 5.5 * h, 6 * h]
    err = np.abs(
        fw.solve_exact(P, DET, times, N_max=20, steps_per_half=16).x
        - fw.solve_exact(P, DET, times, N_max=20, steps_per_half=64).x
    )
    assert 0 < err[2] < 1.5 * max(err[1], err[3])  # as accurate as its neighbours on the grid


def test_decoupled_ions_leave_the_oscillator_in_its_ground_state():
    p = fw.FlywheelParameters(kappa1=0.0, kappa2=0.0)
    drive = fw.TwoStroke((2.0, 2.0), (3.0, 3.0))
    run = fw.solve_mean_field(p, drive, np.linspace(0, 5.0, 21))
    assert np.abs(run.x).max() == 0.0 and np.abs(run.n_ph).max() < 1e-12
    # the ions alone: s_nn against qutip.mesolve of the 4-level master equation
    o = fw.electronic_operators()
    H = qutip.Qobj(2.0 * (o["n1"] + o["n2"]) + 3.0 * o["sx"] + p.V0 * o["nn"])
    c_ops = [qutip.Qobj(o["sm1"]), qutip.Qobj(o["sm2"])]
    opts = {"atol": 1e-12, "rtol": 1e-10}
    ref = qutip.mesolve(H, qutip.fock_dm(4, 0), run.times, c_ops, e_ops=[qutip.Qobj(o["nn"])],
                        options=opts).expect[0]  # fmt: skip
    np.testing.assert_allclose(run.s_nn, ref, atol=1e-6)


def test_generators_reproduce_the_electronic_equation():
    gen = fw.electronic_generators()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = X @ X.conj().T / np.trace(X @ X.conj().T)
    G = gen["basis"]
    c = np.real(np.einsum("kij,ji->k", G, rho))
    D, O, W, g = 1.3, -0.7, 2.1, 0.4
    dc = (D * gen["Delta"] + O * gen["Omega"] + W * gen["W"] + g * gen["gamma"]) @ c
    direct = fw.electronic_rhs(rho, D, O, W, g)
    np.testing.assert_allclose(np.einsum("k,kij->ij", dc, G), direct, atol=1e-13)


def test_a_batch_equals_its_members():
    t = grid(P, 6)
    runs = {"a": (P, DET), "b": (RED, RABI), "c": (replace(P, kappa1=2.0), DET.swapped())}
    batch = fw.solve_runs(runs, t)
    for key, (p, d) in runs.items():
        single = fw.solve_mean_field(p, d, t)
        np.testing.assert_allclose(batch[key].x, single.x, atol=1e-14)
        np.testing.assert_allclose(batch[key].n_ph, single.n_ph, atol=1e-14)
    with pytest.raises(ValueError, match="omega"):
        fw.stack_runs([(P, DET), (replace(P, omega=5.0), DET)])


def test_two_stroke():
    assert fw.two_stroke(0.1, 1.0, 2.0, 1.0) == 1.0 and fw.two_stroke(0.6, 1.0, 2.0, 1.0) == 2.0
    assert fw.two_stroke(1.1, 1.0, 2.0, 1.0) == 1.0
    assert DET.half(0) == (0.0, 8.0) and DET.half(3) == (9.0, 8.0)
    assert DET.swapped().Delta == (9.0, 0.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fw.FlywheelParameters(omega=0.0), "omega"),
        (lambda: fw.FlywheelParameters(gamma=-1.0), "gamma"),
        (lambda: fw.FlywheelParameters(V0=np.nan), "V0"),
        (lambda: fw.TwoStroke((0.0, np.inf), (1.0, 1.0)), "Delta"),
        (lambda: fw.solve_mean_field(P, DET, [0, 1], steps_per_half=0), "steps_per_half"),
        (lambda: fw.solve_mean_field(P, DET, [1.0, 0.5]), "tlist"),
        (lambda: fw.solve_exact(P, DET, [-1.0, 1.0]), "tlist"),
        (lambda: fw.solve_exact(P, DET, [0, 1], N_max=2), "N_max"),
        (lambda: fw.solve_exact(P, DET, [0, 1], band=1), "band"),
        (lambda: fw.solve_exact(P, DET, [0, 1], tol=0.0), "tol"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- exact solution -------------------------------------------------------------------------


def mesolve_reference(p, drive, N, halves, per_half=8):
    """<x>, n_ph, s_nn and the final state of Eq. (3) by qutip.mesolve, one call per stroke."""
    a = qutip.tensor(qutip.destroy(N), qutip.qeye(4))
    x = (a + a.dag()) / np.sqrt(2)
    o = fw.electronic_operators()
    el = lambda M: qutip.tensor(qutip.qeye(N), qutip.Qobj(M))  # noqa: E731
    x2 = (a * a + a.dag() * a.dag() + 2 * a.dag() * a + 1) / 2  # x^2 untruncated, as the solver
    H = p.omega_rel * a.dag() * a + (p.V0 + p.kappa1 * x + p.kappa2 * x2) * el(o["nn"])
    rho, h, out = qutip.tensor(qutip.fock_dm(N, 0), qutip.fock_dm(4, 0)), p.tau_d / 2, []
    e_ops = [x, a.dag() * a, el(o["nn"])]
    for k in range(halves):
        D, O = drive.half(k)
        Hk = H + D * el(o["n1"] + o["n2"]) + O * el(o["sx"])
        opts = {"atol": 1e-12, "rtol": 1e-10, "store_final_state": True}
        r = qutip.mesolve(Hk, rho, np.linspace(k * h, (k + 1) * h, per_half + 1),
                          [el(o["sm1"]), el(o["sm2"])], e_ops=e_ops, options=opts)  # fmt: skip
        out.append(np.array(r.expect)[:, (1 if k else 0) :])
        rho = r.final_state
    return np.concatenate(out, axis=1), rho


@pytest.mark.parametrize("p, drive", [(RED, DET), (P, RABI)])
def test_exact_solution_equals_mesolve_over_many_periods(p, drive):
    N, halves = 14, 60  # 30 drive periods, gamma t = 6 (kappa2 = 0 and kappa2 != 0)
    t = np.arange(halves * 8 + 1) * p.tau_d / 16
    ref, rho = mesolve_reference(p, drive, N, halves)
    assert np.abs(ref[0]).max() > 0.1
    full = fw.solve_exact(p, drive, t, N_max=N, steps_per_half=32, snapshot_times=[t[-1]])
    for name, row in zip(("x", "n_ph", "s_nn"), ref):
        np.testing.assert_allclose(getattr(full, name), row, atol=2e-7, err_msg=name)
    osc = rho.ptrace(0).full()
    np.testing.assert_allclose(full.snapshots[-1], osc, atol=2e-7)
    # the band and the growing window on top: nothing reaches their edges at this size
    banded = fw.solve_exact(p, drive, t, N_max=N, band=8, tol=1e-12, N_start=6, steps_per_half=32)
    assert banded.n_fock[0] < N
    np.testing.assert_allclose(banded.x, ref[0], atol=2e-6)
    np.testing.assert_allclose(banded.n_ph, ref[1], atol=2e-6)


def test_band_and_window_change_nothing_when_wide_enough():
    t = grid(RED, 20)
    full = fw.solve_exact(RED, DET, t, N_max=30)
    # all of band and window: the same arithmetic, to rounding
    same = fw.solve_exact(RED, DET, t, N_max=30, band=29, tol=1e-300, N_start=8)
    np.testing.assert_allclose(same.x, full.x, atol=1e-13)
    np.testing.assert_allclose(same.n_ph, full.n_ph, atol=1e-12)
    # a narrower band: small, and smaller the wider it is
    errs = [np.abs(fw.solve_exact(RED, DET, t, N_max=30, band=b).x - full.x).max() for b in (4, 8)]
    assert errs[1] < errs[0] < 1e-3


def test_the_window_grows_with_the_state_and_keeps_its_top_empty():
    t = grid(P, 60)  # gamma t = 24
    run = fw.solve_exact(P, DET, t, N_max=200, band=12, tol=1e-10, N_start=8)
    assert run.n_fock[0] == 8 and run.n_fock[-1] > 8 and np.all(np.diff(run.n_fock) >= 0)
    assert run.top.max() < 1e-9
    wide = fw.solve_exact(P, DET, t, N_max=run.n_fock[-1] + 16, band=24)
    np.testing.assert_allclose(run.n_ph, wide.n_ph, atol=1e-5)


def test_exact_solver_converges_at_fourth_order():
    t = grid(P, 10)
    runs = [fw.solve_exact(P, DET, t, N_max=20, steps_per_half=n) for n in (4, 8, 32)]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert 12 < e1 / e2 < 20


def test_snapshots_are_the_reduced_states():
    t = grid(P, 4)
    run = fw.solve_exact(P, DET, t, N_max=12, snapshot_times=[0.0, t[-1] / 2, 1.234])
    assert run.times.size == t.size  # snapshot times are not added to the observables
    for ts, rho in zip(run.snapshot_times, run.snapshots):
        m = fw.oscillator_moments(rho)
        assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(rho, rho.conj().T, atol=1e-15)
        if ts in t:
            assert m["n_ph"] == pytest.approx(sample_at(t, run.n_ph, ts), abs=1e-12)
            assert m["x"] == pytest.approx(sample_at(t, run.x, ts), abs=1e-12)


def test_ergotropy_needs_a_wider_band_than_the_observables():
    t = [0.0, 20.0]
    runs = [fw.solve_exact(P, DET, t, N_max=400, tol=1e-11, band=b, snapshot_times=[20.0]) for b in
            (8, 16, 32)]  # fmt: skip
    ratios = [np.divide(*fw.energy_and_ergotropy(r.snapshots, P.omega_rel)[::-1])[0] for r in runs]
    assert abs(runs[0].n_ph[-1] / runs[2].n_ph[-1] - 1) < 1e-5  # the energy: band 8 is enough
    assert abs(ratios[1] - ratios[2]) < 0.3 * abs(ratios[0] - ratios[2])  # the ergotropy is not
    assert abs(ratios[1] / ratios[2] - 1) < 1e-2


# --- the paper's theory --------------------------------------------------------------------


def test_limit_cycle_is_a_periodic_fixed_point_with_its_fourier_coefficient():
    lc = fw.electronic_limit_cycle(P, DET, samples_per_half=200)
    assert abs(lc.multipliers[0] - 1) < 1e-12 and abs(lc.multipliers[1]) < 1
    # the cycle reached from the ground state by the mean-field equations without the flywheel,
    # after 100 periods (|mu_2|^100 ~ 1e-12)
    p0 = replace(P, kappa1=0.0)
    t = np.arange(0, 100 * P.tau_d + 1e-9, P.tau_d / 400)
    run = fw.solve_mean_field(p0, DET, t, steps_per_half=200)
    np.testing.assert_allclose(run.s_nn[-401:-1], lc.s_nn, atol=1e-9)
    c1 = np.mean(lc.s_nn * np.exp(-1j * P.omega_rel * lc.times))  # rectangle rule: O(h^2)
    assert abs(c1 - lc.c1) < 1e-4 * abs(lc.c1) + 1e-6
    assert lc.relaxation_time == pytest.approx(-P.tau_d / np.log(abs(lc.multipliers[1])))


def test_eq7_growth_rate_holds_for_a_weak_coupling():
    # kappa1 -> 0: A(t) = kappa1 |c1| t (Eq. (7)); the charging rate per kappa1 tends to |c1|
    lc = fw.electronic_limit_cycle(P, DET)
    t = grid(P, 200)
    run = fw.solve_mean_field(replace(P, kappa1=0.01), DET, t)
    rate = fw.charging_rate(t, run.x, P.tau_d, 20.0, t[-1])
    assert rate / 0.01 == pytest.approx(abs(lc.c1), rel=0.02)


def test_dark_state_on_the_anti_blockade_line():
    assert fw.dark_state_residual(9.0, -18.0, [0.5, 2.0, 16.0]) < 1e-14
    assert fw.dark_state_residual(8.0, -18.0, [2.0]) == pytest.approx(2 / np.sqrt(2))


def _expectations(rho):
    """One- and two-ion moments in the paper's notation (sigma^+ = (sigma^x + i sigma^y)/2)."""
    one, sx, n = np.eye(2), np.array([[0, 1], [1, 0]]), np.diag([0.0, 1.0])
    sy = np.array([[0, 1j], [-1j, 0]])  # -i|up><down| + i|down><up| in the basis (down, up)
    ops = {"1": one, "x": sx, "y": sy, "n": n}
    return {a + b: np.real(np.trace(np.kron(ops[a], ops[b]) @ rho)) for a in ops for b in ops}


def test_corrected_S7_S8_equal_the_operator_algebra():
    # (S7)/(S8) with the corrections of the errata page, written out from the paper's notation
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = A @ A.conj().T / np.trace(A @ A.conj().T)
    D, O, W, g = 1.3, 0.7, -2.1, 0.4
    e, d = _expectations(rho), _expectations(fw.electronic_rhs(rho, D, O, W, g))
    corrected = {
        "x1": -W * e["yn"] - D * e["y1"] - g / 2 * e["x1"],
        "y1": W * e["xn"] + 2 * O * (1 - 2 * e["n1"]) + D * e["x1"] - g / 2 * e["y1"],
        "n1": O * e["y1"] - g * e["n1"],
        "xx": -W / 2 * (e["xy"] + e["yx"]) - D * (e["xy"] + e["yx"]) - g * e["xx"],
        "xy": W / 2 * (e["xx"] - e["yy"]) - 4 * O * e["xn"] + 2 * O * e["x1"]
        + D * (e["xx"] - e["yy"]) - g * e["xy"],
        "xn": -W * e["yn"] + O * e["xy"] - D * e["yn"] - 1.5 * g * e["xn"],
        "yy": W / 2 * (e["xy"] + e["yx"]) - 4 * O * (e["yn"] + e["ny"])
        + 2 * O * (e["y1"] + e["1y"]) + D * (e["xy"] + e["yx"]) - g * e["yy"],
        "yn": W * e["xn"] + O * (e["yy"] - 4 * e["nn"] + 2 * e["1n"]) + D * e["xn"]
        - 1.5 * g * e["yn"],
        "nn": O * (e["yn"] + e["ny"]) - 2 * g * e["nn"],
    }  # fmt: skip
    for key, value in corrected.items():
        assert d[key] == pytest.approx(value, abs=1e-12), key
    # as printed, the Omega term of d<sigma_1^y>/dt (from |dd>) and the decay of s_nn (from |uu>)
    for k, printed in (
        ("y1", lambda e: -2 * O * (1 - 2 * e["n1"])),
        ("nn", lambda e: -g * e["nn"]),
    ):
        state = np.diag(np.eye(4)[0 if k == "y1" else 3])
        e, d = _expectations(state), _expectations(fw.electronic_rhs(state, 0.0, O, 0.0, g))
        assert abs(d[k] - printed(e)) > 0.1, k


def test_ion_pair_scales_balance_the_forces():
    m, w = 40 * const.atomic_mass, 2 * np.pi * 1e6
    s = fw.ion_pair_scales(m, w)
    x0 = s["x0_rel"]
    coulomb, trap = const.e**2 / (4 * np.pi * const.epsilon_0 * x0**2), m * w**2 * x0 / 2
    assert coulomb == pytest.approx(trap, rel=1e-12)
    assert x0 == pytest.approx(5.6e-6, rel=0.01)  # two 40Ca+ ions at 1 MHz: 5.6 um (James 1998)
    # <x^2> = 1/2 in the ground state: Var(delta x_rel) = hbar / (2 mu omega_rel) with mu = m / 2
    assert s["ell0"] ** 2 / 2 == pytest.approx(const.hbar / (m * s["omega_rel"]), rel=1e-12)
    scan = fw.ion_pair_scales(fw.SR88_ION_MASS, np.array([1e6, 64e6]))  # x0/ell0 ~ omega^(-1/6)
    ratio = scan["x0_rel"] / scan["ell0"]
    assert ratio[0] / ratio[1] == pytest.approx(2.0, rel=1e-12)
    with pytest.raises(ValueError, match="trap_frequency"):
        fw.ion_pair_scales(m, -1.0)


def test_largest_width_is_that_of_the_truncated_x_squared():
    assert fw.largest_width(2) == pytest.approx(np.sqrt(0.5))  # x^2 on 2 states: 1/2 times 1
    assert fw.largest_width(60) ** 2 < 2 * 60
    assert fw.largest_width(60) ** 2 > 1.5 * 60


# --- states, ergotropy --------------------------------------------------------------------


def test_ergotropy_of_simple_states():
    N, w = 30, 2.0
    thermal = qutip.thermal_dm(N, 0.7).full()
    energy, erg = fw.energy_and_ergotropy(np.stack([thermal, qutip.fock_dm(N, 3).full()]), w)
    assert erg[0] == pytest.approx(0.0, abs=1e-12)  # passive
    assert energy[1] == pytest.approx(3 * w) and erg[1] == pytest.approx(3 * w)


def test_gaussian_state_has_its_moments_and_a_pure_one_its_energy_as_ergotropy():
    mean, r, phi = (1.2, -0.4), 0.4, 0.7
    R = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    cov = R @ np.diag([np.exp(-2 * r), np.exp(2 * r)]) @ R.T / 2
    rho = fw.gaussian_state(mean, cov, 60)
    m = fw.oscillator_moments(rho)
    assert (m["x"], m["p"]) == pytest.approx(mean, abs=1e-9)
    assert m["var_x"] == pytest.approx(cov[0, 0], abs=1e-9)
    energy, erg = fw.energy_and_ergotropy(rho, 1.0)
    assert erg == pytest.approx(energy, abs=1e-9)  # pure: nothing passive above the vacuum
    with pytest.raises(ValueError, match="cov"):
        fw.gaussian_state(mean, cov / 2, 60)


# --- reading results ------------------------------------------------------------------------


def test_amplitude_of_a_growing_sinusoid_on_any_grid():
    period = 2.0
    t = np.arange(0, 40 + 1e-9, period / 16)
    t = np.union1d(t, [3.3, 17.77, 39.99])  # a few off-grid samples
    signal = lambda s: 0.5 * s * np.sin(2 * np.pi * s / period + 0.3) - 0.3  # noqa: E731
    x = signal(t)  # the offset makes the + and - peaks differ: a window's edge matters
    tA, A = fw.amplitude(t, x, period)
    assert tA[0] == pytest.approx(period)
    fine = lambda s: np.linspace(s - period, s, 16001)  # noqa: E731
    exact = [np.abs(signal(fine(s))).max() for s in tA]
    np.testing.assert_allclose(A, exact, rtol=2e-3)
    np.testing.assert_allclose(fw.amplitude(t, np.stack([x, 2 * x]), period)[1], [A, 2 * A])
    assert fw.amplitude_at(t, x, period, 17.77) == pytest.approx(A[tA == 17.77][0])
    rate = fw.charging_rate(t, x, period, 10.0, 40.0)
    assert rate == pytest.approx(0.5, rel=1e-2)  # A(t) = t/2 + 0.3 up to the window's lag
    with pytest.raises(ValueError, match="period"):
        fw.amplitude(t, x, 100.0)


def test_disagreement_of_two_series():
    t = grid(P, 20)
    run = fw.solve_mean_field(P, DET, t)
    shifted = replace(run, x=run.x * 1.05)
    early, rel, t_ok, rel_ok = fw.disagreement(shifted, run, period=P.tau_d, t_early=1.0)
    A = shifted.amplitude(P.tau_d)[1]
    assert rel == pytest.approx(
        (0.05 / 1.05 * np.abs(shifted.x[-A.size :]) / np.maximum(A, 1)).max()
    )
    assert early == pytest.approx(0.05 * np.abs(run.x[t <= 1.0]).max())
    assert t_ok == t[-1] and rel_ok == rel  # 5 % stays within 10 %
    assert fw.disagreement(shifted, run, period=P.tau_d, t_early=1.0, tol=1e-9)[2] == t[16]


def test_series_helpers():
    t = np.linspace(0, 10, 1001)
    tm, m = window_mean(t, np.sin(t), 2.0)
    np.testing.assert_allclose(m, (np.cos(tm - 2) - np.cos(tm)) / 2, atol=1e-5)
    assert sample_at(t, t**2, 5.0) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="sample time"):
        sample_at(t, t, 5.005)
    x = np.linspace(0, 20, 81)
    y = 1 - 0.5 * np.exp(-((x - 9) ** 2))
    assert dip_contrast(x, y, 9.0, 2.0) == pytest.approx(1 - 0.5 / (1 - 0.5 * np.exp(-4)))
    noise = 1 + 0.05 * np.random.default_rng(1).normal(size=(12, x.size))
    assert deepest_dip(x, noise * y, 2.0)[0] == pytest.approx(9.0, abs=0.25)
    assert falls_back([1, 2, 3, 1.4]) and not falls_back([1, 2, 3, 1.6])
    beat = fw.solve_mean_field(RED, DET, grid(RED, 993))  # gamma t = 400: the red beat
    blue = fw.solve_mean_field(P, DET, grid(P, 993))
    assert beat.reverses(P.tau_d, 50.0) and not blue.reverses(P.tau_d, 50.0)


def test_plot_series_draws_and_records():
    from qbkit.book.figures import Figure

    t = grid(P, 4)
    run = fw.solve_mean_field(P, DET, t)
    fig = Figure("test-flywheel", 1, 2)
    tt, A = fw.plot_series(fig, fig.axes[0], run, "amplitude", "a", period=P.tau_d, mirror=True)
    assert len(fig.axes[0].lines) == 2  # +A and -A
    np.testing.assert_array_equal(fig.columns["amplitude_a"][0], A)
    np.testing.assert_array_equal(fig.columns["gamma_t_amplitude"][0], tt)
    ratio = fw.plot_charging(fig, fig.axes[:2].tolist() + [fig.axes[1]], {"mf": run}, "b",
                             period=P.tau_d)  # fmt: skip
    assert ratio is None and "s_nn_mean_b_mf" in fig.columns
