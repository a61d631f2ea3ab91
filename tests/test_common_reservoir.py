"""The common-reservoir model (Quach & Munro 2020): analytic limits and independent cross-checks."""

import numpy as np
import pytest
import qutip

from qbkit.models import common_reservoir as cr
from qbkit.spins import two_spin_operators

MESOLVE_OPTIONS = {"atol": 1e-12, "rtol": 1e-10, "store_states": True}


def test_two_spin_charging_closed_form():
    # N_C = N_B = 1, T = 0: E_B(t) = (1 - exp(-2 gamma t))^2 / 4 with the L of Eq. (2)
    gamma = 0.7
    t = np.linspace(0, 3, 61)
    run = cr.charging_run(1, 1, t, gamma)
    np.testing.assert_allclose(
        run.energy_density_B, (1 - np.exp(-2 * gamma * t)) ** 2 / 4, atol=1e-12
    )
    np.testing.assert_allclose(
        run.power_density_B,
        gamma * (1 - np.exp(-2 * gamma * t)) * np.exp(-2 * gamma * t),
        atol=1e-12,
    )


def test_two_spin_steady_states_eqs_4_5_13():
    ss = cr.steady_state(cr.initial_state(1, 1)).to_qobj()
    up, dn = qutip.basis(2, 0), qutip.basis(2, 1)
    singlet = (qutip.tensor(up, dn) - qutip.tensor(dn, up)).unit()
    expected = 0.5 * qutip.tensor(dn, dn).proj() + 0.5 * singlet.proj()
    assert (ss - expected).norm("max") < 1e-14
    for nbar in [0.0, 0.3, 2.0]:
        state = cr.steady_state(cr.initial_state(1, 1), nbar)
        eq13 = -(2 * nbar + 1) / (12 * nbar * (nbar + 1) + 4)
        assert state.Jz_B() == pytest.approx(eq13, abs=1e-14)
        assert state.Jz_C() == pytest.approx(eq13, abs=1e-14)


@pytest.mark.parametrize("R", [1, 2, 5, 17, 100])
def test_single_battery_spin_closed_form(R):
    E = cr.steady_state(cr.initial_state(R, 1)).Jz_B() + 0.5
    assert E == pytest.approx((R / (R + 1)) ** 2, abs=1e-13)


@pytest.mark.parametrize(
    "N_C, N_B, nbar, battery",
    [(3, 2, 0.0, "ground"), (4, 2, 0.6, "thermal"), (5, 3, 0.2, "ground")],
)
def test_structured_solver_matches_mesolve(N_C, N_B, nbar, battery):
    rho0 = cr.initial_state(N_C, N_B, nbar, battery)
    t = np.linspace(0, 1.2, 13)
    ref = qutip.mesolve(
        cr.hamiltonian(N_C, N_B, 2.0),
        rho0,
        t,
        cr.collapse_operators(N_C, N_B, 1.3, nbar),
        options=MESOLVE_OPTIONS,
    )
    ours = cr.evolve(rho0, t, 1.3, nbar)
    for k in range(len(t)):
        assert (ref.states[k] - ours.state(k)).norm("tr") < 1e-8


def test_collective_model_matches_eight_individual_spins():
    N_C, N_B = 6, 2
    m = cr.individual_spin_model(N_C, N_B)
    t = np.linspace(0, 0.8, 5)
    ref = qutip.mesolve(
        m["H"],
        m["rho0"],
        t,
        m["c_ops"],
        e_ops=[m["Jz_B"], m["Jz_C"]],
        options={"atol": 1e-12, "rtol": 1e-10},
    )
    ours = cr.evolve(cr.initial_state(N_C, N_B), t)
    np.testing.assert_allclose(ref.expect[0], ours.Jz_B, atol=1e-8)
    np.testing.assert_allclose(ref.expect[1], ours.Jz_C, atol=1e-8)


