"""The common-reservoir model (Quach & Munro 2020): analytic limits and independent cross-checks."""

import numpy as np
import pytest
import qutip
from scipy.special import gammaln
from systems.individual_spins import individual_spin_model

from qbkit.blocks import BlockState
from qbkit.models import common_reservoir as cr
from qbkit.spins import two_spin_operators

MESOLVE_OPTIONS = {"atol": 1e-12, "rtol": 1e-10, "store_states": True}


def model(R, N_B, **kw):
    return cr.CommonReservoir.with_ratio(R, N_B, **kw)


def test_two_spin_charging_closed_form():
    # N_C = N_B = 1, T = 0: E_B(t) = (1 - exp(-2 gamma t))^2 / 4 with the L of Eq. (2)
    gamma = 0.7
    t = np.linspace(0, 3, 61)
    run = cr.charge(model(1, 1, gamma=gamma), t)
    x = np.exp(-2 * gamma * t)
    np.testing.assert_allclose(run.energy_density_B, (1 - x) ** 2 / 4, atol=1e-12)
    np.testing.assert_allclose(run.power_density_B, gamma * (1 - x) * x, atol=1e-12)
    np.testing.assert_array_equal(run.times, t)


def test_two_spin_steady_states_eqs_4_5_13():
    m = model(1, 1)
    ss = cr.steady_state(m, m.initial_state()).to_qobj()
    up, dn = qutip.basis(2, 0), qutip.basis(2, 1)
    singlet = (qutip.tensor(up, dn) - qutip.tensor(dn, up)).unit()
    expected = 0.5 * qutip.tensor(dn, dn).proj() + 0.5 * singlet.proj()
    assert (ss - expected).norm("max") < 1e-14
    for nbar in [0.0, 0.3, 2.0]:
        m = model(1, 1, nbar=nbar)
        state = cr.steady_state(m, m.initial_state())
        eq13 = -(2 * nbar + 1) / (12 * nbar * (nbar + 1) + 4)
        assert state.Jz_B() == pytest.approx(eq13, abs=1e-14)
        assert state.Jz_C() == pytest.approx(eq13, abs=1e-14)
        E_C, E_B = cr.steady_energy_densities(m)
        assert E_B - 0.5 == pytest.approx(eq13, abs=1e-14)
        assert E_C - 0.5 == pytest.approx(eq13, abs=1e-14)


@pytest.mark.parametrize("R", [1, 2, 5, 17, 100])
def test_single_battery_spin_closed_form(R):
    m = model(R, 1)
    E = cr.steady_state(m, m.initial_state()).Jz_B() + 0.5
    assert E == pytest.approx((R / (R + 1)) ** 2, abs=1e-13)
    assert cr.steady_energy_densities(m)[1] == pytest.approx((R / (R + 1)) ** 2, abs=1e-13)


def _equal_ensembles(N):
    """R = 1, T = 0: E_B^ss = 1/2 - sum_J J p_J / (2N), p_J = (2J+1) N!^2 / ((N+J+1)! (N-J)!)."""
    J = np.arange(N + 1)
    p = np.exp(np.log(2 * J + 1) + 2 * gammaln(N + 1) - gammaln(N + J + 2) - gammaln(N - J + 1))
    return 0.5 - (p @ J) / (2 * N), p.sum()


@pytest.mark.parametrize("N", [1, 2, 7, 40, 300])
def test_equal_ensembles_never_pass_half_charge(N):
    # each dark state |J,-J> is a swap eigenstate: <J_B^z> = <J_C^z> = -J/2 <= 0
    E, norm = _equal_ensembles(N)
    assert norm == pytest.approx(1.0, abs=1e-12)
    assert cr.steady_energy_densities(model(1, N))[1] == pytest.approx(E, abs=1e-12)
    assert E <= 0.5
    if N <= 7:
        m = model(1, N)
        assert cr.steady_state(m, m.initial_state()).Jz_B() / N + 0.5 == pytest.approx(E, abs=1e-12)


