"""The pipeline on a throwaway copy of the repository: `qbkit new`, the cache, `qbkit run`.

The copy gets a new chapter from the skeleton (a real notebook that executes in seconds); every
test below runs real kernels on it, with the copy's own cache.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from qbkit.book.nbtools import problems

ROOT = Path(__file__).resolve().parent.parent
NAME = "demo2025_free_decay"


def qbkit(copy, *args, check=True):
    env = {**os.environ, "PYTHONPATH": str(copy), "QBKIT_CACHE_DIR": str(copy / "_build" / "cache")}
    env.pop("CI", None)
    done = subprocess.run(
        [sys.executable, "-m", "qbkit", *args], cwd=copy, env=env, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise AssertionError(done.stderr)
    return done


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    copy = tmp_path_factory.mktemp("repo")
    for name in ("qbkit", "notebooks", "book", "tests"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("_toc.yml", "_config.yml", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    done = qbkit(copy, "new", NAME, "--title", "Free decay of a two-level emitter")
    assert "notebooks/" in done.stdout
    return copy


def test_new_chapter_is_complete_and_clean(copy):
    nb = nbformat.read(copy / "notebooks" / f"{NAME}.ipynb", 4)
    assert problems(nb) == []
    check = [c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
    assert check and "E(t=1): 0.3678" in check[0].outputs[0]["text"]  # e^-1 from mesolve
    assert f"file: notebooks/{NAME}" in (copy / "_toc.yml").read_text()
    assert f'"{NAME}"' in (copy / "qbkit" / "book" / "registry.py").read_text()
    assert "Free decay of a two-level emitter" in (copy / "book" / "errata.md").read_text()
    assert "@article{demo2025freedecay," in (copy / "book" / "references.bib").read_text()
    assert "demo2025_free_decay" in qbkit(copy, "list").stdout
    # a second chapter of the same name is refused
    again = qbkit(copy, "new", NAME, "--title", "x", check=False)
    assert again.returncode == 2 and "'NAME'" in again.stderr


def test_new_chapter_passes_nbval(copy):
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"notebooks/{NAME}.ipynb",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_run_is_cached_and_keyed_on_its_inputs(copy, tmp_path):
    first = qbkit(copy, "run", NAME, "--out", str(tmp_path / "a"))
    assert "(from the cache)" in first.stdout  # `qbkit new` executed it already
    a = json.loads((tmp_path / "a" / "run.json").read_text())
    for name in (
        "summary.json",
        "scorecard.json",
        "parameters.json",
        "run.log",
        f"{NAME}.ipynb",
        "demo2025-fig1.png",
        "demo2025-fig1.pdf",
        "demo2025-fig1.csv",
    ):
        assert (tmp_path / "a" / name).is_file(), name
    rows = json.loads((tmp_path / "a" / "scorecard.json").read_text())
    assert rows[0]["verdict"] == "agrees" and set(rows[0]) >= {
        "claim",
        "where",
        "paper",
        "ours",
        "rtol",
        "atol",
        "note",
        "verdict",
    }
    # other parameters: another key, a real execution, and the claim becomes n/a
    other = qbkit(copy, "run", NAME, "-p", "gamma", "2", "--out", str(tmp_path / "b"))
    assert "(from the cache)" not in other.stdout
    assert json.loads((tmp_path / "b" / "scorecard.json").read_text())[0]["verdict"] == "n/a"
    assert json.loads((tmp_path / "b" / "run.json").read_text())["key"] != a["key"]
    # the same parameters again: taken from the cache, the same execution
    again = qbkit(copy, "run", NAME, "-p", "gamma", "2.0", "--out", str(tmp_path / "c"))
    assert "(from the cache)" in again.stdout
    b = json.loads((tmp_path / "b" / "run.json").read_text())
    assert json.loads((tmp_path / "c" / "run.json").read_text())["started"] == b["started"]
    # the executed notebook of a run shows its figure inline (not only glued for the book)
    executed = nbformat.read(tmp_path / "c" / f"{NAME}.ipynb", 4)
    data = [o.get("data", {}) for c in executed.cells for o in c.get("outputs", [])]
    assert any("image/png" in d for d in data)
    assert not any(k.startswith("application/papermill.record") for d in data for k in d)


def test_editing_the_notebook_or_the_package_invalidates_the_cache(copy, tmp_path):
    from qbkit.book import cache

    path = copy / "notebooks" / f"{NAME}.ipynb"
    params = {"gamma": 1.0, "t_max": 5.0}
    before = cache.chapter_key(path, params, copy)
    assert cache.chapter_key(path, {**params, "t_max": 4.0}, copy) != before
    nb = nbformat.read(path, 4)
    nb.cells[3].source += "\n\nOne more sentence."
    edited = tmp_path / path.name
    nbformat.write(nb, edited)
    assert cache.chapter_key(edited, params, copy) != before
    lock = copy / "requirements" / "lock.txt"
    lock.parent.mkdir(exist_ok=True)
    lock.write_text("numpy==0.0\n")
    assert cache.chapter_key(path, params, copy) != before
    lock.unlink()


def test_progress_lines_on_a_terminal_only(copy, tmp_path):
    done = qbkit(copy, "run", NAME, "-p", "t_max", "3", "--out", str(tmp_path / "quiet"))
    assert (
        "cell" not in done.stderr and "TCP" not in done.stderr
    )  # not a TTY: silent, no kernel noise
    env = {**os.environ, "PYTHONPATH": str(copy), "QBKIT_CACHE_DIR": str(copy / "_build" / "cache")}
    code = (
        f"import sys; sys.stderr.isatty = lambda: True; from qbkit.book.cli import main; "
        f"sys.exit(main(['run', '{NAME}', '-p', 't_max', '2', '--out', '{tmp_path / 'tty'}']))"
    )
    env.pop("CI", None)
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert f"[{NAME}] cell 1/" in shown.stderr and "TCP" not in shown.stderr


@pytest.mark.parametrize(
    "argv, name",
    [
        (["-p", "t_map", "500"], "t_map"),  # a rule between parameters: t_map <= t_max
        (["-p", "t_max", "50", "-p", "t_map", "60"], "t_map"),
        (["-p", "N_fock", "30", "-p", "N_fock", "40"], "N_fock"),  # given twice
    ],
)
def test_bad_input_is_refused_before_a_kernel_starts(tmp_path, capsys, argv, name):
    from qbkit.book.cli import main

    out = tmp_path / "run"
    assert main(["run", "martins2023_rydberg_flywheel", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{name}'" in err[0], err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_an_output_folder_that_cannot_be_created_is_refused(tmp_path, capsys):
    from qbkit.book.cli import main

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["run", "quach2020_dark_states", "--out", str(locked / "sub" / "run")]) == 2
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'--out'" in err[0]


def test_an_output_path_below_a_file_is_refused(tmp_path, capsys):
    from qbkit.book.cli import main

    (tmp_path / "file").write_text("not a folder")
    assert main(["run", "quach2020_dark_states", "--out", str(tmp_path / "file" / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'--out'" in err[0] and "Traceback" not in err[0]


def test_a_kernel_imports_none_of_the_host_side_machinery():
    """The cache key leaves out qbkit.book's host-side modules: no chapter may import them."""
    import nbformat as nbf

    from qbkit.book.cache import HOST_ONLY

    imports = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbf.read(path, 4).cells:
            if cell.cell_type == "code":
                imports |= {
                    line.strip()
                    for line in cell.source.splitlines()
                    if line.strip().startswith(("import ", "from "))
                }
    code = "\n".join(
        sorted(imports)
        + [
            "import pkgutil, importlib, sys, qbkit",
            "for m in pkgutil.walk_packages(qbkit.__path__, 'qbkit.'):",
            "    if not m.name.startswith(('qbkit.book', 'qbkit.__main__')):",
            "        importlib.import_module(m.name)",
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('qbkit.book.'))))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "notebooks"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {name.split(".")[-1] for name in done.stdout.split()}
    assert loaded and not loaded & HOST_ONLY, loaded & HOST_ONLY


def test_longest_chapters_are_started_first(tmp_path, monkeypatch):
    from qbkit.book.cache import last_seconds, longest_first

    monkeypatch.setenv("QBKIT_CACHE_DIR", str(tmp_path))
    runs = {"short": [("2026-01-01T00:00:00", 200.0), ("2026-02-01T00:00:00", 10.0)],
            "long": [("2026-01-01T00:00:00", 90.0)]}  # fmt: skip
    for chapter, entries in runs.items():
        for k, (started, seconds) in enumerate(entries):
            entry = tmp_path / chapter / f"key{k}"
            entry.mkdir(parents=True)
            (entry / "run.json").write_text(json.dumps({"started": started, "seconds": seconds}))
    assert last_seconds("short") == 10.0 and last_seconds("never") is None  # the newest run counts
    paths = [Path(f"notebooks/{c}.ipynb") for c in ("short", "long", "never")]
    assert [p.stem for p in longest_first(paths)] == ["never", "long", "short"]
