"""Rotor device: sector solutions against full-space QuTiP (local, secular and non-secular
Bloch-Redfield), analytic identities of the paper, the load alone, and the thermo helpers."""

from dataclasses import replace

import numpy as np
import pytest
import qutip
import scipy.sparse as sp
from qutip.core.blochredfield import brterm
from systems.rotor_load import steady_populations

from qbkit import thermo
from qbkit.ergotropy import ergotropy
from qbkit.models import rotor as rt
from qbkit.models import rotor_analysis as ra
from qbkit.sectors import LinearFamily, Sector

FIG2 = rt.Baths(beta1=0.1, beta2=0.02, beta_r=0.09, g=1.0, gamma=5e-5)


def device(**kw):
    return rt.RotorDevice(rt.RotorParameters(**{"B1": 4.0, "B2": 10.0, "lam": 0.1, **kw}))


def test_rotor_operators_symmetric_and_shifted_windows():
    for l_max, l_min in ((5, None), (10, -5)):
        ops = rt.rotor_operators(l_max, l_min)
        e, Lz = ops["exp_iphi"], ops["Lz"]
        assert (e * Lz - Lz * e - (-e)).norm() < 1e-14  # [e^{i phi}, L_z] = -e^{i phi}, Eq. (3)
        one = ops["cos_phi"] ** 2 + ops["sin_phi"] ** 2
        np.testing.assert_allclose(one.diag()[1:-1], 1.0)  # cos^2 + sin^2 = 1 inside the window
        lo = -l_max if l_min is None else l_min
        assert Lz.diag()[0] == lo and Lz.diag()[-1] == l_max


@pytest.mark.parametrize(
    "chi, ratio, window", [(0.0, 0.2, (None, 10)), (0.4, 0.7, (None, 10)), (-0.3, 0.45, (-5, 9))]
)
def test_local_steady_state_equals_full_space_qutip(chi, ratio, window):
    dev = device(l_min=window[0], l_max=window[1])
    baths = replace(FIG2, chi=chi).at_ratio(ratio)
    liou = dev.liouvillian(baths)
    full = qutip.liouvillian(dev.H, dev.collapse_operators(baths))
    assert abs(dev.sector.restrict(full) - liou.L).max() < 1e-12
    s = rt.steady_state(dev, baths)
    rho = qutip.steadystate(dev.H, dev.collapse_operators(baths))
    np.testing.assert_allclose(dev.sector.matrix(s.x), rho.full(), atol=1e-10)
    assert dev.sector.trace(s.x) == pytest.approx(1.0, abs=1e-13)


@pytest.mark.parametrize("continuation", rt.CONTINUATIONS)
def test_global_and_redfield_equal_qutip_bloch_redfield(continuation):
    # sigma_1^- from the dressed |ge, l> to |gg, l + 1> releases 2 B2 - (2l + 1)/2I < 0 for l >= 20
    dev = rt.RotorDevice(rt.RotorParameters(B1=4, B2=10, I=1.0, lam=0.3, l_max=23, l_min=16))
    baths = rt.Baths(beta1=0.1, beta2=0.03, g=1.0, chi=0.3, cutoff=20.0, continuation=continuation)
    assert (dev.transitions(1)[2] < 0).any()
    for secular, equation in ((True, "global"), (False, "redfield")):
        R = dev.bloch_redfield(baths, secular=secular)
        L = dev.liouvillian(baths, equation=equation).L
        assert abs(dev.sector.restrict(R.data_as("csr_matrix")) - L).max() < 1e-11
        x = rt.steady_state(dev, baths, equation=equation).x
        np.testing.assert_allclose(dev.sector.matrix(x), qutip.steadystate(R).full(), atol=1e-10)


