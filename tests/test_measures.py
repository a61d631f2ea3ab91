"""Ergotropy, log negativity, thermal occupations and time-series helpers on known cases."""

import numpy as np
import pytest
import qutip

from qbkit.entanglement import log_negativity
from qbkit.ergotropy import (
    ergotropy,
    ergotropy_from_populations,
    passive_energy,
    passive_energy_from_spectrum,
)
from qbkit.series import interior_maxima, is_monotonic, r_squared, refine_peak
from qbkit.thermo import bose_occupation, gibbs_populations


def test_ergotropy_of_known_states():
    H = qutip.jmat(0.5, "z")
    assert ergotropy(qutip.basis(2, 0), H) == pytest.approx(1.0)
    assert ergotropy(qutip.basis(2, 1), H) == pytest.approx(0.0, abs=1e-14)
    assert ergotropy((-2.0 * H).expm().unit(), H) == pytest.approx(0.0, abs=1e-14)
    plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    assert ergotropy(plus, H) == pytest.approx(0.5)  # pure state: energy + 1/2
    H3 = qutip.qdiags([0.0, 1.0, 3.0], 0)
    rho = qutip.qdiags(
        [0.2, 0.3, 0.5], 0
    )  # inverted populations: passive energy 0.5*0 + 0.3*1 + 0.2*3
    assert passive_energy(rho, H3) == pytest.approx(0.9)
    assert ergotropy(rho, H3) == pytest.approx(0.3 + 1.5 - 0.9)


def test_vectorized_ergotropy_matches_general_on_random_diagonal_states():
    rng = np.random.default_rng(1)
    E = np.array([1.5, 0.5, -0.5, -1.5])
    p = rng.random((20, 4))
    p /= p.sum(axis=1, keepdims=True)
    fast = ergotropy_from_populations(p, E)
    slow = [ergotropy(np.diag(q), np.diag(E)) for q in p]
    np.testing.assert_allclose(fast, slow, atol=1e-13)
    assert np.all(fast >= -1e-15)


def test_passive_energy_pads_missing_eigenvalues_with_zeros():
    assert passive_energy_from_spectrum([0.6, 0.4], [-1, 0, 0, 1]) == pytest.approx(-0.6)
    with pytest.raises(ValueError, match="eigenvalues"):
        passive_energy_from_spectrum([0.5, 0.3, 0.2], [0, 1])


def test_ergotropy_input_validation():
    with pytest.raises(ValueError, match="same shape"):
        ergotropy(np.eye(2) / 2, np.eye(3))
    with pytest.raises(ValueError, match="Hermitian"):
        passive_energy(np.array([[0.5, 1.0], [0.0, 0.5]]), np.eye(2))
    with pytest.raises(ValueError, match="levels"):
        ergotropy_from_populations([0.5, 0.5], [0.0, 1.0, 2.0])


def test_log_negativity_of_bell_and_product_states():
    bell = (
        qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 1))
        - qutip.tensor(qutip.basis(2, 1), qutip.basis(2, 0))
    ).unit()
    assert log_negativity(bell) == pytest.approx(1.0)
    assert log_negativity(bell, subsystem=0) == pytest.approx(1.0)
    assert log_negativity(
        qutip.tensor(qutip.rand_dm(3, seed=1), qutip.rand_dm(2, seed=2))
    ) == pytest.approx(0.0, abs=1e-12)
    werner = 0.2 * bell.proj() + 0.8 * qutip.qeye([2, 2]) / 4  # separable: p <= 1/3
    assert log_negativity(werner) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="bipartite"):
        log_negativity(qutip.rand_dm(4))
    with pytest.raises(TypeError, match="Qobj"):
        log_negativity(np.eye(4))


def test_bose_occupation():
    assert bose_occupation(0.0) == 0.0
    assert bose_occupation(1.0) == pytest.approx(1 / (np.e - 1))
    assert bose_occupation(1000.0) == pytest.approx(1000.0 - 0.5, rel=1e-6)  # high-T expansion
    np.testing.assert_allclose(bose_occupation(np.array([0.0, 2.0])), [0.0, 1 / np.expm1(0.5)])
    with pytest.raises(ValueError, match="T"):
        bose_occupation(-1.0)


def test_gibbs_populations_detailed_balance():
    nbar = 0.7
    p = gibbs_populations([0, 1, 2], nbar)
    np.testing.assert_allclose(p[1:] / p[:-1], nbar / (nbar + 1))
    np.testing.assert_allclose(gibbs_populations([1, 0, -1], 0.0), [0, 0, 1])


def test_peak_helpers():
    t = np.linspace(0, 1, 11)
    y = 3 - (t - 0.437) ** 2
    tp, yp = refine_peak(t, y)
    assert tp == pytest.approx(0.437) and yp == pytest.approx(3.0)
    t = np.linspace(0, 10, 1001)
    maxima = interior_maxima(t, np.sin(t))
    np.testing.assert_allclose([m[0] for m in maxima], [np.pi / 2, 5 * np.pi / 2], atol=1e-5)
    assert (
        is_monotonic([1, 2, 2, 3])
        and not is_monotonic([1, 2, 1])
        and is_monotonic([3, 1], increasing=False)
    )


def test_r_squared_of_a_line_and_of_a_parabola():
    x = np.arange(1.0, 11.0)
    assert r_squared(x, 3 * x - 2) == pytest.approx(1.0)
    assert r_squared(x, np.r_[3 * x[:-1] - 2, np.nan]) == pytest.approx(1.0)  # NaN skipped
    y = (x - 5.5) ** 2  # symmetric: no linear trend at all
    assert r_squared(x, y) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(r_squared([1.0, 2.0], [1.0, 2.0]))
