"""qbkit list / qbkit run: validation before anything runs, safe output folders, a real run."""

import json
import subprocess
import sys

import numpy as np
import pytest
import qutip

from qbkit.book import runner
from qbkit.book.cli import main
from qbkit.book.params import ParameterError
from qbkit.book.registry import get_chapter, validate_parameters
from qbkit.collision import Ladder, collide_exact, qubit_state
from qbkit.dicke import DickeEnsemble
from qbkit.models import collisional_battery as cb
from qbkit.models import common_reservoir as cr
from qbkit.models import ensemble_battery as eb
from qbkit.models import flywheel as fw
from qbkit.models import rotor as rt
from qbkit.series import refine_peak
from qbkit.thermo import bose_occupation

CHAPTER = "quach2020_dark_states"
AGING = "pirmoradian2019_aging"
SALVIA = "salvia2023_collisional_charging"
LEITCH = "leitch2024_quantum_rotor"
MARTINS = "martins2023_rydberg_flywheel"


@pytest.mark.parametrize(
    "argv, names",
    [
        (["run", "no_such_chapter"], "CHAPTER"),
        (["run", CHAPTER, "-p", "N_C", "3"], "N_C"),  # unknown parameter
        (["run", CHAPTER, "-p", "N_B", "0"], "N_B"),  # out of range
        (["run", CHAPTER, "-p", "gamma", "-1"], "gamma"),  # out of range
        (["run", CHAPTER, "-p", "N_B", "2.5"], "N_B"),  # wrong type
        (["run", CHAPTER, "-p", "gamma", "fast"], "gamma"),  # wrong type
        (["run", CHAPTER, "-p", "T", "nan"], "T"),  # not finite
        (["run", CHAPTER, "-p", "battery_initial", "hot"], "battery_initial"),
        (["run", AGING, "-p", "N", "1"], "N"),  # no pairs: cumulants undefined
        (["run", AGING, "-p", "N", "1000"], "N"),  # beyond the exact solver's range
        (["run", AGING, "-p", "Gamma", "-5"], "Gamma"),
        (["run", AGING, "-p", "tau_s", "0"], "tau_s"),
        (["run", AGING, "-p", "t_release", "1"], "t_release"),
        (["run", SALVIA, "-p", "d_osc", "10"], "d_osc"),  # too few levels for the figures
        (["run", SALVIA, "-p", "two_j", "0"], "two_j"),
        (["run", SALVIA, "-p", "q", "1.5"], "q"),
        (["run", SALVIA, "-p", "theta_fig2", "0"], "theta_fig2"),
        (["run", SALVIA, "-p", "gamma_fig5", "-0.1"], "gamma_fig5"),
        (["run", SALVIA, "-p", "Omega_tau_max", "20"], "Omega_tau_max"),  # renamed: unknown
        (["run", LEITCH, "-p", "L_max", "10"], "L_max"),  # too small for the figures
        (["run", LEITCH, "-p", "chi", "1"], "chi"),  # qubit 1 would lose its bath
        (["run", LEITCH, "-p", "I", "0"], "I"),
        (["run", LEITCH, "-p", "beta1", "-0.1"], "beta1"),
        (["run", LEITCH, "-p", "gamma", "0"], "gamma"),  # no load: no steady state
        (["run", MARTINS, "-p", "omega", "0"], "omega"),
        (["run", MARTINS, "-p", "N_fock", "5"], "N_fock"),  # too few Fock states for the figures
        (["run", MARTINS, "-p", "N_fock", "60.5"], "N_fock"),
        (["run", MARTINS, "-p", "t_max", "1"], "t_max"),  # too short for the charging fit
        (["run", MARTINS, "-p", "n_grid", "2"], "n_grid"),
        (["run", MARTINS, "-p", "Delta_max", "inf"], "Delta_max"),
        (["run", MARTINS, "-p", "edge_tol", "1e-3"], "edge_tol"),  # the top state must stay < 1e-6
        (["run", MARTINS, "-p", "band", "2"], "band"),
        (["run", MARTINS, "-p", "N_check", "120"], "N_check"),  # replaced by edge_tol and band
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, argv, names):
    out = tmp_path / "run"
    assert main(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{names}'" in err[0], err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_input_leaves_an_existing_result_untouched(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (out / "run.log").write_text("earlier run")
    assert main(["run", CHAPTER, "-p", "gamma", "0", "--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["run.log", "summary.json"]


def test_refuses_to_replace_a_folder_that_is_not_a_run(tmp_path, capsys):
    sources = tmp_path / "notebooks"
    sources.mkdir()
    (sources / "precious.ipynb").write_text("{}")
    assert main(["run", CHAPTER, "--out", str(sources)]) == 2
    assert "'--out'" in capsys.readouterr().err
    assert [p.name for p in sources.iterdir()] == ["precious.ipynb"]


def test_failed_run_leaves_an_existing_result_untouched(tmp_path, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text('{"good": 1}')
    (out / "run.log").write_text("earlier run")

    def fail(source, target, parameters=None, env=None, progress=False, timeout=0):
        (tmp_path / "partial").mkdir()  # something a failing run might leave of its own
        raise runner.ChapterFailed("quach2020_dark_states: cell 3 raised ValueError: boom")

    monkeypatch.setattr(runner, "execute_notebook", fail)
    assert main(["run", CHAPTER, "-p", "T", "0.5", "--out", str(out), "--force"]) == 1
    assert json.loads((out / "summary.json").read_text()) == {"good": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["partial", "run"]  # no staging left


def test_list_shows_every_parameter_with_type_default_and_help(capsys):
    assert main(["list", CHAPTER]) == 0
    text = capsys.readouterr().out
    for p in get_chapter(CHAPTER).parameters().values():
        assert p.name in text and p.help in text and p.help


def test_module_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "qbkit", "run", CHAPTER, "-p", "R", "0"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "'R'" in done.stderr


def test_validate_parameters_as_in_the_notebook():
    params = get_chapter(CHAPTER).parameters()
    values = {k: p.default for k, p in params.items()}
    assert dict(validate_parameters(CHAPTER, **values)) == values
    with pytest.raises(TypeError, match="'N_B'"):
        validate_parameters(CHAPTER, **{**values, "N_B": 2.0})
    with pytest.raises(ValueError, match="'T'"):
        validate_parameters(CHAPTER, **{**values, "T": -1.0})
    with pytest.raises(ValueError, match="'R_max'"):
        validate_parameters(CHAPTER, **{k: v for k, v in values.items() if k != "R_max"})
    with pytest.raises(ParameterError, match="'CHAPTER'"):
        get_chapter("nope")


def test_run_with_changed_parameters_writes_everything(tmp_path):
    """A real run (about a minute): figures, data, summary reflecting the change."""
    out = tmp_path / "warm"
    code = main(
        [
            "run",
            CHAPTER,
            "-p",
            "T",
            "0.5",
            "-p",
            "N_B_max",
            "4",
            "-p",
            "R_max",
            "4",
            "-p",
            "gamma",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {f"{CHAPTER}.ipynb", "summary.json", "parameters.json", "run.log"} <= names
    figures = sorted(n[:-4] for n in names if n.endswith(".png"))
    assert len(figures) == 7
    for stem in figures:
        assert (out / f"{stem}.pdf").stat().st_size > 1000
        header = (out / f"{stem}.csv").read_text().splitlines()[:3]
        assert header[0].startswith("# ") and "hbar*omega" in (out / f"{stem}.csv").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads((out / "parameters.json").read_text())["T"] == 0.5
    # the summary follows the changed temperature ...
    nbar = bose_occupation(0.5)
    two = cr.CommonReservoir(1, 1, nbar=nbar)
    expected = cr.steady_state(two, two.initial_state()).Jz_B() + 0.5
    assert summary["E_B_ss(R=1,N_B=1)"] == pytest.approx(expected, rel=1e-5)
    assert summary["E_B_ss(R=1,N_B=1)"] != pytest.approx(0.25, rel=1e-3)
    # ... and the rate: power per unit time doubles with gamma (the T = 0.5 dynamics at gamma = 1)
    ref = cr.charge(
        cr.CommonReservoir(5, 1, nbar=nbar), np.linspace(0, 2 * (1 + np.log(6)) / 6, 401)
    )
    assert summary["P_B_max(R=5,N_B=1)"] == pytest.approx(
        2 * refine_peak(ref.times, ref.power_density_B)[1], rel=1e-3
    )


def test_aging_run_with_changed_parameters(tmp_path):
    """A real run of the aging chapter at N = 40 and a longer discharge (about half a minute)."""
    out = tmp_path / "aging"
    assert main(["run", AGING, "-p", "N", "40", "-p", "tau_d", "0.03", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for stem in ("pirmoradian2019-fig2", "pirmoradian2019-fig3", "pirmoradian2019-Nscan"):
        assert {f"{stem}.png", f"{stem}.pdf", f"{stem}.csv"} <= names
    summary = json.loads((out / "summary.json").read_text())
    # keys and values follow the changed parameters
    S = eb.limit_cycle(DickeEnsemble(40), eb.Protocol(0.0187, 0.03)).S  # the fixed point
    assert summary["S_limit_cycle(tau_s=0.0187,tau_d=0.03,exact)"] == pytest.approx(
        S, rel=1e-5
    )  # summary values carry 6 digits
    assert summary["S_first_order_corrected(tau_d=0.03,tau_s=0.0187)"] == pytest.approx(
        eb.limit_cycle_spin_length_first_order(40, 0.0187, 0.03), rel=1e-5
    )
    assert summary["S_eq8(tau_s=0.0187,tau_d=0.03)"] == pytest.approx(
        eb.limit_cycle_spin_length(40, 0.0187, 0.03)
    )
    assert summary["M_over_N_storage(t=0.2)_exact"] == pytest.approx(np.exp(-0.2) - 0.5, rel=1e-5)


def test_collisional_run_with_changed_parameters(tmp_path):
    """A real run of the collisional-charging chapter on smaller batteries (about 20 s)."""
    out = tmp_path / "salvia"
    argv = [
        "run",
        SALVIA,
        "-p",
        "d_osc",
        "100",
        "-p",
        "two_j",
        "19",
        "-p",
        "gamma_fig5",
        "0.002",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    names = {p.name for p in out.iterdir()}
    for fig in ("fig2", "fig3", "fig4", "fig5", "fig6"):
        assert {f"salvia2023-{fig}.{ext}" for ext in ("png", "pdf", "csv")} <= names
    summary = json.loads((out / "summary.json").read_text())
    j = 9.5
    # Eq. (29) corrected in closed form, and the full-swap time (30) as a plain sum (smaller spin)
    assert summary["Omega_tau_full_charge_spin_bound"] == pytest.approx(
        (np.pi / 2 + np.arcsin((j - 0.5) / (j + 0.5))) / cb.R0, rel=1e-5
    )
    m = np.arange(-j, j)
    assert summary["Omega_tau_full_charge_spin_fullswap"] == pytest.approx(
        np.sum(np.pi / (2 * np.sqrt(j * (j + 1) - m * (m + 1)))), rel=1e-5
    )
    # the coherent spin energy against the dense unitary + partial trace, collision by collision
    spin, theta = Ladder.spin(j), 0.001 * np.pi
    rho = spin.ground()
    for _ in range(1000):
        rho = collide_exact(spin, rho, theta, qubit_state(0.5))
    assert summary["E_coh_spin(theta=0.001pi,Omega_tau=pi)"] == pytest.approx(
        spin.energy(rho), rel=1e-5
    )
    # the 100-level ceiling already holds the energy down at Omega tau = 20 (95.72 with 250 levels)
    assert 80 < summary["E_coh_osc(theta=0.01pi,Omega_tau=20)"] < 95
    # the greedy spin schedules end below the bound, which is full (2j) by Omega tau = 5
    for objective in ("per_step", "cumulative"):
        assert 0.9 * 2 * j < summary[f"E_greedy_spin(Omega_tau=5,objective={objective})"] < 2 * j


def test_rotor_run_with_changed_parameters(tmp_path):
    """A real run of the rotor chapter with a stronger coupling and a smaller rotor (about 60 s)."""
    out = tmp_path / "leitch"
    assert main(["run", LEITCH, "-p", "lam", "0.2", "-p", "L_max", "40", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for k in range(2, 9):
        assert {f"leitch2024-fig{k}.{ext}" for ext in ("png", "pdf", "csv")} <= names
    summary = json.loads((out / "summary.json").read_text())
    # Q2 at beta2/beta1 = 0.2 from a full-space qutip.steadystate and Eq. (19) in closed form
    dev = rt.RotorDevice(rt.RotorParameters(B1=4, B2=10, I=1.0, lam=0.2, l_max=30))
    baths = rt.Baths(beta1=0.1, beta2=0.02, beta_r=0.09, gamma=5e-5)
    n2 = rt.thermal_occupation(0.02, 20.0)
    rho = qutip.steadystate(dev.H, dev.collapse_operators(baths))
    Q2 = 20.0 * (
        n2 * qutip.expect(dev.sm2 * dev.sm2.dag(), rho)
        - (n2 + 1) * qutip.expect(dev.sm2.dag() * dev.sm2, rho)
    )
    assert summary["Q2_ss(beta_ratio=0.2)"] == pytest.approx(Q2, rel=1e-5)
    assert summary["Q2_ss(beta_ratio=0.2)"] != pytest.approx(0.0031167, rel=1e-2)  # lam = 0.1
    assert summary["first_law_residual_max"] < 1e-14
    scorecard = json.loads((out / "scorecard.json").read_text())
    assert {row["verdict"] for row in scorecard} == {"n/a"}  # not the paper's parameters


def test_flywheel_run_with_changed_parameters(tmp_path):
    """A short run of the flywheel chapter, checked against the library and Eq. (4) directly."""
    out = tmp_path / "martins"
    params = {"t_max": 20, "t_map": 10, "n_grid": 9, "N_fock": 20, "band": 8, "edge_tol": 1e-8}
    argv = ["run", MARTINS] + [a for k, v in params.items() for a in ("-p", k, str(v))]
    assert main(argv + ["--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for fig in ("fig2", "fig3", "figS1", "figS2"):
        assert {f"martins2023-{fig}.{ext}" for ext in ("png", "pdf", "csv")} <= names
    summary = json.loads((out / "summary.json").read_text())
    # keys that name a time hold the value at exactly that time: none is reached by t_max = 20
    assert not [k for k in summary if "t=100" in k or "t=400" in k or "t<=100" in k]
    p = fw.FlywheelParameters()
    drive = fw.TwoStroke.detuning(8.0, 0.0, 9.0)
    # the mean-field charging rate from the two density matrices of Eq. (4), not the moments
    t = np.union1d(np.arange(0, 20 + p.tau_d / 8, p.tau_d / 16), [10.0, 20.0])
    direct = fw.mean_field_density_matrices(p, drive, t)
    rate = fw.charging_rate(t, direct.x, p.tau_d, 20 / 8, 20.0)
    # the chapter's RK4 (24 steps per half period) is good to about 1e-4 in <x>
    assert summary["charging_rate(detuning,kappa2=0)"] == pytest.approx(rate, rel=1e-3)
    assert summary["exact_rel_change_tightened(t=t_max)"] < 1e-3
    lc = fw.electronic_limit_cycle(p, drive)
    assert summary["charging_rate_eq7(detuning)"] == pytest.approx(abs(lc.c1), rel=1e-5)