def test_equal_ensembles_approach_half_charge_as_inverse_square_root():
    # <J> ~ (sqrt(pi)/2) sqrt(N) for large N, so 1/2 - E_B^ss ~ sqrt(pi) / (4 sqrt(N))
    for N in (4000, 16000):
        deficit = 0.5 - _equal_ensembles(N)[0]
        assert deficit * np.sqrt(N) == pytest.approx(np.sqrt(np.pi) / 4, rel=0.02)


@pytest.mark.parametrize(
    "R, N_B, nbar, battery",
    [(1, 3, 0.0, "ground"), (3, 2, 0.0, "thermal"), (2, 3, 0.4, "ground"), (5, 2, 1.3, "thermal")],
)
def test_closed_form_steady_state_matches_the_decomposition(R, N_B, nbar, battery):
    m = model(R, N_B, nbar=nbar)
    ss = cr.steady_state(m, m.initial_state(battery))
    E_C, E_B = cr.steady_energy_densities(m, battery=battery)
    assert E_B == pytest.approx(ss.Jz_B() / N_B + 0.5, abs=1e-12)
    assert E_C == pytest.approx(ss.Jz_C() / m.N_C + 0.5, abs=1e-12)
    np.testing.assert_allclose(
        cr.steady_battery_populations(m, battery=battery), ss.battery_populations(), atol=1e-12
    )


@pytest.mark.parametrize(
    "N_C, N_B, nbar, battery",
    [(3, 2, 0.0, "ground"), (4, 2, 0.6, "thermal"), (5, 3, 0.2, "ground")],
)
def test_structured_solver_matches_mesolve(N_C, N_B, nbar, battery):
    m = cr.CommonReservoir(N_C, N_B, 1.3, nbar)
    rho0 = m.initial_state(battery)
    t = np.linspace(0, 1.2, 13)
    ref = qutip.mesolve(
        m.hamiltonian(2.0), rho0, t, m.collapse_operators(), options=MESOLVE_OPTIONS
    )
    ours = cr.evolve(m, rho0, t)
    for k in range(len(t)):
        assert (ref.states[k] - ours.state(k)).norm("tr") < 1e-8


@pytest.mark.parametrize(
    "N_C, N_B, nbar, battery",
    [(1, 1, 0.0, "ground"), (2, 1, 0.0, "ground"), (2, 2, 0.0, "ground"), (6, 2, 0.0, "ground")]
    + [(3, 1, 0.8, "thermal")],
)
def test_collective_model_matches_individual_spins(N_C, N_B, nbar, battery):
    m = individual_spin_model(N_C, N_B, nbar=nbar, battery=battery)
    t = np.linspace(0, 0.8, 5)
    ref = qutip.mesolve(m["H"], m["rho0"], t, m["c_ops"], options=MESOLVE_OPTIONS)
    collective = cr.CommonReservoir(N_C, N_B, nbar=nbar)
    ours = cr.evolve(collective, collective.initial_state(battery), t)
    np.testing.assert_allclose(qutip.expect(m["Jz_B"], ref.states), ours.Jz_B, atol=1e-8)
    np.testing.assert_allclose(qutip.expect(m["Jz_C"], ref.states), ours.Jz_C, atol=1e-8)
    S_ref = [
        np.log2(np.abs(qutip.partial_transpose(s, m["mask_B"]).eigenenergies()).sum())
        for s in ref.states
    ]
    np.testing.assert_allclose(S_ref, ours.log_negativity, atol=1e-8)


def test_independent_thermal_battery_is_the_sum_over_spin_sectors():
    # two battery qubits, each thermal: a mixture of j_B = 1 and the singlet j_B = 0
    nbar = 0.5
    m = individual_spin_model(2, 2, nbar=nbar, battery="thermal")
    ref = qutip.mesolve(m["H"], m["rho0"], [0.0, 40.0], m["c_ops"], options=MESOLVE_OPTIONS)
    E_B = qutip.expect(m["Jz_B"], ref.states[-1]) / 2 + 0.5
    model_ = cr.CommonReservoir(2, 2, nbar=nbar)
    assert cr.steady_energy_densities(model_, battery="independent")[1] == pytest.approx(
        E_B, abs=1e-8
    )
    assert cr.steady_energy_densities(model_, battery="thermal")[1] != pytest.approx(E_B, abs=1e-3)
    j, w = cr.thermal_sectors(2, nbar)
    p_up = nbar / (2 * nbar + 1)
    np.testing.assert_allclose(j, [1.0, 0.0])
    np.testing.assert_allclose(w, [1 - p_up * (1 - p_up), p_up * (1 - p_up)])  # singlet: p_up p_dn
    np.testing.assert_allclose(cr.thermal_sectors(1, nbar)[1], [1.0])


