"""Execute a chapter notebook with papermill, through the cache, safely.

A run validates every parameter (each value's rule and the rules between parameters)
before a kernel starts, executes into a staging folder that enters the cache only on
success (:mod:`qbkit.book.cache`), and copies the cached result into the output folder
by an atomic swap: a failed run never overwrites a good result and never leaves a
half-written folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from . import params as P
from .cache import Staging, chapter_key, lookup
from .registry import get_chapter, repo_root

__all__ = [
    "ChapterFailed",
    "resolve_parameters",
    "execute_notebook",
    "execute_chapter",
    "run_chapter",
    "default_out",
    "KERNEL_ENV",
]

#: One BLAS thread per kernel: the chapters' linear algebra is many small matrices, and
#: chapters run two at a time on two cores (a 250x250 matmul is ~20x slower with OpenBLAS'
#: default threading under load than single-threaded).
KERNEL_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}
#: The kernel's own log (e.g. its notice about TCP transport) is not for the reader; errors
#: in cells still arrive as cell errors.
KERNEL_ARGUMENTS = ["--log-level=CRITICAL"]


class ChapterFailed(RuntimeError):
    """A chapter notebook raised while executing; the message names chapter and cell.

    Attributes
    ----------
    cell : int or None
        Index of the failing cell in the executed notebook (None if no cell raised).
    source : str or None
        That cell's source.
    """

    def __init__(self, message, cell=None, source=None):
        super().__init__(message)
        self.cell, self.source = cell, source


def resolve_parameters(chapter, overrides):
    """Parse and validate ``overrides`` (pairs of name and command-line text) for a chapter.

    Returns
    -------
    (dict, dict)
        The overridden parameters, typed, and the full set of values (defaults filled in).

    Raises
    ------
    qbkit.book.params.ParameterError
        Unknown chapter or parameter, a parameter given twice, wrong type, out of range,
        or a rule between parameters broken.
    """
    ch = get_chapter(chapter)
    params = ch.parameters()
    typed = {}
    for name, text in overrides:
        P.check_override(chapter, params, name, typed)
        typed[name] = P.parse_cli_value(params[name], text)
    full = ch.validate(typed)
    return {k: full[k] for k in typed}, full


def default_out(chapter):
    """Default output folder of ``qbkit run``: ``_build/runs/CHAPTER`` in the repository."""
    return repo_root() / "_build" / "runs" / chapter


class _CellProgress:
    """One line per cell with the elapsed time, for a person at a terminal."""

    def __init__(self, name, stream=sys.stderr):
        self.name, self.stream, self.start = name, stream, time.perf_counter()

    def __call__(self, index, total):
        self.stream.write(
            f"\r[{self.name}] cell {index + 1}/{total}, {time.perf_counter() - self.start:5.0f} s"
        )
        self.stream.flush()

    def close(self):
        self.stream.write("\n")


def execute_notebook(source, target, parameters=None, env=None, progress=None, timeout=1800):
    """Execute ``source`` into ``target`` with papermill (kernel ``python3``, cwd: its folder).

    Parameters
    ----------
    progress : callable, optional
        Called with ``(cell index, number of cells)`` before each cell.

    Raises
    ------
    ChapterFailed
        If a cell raises; the message names the notebook, the cell and the error.
    """
    import papermill as pm
    from papermill.engines import NBClientEngine, papermill_engines

    old = {k: os.environ.get(k) for k in {**KERNEL_ENV, **(env or {})}}
    os.environ.update({**KERNEL_ENV, **(env or {})})
    hooks = {}
    if progress is not None:

        class Engine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
                cells = nb_man.nb.cells
                start_cell = nb_man.cell_start

                def cell_start(cell, cell_index=None, **kw):
                    progress(cells.index(cell) if cell_index is None else cell_index, len(cells))
                    start_cell(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

        papermill_engines.register("qbkit-progress", Engine)
        hooks["engine_name"] = "qbkit-progress"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pm.execute_notebook(
                str(source),
                str(target),
                parameters=parameters or {},
                kernel_name="python3",
                cwd=str(Path(source).parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                extra_arguments=KERNEL_ARGUMENTS,
                **hooks,
            )
    except pm.PapermillExecutionError as err:
        try:  # papermill saved the notebook up to the failing cell (and added notes above it)
            cells = nbformat.read(str(target), 4).cells
            cell = next(
                c.source
                for c in cells
                if any(o.get("output_type") == "error" for o in c.get("outputs", []))
            )
        except (OSError, ValueError, StopIteration):
            cell = None
        raise ChapterFailed(
            f"{Path(source).stem}: cell {err.cell_index} (execution count {err.exec_count}) "
            f"raised {err.ename}: {err.evalue}",
            cell=err.cell_index,
            source=cell,
        ) from None
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute_chapter(notebook, overrides, full, *, root=None, force=False, progress=False):
    """Execute a chapter into the cache, or find it there.

    Parameters
    ----------
    notebook : Path
        Source notebook; its stem is the chapter name.
    overrides : dict
        Parameters injected by papermill (typed).
    full : dict
        Every parameter value (the cache key).
    force : bool
        Execute even when the cache holds the result (the new result replaces it).
    progress : bool
        One line per cell with the elapsed time on stderr.

    Returns
    -------
    (qbkit.book.cache.Entry, bool)
        The entry and whether it came from the cache.

    Raises
    ------
    ChapterFailed
        The notebook raised or wrote no summary; nothing enters the cache.
    """
    notebook = Path(notebook)
    name = notebook.stem
    key = chapter_key(notebook, full, root)
    entry = None if force else lookup(name, key, root)
    if entry is not None:
        return entry, True
    bar = _CellProgress(name) if progress else None
    with Staging(name, key, full, root) as staging:
        try:
            execute_notebook(
                notebook,
                staging.path / notebook.name,
                overrides,
                env={"QBKIT_OUTPUT_DIR": str(staging.path), "QBKIT_BOOK": "1"},
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        try:
            entry = staging.commit("papermill")
        except FileNotFoundError as err:
            raise ChapterFailed(str(err)) from None
    return entry, False


def unglue(nb):
    """Turn glued figures back into plain displayed images, in place (for a run's own notebook)."""
    prefix = "application/papermill.record/"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k.startswith(prefix) for k in data):
                out["data"] = {k.removeprefix(prefix): v for k, v in data.items()}
                out["metadata"] = {}
    return nb