def test_global_equation_equals_secular_bloch_redfield_of_a_sigma_x_coupling():
    """With the detailed-balance continuation the secular equation is that of a coupling sigma^x."""

    def emission(beta, gi):  # QuTiP reads a one-argument function as a spectrum of w
        return lambda w: float(rt.bath_rates(w, beta, gi, 20.0)[0])

    dev = rt.RotorDevice(rt.RotorParameters(B1=4, B2=10, I=1.0, lam=0.3, l_max=3))
    baths = rt.Baths(beta1=0.1, beta2=0.03, g=1.0, chi=0.3, cutoff=20.0)
    R = qutip.liouvillian(dev.H, dev.collapse_operators(replace(baths, g=0.0)))
    for sm, beta, gi in ((dev.sm1, 0.1, baths.g1), (dev.sm2, 0.03, baths.g2)):
        R += brterm(dev.H, sm + sm.dag(), emission(beta, gi), sec_cutoff=1e-6, fock_basis=True)
    L = dev.liouvillian(baths, equation="global").L
    assert abs(dev.sector.restrict(R.data_as("csr_matrix")) - L).max() < 1e-11


def test_redfield_tends_to_the_secular_equation_for_weak_baths():
    dev = device(l_max=30)
    for g, tol in ((0.01, 1e-3), (1.0, None)):
        b = replace(FIG2, g=g).at_ratio(0.8)
        lz_r = rt.steady_state(dev, b, equation="redfield").Lz
        lz_g = rt.steady_state(dev, b, equation="global").Lz
        if tol:
            assert lz_r / lz_g == pytest.approx(1.0, abs=tol)
        else:  # rates of tens against dressed splittings of about 0.5: far from secular
            assert abs(lz_r / lz_g - 1) > 0.3


@pytest.mark.parametrize("equation", rt.EQUATIONS)
def test_first_law_and_heat_formulas(equation):
    dev = device(l_max=25)
    baths = FIG2.at_ratio(0.3)
    s = rt.steady_state(dev, baths, equation=equation)
    scale = abs(s.Q1) + abs(s.Q2)
    assert scale > 1e-4 and s.first_law_residual < 1e-10 * scale  # rounding of O(1) terms
    assert abs(s.dU) < 1e-9 * scale  # steady: rounding of a solve whose entries reach L_max^2/2I
    if equation != "local":
        assert s.W_Q == 0.0 or equation == "local-ohmic"
        return
    rho = dev.density_matrix(s.x)
    n = [rt.thermal_occupation(0.1, 8.0), rt.thermal_occupation(baths.beta2, 20.0)]
    for Q, sm, B, ni in ((s.Q1, dev.sm1, 4, n[0]), (s.Q2, dev.sm2, 10, n[1])):  # Eq. (19)
        closed = (
            2
            * B
            * (ni * qutip.expect(sm * sm.dag(), rho) - (ni + 1) * qutip.expect(sm.dag() * sm, rho))
        )
        assert Q == pytest.approx(closed, rel=1e-10)
    # Eq. (23): W^(Q) = -lam/2 [g1^2(2n1+1) + g2^2(2n2+1)] 2 Re<s1+ s2- e^{i phi}>
    c = qutip.expect(dev.sm1.dag() * dev.sm2 * dev.exp_iphi, rho)
    eq23 = -0.5 * 0.1 * ((2 * n[0] + 1) + (2 * n[1] + 1)) * 2 * np.real(c)
    assert s.W_Q == pytest.approx(eq23, rel=1e-10)
    # sum rule: each transfer adds one quantum of L_z, which the load removes at rate gamma <L_z>
    assert s.Q2 == pytest.approx(2 * 10 * 5e-5 * s.Lz, rel=1e-7)
    assert s.sigma > 0  # second law of the local equation


def test_bath_rates_detailed_balance_and_continuations():
    down, up = rt.bath_rates(np.array([8.0, -3.0, 20.0]), 0.1, 0.7, 20.0)
    np.testing.assert_allclose(down / up, np.exp(0.1 * np.array([8.0, -3.0, 20.0])), rtol=1e-12)
    J = rt.ohmic_spectral_density(8.0, 0.7, 20.0)
    assert down[0] == pytest.approx(J * (rt.thermal_occupation(0.1, 8.0) + 1))
    zd, zu = rt.bath_rates(np.array([8.0, -3.0, 0.0]), 0.1, 0.7, 20.0, "zero")
    assert zd[0] == down[0] and zd[1] == zu[1] == zd[2] == zu[2] == 0.0
    assert rt.bath_rates(0.0, 0.1, 0.7, 20.0)[0] == pytest.approx(0.49 / 0.1)  # limit g^2/beta
    assert rt.ohmic_spectral_density(20.0, 1.0, 20.0) == pytest.approx(10.0)
    np.testing.assert_allclose(rt.thermal_occupation(0.1, [8.0]), 1 / np.expm1(0.8))


