"""qbkit sweep: values and validation, a LocalCluster sweep against plain runs, a real
scheduler and worker as processes, resume after an interruption, a failing point.

The book's chapters take 30 s to minutes per point, so these tests sweep a tiny chapter of
their own (``toy_sweep``, a notebook in a temporary folder registered through
``QBKIT_EXTRA_CHAPTERS``), executed for real by papermill into a temporary cache.
"""

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import numpy as np
import pytest

from qbkit.book import params as P
from qbkit.book.cli import main
from qbkit.book.registry import EXTRA_CHAPTERS
from qbkit.book.runner import run_chapter
from qbkit.book.sweep import expand_values, plan_sweep

pytest.importorskip("distributed")
xr = pytest.importorskip("xarray")

TOY = "toy_sweep"
PARAMETERS = """\
x: float = 1.0  # 1, abscissa
n: int = 2  # 1, multiplier
x_max: float = 10.0  # 1, largest x allowed (a rule between parameters)
fail_at: float = -1.0  # 1, the notebook raises at this x while fail_flag exists
fail_flag: str = ""  # a file: while it exists the point at fail_at fails
wait: float = 0.0  # s, pause before the summary
trace: str = ""  # a file that receives one line per execution
"""
# Plain Python (no qbkit import, which would cost seconds per point): what the runner needs
# of a chapter is summary.json and scorecard.json in QBKIT_OUTPUT_DIR.
CODE = [
    """\
import json
import os
import time

if trace:
    with open(trace, "a") as fh:
        fh.write(f"{x!r} {n}\\n")
time.sleep(wait)""",
    """\
if x == fail_at and os.path.exists(fail_flag):
    raise ValueError(f"x reached fail_at = {fail_at}")""",
    """\
summary = {"x_squared": x**2, "y": x * n}
out = os.environ.get("QBKIT_OUTPUT_DIR")
if out:
    for name, data in [("summary.json", summary), ("scorecard.json", [])]:
        with open(os.path.join(out, name), "w") as fh:
            json.dump(data, fh)""",
]
CHAPTERS_PY = """\
from qbkit.book import params as P
from qbkit.book.registry import Chapter

CHAPTERS = [
    Chapter(
        "toy_sweep",
        "A chapter for the sweep tests",
        {{
            "x": P.in_range(-10.0, 10.0),
            "n": P.in_range(1, 5),
            "x_max": P.in_range(-10.0, 10.0),
            "fail_at": P.in_range(-10.0, 10.0),
            "fail_flag": None,
            "wait": P.in_range(0.0, 60.0),
            "trace": None,
        }},
        relations=(P.at_most("x", "x_max"),),
        folder={folder!r},
    )
]
"""


@pytest.fixture(scope="module")
def toy_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A toy chapter")]
    nb.cells.append(nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(code) for code in CODE]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, folder / f"{TOY}.ipynb")
    (folder / "chapters.py").write_text(CHAPTERS_PY.format(folder=str(folder)))
    return folder


@pytest.fixture
def toy(toy_files, tmp_path, monkeypatch):
    """The toy chapter registered and a fresh execution cache, here and in child processes."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(EXTRA_CHAPTERS, str(toy_files / "chapters.py"))
    monkeypatch.setenv("QBKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("CI", "1")  # no progress bar
    return cache


def _env():
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _executions(trace):
    """Each execution's (x, n) from the trace file, in order."""
    if not trace.exists():
        return []
    return [
        (float(a), int(b))
        for a, b in (line.split() for line in trace.read_text().split("\n") if line)
    ]


