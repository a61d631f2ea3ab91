"""pytest plugin: nbval's execution of a chapter is the execution the book publishes.

``pytest --nbval-lax -p qbkit.book.nbval_cache --qbkit-cache notebooks/``

nbval executes each notebook cell by cell and compares the ``# NBVAL_CHECK_OUTPUT`` cells
with their stored outputs; that stays the regression guard. This plugin

* skips a notebook whose execution for the current cache key (:mod:`qbkit.book.cache`)
  is in the cache and was verified by nbval against the same reference outputs before: the
  same inputs give the same result;
* otherwise runs the kernel with the same environment as a book execution (figures,
  data, ``summary.json`` and ``scorecard.json`` written into a staging folder; figures
  glued), collects every cell's outputs into an executed notebook, and, when every cell
  passed, commits it to the cache marked as verified;
* orders the notebooks left to run by their last cached run time, longest first (with
  ``--dist loadfile --no-loadscope-reorder``, so that a long chapter does not start last).

So ``make test`` executes each chapter once, and ``make book`` afterwards reuses it.
"""

from __future__ import annotations

import os
import warnings

import nbformat
import pytest

from . import params as P
from .cache import Staging, chapter_key, expected_digest, longest_first, lookup
from .runner import KERNEL_ENV


def pytest_addoption(parser):
    parser.addoption(
        "--qbkit-cache",
        action="store_true",
        help="nbval executions feed the qbkit execution cache; verified ones are skipped",
    )


def pytest_configure(config):
    if config.getoption("qbkit_cache", False):
        config.pluginmanager.register(_Recorder(), "qbkit-nbval-cache")


def _notebook_of(item):
    parent = getattr(item, "parent", None)
    return parent if type(parent).__name__ == "IPyNbFile" else None


def _key(path):
    try:
        defaults = {k: p.default for k, p in P.read_parameters(path).items()}
    except ValueError:
        defaults = {}
    return chapter_key(path, defaults), defaults


class _Recorder:
    def __init__(self):
        self.runs = {}  # notebook path -> {"staging", "outputs", "failed"}
        self.skipped = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        verdict = {}
        for item in items:
            nb = _notebook_of(item)
            if nb is None:
                keep.append(item)
                continue
            path = nb.path
            if path not in verdict:
                key, _ = _key(path)
                entry = lookup(path.stem, key)
                verdict[path] = entry is not None and entry.verified(path)
                if verdict[path]:
                    self.skipped.append(path.stem)
            (drop if verdict[path] else keep).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        groups = {}  # notebook path (or None for other tests) -> its items, in order
        for item in keep:
            nb = _notebook_of(item)
            groups.setdefault(nb.path if nb else None, []).append(item)
        order = longest_first(p for p in groups if p is not None)
        items[:] = groups.get(None, []) + [item for p in order for item in groups[p]]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        nb = _notebook_of(item)
        if nb is None or nb.path in self.runs:
            return
        key, defaults = _key(nb.path)
        staging = Staging(nb.path.stem, key, defaults)
        self.runs[nb.path] = {"staging": staging, "outputs": {}, "failed": False}
        # the kernel starts in the notebook's setup, right after this hook, and inherits these
        os.environ.update({**KERNEL_ENV, "QBKIT_OUTPUT_DIR": str(staging.path), "QBKIT_BOOK": "1"})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        nb = _notebook_of(item)
        if nb is None or nb.path not in self.runs:
            return
        run = self.runs[nb.path]
        if report.failed:
            run["failed"] = True
        if call.when == "call":
            run["outputs"][item.cell_num] = getattr(item, "test_outputs", None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield
        nb = _notebook_of(item)
        if nb is None or nb.path not in self.runs:
            return
        if nextitem is not None and _notebook_of(nextitem) is nb:
            return
        run = self.runs.pop(nb.path)
        staging = run["staging"]
        for name in ("QBKIT_OUTPUT_DIR", "QBKIT_BOOK"):
            os.environ.pop(name, None)
        with staging:
            code = [c for c in nb.nb.cells if c.cell_type == "code"]
            if run["failed"] or len(run["outputs"]) != len(code) or None in run["outputs"].values():
                return  # a failed or incomplete execution never enters the cache
            executed = nbformat.from_dict(nb.nb)
            for k, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
                cell.outputs = [nbformat.from_dict(dict(o)) for o in run["outputs"][k]]
                cell.execution_count = k + 1
                for o in cell.outputs:
                    if o.output_type == "execute_result":
                        o.execution_count = k + 1
            nbformat.write(executed, staging.path / nb.path.name)
            try:
                staging.commit("nbval", nbval=expected_digest(nb.path))
            except FileNotFoundError as err:
                warnings.warn(f"not cached: {err}", pytest.PytestWarning, stacklevel=1)

    def pytest_terminal_summary(self, terminalreporter):
        for name in self.skipped:
            terminalreporter.write_line(
                f"qbkit: {name}: verified by nbval earlier with the same inputs (cache), "
                "not executed again"
            )
