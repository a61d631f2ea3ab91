"""Studies and figures of the common-reservoir battery (Quach & Munro 2020) built on the solvers."""

import numpy as np
import pytest

from qbkit.book import Figure
from qbkit.models import common_reservoir as cr
from qbkit.models.common_reservoir import analysis, plots
from qbkit.series import last_above


def test_family_binds_gamma_nbar_and_battery():
    fam = analysis.Family(gamma=0.5, nbar=0.3, battery="thermal")
    m = fam.model(3, 2)
    assert (m.N_C, m.N_B, m.gamma, m.nbar) == (6, 2, 0.5, 0.3)
    assert fam.model(3, 2, 0.0).nbar == 0.0
    direct = cr.steady_energy_densities(m, battery="thermal")[1]
    assert fam.E_ss(3, 2) == direct
    assert fam.E_ss(1, 1, 0.0, "ground") == pytest.approx(0.25, abs=1e-14)  # Eq. (5)
    assert fam.peaks(2, 1) is fam.peaks(2, 1)  # cached
    assert fam.peaks(2, 1, 101) is not fam.peaks(2, 1)
    with pytest.raises(ValueError, match="battery"):
        analysis.Family(battery="full")
    with pytest.raises(ValueError, match="gamma"):
        analysis.Family(gamma=0.0)


def test_size_limits_closed_form_and_approach_exponents():
    lim = analysis.size_limits([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    R = lim.R
    np.testing.assert_allclose(lim.E_vs_R[1], (R / (R + 1.0)) ** 2, atol=1e-12)  # N_B = 1
    assert np.all(lim.E_vs_N_B[1] <= 0.5)  # R = 1: <J_B^z> <= 0 in every dark state
    fits = lim.deficit_exponents()
    assert -0.55 < fits[1] < -0.45  # R = 1: to 1/2 like N_B^(-1/2)
    assert -1.05 < fits[2] < -0.95 and -1.05 < fits[5] < -0.95  # R > 1: to 1 like 1/N_B
    assert np.all(lim.W_over_E_vs_R <= 1 + 1e-12)
    with pytest.raises(ValueError, match="sizes"):
        analysis.size_limits([0, 1])


def test_discharge_study_single_spin_decays_at_2_gamma():
    study = analysis.discharge_study([1, 2, 3], np.linspace(0.0, 2.0, 801), gamma=1.3)
    half = study.half_life_ratio
    # one spin: no collective effect, dephasing changes nothing (grid step 2.5e-3 / gamma)
    assert half["collective"][0] == pytest.approx(1.0, abs=1e-4)
    assert half["dephased"][0] == pytest.approx(1.0, abs=1e-4)
    assert np.all(half["collective"][1:] < half["dephased"][1:])  # superradiance, then slower
    np.testing.assert_allclose(study.initial_rate_ratio, 1.0, atol=1e-9)  # uncorrelated spins
    assert study.trapped.shape == (3,) and np.all(study.trapped >= 0)
    with pytest.raises(ValueError, match="gamma"):
        analysis.discharge_study([1], [0.0, 1.0], gamma=-1.0)


def test_peak_table_and_grid_change():
    fam = analysis.Family()
    (row,) = analysis.peak_table(fam.peaks, [(5, 2)])
    p = fam.peaks(5, 2)
    assert row[:3] == (5, 2, len(p.S_maxima)) and row[5:] == (p.t_P, p.lag, p.lag / p.t_P)

    class Peaks:
        def __init__(self, points):
            self.P_max, self.dS_max, self.lag = 1.0 + 1.0 / points, 0.0, 2.0

    change = analysis.peak_grid_change(lambda r, n, points: Peaks(points), [(1, 1)])
    assert change["P_max"] == pytest.approx((1 / 401 - 1 / 801) / (1 + 1 / 801))
    assert change["dS_max"] == 0.0 and change["lag"] == 0.0


def test_mesolve_deviation_is_small_and_can_fail():
    m = cr.CommonReservoir(2, 2, 1.0, 0.2)
    dist, dS = analysis.mesolve_deviation(m, np.linspace(0.0, 1.0, 11), battery="thermal")
    assert dist < 1e-8 and dS < 1e-8
    with pytest.raises(ValueError, match="tlist"):
        analysis.mesolve_deviation(m, [1.0, 0.0])


def test_temperature_trends():
    T = np.linspace(0, 10, 50)
    curves = {1: 0.3 + 0.01 * T, 2: 0.5 + 0.01 * (T - 3) ** 2, 3: 0.5 + 1 / (1 + T), 4: 0.6 - 0 * T}
    assert all(analysis.temperature_trends(curves).values())
    curves[3] = 0.4 + 0 * T
    trends = analysis.temperature_trends(curves)
    assert trends["R=3,4 fall monotonically"] and not trends["R=3,4 stay above 1/2"]
    with pytest.raises(KeyError):
        analysis.temperature_trends({1: T})


def test_appendix_population_rates_are_those_of_the_half_rate_dissipator():
    rows = analysis.appendix_rates(0.3)
    assert len(rows) == len(analysis.APPENDIX_RATES)
    populations = [r for r, (_, i, j, *_) in zip(rows, analysis.APPENDIX_RATES) if i == j]
    assert populations and all(np.isclose(r[1], r[3]) for r in populations)
    assert not all(np.isclose(r[1], r[2]) for r in populations)  # not those of Eq. (2) as written


def test_last_above():
    t = np.linspace(0.0, 10.0, 101)
    assert last_above(t, np.exp(-t)) == pytest.approx(4.6)  # e^-t > 0.01 until t = ln 100
    assert last_above(t, -np.exp(-t), 0.5) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="zero everywhere"):
        last_above(t, 0 * t)
    with pytest.raises(ValueError, match="fraction"):
        last_above(t, t, 1.5)


def test_figures_record_their_curves(monkeypatch, tmp_path):
    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    fam, t = analysis.Family(), np.linspace(0.0, 0.5, 21)
    runs = {n: fam.charge(5, n, t) for n in (1, 2)}
    with Figure("t-fig5", 2, 2, x=plots.TG) as fig:
        dS = {3: np.array([0.1, 0.2]), 5: np.array([0.3, 0.4])}
        plots.draw_fig5(fig, runs, dS, dS, N_B=np.array([1, 2]), gamma=1.0)
    assert {"gamma_t", "P_B(N_B=2)", "dS_B(N_B=1)", "N_B", "lag(R=5)"} <= set(fig.columns)
    with Figure("t-limits", 2, 2) as fig:
        plots.draw_limits(fig, analysis.size_limits([1, 2, 5]))
    assert {"R", "(R/(R+1))^2", "deficit(R=1)", "1-W/E(R=5)"} <= set(fig.columns)
    assert (tmp_path / "t-limits.csv").exists() and (tmp_path / "t-fig5.png").exists()
