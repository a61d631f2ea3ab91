"""Rydberg-ion flywheel, mean field: moment equations against the reduced density matrices, limits, batching."""

import numpy as np
import pytest
import qutip
import scipy.constants as const

from qbkit.models import flywheel as fw

P = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18, gamma = 1


@pytest.mark.parametrize("kappa2", [0.0, -0.3])
def test_moment_equations_equal_the_reduced_density_matrices(kappa2):
    p = fw.FlywheelParameters(kappa2=kappa2, V0=-17.0)
    T = 10 * p.tau_d
    run = fw.integrate_mean_field(p, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=96)
    t, x_direct, s_direct = fw.mean_field_density_matrices(p, T, (0.0, 9.0), (8.0, 8.0))
    assert np.abs(run.x).max() > 0.1
    np.testing.assert_allclose(run.t, t, atol=1e-12)
    # RK4 at 96 steps per half period: errors 4.5e-8 and 3.6e-7 (16 times less than at 48 steps)
    np.testing.assert_allclose(run.x, x_direct, atol=2e-7)
    np.testing.assert_allclose(run.s_nn, s_direct, atol=2e-6)


def test_runge_kutta_converges_at_fourth_order():
    T = 40 * P.tau_d
    runs = [
        fw.integrate_mean_field(P, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=n)
        for n in (12, 24, 48)
    ]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert (
        12 < e1 / e2 < 20
    )  # against the finest run: (1 - 2^-8) / (2^-4 - 2^-8) = 17 at fourth order


def test_decoupled_ions_leave_the_oscillator_in_its_ground_state():
    p = fw.FlywheelParameters(kappa1=0.0, kappa2=0.0)
    run = fw.integrate_mean_field(p, 5.0, (2.0, 2.0), (3.0, 3.0))
    assert np.abs(run.x).max() == 0.0 and np.abs(run.n_ph).max() < 1e-12
    # the ions alone: s_nn against qutip.mesolve of the 4-level master equation
    o = fw.electronic_operators()
    H = qutip.Qobj(2.0 * (o["n1"] + o["n2"]) + 3.0 * o["sx"] + p.V0 * o["nn"])
    c_ops = [qutip.Qobj(o["sm1"]), qutip.Qobj(o["sm2"])]
    ref = qutip.mesolve(
        H,
        qutip.fock_dm(4, 0),
        run.t,
        c_ops,
        e_ops=[qutip.Qobj(o["nn"])],
        options={"atol": 1e-12, "rtol": 1e-10},
    ).expect[0]
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
    D_hi = np.array([9.0, 5.0])
    batch = fw.integrate_mean_field(P, 3.0, (0.0, D_hi), (8.0, 8.0))
    for k, d in enumerate(D_hi):
        single = fw.integrate_mean_field(P, 3.0, (0.0, d), (8.0, 8.0))
        np.testing.assert_allclose(batch.x[k], single.x, atol=1e-14)
        np.testing.assert_allclose(batch.n_ph[k], single.n_ph, atol=1e-14)


def test_two_stroke():
    assert fw.two_stroke(0.1, 1.0, 2.0, 1.0) == 1.0 and fw.two_stroke(0.6, 1.0, 2.0, 1.0) == 2.0
    assert fw.two_stroke(1.1, 1.0, 2.0, 1.0) == 1.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fw.FlywheelParameters(omega=0.0), "omega"),
        (lambda: fw.FlywheelParameters(gamma=-1.0), "gamma"),
        (
            lambda: fw.integrate_mean_field(
                P, 1.0, (0, 9), (8, 8), steps_per_half=24, samples_per_period=7
            ),
            "samples_per_period",
        ),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_exact_solution_equals_mesolve():
    p = fw.FlywheelParameters(kappa2=-0.1, V0=-17.0)
    N, halves = 12, 8
    run = fw.solve_exact(p, N, halves * p.tau_d / 2, (0.0, 9.0), (8.0, 8.0), steps_per_half=16)
    a = qutip.tensor(qutip.destroy(N), qutip.qeye(4))
    x = (a + a.dag()) / np.sqrt(2)
    o = fw.electronic_operators()
    el = lambda M: qutip.tensor(qutip.qeye(N), qutip.Qobj(M))
    H = (
        p.omega_rel * a.dag() * a
        + 8.0 * el(o["sx"])
        + (p.V0 + p.kappa1 * x + p.kappa2 * x * x) * el(o["nn"])
    )
    rho, xs, h = qutip.tensor(qutip.fock_dm(N, 0), qutip.fock_dm(4, 0)), [0.0], p.tau_d / 2
    for k in range(halves):  # the two strokes as constant Hamiltonians
        Hk = H + (0.0 if k % 2 == 0 else 9.0) * el(o["n1"] + o["n2"])
        r = qutip.mesolve(
            Hk,
            rho,
            np.linspace(k * h, (k + 1) * h, 5),
            [el(o["sm1"]), el(o["sm2"])],
            e_ops=[x],
            options={"atol": 1e-12, "rtol": 1e-10, "store_final_state": True},
        )
        xs += list(r.expect[0][1:])
        rho = r.final_state
    assert np.abs(xs).max() > 0.05
    np.testing.assert_allclose(run.x, xs, atol=1e-7)
    final = qutip.Qobj(
        run.state.transpose(2, 0, 3, 1).reshape(4 * N, 4 * N)
    )  # Fock x ions, as qutip orders it
    assert np.abs(final.full() - rho.full()).max() < 1e-7


