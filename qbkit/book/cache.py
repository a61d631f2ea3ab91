"""Content-hash cache of executed chapters, under ``_build/cache/CHAPTER/KEY/``.

A chapter is executed again only when something it depends on changed. The key is a
SHA-256 over

* the chapter's notebook: its cells' sources and tags (not the stored nbval reference outputs,
  which do not change an execution; :func:`expected_digest` tracks those for nbval),
* every ``.py`` file of the ``qbkit`` package that a chapter's kernel can import (the
  host-side machinery in :data:`HOST_ONLY`, which builds, caches and launches, is left out, so
  that changing the build does not execute every chapter again; a test checks that importing
  ``qbkit.book`` and the physics loads none of it),
* the full set of parameter values (defaults filled in),
* the lock file of the environment and the Python version and machine.

An entry holds the executed notebook, every figure (PNG, PDF), its CSV, ``summary.json``,
``scorecard.json``, ``parameters.json`` and ``run.json`` (when, how long, by which executor,
git commit, versions). Entries appear by an atomic rename of a finished folder, so a failed
or interrupted execution never enters the cache.

jupyter-cache was considered: it keys a notebook on its code cells only, not on the package
it imports, the injected parameters or the environment, and it executes with nbclient
rather than papermill, so it would serve stale results here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .environment import git_commit, lock_file, versions
from .registry import get_chapter, repo_root

__all__ = [
    "Entry",
    "cache_root",
    "chapter_key",
    "parameters_hash",
    "lookup",
    "last_seconds",
    "longest_first",
    "Staging",
]


def cache_root(root=None):
    """``$QBKIT_CACHE_DIR`` if set, else ``_build/cache`` of the repository at ``root``."""
    if os.environ.get("QBKIT_CACHE_DIR"):
        return Path(os.environ["QBKIT_CACHE_DIR"])
    return Path(root or repo_root()) / "_build" / "cache"


def parameters_hash(parameters):
    """SHA-256 (first 16 hex digits) of a full parameter dict, independent of key order."""
    text = json.dumps(dict(parameters), sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: Modules of qbkit.book that run only in the host process, never in a chapter's kernel.
HOST_ONLY = frozenset(
    {
        "__main__",
        "build",
        "cache",
        "cli",
        "nbtools",
        "nbval_cache",
        "pages",
        "runner",
        "site",
        "skeleton",
        "sweep",
    }
)


def _package_files():
    package = Path(__file__).resolve().parents[1]
    host = {package / "book" / f"{name}.py" for name in HOST_ONLY}
    return sorted(p for p in package.rglob("*.py") if p not in host)


def _sources(notebook):
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    cells = [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells]
    return json.dumps({"cells": cells, "kernel": nb.metadata.get("kernelspec", {})}).encode()


def expected_digest(notebook):
    """SHA-256 of the stored outputs of the ``# NBVAL_CHECK_OUTPUT`` cells (what nbval compares)."""
    import nbformat

    from .nbtools import is_check_cell

    nb = nbformat.read(str(notebook), as_version=4)
    outputs = [c.outputs for c in nb.cells if is_check_cell(c)]
    return hashlib.sha256(json.dumps(outputs, sort_keys=True, default=str).encode()).hexdigest()


def chapter_key(notebook, parameters, root=None):
    """The cache key of one execution of ``notebook`` with the full ``parameters``.

    Parameters
    ----------
    notebook : str or Path
        The source notebook.
    parameters : mapping
        Every parameter value (defaults included), as validated.
    root : Path, optional
        Repository root (for the lock file).

    Returns
    -------
    str
        64 hex digits.
    """
    h = hashlib.sha256()

    def add(label, data):
        h.update(label.encode() + b"\0" + data + b"\0")

    add("notebook", _sources(notebook))
    package = Path(__file__).resolve().parents[1]
    for path in _package_files():
        add(str(path.relative_to(package)), path.read_bytes())
    add("parameters", json.dumps(dict(parameters), sort_keys=True, default=list).encode())
    lock = lock_file(root or repo_root())
    add("lock", lock.read_bytes() if lock.is_file() else b"<no lock file>")
    add("python", f"{sys.version} {os.uname().machine}".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    """A finished execution in the cache."""

    path: Path

    @property
    def meta(self):
        return json.loads((self.path / "run.json").read_text())

    @property
    def notebook(self):
        return self.path / f"{self.meta['chapter']}.ipynb"

    def verified(self, notebook):
        """Whether nbval compared this execution with ``notebook``'s current reference outputs."""
        return self.meta.get("nbval") == expected_digest(notebook)


def entry_path(chapter, key, root=None):
    return cache_root(root) / chapter / key[:20]


def lookup(chapter, key, root=None):
    """The cached :class:`Entry` for ``key``, or None (complete once run.json exists)."""
    path = entry_path(chapter, key, root)
    if (path / "run.json").is_file():
        meta = json.loads((path / "run.json").read_text())
        if meta.get("key") == key:
            return Entry(path)
    return None


def last_seconds(chapter, root=None):
    """Run time (s) of the chapter's most recent cached execution, any inputs; None if none.

    Used only to start the longest chapters first when several run at a time.
    """
    latest = None
    for run in (cache_root(root) / chapter).glob("*/run.json"):
        try:
            meta = json.loads(run.read_text())
        except (OSError, ValueError):
            continue
        if latest is None or meta.get("started", "") > latest.get("started", ""):
            latest = meta
    return None if latest is None else latest.get("seconds")


def longest_first(paths, root=None):
    """Notebook paths ordered by their last cached run time, longest first.

    Chapters never run come first, in the given order (their cost is unknown), so that on two
    workers a long chapter does not start last.
    """
    paths = list(paths)
    seconds = {p: last_seconds(Path(p).stem, root) for p in paths}
    return sorted(paths, key=lambda p: -(seconds[p] if seconds[p] is not None else float("inf")))


class Staging:
    """A folder to execute into, committed into the cache only on success.

    Use as a context manager: the folder is removed unless :meth:`commit` was called.
    """

    def __init__(self, chapter, key, parameters, root=None):
        self.chapter, self.key, self.parameters = chapter, key, dict(parameters)
        self.root = Path(root or repo_root())
        self.final = entry_path(chapter, key, self.root)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.final.parent))
        self.started = datetime.now(UTC)
        self._clock = time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False

    def commit(self, executor, nbval=None):
        """Write run.json and move the folder into place (replacing an older entry of the key)."""
        if not (self.path / f"{self.chapter}.ipynb").is_file():
            raise FileNotFoundError(f"{self.chapter}: the execution wrote no executed notebook")
        meta = {
            "chapter": self.chapter,
            "key": self.key,
            "parameters": self.parameters,
            "parameters_hash": parameters_hash(self.parameters),
            "executor": executor,
            "nbval": nbval,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - self._clock, 1),
            "git_commit": git_commit(self.root),
            "versions": versions(),
        }
        (self.path / "run.json").write_text(json.dumps(meta, indent=1) + "\n")
        if self.final.exists():
            retired = self.final.with_name(f".retired-{os.getpid()}-{self.final.name}")
            self.final.rename(retired)
            self.path.rename(self.final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            self.path.rename(self.final)
        return Entry(self.final)


def key_for(chapter, parameters, root=None):
    """Cache key of ``chapter`` (a name) with the full validated ``parameters``."""
    return chapter_key(get_chapter(chapter).notebook, parameters, root)
