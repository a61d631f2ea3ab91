"""Rotor device: symmetry-sector solutions against full-space QuTiP, first law, global vs Bloch-Redfield."""

import numpy as np
import pytest
import qutip
import scipy.sparse as sp

from qbkit.models import rotor as rt
from qbkit.sectors import LinearFamily, Sector

FIG2 = dict(beta_r=0.09, g=1.0, gamma=5e-5)


def test_rotor_operators():
    ops = rt.rotor_operators(5)
    e, Lz = ops["exp_iphi"], ops["Lz"]
    assert (e * Lz - Lz * e - (-e)).norm() < 1e-14  # [e^{i phi}, L_z] = -e^{i phi}, below Eq. (3)
    one = ops["cos_phi"] ** 2 + ops["sin_phi"] ** 2
    np.testing.assert_allclose(one.diag()[1:-1], 1.0)  # cos^2 + sin^2 = 1 away from the two edges
    assert Lz.diag()[0] == -5 and Lz.diag()[-1] == 5


@pytest.mark.parametrize("chi, ratio", [(0.0, 0.2), (0.4, 0.7), (-0.3, 0.45)])
def test_local_steady_state_equals_full_space_qutip(chi, ratio):
    dev = rt.RotorDevice(4, 10, I=1.0, lam=0.1, L_max=10)
    L, _ = dev.liouvillian(0.1, ratio * 0.1, chi=chi, **FIG2)
    full = qutip.liouvillian(dev.H, dev.collapse_operators(0.1, ratio * 0.1, chi=chi, **FIG2))
    assert abs(dev.sector.restrict(full) - L).max() < 1e-12
    x = dev.sector.steady_state(L)
    rho = qutip.steadystate(dev.H, dev.collapse_operators(0.1, ratio * 0.1, chi=chi, **FIG2))
    np.testing.assert_allclose(dev.sector.matrix(x), rho.full(), atol=1e-10)
    assert dev.sector.trace(x) == pytest.approx(1.0, abs=1e-13)


def test_global_equation_equals_secular_bloch_redfield():
    dev = rt.RotorDevice(4, 10, I=1.0, lam=0.3, L_max=3)
    beta1, beta2, g, chi, cutoff = 0.1, 0.03, 1.0, 0.3, 20.0

    def spectrum(beta, gi):
        def S(w):  # emission for w > 0 (QuTiP's convention); S(0) only meets zero matrix elements
            if w == 0:
                return 0.0
            J = rt.ohmic_spectral_density(abs(w), gi, cutoff)
            n = rt.thermal_occupation(beta, abs(w))
            return J * (n + 1) if w > 0 else J * n

        return S

    A, B = dev.load_operators(0.09)
    k = np.sqrt(2 * dev.I * 5e-5 / 0.09)
    R = qutip.bloch_redfield_tensor(
        dev.H,
        a_ops=[
            (dev.sm1 + dev.sm1.dag(), spectrum(beta1, g * (1 - chi))),
            (dev.sm2 + dev.sm2.dag(), spectrum(beta2, g * (1 + chi))),
        ],
        c_ops=[k * A, k * B],
        sec_cutoff=1e-6,
        fock_basis=True,
    )
    rho = qutip.steadystate(R)
    x = dev.steady_state(beta1, beta2, 0.09, g, chi, 5e-5, equation="global", cutoff=cutoff)
    np.testing.assert_allclose(dev.sector.matrix(x), rho.full(), atol=1e-10)


@pytest.mark.parametrize("equation", ["local", "global"])
def test_first_law_and_heat_formula(equation):
    dev = rt.RotorDevice(4, 10, I=1.0, lam=0.1, L_max=25)
    beta1, beta2 = 0.1, 0.03
    L, parts = dev.liouvillian(beta1, beta2, equation=equation, **FIG2)
    x = dev.sector.steady_state(L)
    c = dev.currents(x, parts, equation)
    scale = abs(c.Q1) + abs(c.Q2)
    assert scale > 1e-4 and c.first_law_residual < 1e-12 * scale
    assert abs(c.dU) < 1e-9 * scale  # steady: rounding of a solve whose entries reach L_max^2/2I
    if equation == "local":  # Eq. (19) in closed form
        rho = dev.density_matrix(x)
        for Q, sm, B, beta in ((c.Q1, dev.sm1, 4, beta1), (c.Q2, dev.sm2, 10, beta2)):
            n = rt.thermal_occupation(beta, 2 * B)
            closed = (
                2
                * B
                * (
                    n * qutip.expect(sm * sm.dag(), rho)
                    - (n + 1) * qutip.expect(sm.dag() * sm, rho)
                )
            )
            assert Q == pytest.approx(closed, rel=1e-10)
    else:
        assert c.W_Q == 0.0


def test_bath_rates_obey_detailed_balance():
    for w in (8.0, -3.0, 20.0):
        down, up = rt._bath_rates(w, 0.1, 0.7, 20.0)
        assert down / up == pytest.approx(np.exp(0.1 * w), rel=1e-12)
    assert rt.ohmic_spectral_density(20.0, 1.0, 20.0) == pytest.approx(10.0)
    assert rt.thermal_occupation(0.1, 8.0) == pytest.approx(1 / (np.exp(0.8) - 1))


def test_sector_rejects_what_breaks_the_symmetry_and_non_unique_states():
    dev = rt.RotorDevice(4, 10, L_max=4)
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
        (lambda: rt.RotorDevice(0, 10), "B1"),
        (lambda: rt.RotorDevice(4, 10, I=-1), "I"),
        (lambda: rt.RotorDevice(4, 10, lam=-0.1), "lam"),
        (lambda: rt.rotor_operators(2.5), "L_max"),
        (
            lambda: rt.RotorDevice(4, 10, L_max=3).liouvillian(0.1, 0.05, 0.09, equation="exact"),
            "equation",
        ),
        (lambda: rt.thermal_occupation(0.0, 8.0), "beta"),
        (lambda: Sector(np.zeros((2, 2, 2))), "charges"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_evolution_equals_the_matrix_exponential_and_reaches_the_steady_state():
    import scipy.linalg as sla

    dev = rt.RotorDevice(10, 10, I=1.0, lam=0.1, L_max=8)
    L, _ = dev.liouvillian(0.1, 0.02, 0.09, gamma=5e-3)
    x0 = dev.initial_state(0.1, 0.02)
    times = [0.0, 3.0, 50.0, 800.0]
    xs = dev.evolve(L, x0, times)
    for t, x in zip(times, xs):
        np.testing.assert_allclose(x, sla.expm(L.toarray() * t) @ x0, atol=1e-10)
    far = dev.evolve(L, x0, [1e7])[0]
    np.testing.assert_allclose(far, dev.sector.steady_state(L), atol=1e-9)
    with pytest.raises(ValueError, match="times"):
        dev.evolve(L, x0, [-1.0])