def test_multiplet_weights_are_conserved_and_steady_state_is_the_long_time_limit():
    m = cr.CommonReservoir(6, 3, nbar=0.4)
    rho0 = m.initial_state("thermal")
    run = cr.evolve(m, rho0, [0.0, 0.3, 60.0])
    J0, p0 = cr.multiplet_weights(rho0)
    J1, p1 = cr.multiplet_weights(run.state(1))
    np.testing.assert_allclose(p0, p1, atol=1e-12)
    assert np.abs(run.states.blocks[2] - cr.steady_state(m, rho0).expanded().blocks).max() < 1e-12
    m0 = cr.CommonReservoir(6, 3)
    zero_T = cr.steady_state(m0, m0.initial_state())  # only the dark blocks M = -J are stored
    assert len(zero_T.block_index) == 4
    assert (zero_T.to_qobj() - cr.charge(m0, [0, 80]).state(1)).norm("tr") < 1e-10


def test_exact_derivatives_match_finite_differences():
    # integrated form: the log negativity has cusps where an eigenvalue of rho^Gamma crosses zero,
    # where a central difference straddles the kink; the integral of the derivative does not care
    from scipy.integrate import cumulative_trapezoid

    t = np.linspace(0, 1, 2001)
    run = cr.charge(model(3, 2), t)
    np.testing.assert_allclose(
        cumulative_trapezoid(run.dJz_B, t), run.Jz_B[1:] - run.Jz_B[0], atol=1e-6
    )
    np.testing.assert_allclose(
        cumulative_trapezoid(run.dlog_negativity[1:], t[1:]),
        run.log_negativity[2:] - run.log_negativity[1],
        atol=1e-4,
    )


def test_block_state_observables_match_qutip():
    run = cr.charge(model(2, 2, nbar=0.3), np.linspace(0, 0.5, 6), battery="thermal")
    ops = two_spin_operators(2, 1)
    for k in range(6):
        rho = run.state(k)
        assert run.Jz_B[k] == pytest.approx(qutip.expect(ops["Jz_B"], rho), abs=1e-13)
        assert run.Jz_C[k] == pytest.approx(qutip.expect(ops["Jz_C"], rho), abs=1e-13)
        np.testing.assert_allclose(
            np.diag(rho.ptrace(1).full()).real, run.battery_populations[k], atol=1e-13
        )
        mask_pt = qutip.partial_transpose(rho, [0, 1]).eigenenergies()
        assert run.log_negativity[k] == pytest.approx(np.log2(np.abs(mask_pt).sum()), abs=1e-12)
        back = BlockState.from_qobj(rho, run.states.basis)
        np.testing.assert_allclose(back.blocks, run.states.blocks[k], atol=1e-14)


def test_restart_continues_the_same_trajectory():
    run = cr.charge(model(3, 2), np.linspace(0, 0.4, 5))
    again = run.restart(2, np.linspace(0.2, 0.4, 3))
    np.testing.assert_allclose(again.Jz_B, run.Jz_B[2:], atol=1e-12)


def test_peak_power_of_two_spins_is_analytic():
    # P_B(t) = gamma (1 - x) x with x = exp(-2 gamma t): maximum gamma/4 at t = ln 2 / (2 gamma)
    gamma = 1.7
    # (the refined peak is the largest sample of a fine grid of step h: t within h/2, and
    # P within |P''| h^2 / 8 = gamma^3 h^2 / 4)
    m = model(1, 1, gamma=gamma)
    pk = cr.charging_peaks(m, points=41, zoom_points=201)
    h = 2 * cr.peak_window(m, 41)[1] / 200
    assert abs(pk.t_P - np.log(2) / (2 * gamma)) <= h / 2
    assert gamma / 4 - gamma**3 * h**2 / 4 <= pk.P_max <= gamma / 4


