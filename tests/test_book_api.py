"""The chapter-facing API of qbkit.book: verdicts, figures recorded once, tables, paper values."""

import json

import numpy as np
import pytest

from qbkit.book import Figure, Scorecard, table
from qbkit.book.chapter import ChapterRun
from qbkit.book.params import paper_value
from qbkit.book.publish import write_summary
from qbkit.book.registry import get_chapter
from qbkit.series import first_root, interior_minima, sign_changes


def test_each_verdict_is_asserted_against_its_numbers():
    sc = Scorecard("t")
    sc.add("a", "Eq. 1", 1.0, 1.0 + 1e-9, rtol=1e-6)
    sc.add("b", "Eq. 2", 2.0, 3.0, rtol=0.1, verdict="disagrees", note="factor 3/2")
    sc.add("c", "Eq. 3", 2.0, 1.0, rtol=1e-6, verdict="agrees-after-correction", corrected=1.0)
    sc.add(
        "d",
        "Fig. 1",
        0.54,
        0.54,
        atol=0.01,
        verdict="depends-on-unstated",
        unstated="I = 0.7",
        note="scan of I",
    )
    sc.add("e", "Sec. 2", True, None, verdict="not-checkable", note="no data given")
    sc.add("f", "Sec. 3", 5.0, 0.0, applies=False)
    sc.check()
    assert sc.counts() == {
        "agrees": 1,
        "disagrees": 1,
        "agrees-after-correction": 1,
        "depends-on-unstated": 1,
        "not-checkable": 1,
        "n/a": 1,
    }
    rows = sc.rows()
    assert [r["verdict"] for r in rows][-1] == "n/a" and rows[3]["unstated"] == "I = 0.7"
    assert json.loads(json.dumps(rows)) == rows  # JSON-ready
    assert 'id="t-claim-2"' in sc.to_markdown()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(paper=1.0, ours=2.0), "expected agreement"),
        (dict(paper=1.0, ours=1.0, verdict="disagrees", note="x"), "matches"),
        (dict(paper=2.0, ours=1.5, verdict="agrees-after-correction", corrected=1.0), "corrected"),
        (
            dict(paper=1.0, ours=1.0, verdict="agrees-after-correction", corrected=1.0),
            "printed value too",
        ),
        (dict(paper=True, ours=False), "expected agreement"),
    ],
)
def test_a_verdict_the_numbers_contradict_fails(kwargs, message):
    sc = Scorecard("t")
    sc.add("claim", "Eq. 1", kwargs.pop("paper"), kwargs.pop("ours"), rtol=1e-6, **kwargs)
    with pytest.raises(AssertionError, match=message):
        sc.check()


def test_scorecard_refuses_incomplete_rows():
    sc = Scorecard("t")
    sc.add("claim", "Eq. 1", 1.0, 1.0)
    with pytest.raises(ValueError, match="one claim, one row"):
        sc.add("claim", "Eq. 2", 1.0, 1.0)
    for kwargs in (
        dict(verdict="disagrees"),
        dict(verdict="depends-on-unstated", note="x"),
        dict(verdict="agrees-after-correction"),
        dict(verdict="maybe"),
    ):
        with pytest.raises(ValueError):
            sc.add("other", "Eq. 3", 1.0, 2.0, **kwargs)


def test_figure_as_context_manager_publishes_only_a_complete_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    monkeypatch.delenv("QBKIT_BOOK", raising=False)
    t = np.linspace(0, 1, 4)
    with pytest.raises(RuntimeError, match="drawing failed"):
        with Figure("broken", x=("gamma_t", "1")) as fig:
            fig.plot(fig.axes[0], t, t, name="E", unit="hbar*omega")
            raise RuntimeError("drawing failed")
    assert not list(tmp_path.glob("broken*"))
    with Figure("whole", x=("gamma_t", "1")) as fig:
        fig.plot(fig.axes[0], t, t, name="E", unit="hbar*omega")
        fig.axes[0].set(xlabel="t", ylabel="E")
    assert (tmp_path / "whole.csv").exists() and (tmp_path / "whole.png").exists()