# -- values and validation (no cluster) -----------------------------------------------
def test_ranges_include_both_ends_without_float_drift():
    f = P.Param("T", float, 0.0)
    i = P.Param("R", int, 1)
    values, swept = expand_values(f, "0:1:0.1")
    assert swept and values == ["0", *(f"0.{k}" for k in range(1, 10)), "1"]
    assert [float(v) for v in values][3] == 0.3  # not 0.30000000000000004
    assert expand_values(f, "2:0:-0.5")[0] == ["2", "1.5", "1", "0.5", "0"]
    assert expand_values(f, "1e-3:3e-3:1e-3")[0] == ["0.001", "0.002", "0.003"]
    assert expand_values(i, "1:10:3") == (["1", "4", "7", "10"], True)
    assert expand_values(i, "1,2,5") == (["1", "2", "5"], True)
    assert expand_values(i, "4") == (["4"], False)  # one value: fixed, not a dimension
    assert expand_values(i, "4:4:1") == (["4"], True)  # a range of one: a dimension
    assert expand_values(P.Param("s", str, "a"), "a:b,c") == (["a:b", "c"], True)


def test_points_have_stable_readable_ids(toy):
    a = plan_sweep(TOY, [("x", "0.5,1"), ("n", "3")])
    b = plan_sweep(TOY, [("n", "3"), ("x", "0.5,1")])
    assert [p.id for p in a.points] == [p.id for p in b.points]
    assert a.points[0].id.startswith("x=0.5-") and a.dims == ["x"] and a.fixed == {"n": 3}
    c = plan_sweep(TOY, [("x", "0.5,1"), ("n", "4")])  # another fixed value: other points
    assert not {p.id for p in a.points} & {p.id for p in c.points}
    grid = plan_sweep(TOY, [("x", "0:1:0.5"), ("n", "1,2")])
    assert [(p.values["x"], p.values["n"]) for p in grid.points] == [
        (0.0, 1), (0.0, 2), (0.5, 1), (0.5, 2), (1.0, 1), (1.0, 2)
    ]  # fmt: skip
    pairs = plan_sweep(TOY, [("x", "0:1:0.5"), ("n", "1,2,3")], zip_=True)
    assert [(p.values["x"], p.values["n"]) for p in pairs.points] == [(0.0, 1), (0.5, 2), (1.0, 3)]