def test_entanglement_rate_maximum_is_located_on_a_fine_grid():
    m = model(5, 2)
    pk = cr.charging_peaks(m)
    grid = np.linspace(pk.t_S - 2e-3, pk.t_S + 2e-3, 2001)
    fine = cr.charge(m, [0.0, grid[0]]).restart(1, grid)
    # the refined maximum is the largest value on a grid 7 times finer around it; here it
    # sits just after a jump of dS_B/dt (an eigenvalue of rho^Gamma crosses zero)
    assert pk.dS_max == pytest.approx(fine.dlog_negativity.max(), rel=1e-4)
    assert pk.dS_max <= fine.dlog_negativity.max() + 1e-12
    assert pk.dS_max == pytest.approx(max(v for _, v in pk.S_maxima), rel=1e-2)
    assert pk.dS_0 == pytest.approx(cr.charge(m, [0.0, 1e-3]).dlog_negativity[0])
    assert pk.lag == pytest.approx(pk.t_S - pk.t_P)


def test_discharge_of_one_spin_and_of_a_dicke_pair():
    t = np.linspace(0, 2, 201)
    gamma = 0.8
    one = cr.discharge([1.0, 0.0], t, gamma=gamma)
    np.testing.assert_allclose(one.energy_density, np.exp(-2 * gamma * t), atol=1e-10)
    assert one.half_life == pytest.approx(np.log(2) / (2 * gamma), rel=1e-3)
    # |1, 1> cascades at 4 gamma: p(1, 1) = e^{-4 gamma t}, p(1, 0) = 4 gamma t e^{-4 gamma t}
    pair = cr.discharge([1.0, 0.0, 0.0], t, gamma=gamma)
    x = np.exp(-4 * gamma * t)
    np.testing.assert_allclose(pair.energy_density, x + 2 * gamma * t * x, atol=1e-10)
    np.testing.assert_allclose(pair.power_density, 2 * gamma * x * (1 + 4 * gamma * t), atol=1e-9)


def test_dephased_pair_keeps_its_singlet_and_starts_at_the_single_spin_rate():
    # |1, 0> dephased = (|T0><T0| + |S><S|)/2: the singlet is dark, the triplet decays at 4 gamma
    t = np.linspace(0, 2, 201)
    d = cr.discharge([0.0, 1.0, 0.0], t, dephased=True)
    np.testing.assert_allclose(d.energy_density, 0.25 + 0.25 * np.exp(-4 * t), atol=1e-10)
    assert d.power_density[0] / d.energy_density[0] == pytest.approx(2.0)
    assert d.half_life == np.inf


def test_appendix_generator_has_twice_the_printed_population_rates():
    n = 0.3
    L = cr.two_spin_generator(n)
    assert L[0, 0, 0, 0] == pytest.approx(-4 * (n + 1))  # printed (18): -2 gamma (nbar + 1)
    assert L[0, 0, 1, 1] == pytest.approx(4 * n)  # printed (18): 2 gamma nbar
    assert L[2, 2, 2, 2] == pytest.approx(0.0)  # (20): the singlet is dark
    assert L[0, 2, 0, 2] == pytest.approx(-2 * (n + 1))  # rho_13 decays at gamma (nbar + 1) x 2


