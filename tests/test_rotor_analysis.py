"""Studies of the rotor device: regime searches, the inertia fit, rectification, comparisons
between master equations and the checks of the chapter, on small truncations."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from qbkit.book import Figure
from qbkit.models import rotor as rt
from qbkit.models import rotor_analysis as ra

BATHS = rt.Baths(beta1=0.1, beta2=0.02, beta_r=0.09, g=1.0, gamma=5e-5)
P = rt.RotorParameters(B1=4.0, B2=10.0, I=1.0, lam=0.1, l_max=30)
GRID = np.linspace(0.36, 0.62, 8)


def test_fit_inertia_recovers_the_moment_of_inertia_that_made_the_targets():
    made = ra.regimes(rt.RotorDevice(replace(P, I=0.8)), BATHS, GRID)
    targets = (made.engine_to_accelerator, made.accelerator_to_refrigerator)
    I_fit, rms = ra.fit_inertia(P, BATHS, targets, (0.6, 0.9), GRID, xtol=1e-5)
    assert I_fit == pytest.approx(0.8, abs=1e-3) and rms < 1e-5


def test_scan_inertia_tables_and_bounds():
    scan = ra.scan_inertia(P, BATHS, [0.8, 1.0], np.linspace(0.01, 0.9, 30))
    rows = scan.rows(0.37)
    assert len(rows) == 2 and all(len(r) == len(scan.header(0.37)) for r in rows)
    assert "0.37" in scan.header(0.37)[5]
    # the refrigerator boundary moves down as I grows (Fig. 2(f)); eta stays below Carnot
    assert scan.accelerator_to_refrigerator[0] > scan.accelerator_to_refrigerator[1]
    eta, cop = ra.bound_ratios([scan], BATHS.beta1)
    assert 0 < eta < 1 and 0 < cop < 1
    np.testing.assert_allclose(scan.cop_peak_ratio, 0.9)  # the COP grows to the end of the sweep


def test_identities_hold_along_a_local_sweep():
    dev = rt.RotorDevice(P)
    sw = rt.ratio_sweep(dev, BATHS, [0.1, 0.3, 0.6])
    ident = ra.identities(dev, sw, BATHS)
    assert ident["eq23"] < 1e-12 and ident["sum_rule"] < 1e-8
    assert ident["thermal_identity"] < 1e-12 and 0 < ident["thermal"] < 1e-3
    assert ident["W_r"] < 1e-6
    assert isinstance(sw[0:2], rt.Sweep) and len(sw[0:2]) == 2


def test_qutip_differences_on_a_small_rotor():
    dev = rt.RotorDevice(replace(P, l_max=3))
    diffs = ra.qutip_differences(dev, BATHS.at_ratio(0.3), ["local", "global", "redfield"])
    assert max(diffs.values()) < 1e-10


def test_compare_equations_agree_for_weak_baths_only():
    dev = rt.RotorDevice(P)
    rows, ratio = ra.compare_equations(dev, BATHS, (1.0, 0.01), (0.8,))
    assert len(rows) == 2 and len(rows[0]) == len(ra.COMPARISON_HEADER)
    assert ratio[0.01, 0.8] == pytest.approx(1.0, abs=1e-3) and abs(ratio[1.0, 0.8] - 1) > 0.3


def test_lambda_limit_dissipators_converge_linearly():
    lim = ra.lambda_limit(P, BATHS.at_ratio(0.2), (1e-2, 1e-3), (0.03,), (20.0,))
    gap = lim.dissipator_gap
    assert gap[1e-3] < 2e-2 and gap[1e-2] / gap[1e-3] == pytest.approx(10, rel=0.05)
    np.testing.assert_allclose(lim.rate_factors, (8 * 400 / 464, 10.0))  # J(2B)/g^2, Omega = 20
    assert len(lim.rows[0]) == len(ra.LAMBDA_HEADER)


def test_load_range_and_the_lamb_shift_check():
    dev = rt.RotorDevice(P)
    sw = rt.ratio_sweep(dev, BATHS, [0.1, 0.5])
    (row,) = ra.load_range({"local": (dev, sw)}, BATHS.beta_r)
    l_top = np.abs(sw.Lz).max()
    assert row[1] == pytest.approx(l_top) and row[2] == pytest.approx(0.09 * l_top / 4)
    assert row[3] == pytest.approx(rt.load_exponent_error(l_top, 1.0, 0.09))
    assert ra.lamb_shift_change(dev, BATHS.at_ratio(0.3), 10.0) < 1e-6


def test_rectification_helpers():
    dev = rt.RotorDevice(P)
    rb = replace(BATHS, g=0.5)
    rects = ra.rectifications(dev, rb, (0.02, 0.05), [0.0, 0.4, 0.8])
    assert set(rects) == {0.02, 0.05}
    assert ra.tradeoff_change(rects, rects, (0.0, 1.0)) == 0.0
    rows = ra.tradeoff_table(rects, (0.0, 1.0))
    assert len(rows) == 4 and len(rows[0]) == len(ra.TRADEOFF_HEADER)
    st = ra.fig45_statements(rects[0.02], rects[0.05])
    assert st["J"] and st["J_angular"]
    assert ra.max_relative_change(rects[0.02], rects[0.02], ("R", "J")) == 0.0


def test_statement_checks_on_synthetic_curves():
    rising = SimpleNamespace(chi=np.arange(5.0), R=np.array([0.1, 0.2, 0.5, 0.6, 0.4]),
                             J=np.array([1.0, 2.0, 3.0, 2.0, 1.0]))  # fmt: skip
    early_R = SimpleNamespace(chi=rising.chi, R=np.array([0.1, 0.6, 0.5, 0.4, 0.3]), J=rising.J)
    assert ra.fig4_shape({1: rising, 2: early_R}) == {1: True, 2: False}
    t = np.concatenate([[0.0], np.geomspace(1, 1e5, 50)])
    ev = SimpleNamespace(times=t, net=np.exp(-((np.log(t + 1) - 5) ** 2)), kinetic=np.exp(-t / 1e3))
    assert ra.appendix_c_statements(ev)
    ev.kinetic = np.exp(-t / 1e3) + 1e-3 * np.sin(t)
    assert not ra.appendix_c_statements(ev)


def test_panels_record_what_they_draw():
    dev = rt.RotorDevice(replace(P, l_max=20))
    ratios = np.linspace(0.3, 0.6, 4)
    reg = ra.regimes(dev, BATHS, ratios)
    fig = Figure("test-rotor", 1, 3, x=("beta2_over_beta1", "1"))
    ra.draw_flows(fig, fig.axes[0], ratios, reg.sweep, "", reg)
    ra.draw_performance(fig, fig.axes[1], fig.axes[2], ratios, {"": (reg.sweep, 1.0)}, 0.1)
    assert {"Q1", "Q2", "W_Q", "eta", "COP", "eta_C", "COP_C", "COP_C_as_printed"} <= set(
        fig.columns
    )
    np.testing.assert_allclose(fig.columns["Q2"][0], reg.sweep.Q2)
    assert fig.columns["Q1"][1] == "B^2"
