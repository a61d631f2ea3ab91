"""Rydberg-ion flywheel, mean field: moment equations against the reduced density matrices, limits, batching."""

import numpy as np
import pytest
import qutip
from scipy.integrate import solve_ivp

from qbkit.models import flywheel as fw

P = fw.FlywheelParameters()  # omega = 9, kappa1 = 1, kappa2 = 0, V0 = -18, gamma = 1


def direct_mean_field(p, T, Delta, Omega, N=30):
    """Eq. (4) as two density matrices: rho_ph on N Fock states and rho_el (4x4), sampled 8 times per period."""
    a = qutip.destroy(N).full()
    x = (a + a.conj().T) / np.sqrt(2)
    H0 = p.omega_rel * a.conj().T @ a
    nn = fw.electronic_operators()["nn"]

    def rhs(t, y, D, O):
        rp, re = y[: N * N].reshape(N, N), y[N * N:].reshape(4, 4)
        s = np.real(np.trace(nn @ re))
        W = p.V0 + p.kappa1 * np.real(np.trace(x @ rp)) + p.kappa2 * np.real(np.trace(x @ x @ rp))
        H = H0 + s * (p.kappa1 * x + p.kappa2 * x @ x)
        return np.concatenate([(-1j * (H @ rp - rp @ H)).ravel(), fw.electronic_rhs(re, D, O, W, p.gamma).ravel()])

    y = np.zeros(N * N + 16, complex)
    y[0] = y[N * N] = 1.0
    h, xs = p.tau_d / 2, [0.0]
    for k in range(int(round(T / h))):
        D, O = (Delta[k % 2], Omega[k % 2])
        te = k * h + h * np.arange(1, 5) / 4
        sol = solve_ivp(rhs, (k * h, te[-1]), y, method="DOP853", rtol=1e-11, atol=1e-13, t_eval=te, args=(D, O))
        y = sol.y[:, -1]
        xs += [np.real(np.trace(x @ sol.y[: N * N, j].reshape(N, N))) for j in range(4)]
    return np.array(xs)


@pytest.mark.parametrize("kappa2", [0.0, -0.3])
def test_moment_equations_equal_the_reduced_density_matrices(kappa2):
    p = fw.FlywheelParameters(kappa2=kappa2, V0=-17.0)
    T = 10 * p.tau_d
    run = fw.integrate_mean_field(p, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=48)
    x_direct = direct_mean_field(p, T, (0.0, 9.0), (8.0, 8.0))
    assert np.abs(run.x).max() > 0.1
    np.testing.assert_allclose(run.x, x_direct, atol=2e-6)  # RK4 at 48 steps per half period


def test_runge_kutta_converges_at_fourth_order():
    T = 40 * P.tau_d
    runs = [fw.integrate_mean_field(P, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=n) for n in (12, 24, 48)]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert 12 < e1 / e2 < 20  # against the finest run: (1 - 2^-8) / (2^-4 - 2^-8) = 17 at fourth order


def test_decoupled_ions_leave_the_oscillator_in_its_ground_state():
    p = fw.FlywheelParameters(kappa1=0.0, kappa2=0.0)
    run = fw.integrate_mean_field(p, 5.0, (2.0, 2.0), (3.0, 3.0))
    assert np.abs(run.x).max() == 0.0 and np.abs(run.n_ph).max() < 1e-12
    # the ions alone: s_nn against qutip.mesolve of the 4-level master equation
    o = fw.electronic_operators()
    H = qutip.Qobj(2.0 * (o["n1"] + o["n2"]) + 3.0 * o["sx"] + p.V0 * o["nn"])
    c_ops = [qutip.Qobj(o["sm1"]), qutip.Qobj(o["sm2"])]
    ref = qutip.mesolve(H, qutip.fock_dm(4, 0), run.t, c_ops, e_ops=[qutip.Qobj(o["nn"])],
                        options={"atol": 1e-12, "rtol": 1e-10}).expect[0]
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


@pytest.mark.parametrize("call, match", [
    (lambda: fw.FlywheelParameters(omega=0.0), "omega"),
    (lambda: fw.FlywheelParameters(gamma=-1.0), "gamma"),
    (lambda: fw.integrate_mean_field(P, 1.0, (0, 9), (8, 8), steps_per_half=24, samples_per_period=7), "samples_per_period"),
])
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
    H = p.omega_rel * a.dag() * a + 8.0 * el(o["sx"]) + (p.V0 + p.kappa1 * x + p.kappa2 * x * x) * el(o["nn"])
    rho, xs, h = qutip.tensor(qutip.fock_dm(N, 0), qutip.fock_dm(4, 0)), [0.0], p.tau_d / 2
    for k in range(halves):  # the two strokes as constant Hamiltonians
        Hk = H + (0.0 if k % 2 == 0 else 9.0) * el(o["n1"] + o["n2"])
        r = qutip.mesolve(Hk, rho, np.linspace(k * h, (k + 1) * h, 5), [el(o["sm1"]), el(o["sm2"])], e_ops=[x],
                          options={"atol": 1e-12, "rtol": 1e-10, "store_final_state": True})
        xs += list(r.expect[0][1:])
        rho = r.final_state
    assert np.abs(xs).max() > 0.05
    np.testing.assert_allclose(run.x, xs, atol=1e-7)
    final = qutip.Qobj(run.state.transpose(2, 0, 3, 1).reshape(4 * N, 4 * N))  # Fock x ions, as qutip orders it
    assert np.abs(final.full() - rho.full()).max() < 1e-7


def test_exact_solver_converges_at_fourth_order():
    T = 10 * P.tau_d
    runs = [fw.solve_exact(P, 20, T, (0.0, 9.0), (8.0, 8.0), steps_per_half=n) for n in (4, 8, 32)]
    e1, e2 = np.abs(runs[0].x - runs[2].x).max(), np.abs(runs[1].x - runs[2].x).max()
    assert 12 < e1 / e2 < 20