def test_the_load_alone_reaches_its_closed_form_not_exactly_the_gibbs_state():
    dev = rt.RotorDevice(rt.RotorParameters(I=1.0, lam=0.0, l_max=40))
    s = rt.steady_state(dev, FIG2)
    p = dev.rotor_populations(s.x)
    np.testing.assert_allclose(p, steady_populations(dev.l, 1.0, 0.09), atol=1e-12)
    up, down = rt.load_rates(dev.l, 1.0, 0.09, 5e-5)
    assert up[-1] < down[-1] and rt.load_rates(4 / 0.09, 1.0, 0.09, 1.0)[0] == pytest.approx(0)
    gibbs = rt.rotor_gibbs(dev.l, 1.0, 0.09)
    assert 1e-3 < 0.5 * np.abs(p - gibbs).sum() < 1e-2  # first order in beta_r/4I only
    eps = rt.load_exponent_error(np.array([0.0, 5.0, 32.0]), 1.0, 0.09)
    c = 0.09 / 4
    assert eps[0] == pytest.approx(np.log(1 + c) / c - 1, rel=1e-12)  # -c/2 + O(c^2)
    assert abs(eps[1]) < 0.02 and eps[2] > 0.2  # a percent at l = 5, 25 % off at l = 32


def test_sector_rejects_what_breaks_the_symmetry_and_non_unique_states():
    dev = device(l_max=4)
    A, B = dev.load_operators(0.09)
    dev.sector.dissipator(A, B)  # the pair together is rotation invariant
    with pytest.raises(ValueError, match="weak symmetry"):
        dev.sector.dissipator(A)
    with pytest.raises(ValueError, match="unique"):
        dev.sector.steady_state(dev.sector.hamiltonian(dev.H))


