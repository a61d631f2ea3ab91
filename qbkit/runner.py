"""Execute a chapter notebook with papermill, safely.

A run validates every parameter before anything executes, executes into a
temporary sibling of the output folder, and only on success swaps it into place:
a failed run never overwrites a good result and never leaves a half-written folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import params as P
from .chapters import get_chapter, repo_root

__all__ = ["ChapterFailed", "resolve_parameters", "execute_notebook", "run_chapter", "default_out"]

#: One BLAS thread per kernel: the chapters' linear algebra is many small matrices,
#: and the book runs two chapters at a time on two cores (DESIGN.md, numerics notes).
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ChapterFailed(RuntimeError):
    """A chapter notebook raised while executing; the message names chapter and cell."""


def resolve_parameters(chapter, overrides):
    """Parse and validate ``overrides`` (name -> command-line text) for a chapter.

    Returns
    -------
    dict
        Only the overridden parameters, typed.

    Raises
    ------
    qbkit.params.ParameterError
        Unknown chapter or parameter, wrong type, out of range.
    """
    params = get_chapter(chapter).parameters()
    typed = {}
    for name, text in overrides:
        if name not in params:
            raise P.ParameterError(name, f"unknown parameter of {chapter} (known: {', '.join(params)})")
        typed[name] = P.parse_cli_value(params[name], text)
    P.validate(params, typed)
    return typed


def default_out(chapter):
    """Default output folder of ``qbkit run``: ``_build/runs/CHAPTER`` in the repository."""
    return repo_root() / "_build" / "runs" / chapter


def execute_notebook(source, target, parameters=None, env=None, progress=False, timeout=1800):
    """Execute ``source`` into ``target`` with papermill (kernel ``python3``, cwd = source's folder).

    Raises
    ------
    ChapterFailed
        If a cell raises; the message names the notebook, the cell and the error.
    """
    import papermill as pm

    old = {k: os.environ.get(k) for k in {**KERNEL_ENV, **(env or {})}}
    os.environ.update({**KERNEL_ENV, **(env or {})})
    try:
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=parameters or {},
            kernel_name="python3",
            cwd=str(Path(source).parent),
            progress_bar=progress,
            execution_timeout=timeout,
        )
    except pm.PapermillExecutionError as err:
        raise ChapterFailed(
            f"{Path(source).stem}: cell {err.cell_index} (execution count {err.exec_count}) "
            f"raised {err.ename}: {err.evalue}"
        ) from None
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_chapter(chapter, overrides=(), out=None, progress=None):
    """Run one chapter with changed parameters and write its results to ``out``.

    Parameters
    ----------
    chapter : str
        Chapter name (``qbkit list`` shows them).
    overrides : iterable of (str, str)
        Parameter names and their command-line texts.
    out : str or Path, optional
        Output folder (default :func:`default_out`). It receives the executed
        notebook, every figure as PNG and PDF with its data as CSV, summary.json,
        parameters.json and run.log. An existing folder is replaced only after
        success, and only if it is empty or an earlier run's (it has run.log).
    progress : bool, optional
        Show papermill's progress bar (default: when stderr is a terminal).

    Returns
    -------
    Path
        The output folder.

    Raises
    ------
    qbkit.params.ParameterError
        Bad input; nothing is written.
    ChapterFailed
        The notebook raised; ``out`` is left as it was.
    """
    typed = resolve_parameters(chapter, list(overrides))
    nb = get_chapter(chapter).notebook
    out = Path(out) if out is not None else default_out(chapter)
    if out.exists() and not out.is_dir():
        raise P.ParameterError("--out", f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "run.log").is_file():
        # only an earlier run's folder is ever replaced: never sources or anything else
        raise P.ParameterError("--out", f"{out} exists and is not an earlier qbkit run folder; choose another")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    progress = sys.stderr.isatty() if progress is None else progress
    try:
        start = time.perf_counter()
        execute_notebook(
            nb, staging / nb.name, typed, env={"QBKIT_OUTPUT_DIR": str(staging)}, progress=progress
        )
        if not (staging / "summary.json").is_file():
            raise ChapterFailed(f"{chapter}: the notebook finished without writing summary.json")
        (staging / "run.log").write_text(
            f"chapter {chapter}\nparameters {typed}\nseconds {time.perf_counter() - start:.1f}\n"
        )
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _swap_into_place(staging, out):
    if out.exists():
        retired = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(retired)
        staging.rename(out)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(out)