def _prepare_out(out):
    if out.exists() and not out.is_dir():
        raise P.ParameterError("--out", f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "run.log").is_file():
        # only an earlier run's folder is ever replaced: never sources or anything else
        raise P.ParameterError(
            "--out", f"{out} exists and is not an earlier qbkit run folder; choose another"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent)
    except OSError as err:
        raise P.ParameterError("--out", f"cannot write to {out.parent}: {err.strerror}") from None
    return Path(probe)


def run_chapter(chapter, overrides=(), out=None, progress=None, force=False):
    """Run one chapter with changed parameters and write its results to ``out``.

    Parameters
    ----------
    chapter : str
        Chapter name (``qbkit list`` shows them).
    overrides : iterable of (str, str)
        Parameter names and their command-line texts.
    out : str or Path, optional
        Output folder (default :func:`default_out`). It receives the executed notebook,
        every figure as PNG and PDF with its data as CSV, summary.json, scorecard.json,
        parameters.json, run.json and run.log. An existing folder is replaced only after
        success, and only if it is empty or an earlier run's (it has run.log).
    progress : bool, optional
        One line per cell with the elapsed time (default: when stderr is a terminal and
        ``CI`` is not set).
    force : bool
        Execute even when the cache holds this result.

    Returns
    -------
    (Path, bool)
        The output folder and whether the result came from the cache.

    Raises
    ------
    qbkit.book.params.ParameterError
        Bad input or an output folder that cannot be written; nothing is written.
    ChapterFailed
        The notebook raised; ``out`` is left as it was.
    """
    typed, full = resolve_parameters(chapter, list(overrides))
    nb = get_chapter(chapter).notebook
    out = Path(out) if out is not None else default_out(chapter)
    staging = _prepare_out(out)
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    try:
        entry, cached = execute_chapter(nb, typed, full, force=force, progress=progress)
        for required in ("summary.json", "scorecard.json"):
            if not (entry.path / required).is_file():
                raise ChapterFailed(f"{chapter}: the notebook finished without writing {required}")
        shutil.rmtree(staging)
        shutil.copytree(entry.path, staging)
        executed = staging / nb.name
        nbformat.write(unglue(nbformat.read(executed, 4)), executed)
        meta = entry.meta
        (staging / "run.log").write_text(
            f"chapter {chapter}\nparameters {json.dumps(typed)}\nseconds {meta['seconds']}\n"
            f"from cache {cached}\n"
        )
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out, cached


def _swap_into_place(staging, out):
    if out.exists():
        retired = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(out)