def test_linear_family_and_sector_basics():
    rng = np.random.default_rng(1)
    mats = [sp.random(6, 6, density=0.4, random_state=k) for k in range(3)]
    w = rng.normal(size=3)
    fam = LinearFamily(mats)
    np.testing.assert_allclose(fam(w).toarray(), sum(wk * M.toarray() for wk, M in zip(w, mats)))
    sec = Sector([0, 1, 1, 2])
    assert sec.m == 1 + 4 + 1
    X = rng.normal(size=(4, 4))
    Y = sec.matrix(sec.vector(X))
    assert Y[1, 2] == X[1, 2] and Y[0, 1] == 0
    assert sec.functional(np.eye(4)) @ sec.vector(X) == pytest.approx(np.trace(X))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rt.RotorParameters(B1=0), "B1"),
        (lambda: rt.RotorParameters(I=-1), "I"),
        (lambda: rt.RotorParameters(lam=-0.1), "lam"),
        (lambda: rt.RotorParameters(l_max=5, l_min=5), "l_min"),
        (lambda: rt.rotor_operators(2.5), "l_max"),
        (lambda: rt.Baths(beta1=0.0), "beta1"),
        (lambda: rt.Baths(chi=1.5), "chi"),
        (lambda: rt.Baths(continuation="odd"), "continuation"),
        (lambda: device(l_max=3).liouvillian(FIG2, equation="exact"), "equation"),
        (lambda: rt.thermal_occupation(0.0, 8.0), "beta"),
        (lambda: Sector(np.zeros((2, 2, 2))), "charges"),
        (
            lambda: rt.evolve(
                device(l_max=3), device(l_max=3).initial_state(FIG2), [1.0, 0.5], FIG2
            ),
            "tlist",
        ),
        (lambda: thermo.best_tradeoff([1.0], [1.0], 2.0), "alpha"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_evolution_equals_the_matrix_exponential_and_reaches_the_steady_state():
    import scipy.linalg as sla

    dev = rt.RotorDevice(rt.RotorParameters(B1=10, B2=10, I=1.0, lam=0.1, l_max=8))
    baths = replace(FIG2, gamma=5e-3)
    L = dev.liouvillian(baths).L
    x0 = dev.initial_state(baths)
    tlist = [0.0, 3.0, 50.0, 800.0]
    ev = rt.evolve(dev, x0, tlist, baths)
    for t, x in zip(tlist, ev.states):
        np.testing.assert_allclose(x, sla.expm(L.toarray() * t) @ x0, atol=1e-10)
    np.testing.assert_allclose(ev.times, tlist)
    np.testing.assert_allclose(ev.kinetic, ev.intrinsic + ev.back_action, atol=1e-12)  # Eq. (31)
    np.testing.assert_allclose(ev.populations.sum(axis=1), 1.0, atol=1e-12)
    far = rt.evolve(dev, x0, [0.0, 1e7], baths)
    np.testing.assert_allclose(far.states[-1], rt.steady_state(dev, baths).x, atol=1e-9)
    assert abs(far.net[-1]) < 1e-12 and abs(far.kinetic[-1]) < 1e-12


def test_regimes_find_the_sign_changes():
    dev = device(l_max=30)
    reg = ra.regimes(dev, FIG2, np.linspace(0.3, 0.65, 8))
    at = lambda r: rt.steady_state(dev, FIG2.at_ratio(r))  # noqa: E731
    assert abs(at(reg.engine_to_accelerator).W_Q) < 1e-9
    assert abs(at(reg.accelerator_to_refrigerator).Q1) < 1e-9
    assert 0.3 < reg.engine_to_accelerator < reg.accelerator_to_refrigerator < 0.65
    assert reg.cop_peak_ratio == pytest.approx(0.65)


def test_rectification_vanishes_for_a_mirror_symmetric_device():
    """B1 = B2, chi = 0: exchanging the qubits and l -> -l maps the swapped device onto itself."""
    dev = rt.RotorDevice(rt.RotorParameters(B1=10, B2=10, I=1.0, lam=0.1, l_max=30))
    r = ra.rectification(dev, replace(FIG2, g=0.5), [0.0, 0.5])
    assert r.R[0] < 1e-8 and r.R[1] > 0.1
    assert r.Lz[0] == pytest.approx(-r.Lz_swap[0], rel=1e-8)  # the rotation reverses
    np.testing.assert_allclose(r.R_angular_abs[0], 0.0, atol=1e-8)


def test_ergotropies_match_the_general_formula():
    dev = device(l_max=12)
    sw = rt.sweep(dev, [FIG2.at_ratio(r) for r in (0.05, 0.6)])
    E = dev.ergotropies(sw.x)
    sz, one = qutip.sigmaz(), qutip.qeye(2)
    for k, x in enumerate(sw.x):
        rho = dev.density_matrix(x)
        Hq = 4 * qutip.tensor(sz, one) + 10 * qutip.tensor(one, sz)
        assert E["total"][k] == pytest.approx(ergotropy(rho, dev.H), abs=1e-12)
        assert E["qubits"][k] == pytest.approx(ergotropy(rho.ptrace([0, 1]), Hq), abs=1e-12)
        rotor = np.diag(dev.l**2 / 2)
        assert E["rotor"][k] == pytest.approx(ergotropy(rho.ptrace(2).full(), rotor), abs=1e-12)
    assert E["total"][0] > 1.0 and abs(E["qubit1"]).max() < 1e-12


def test_thermo_bounds_and_rectification():
    assert thermo.carnot_efficiency(0.02, 0.1) == pytest.approx(0.8)
    assert thermo.carnot_cop(0.08, 0.1) == pytest.approx(4.0)  # T_c/(T_h - T_c)
    assert thermo.carnot_cop(0.08, 0.1, pump=True) == pytest.approx(5.0)
    np.testing.assert_allclose(thermo.rectification_coefficient([1.0, 2.0], [1.0, -1.0]), [0, 3])
    assert thermo.best_tradeoff([0.1, 0.9, 0.5], [3.0, 0.0, 1.0], 0.5) == 0