def test_exact_solver_converges_at_fourth_order():
    T = 10 * P.tau_d
    runs = [fw.solve_exact(P, 20, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=n) for n in (4, 8, 32)]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert 12 < e1 / e2 < 20


def _expectations(rho):
    """Single-ion and two-ion moments in the paper's notation (sigma^y with sigma^+ = (sigma^x + i sigma^y)/2)."""
    one, sx, n = np.eye(2), np.array([[0, 1], [1, 0]]), np.diag([0.0, 1.0])
    sy = np.array([[0, 1j], [-1j, 0]])  # -i|up><down| + i|down><up| in the basis (down, up)
    ops = {"1": one, "x": sx, "y": sy, "n": n}
    return {a + b: np.real(np.trace(np.kron(ops[a], ops[b]) @ rho)) for a in ops for b in ops}


def test_corrected_S7_S8_equal_the_operator_algebra():
    # (S7)/(S8) with the corrections of the errata page, written out by hand from the paper's notation
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
        "xy": W / 2 * (e["xx"] - e["yy"])
        - 4 * O * e["xn"]
        + 2 * O * e["x1"]
        + D * (e["xx"] - e["yy"])
        - g * e["xy"],
        "xn": -W * e["yn"] + O * e["xy"] - D * e["yn"] - 1.5 * g * e["xn"],
        "yy": W / 2 * (e["xy"] + e["yx"])
        - 4 * O * (e["yn"] + e["ny"])
        + 2 * O * (e["y1"] + e["1y"])
        + D * (e["xy"] + e["yx"])
        - g * e["yy"],
        "yn": W * e["xn"]
        + O * (e["yy"] - 4 * e["nn"] + 2 * e["1n"])
        + D * e["xn"]
        - 1.5 * g * e["yn"],
        "nn": O * (e["yn"] + e["ny"]) - 2 * g * e["nn"],
    }
    for key, value in corrected.items():
        assert d[key] == pytest.approx(value, abs=1e-12), key
    # as printed, the Omega term of d<sigma_1^y>/dt (seen from |dd>) and the decay of s_nn (from |uu>) are wrong
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
    assert x0 == pytest.approx(
        5.6e-6, rel=0.01
    )  # two 40Ca+ ions at 1 MHz: 5.6 micrometre (James 1998)
    # <x^2> = 1/2 in the ground state: Var(delta x_rel) = hbar / (2 mu omega_rel) with mu = m / 2
    assert s["ell0"] ** 2 / 2 == pytest.approx(const.hbar / (m * s["omega_rel"]), rel=1e-12)
    with pytest.raises(ValueError, match="trap_frequency"):
        fw.ion_pair_scales(m, -1.0)


def test_amplitude_of_a_growing_sinusoid():
    period = 2.0
    t = np.arange(0, 40 + 1e-9, period / 16)
    x = 0.5 * t * np.sin(2 * np.pi * t / period + 0.3)
    tA, A = fw.amplitude(t, x, period)
    assert tA[0] == pytest.approx(period) and tA.size == t.size - 16
    # against the maximum of |x| over [t - period, t] on a 1000 times finer grid
    fine = lambda s: np.linspace(s - period, s, 16001)
    expected = [
        np.abs(0.5 * fine(s) * np.sin(2 * np.pi * fine(s) / period + 0.3)).max() for s in tA
    ]
    np.testing.assert_allclose(A, expected, rtol=2e-3)
    x2 = np.stack([x, 2 * x])  # batch axis in front
    np.testing.assert_allclose(fw.amplitude(t, x2, period)[1], np.stack([A, 2 * A]), rtol=1e-14)
    with pytest.raises(ValueError, match="period"):
        fw.amplitude(t, x, 0.3)


def test_exact_snapshots_are_the_reduced_states():
    T = 4 * P.tau_d
    run = fw.solve_exact(P, 12, T, (0.0, 9.0), (8.0, 8.0), snapshot_times=[0.0, T / 2, T])
    np.testing.assert_allclose(run.snapshot_t, [0.0, T / 2, T], atol=P.tau_d / 16)
    final = np.einsum("iinm->nm", run.state)
    np.testing.assert_allclose(run.snapshots[-1], final, atol=1e-14)
    n = np.arange(12)
    for ts, rho in zip(run.snapshot_t, run.snapshots):
        assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
        assert np.real(np.diag(rho)) @ n == pytest.approx(np.interp(ts, run.t, run.n_ph), abs=1e-12)
    with pytest.raises(ValueError, match="snapshot_times"):
        fw.solve_exact(P, 12, T, (0.0, 9.0), (8.0, 8.0), snapshot_times=[2 * T])