def test_figure_records_each_curve_once_and_writes_its_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    monkeypatch.delenv("QBKIT_BOOK", raising=False)
    t = np.linspace(0, 1, 4)
    fig = Figure("demo", 1, 2, x=("gamma_t", "1"), caption="a demo")
    fig.plot(fig.axes[0], t, t**2, name="E", unit="hbar*omega")
    fig.plot(fig.axes[0], t, t**3, name="P", unit="hbar*omega*gamma")
    with pytest.raises(ValueError, match="recorded twice"):
        fig.plot(fig.axes[1], t + 1, t, name="E", unit="hbar*omega")
    fig.mesh(
        fig.axes[1],
        t,
        t[:3],
        np.ones((3, 4)),
        name="Z",
        unit="1",
        x_name="x",
        x_unit="1",
        y_name="y",
        y_unit="1",
    )
    fig.axes[0].set(xlabel="t", ylabel="E")
    with pytest.raises(ValueError, match="panel 1"):
        fig.publish()
    fig.axes[1].set(xlabel="x", ylabel="y")
    fig.publish()
    text = (tmp_path / "demo.csv").read_text().splitlines()
    assert text[0] == "# a demo" and "# E: hbar*omega" in text
    assert text[text.index("gamma_t,E,P,x,y,Z")] and len(text) == 1 + 6 + 1 + 12
    assert (tmp_path / "demo.png").stat().st_size > 1000 and (tmp_path / "demo.pdf").is_file()


def test_table_formats_numbers_and_checks_row_lengths():
    text = table(["$N$", "E", "ok"], [(1, 0.123456, True), (2, "–", False)], show=False)
    assert text.splitlines()[2] == "| 1 | 0.1235 | yes |"
    with pytest.raises(ValueError, match="row 0"):
        table(["a", "b"], [(1,)], show=False)


def test_summary_and_scorecard_files(tmp_path, monkeypatch):
    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    sc = Scorecard("t")
    sc.add("a", "Eq. 1", 1.0, 1.0)
    assert write_summary({"x": 1.23456789}, {"N": 3}, scorecard=sc) == {"x": 1.23457}
    assert json.loads((tmp_path / "scorecard.json").read_text())[0]["verdict"] == "agrees"
    with pytest.raises(ValueError, match="'y'"):
        write_summary({"y": float("nan")})


@pytest.mark.parametrize(
    "text, value",
    [
        ("1/gamma, storage time (paper: 0.0187)", 0.0187),
        ("levels (paper: 250)", 250),
        ("population (paper: 1/2)", 0.5),
        ("(paper: not stated)", None),
        ("no note", None),
        ('state (paper: "ground")', "ground"),
    ],
)
def test_paper_values_come_from_the_parameter_comments(text, value):
    assert paper_value(text) == value


def test_at_paper_compares_with_the_comments():
    params = get_chapter("pirmoradian2019_aging").parameters()
    values = {k: p.default for k, p in params.items()}
    run = ChapterRun("pirmoradian2019_aging", values)
    assert run.paper["N"] == 140 and run.at_paper("N")
    assert not ChapterRun("pirmoradian2019_aging", {**values, "N": 40}).at_paper()
    with pytest.raises(KeyError, match="gamma"):
        run.at_paper("gamma")
    with pytest.raises(ValueError, match="'N'"):
        ChapterRun("pirmoradian2019_aging", {**values, "N": 1})


def test_sign_changes_and_roots():
    x = np.linspace(0, 2 * np.pi, 2001)
    np.testing.assert_allclose(
        sign_changes(x, np.sin(x + 0.3)), [np.pi - 0.3, 2 * np.pi - 0.3], atol=1e-6
    )
    assert sign_changes(x, 1 + x).size == 0
    assert first_root(np.cos, np.linspace(0, 3, 4)) == pytest.approx(np.pi / 2, abs=1e-9)
    assert np.isnan(first_root(np.exp, [0, 1]))
    ((t_min, y_min),) = interior_minima(x, np.cos(x))
    assert t_min == pytest.approx(np.pi, abs=1e-6) and y_min == pytest.approx(-1, abs=1e-9)


def test_summary_leaves_out_undefined_values_only_when_allowed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QBKIT_OUTPUT_DIR", str(tmp_path))
    assert write_summary({"x": 1.0, "y": float("nan"), "z": None}, undefined_ok=True) == {"x": 1.0}
    assert json.loads((tmp_path / "summary_undefined.json").read_text()) == ["y", "z"]
    assert "left out of the summary: y, z" in capsys.readouterr().out
    with pytest.raises(ValueError, match="'z'"):
        write_summary({"z": None})
