"""Build the HTML book: stage, execute every chapter with papermill, build with Jupyter Book.

``python -m qbkit.book`` (what ``make book`` runs). The site appears at
``_build/html/index.html`` only when every chapter executed and Sphinx reported
no warning; otherwise the previous site, if any, is left untouched and the
command exits non-zero naming the chapter and cell that failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from .chapters import repo_root
from .runner import ChapterFailed, execute_notebook

STAGED = ["_config.yml", "_toc.yml", "book", "notebooks"]


def toc_notebooks(stage):
    """Notebooks listed in the staged ``_toc.yml``, as paths."""
    toc = yaml.safe_load((stage / "_toc.yml").read_text())
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    path = stage / f"{node[key]}.ipynb"
                    if path.exists():
                        found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def _execute(path):
    start = time.perf_counter()
    try:
        execute_notebook(path, path, env={"QBKIT_BOOK": "1"})
    except ChapterFailed as err:
        return path.stem, False, str(err), time.perf_counter() - start
    return path.stem, True, "", time.perf_counter() - start


def stage_sources(root, stage):
    """Copy the book's sources into a fresh staging folder."""
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in STAGED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, stage / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(src, stage / name)


def build(jobs=2, root=None):
    """Stage, execute and build the book found at ``root`` (default: this repository).

    Returns
    -------
    int
        The process exit code: 0 on success, 1 if a chapter or Sphinx failed.
    """
    root = repo_root() if root is None else Path(root)
    build_dir = root / "_build"
    stage = build_dir / "stage"
    stage_sources(root, stage)
    notebooks = toc_notebooks(stage)
    print(f"[book] executing {len(notebooks)} chapter(s), {jobs} at a time", flush=True)
    failed = []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, ok, message, seconds in pool.map(_execute, notebooks):
            status = "ok" if ok else "FAILED"
            print(f"[book] {name}: {status} ({seconds:.0f} s){' ' + message if message else ''}", flush=True)
            if not ok:
                failed.append(message)
    if failed:
        print(f"[book] build stopped: {len(failed)} chapter(s) failed; _build/html left unchanged", file=sys.stderr)
        return 1
    jb_out = build_dir / "jb"
    if jb_out.exists():
        shutil.rmtree(jb_out)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(stage), "--path-output", str(jb_out), "-W", "-n", "--keep-going"]
    print(f"[book] jupyter-book build {stage.relative_to(root)} -W -n --keep-going", flush=True)
    result = subprocess.run(cmd)
    html = jb_out / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").is_file():
        print("[book] jupyter-book reported errors or warnings; _build/html left unchanged", file=sys.stderr)
        return 1
    target = build_dir / "html"
    retired = build_dir / ".html.old"
    if retired.exists():
        shutil.rmtree(retired)
    if target.exists():
        target.rename(retired)
    html.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
    print(f"[book] done: {target / 'index.html'}", flush=True)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m qbkit.book", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at a time (default 2)")
    args = parser.parse_args(argv)
    return build(args.jobs)


if __name__ == "__main__":
    sys.exit(main())