@pytest.mark.parametrize(
    "args, name, shown",
    [
        (["-p", "x", "1,20"], "x", "x=20"),  # out of range at one point
        (["-p", "x", "1,6", "-p", "x_max", "5"], "x", "x=6"),  # rule between parameters
        (["-p", "x_max", "0:4:2", "-p", "x", "3"], "x", "x_max=0"),
        (["-p", "n", "1:2:0.5"], "n", "1.5"),  # wrong type at one point
        (["-p", "x", "0:1:0.3"], "x", "0:1:0.3"),  # STOP not on the grid
        (["-p", "x", "1:0:0.5"], "x", "1:0:0.5"),
        (["-p", "x", "0:1"], "x", "0:1"),
        (["-p", "x", "1,1.0"], "x", "twice"),
        (["-p", "x", "1,,2"], "x", "empty"),
        (["-p", "x", "1,2", "-p", "n", "1,2,3", "--zip"], "--zip", "3"),
        (["-p", "y", "1,2"], "y", "unknown"),
        (["-p", "x", "1,2", "-p", "x", "3"], "x", "more than once"),
        (["-p", "x", "1,2", "-p", "n", "1,2", "-p", "wait", "0,1", "--plot", "y"], "--plot", "3"),
        (["-p", "x", "1,2", "--workers", "0"], "--workers", "0"),
    ],
)
def test_bad_values_exit_2_with_one_line_and_write_nothing(
    toy, tmp_path, capsys, args, name, shown
):
    out = tmp_path / "sweep"
    assert main(["sweep", TOY, *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{name}'" in err[0] and shown in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither the sweep nor the cache


def test_a_rule_between_parameters_of_a_book_chapter_is_checked_per_point(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "martins2023_rydberg_flywheel", "-p", "t_map", "100,500", "--out", str(out)]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "'t_map'" in line and "500" in line and "t_map=500" in line
    assert not out.exists()


def test_refuses_an_out_folder_that_is_not_a_sweep(toy, tmp_path, capsys):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["sweep", TOY, "-p", "x", "1,2", "--out", str(out)]) == 2
    assert "'--out'" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


# -- real sweeps ----------------------------------------------------------------------
def test_local_cluster_sweep_equals_plain_runs_and_resumes_from_the_cache(
    toy, tmp_path, capsys, monkeypatch
):
    out, trace = tmp_path / "sweep", tmp_path / "trace.txt"
    argv = ["sweep", TOY, "-p", "x", "0.5:1:0.5", "-p", "n", "2,3", "-p", "trace", str(trace)]
    argv += ["--workers", "2", "--out", str(out), "--plot", "y"]
    assert main(argv) == 0
    assert "4 executed" in capsys.readouterr().out
    assert sorted(_executions(trace)) == [(0.5, 2), (0.5, 3), (1.0, 2), (1.0, 3)]

    sweep = plan_sweep(TOY, [("x", "0.5:1:0.5"), ("n", "2,3"), ("trace", str(trace))])
    plain_cache = tmp_path / "plain-cache"
    monkeypatch.setenv("QBKIT_CACHE_DIR", str(plain_cache))
    for point in sweep.points:
        folder = out / "points" / point.id
        assert {"run.log", "run.json", "summary.json", "scorecard.json", f"{TOY}.ipynb"} <= {
            p.name for p in folder.iterdir()
        }
        plain, cached = run_chapter(TOY, point.overrides, tmp_path / "plain" / point.id)
        assert not cached  # a real execution, in a cache of its own
        assert json.loads((folder / "summary.json").read_text()) == json.loads(
            (plain / "summary.json").read_text()
        )
    assert len(_executions(trace)) == 8

    ds = xr.open_dataset(out / "sweep.nc", engine="scipy")
    assert ds["y"].dims == ("x", "n")
    np.testing.assert_array_equal(ds["x"], [0.5, 1.0])
    np.testing.assert_array_equal(ds["n"], [2, 3])
    np.testing.assert_allclose(ds["y"], np.outer([0.5, 1.0], [2, 3]))
    assert list(ds["status"].values.ravel()) == ["ok"] * 4 and ds["current"].values.all()
    assert ds.attrs["chapter"] == TOY and ds.attrs["qbkit_version"] and ds.attrs["git_commit"]
    assert ds["x"].attrs["units"] == "1" and ds["x"].attrs["description"] == "1, abscissa"
    assert json.loads(ds.attrs["parameter_units"])["x"] == "1"
    ds.close()
    lines = [ln for ln in (out / "sweep.csv").read_text().splitlines() if not ln.startswith("#")]
    header = lines[0].split(",")
    assert header[:3] == ["point", "x", "n"] and "status" in header and "y" in header
    assert len(lines) == 5 and all(",ok," in ln for ln in lines[1:])
    assert (out / "sweep.png").stat().st_size > 1000

    # the same command again: every point done before, nothing run, no cluster needed
    monkeypatch.setenv("QBKIT_CACHE_DIR", str(toy))
    mtimes = {p.name: (p / "run.log").stat().st_mtime_ns for p in (out / "points").iterdir()}
    assert main(argv) == 0
    assert "4 done before" in capsys.readouterr().out
    assert {
        p.name: (p / "run.log").stat().st_mtime_ns for p in (out / "points").iterdir()
    } == mtimes
    # a new folder with the same points: every point from the cache, none executed
    assert main([*argv[:-4], "--out", str(tmp_path / "again")]) == 0
    assert "4 from the cache" in capsys.readouterr().out
    assert len(_executions(trace)) == 8


def _wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_scheduler_and_worker_processes_with_a_failing_point(toy, tmp_path):
    env = _env()
    address_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    started = []
    try:
        started.append(
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0"]
                + ["--no-dashboard", "--scheduler-file", str(address_file)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_for(address_file.exists, 60, "the scheduler")
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        started.append(
            subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--nworkers", "2"]
                + ["--no-dashboard", "--host", "127.0.0.1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        flag, out = tmp_path / "fail.flag", tmp_path / "sweep"
        flag.write_text("fail while I exist")
        argv = [sys.executable, "-m", "qbkit", "sweep", TOY, "-p", "x", "1,2,3", "-p", "n", "1:3:1"]
        argv += ["--zip", "-p", "fail_at", "2", "-p", "fail_flag", str(flag), "--out", str(out)]
        argv += ["--scheduler", address, "--plot", "y"]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 1, done.stderr
        failed = [ln for ln in done.stderr.splitlines() if " failed: " in ln]
        assert len(failed) == 1 and "x=2" in failed[0] and "ValueError" in failed[0], done.stderr
        sweep = plan_sweep(
            TOY,
            [("x", "1,2,3"), ("n", "1:3:1"), ("fail_at", "2"), ("fail_flag", str(flag))],
            zip_=True,
        )
        bad = sweep.points[1]
        record = json.loads((out / "failures" / f"{bad.id}.json").read_text())
        assert "raise ValueError" in record["source"] and isinstance(record["cell"], int)
        assert "x reached fail_at" in record["error"]
        assert not (out / "points" / bad.id).exists()
        ds = xr.open_dataset(out / "sweep.nc", engine="scipy")  # --zip: one dimension, point
        assert ds["y"].dims == ("point",) and list(ds["status"].values) == ["ok", "failed", "ok"]
        np.testing.assert_array_equal(ds["x"], [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(ds["n"], [1, 2, 3])
        np.testing.assert_array_equal(ds["y"], [1.0, np.nan, 9.0])
        ds.close()
        assert (out / "sweep.png").stat().st_size > 1000
        assert (out / "sweep.csv").read_text().count(",failed,") == 1

        # fixed: the same command runs only the failed point and forgets its failure
        flag.unlink()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "1 executed" in done.stdout and "2 done before" in done.stdout
        assert not (out / "failures" / f"{bad.id}.json").exists()
        assert json.loads((out / "points" / bad.id / "summary.json").read_text())["y"] == 4.0
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in reversed(started):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert all(proc.poll() is not None for proc in started)


def test_interrupted_sweep_resumes_without_running_finished_points_again(toy, tmp_path):
    out, trace = tmp_path / "sweep", tmp_path / "trace.txt"
    argv = [sys.executable, "-m", "qbkit", "sweep", TOY, "-p", "x", "1:6:1", "-p", "wait", "1"]
    argv += ["-p", "trace", str(trace), "--workers", "2", "--out", str(out)]
    env = _env()

    def finished():
        folder = out / "points"
        return [p for p in folder.iterdir() if (p / "run.log").exists()] if folder.is_dir() else []

    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for(lambda: len(finished()) >= 2, 300, "two finished points")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "resume" in err
    before = {p.name: (p / "run.log").stat().st_mtime_ns for p in finished()}
    assert 2 <= len(before) < 6, "the sweep ended before it was interrupted"
    ran_before = _executions(trace)

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} done before" in done.stdout
    after = {p.name: (p / "run.log").stat().st_mtime_ns for p in finished()}
    assert len(after) == 6
    assert {k: after[k] for k in before} == before  # finished points untouched
    sweep = plan_sweep(TOY, [("x", "1:6:1"), ("wait", "1"), ("trace", str(trace))])
    finished_x = {p.values["x"] for p in sweep.points if p.id in before}
    runs = [x for x, _ in _executions(trace)]
    for x in finished_x:  # executed once, before the interruption
        assert runs.count(x) == 1 and (x, 2) in ran_before
    assert set(runs) == {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}
    ds = xr.open_dataset(out / "sweep.nc", engine="scipy")
    np.testing.assert_allclose(ds["y"], 2 * np.arange(1, 7))
    ds.close()