def test_input_validation_names_the_argument():
    with pytest.raises(ValueError, match="N_B"):
        cr.CommonReservoir(3, 0)
    with pytest.raises(TypeError, match="N_C"):
        cr.CommonReservoir(2.5, 1)
    with pytest.raises(ValueError, match="battery"):
        cr.CommonReservoir(2, 1).initial_state("hot")
    with pytest.raises(ValueError, match="battery"):
        cr.CommonReservoir(2, 1).initial_state("independent")
    with pytest.raises(ValueError, match="gamma"):
        cr.CommonReservoir(2, 1, gamma=-1.0)
    with pytest.raises(ValueError, match="nbar"):
        cr.CommonReservoir(2, 1, nbar=-0.1)
    with pytest.raises(TypeError, match="nbar"):
        cr.CommonReservoir(2, 1, nbar="hot")
    with pytest.raises(ValueError, match="tlist"):
        cr.charge(cr.CommonReservoir(2, 1), [0, 1, 0.5])
    with pytest.raises(ValueError, match="R"):
        cr.CommonReservoir.with_ratio(0, 1)
    with pytest.raises(ValueError, match="dims"):
        cr.evolve(cr.CommonReservoir(3, 1), cr.CommonReservoir(2, 1).initial_state(), [0, 1])
    with pytest.raises(TypeError, match="model"):
        cr.evolve("model", cr.CommonReservoir(2, 1).initial_state(), [0, 1])
    with pytest.raises(ValueError, match="populations"):
        cr.discharge([0.5, 0.6], [0, 1])
    coherent = qutip.tensor(
        qutip.fock_dm(3, 0), (qutip.basis(2, 0) + qutip.basis(2, 1)).unit().proj()
    )
    with pytest.raises(ValueError, match="total M"):
        cr.evolve(cr.CommonReservoir(2, 1), coherent, [0, 1])


@pytest.mark.parametrize("N_B, R", [(1, 1), (1, 50), (3, 5)])
def test_entanglement_rate_at_t0_is_the_right_derivative(N_B, R):
    # the product state's rho^Gamma has a kernel: the rate is the one-sided limit
    h = 1e-7
    run = cr.charge(model(R, N_B), np.array([0.0, h, 2 * h]))
    S = run.log_negativity
    one_sided = (-3 * S[0] + 4 * S[1] - S[2]) / (2 * h)
    assert run.dlog_negativity[0] == pytest.approx(one_sided, rel=1e-5)
    assert run.dlog_negativity[0] > 0


@pytest.mark.parametrize("nbar", [0.0, 0.5])
def test_three_steady_states_agree(nbar):
    # long-time evolution (gamma t = 40 and 80), the multiplet decomposition and the closed form
    for R in (1, 2, 3, 5, 10):
        for N_B in (1, 2, 3):
            m = model(R, N_B, nbar=nbar)
            late = cr.charge(m, [0.0, 40.0, 80.0]).states.blocks
            exact = cr.steady_state(m, m.initial_state())
            assert np.abs(late[2] - late[1]).sum() < 1e-10
            assert np.abs(late[2] - exact.expanded().blocks).sum() < 1e-10
            E_B = cr.steady_energy_densities(m)[1]
            assert E_B == pytest.approx(exact.Jz_B() / N_B + 0.5, abs=1e-12)


def test_battery_ergotropy_of_a_run_matches_the_general_definition():
    from qbkit.ergotropy import ergotropy

    run = cr.charge(model(5, 10), np.linspace(0, 1.5, 601))
    for k in (0, 60, 200, 600):
        W = ergotropy(run.state(k).ptrace(1), qutip.jmat(5.0, "z")) / 10
        assert W == pytest.approx(run.ergotropy_density_B[k], abs=1e-10)


def test_all_state_ergotropy_is_never_smaller():
    for N_B in (1, 2, 3, 10):
        m = model(5, N_B)
        sym, full = (cr.steady_ergotropy_density(m, all_states=a) for a in (False, True))
        assert full >= sym - 1e-12
        assert sym == pytest.approx(cr.steady_state(m, m.initial_state()).battery_ergotropy() / N_B)


def test_energy_balance_of_two_spins_follows_eq_13():
    for nbar in (0.0, 0.5, 3.0):
        b = cr.energy_balance(model(1, 1, nbar=nbar))
        x = (2 * nbar + 1) / (12 * nbar * (nbar + 1) + 4)  # -<J^z> of each spin, Eq. (13)
        assert b.charger_loss == pytest.approx(0.5 + x)
        assert b.battery_gain == pytest.approx(0.5 - x)
        assert b.into_reservoir == pytest.approx(2 * x)
        assert b.thermal_share == pytest.approx(nbar / (2 * nbar + 1) / (0.5 - x))