def test_multiplet_weights_are_conserved_and_steady_state_is_the_long_time_limit():
    rho0 = cr.initial_state(6, 3, 0.4, "thermal")
    run = cr.evolve(rho0, [0.0, 0.3, 60.0], 1.0, 0.4)
    J0, p0 = cr.multiplet_weights(rho0)
    J1, p1 = cr.multiplet_weights(run.state(1))
    np.testing.assert_allclose(p0, p1, atol=1e-12)
    assert np.abs(run.states.blocks[2] - cr.steady_state(rho0, 0.4).expanded().blocks).max() < 1e-12
    zero_T = cr.steady_state(cr.initial_state(6, 3))  # only the dark blocks M = -J are stored
    assert len(zero_T.block_index) == 4
    assert (zero_T.to_qobj() - cr.evolve(cr.initial_state(6, 3), [0, 80]).state(1)).norm(
        "tr"
    ) < 1e-10


def test_exact_derivatives_match_finite_differences():
    # integrated form: the log negativity has cusps where an eigenvalue of rho^Gamma crosses zero,
    # where a central difference straddles the kink; the integral of the derivative does not care
    from scipy.integrate import cumulative_trapezoid

    t = np.linspace(0, 1, 2001)
    run = cr.charging_run(2, 3, t)
    np.testing.assert_allclose(
        cumulative_trapezoid(run.dJz_B, t), run.Jz_B[1:] - run.Jz_B[0], atol=1e-6
    )
    np.testing.assert_allclose(
        cumulative_trapezoid(run.dlog_negativity[1:], t[1:]),
        run.log_negativity[2:] - run.log_negativity[1],
        atol=1e-4,
    )


def test_block_state_observables_match_qutip():
    run = cr.charging_run(2, 2, np.linspace(0, 0.5, 6), 1.0, 0.3, "thermal")
    ops = two_spin_operators(2, 1)
    for k in range(6):
        rho = run.state(k)
        assert run.Jz_B[k] == pytest.approx(qutip.expect(ops["Jz_B"], rho), abs=1e-13)
        np.testing.assert_allclose(
            np.diag(rho.ptrace(1).full()).real, run.battery_populations[k], atol=1e-13
        )
        mask_pt = qutip.partial_transpose(rho, [0, 1]).eigenenergies()
        assert run.log_negativity[k] == pytest.approx(np.log2(np.abs(mask_pt).sum()), abs=1e-12)


def test_input_validation_names_the_argument():
    with pytest.raises(ValueError, match="N_B"):
        cr.initial_state(3, 0)
    with pytest.raises(TypeError, match="N_C"):
        cr.initial_state(2.5, 1)
    with pytest.raises(ValueError, match="battery"):
        cr.initial_state(2, 1, battery="hot")
    with pytest.raises(ValueError, match="gamma"):
        cr.collapse_operators(2, 1, gamma=-1.0)
    with pytest.raises(ValueError, match="nbar"):
        cr.evolve(cr.initial_state(2, 1), [0, 1], 1.0, -0.1)
    with pytest.raises(ValueError, match="tlist"):
        cr.evolve(cr.initial_state(2, 1), [0, 1, 0.5])
    with pytest.raises(ValueError, match="R"):
        cr.charging_run(1, 0, [0, 1])
    coherent = qutip.tensor(
        qutip.fock_dm(3, 0), (qutip.basis(2, 0) + qutip.basis(2, 1)).unit().proj()
    )
    with pytest.raises(ValueError, match="total M"):
        cr.evolve(coherent, [0, 1])


@pytest.mark.parametrize("N_B, R", [(1, 1), (1, 50), (3, 5)])
def test_entanglement_rate_at_t0_is_the_right_derivative(N_B, R):
    # the product state's rho^Gamma has a kernel: the rate is the one-sided limit
    h = 1e-7
    run = cr.charging_run(N_B, R, np.array([0.0, h, 2 * h]))
    one_sided = (-3 * run.log_negativity[0] + 4 * run.log_negativity[1] - run.log_negativity[2]) / (
        2 * h
    )
    assert run.dlog_negativity[0] == pytest.approx(one_sided, rel=1e-5)
    assert run.dlog_negativity[0] > 0
