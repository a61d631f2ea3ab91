"""``qbkit sweep``: a chapter over a grid of parameter values, each point a ``qbkit run``, on Dask.

A sweep is planned and validated completely before anything runs (:func:`plan_sweep`):
every point is checked with the chapter's rules and the rules between its parameters.
:func:`run_sweep` then runs each point as an ordinary chapter run
(:func:`qbkit.book.runner.run_chapter`, with its cache and its atomic output folder) into
``DIR/points/<point id>/``:

* points already done in ``DIR`` (same parameter hash) are skipped, so the same command
  run again resumes an interrupted sweep (points done with another notebook, ``qbkit`` or
  environment are kept too, with a warning; their commit is in the results);
* points whose result is in the execution cache are copied from it here;
* the others go to Dask: an embedded :class:`distributed.LocalCluster` (one single-threaded
  worker process per core) or an existing cluster (``--scheduler``). A worker runs the point
  itself into ``DIR``, so ``DIR`` must be on a file system the workers share with this
  machine (as on most Slurm/PBS clusters); a worker that cannot see it, or whose notebook,
  ``qbkit`` or environment differ from this machine's, fails the point and says why.

A failing point is recorded in ``DIR/failures/<point id>.json`` (error, failing cell and its
source) and does not stop the others. :func:`write_results` gathers every point into
``DIR/sweep.csv`` and ``DIR/sweep.nc`` (an :class:`xarray.Dataset` with the swept parameters
as dimensions and the summary keys as variables); :func:`plot_sweep` draws one key.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import params as P
from .cache import key_for, lookup, parameters_hash
from .environment import git_commit, versions
from .registry import get_chapter, repo_root
from .runner import KERNEL_ENV, ChapterFailed, resolve_parameters, run_chapter

__all__ = [
    "Point",
    "Sweep",
    "SweepResult",
    "EXAMPLE",
    "expand_values",
    "plan_sweep",
    "run_sweep",
    "write_results",
    "plot_sweep",
    "check_plot",
    "add_arguments",
    "sweep_main",
]

#: The worked example of ``qbkit sweep --help`` (the README shows the same).
EXAMPLE = """\
example:
  qbkit sweep leitch2024_quantum_rotor -p B1 4:6:2 -p g 1 --out sweeps/rotor --plot eta_max
  runs the points B1 = 4, 6 (g fixed at 1) on a local Dask cluster, one worker per core,
  and writes sweeps/rotor/points/<point id>/ (one qbkit run folder each),
  sweeps/rotor/sweep.csv, sweeps/rotor/sweep.nc (xarray, dimension B1) and
  sweeps/rotor/sweep.png. With -p I 1,2 as well, the 4 points of the grid (--zip: 2 pairs).
  Run the same command again to resume after an interruption or to retry failed points
  (their errors are in sweeps/rotor/failures/): finished points are not run again, and
  points in the execution cache are copied.

  On a cluster: start 'dask scheduler' and 'dask worker tcp://HOST:8786 --nthreads 1' (each
  worker from a clone of this repository at the same commit, with qbkit installed, and DIR on
  a file system shared with it), then add --scheduler tcp://HOST:8786.
"""

#: Longest readable part of a point id (the parameter hash follows it).
_ID_CHARS = 96
#: Most values one range may produce (guards against a mistyped step).
_RANGE_LIMIT = 100_000


class _Interrupted(KeyboardInterrupt):
    """SIGTERM, turned into an interruption so the cluster is shut down cleanly."""


@dataclass(frozen=True)
class Point:
    """One point of a sweep.

    Attributes
    ----------
    index : int
        Position in the sweep (row-major over the grid, or the position in ``--zip``).
    id : str
        Folder name under ``DIR/points/``: the swept values, then the first 8 hex digits of
        the parameter hash (e.g. ``R=3,T=0.5-1f2e3d4c``).
    values : dict
        The swept parameters' typed values at this point.
    overrides : tuple of (str, str)
        Every parameter set on the command line at this point, as command-line text.
    full : dict
        Every parameter value, defaults filled in (what the cache is keyed on).
    hash : str
        :func:`qbkit.book.cache.parameters_hash` of ``full`` (16 hex digits).
    key : str
        The execution cache key (notebook, ``qbkit``, parameters, environment).
    """

    index: int
    id: str
    values: dict
    overrides: tuple
    full: dict
    hash: str
    key: str

    @property
    def label(self):
        """``R=3, T=0.5``: the swept values, for messages."""
        return ", ".join(f"{k}={_fmt(v)}" for k, v in self.values.items()) or "defaults"


@dataclass
class Sweep:
    """A validated sweep: the chapter, the swept and the fixed parameters, every point."""

    chapter: str
    swept: dict
    fixed: dict
    zip: bool
    points: list = field(default_factory=list)
    parameters: tuple = ()

    @property
    def dims(self):
        """Names of the swept parameters, in the order given."""
        return list(self.swept)


@dataclass
class SweepResult:
    """What :func:`run_sweep` did: counts per outcome, the failures, the result files."""

    counts: dict
    failures: list
    files: list
    dashboard: str | None = None


# -- values ---------------------------------------------------------------------------
def _decimal_text(d):
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _range(name, text):
    parts = text.split(":")
    if len(parts) != 3:
        raise P.ParameterError(name, f"cannot read range {text!r}: expected START:STOP:STEP")
    try:
        start, stop, step = (Decimal(p.strip()) for p in parts)
    except InvalidOperation:
        raise P.ParameterError(
            name, f"cannot read range {text!r}: START, STOP and STEP must be numbers"
        ) from None
    if not all(d.is_finite() for d in (start, stop, step)):
        raise P.ParameterError(name, f"range {text!r}: START, STOP and STEP must be finite")
    if step == 0:
        raise P.ParameterError(name, f"range {text!r}: STEP must not be 0")
    steps = (stop - start) / step  # exact in decimal: 0:1:0.1 has 10 steps, not 9.999...
    if steps < 0:
        raise P.ParameterError(name, f"range {text!r}: STEP goes away from STOP")
    if steps != steps.to_integral_value():
        raise P.ParameterError(
            name, f"range {text!r}: STOP is not START plus a whole number of STEPs"
        )
    if steps + 1 > _RANGE_LIMIT:
        raise P.ParameterError(name, f"range {text!r}: more than {_RANGE_LIMIT} values")
    return [_decimal_text(start + k * step) for k in range(int(steps) + 1)]


def expand_values(param, text):
    """The values of one ``-p NAME VALUES`` of a sweep, as command-line texts.

    Parameters
    ----------
    param : qbkit.book.params.Param
        The parameter (its type decides how ``text`` is read).
    text : str
        One value (``0.5``), a comma list (``1,2,5``) or, for numbers, a range
        ``START:STOP:STEP`` with both ends included (``0:2:0.5`` is 0, 0.5, 1, 1.5, 2;
        computed in decimal, so no value drifts by float rounding). A ``list`` parameter
        takes one JSON list and is never swept.

    Returns
    -------
    (list of str, bool)
        The values and whether the parameter is swept (a list or a range, even of one
        value, makes a dimension; a single value is fixed).

    Raises
    ------
    qbkit.book.params.ParameterError
        A range that cannot be read or does not end on STOP, an empty list item, or the
        same value twice.
    """
    name = param.name
    if param.type is list:
        return [text], False
    if param.type in (int, float) and ":" in text:
        values, swept = _range(name, text), True
    elif "," in text:
        values, swept = [v.strip() for v in text.split(",")], True
        if any(v == "" for v in values):
            raise P.ParameterError(name, f"empty value in the list {text!r}")
    else:
        return [text], False
    typed = [P.parse_cli_value(param, v) for v in values]
    for i, v in enumerate(typed):
        if v in typed[:i]:
            raise P.ParameterError(name, f"value {values[i]} given twice in {text!r}")
    return values, swept


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _point_id(values, phash):
    readable = ",".join(f"{k}={_fmt(v)}" for k, v in values.items())
    readable = re.sub(r"[^A-Za-z0-9._=,+-]", "_", readable)[:_ID_CHARS]
    return f"{readable}-{phash[:8]}" if readable else phash[:8]


def _detail(err):
    return str(err).removeprefix(f"parameter '{err.name}': ")


def plan_sweep(chapter, parameters=(), zip_=False):
    """Expand and validate every point of a sweep; nothing is run or written.

    Parameters
    ----------
    chapter : str
        Chapter name (``qbkit list`` shows them).
    parameters : iterable of (str, str)
        ``(NAME, VALUES)`` pairs as on the command line (see :func:`expand_values`).
    zip_ : bool
        Pair the swept parameters' values (all of one length) instead of the Cartesian grid.

    Returns
    -------
    Sweep

    Raises
    ------
    qbkit.book.params.ParameterError
        An unknown chapter or parameter, a parameter given twice, values that cannot be
        read, lists of different lengths under ``zip_``, or a point that breaks a rule of
        the chapter (the message names the parameter, the value and the point).
    """
    ch = get_chapter(chapter)
    params = ch.parameters()
    parameters = [tuple(p) for p in parameters]
    swept, fixed, texts = {}, {}, {}
    for name, text in parameters:
        P.check_override(chapter, params, name, texts)
        values, is_swept = expand_values(params[name], text)
        texts[name] = values
        if is_swept:
            swept[name] = values
        else:
            fixed[name] = values[0]
    if zip_ and len({len(v) for v in swept.values()}) > 1:
        lengths = ", ".join(f"{k} has {len(v)}" for k, v in swept.items())
        raise P.ParameterError("--zip", f"needs lists of one length ({lengths} values)")
    combos = zip(*swept.values()) if zip_ else itertools.product(*swept.values())
    combos = list(combos) if swept else [()]
    sweep = Sweep(chapter, {}, {}, zip_, parameters=tuple(parameters))
    for index, combo in enumerate(combos):
        point_texts = dict(fixed) | dict(zip(swept, combo))
        overrides = tuple((k, point_texts[k]) for k in texts)
        label = ", ".join(f"{k}={v}" for k, v in zip(swept, combo)) or "defaults"
        try:
            typed, full = resolve_parameters(chapter, overrides)
        except P.ParameterError as err:
            raise P.ParameterError(
                err.name,
                f"{_detail(err)}, at point {label} ({index + 1} of {len(combos)})",
                err.kind,
            ) from None
        phash = parameters_hash(full)
        values = {k: typed[k] for k in swept}
        sweep.points.append(
            Point(
                index,
                _point_id(values, phash),
                values,
                overrides,
                full,
                phash,
                key_for(chapter, full),
            )
        )
    for k in swept:  # the axes: each swept parameter's values, typed, in the order given
        sweep.swept[k] = list(dict.fromkeys(p.values[k] for p in sweep.points))
    sweep.fixed = {k: sweep.points[0].full[k] for k in fixed}
    return sweep


# -- state of a sweep folder ----------------------------------------------------------
def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _point_state(out, point, chapter):
    """``"done"``, ``"stale"`` (done by another notebook/qbkit/environment) or ``"todo"``."""
    folder = out / "points" / point.id
    meta = _read_json(folder / "run.json")
    if not (folder / "run.log").is_file() or not meta:
        return "todo"
    if meta.get("chapter") != chapter or meta.get("parameters_hash") != point.hash:
        return "todo"
    return "done" if meta.get("key") == point.key else "stale"


def _check_out(out, chapter):
    """Refuse an ``--out`` that is not a folder of this chapter's sweeps (nothing written)."""
    if out.exists() and not out.is_dir():
        raise P.ParameterError("--out", f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        meta = _read_json(out / "sweep.json")
        if meta is None:
            raise P.ParameterError(
                "--out", f"{out} exists and is not an earlier qbkit sweep folder; choose another"
            )
        if meta.get("chapter") != chapter:
            raise P.ParameterError(
                "--out", f"{out} holds a sweep of {meta.get('chapter')}; choose another"
            )
    parent = next(p for p in [out, *out.parents] if p.exists())
    if not os.access(parent, os.W_OK | os.X_OK):
        raise P.ParameterError("--out", f"cannot write to {parent}")


@contextlib.contextmanager
def _locked(out):
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / ".lock", "w")  # noqa: SIM115 (held for the whole sweep)
    except OSError as err:
        raise P.ParameterError("--out", f"cannot write to {out}: {err.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise P.ParameterError(
                "--out", f"{out} is being written by another qbkit sweep"
            ) from None
        yield
    finally:
        handle.close()


def _clean_partials(points_dir):
    """Remove what an interrupted ``run_chapter`` left (its staging and retired folders)."""
    for path in points_dir.glob(".*"):
        if ".partial-" in path.name or ".old-" in path.name:
            shutil.rmtree(path, ignore_errors=True)


# -- one point, on a worker -----------------------------------------------------------
def _one_line(text):
    return " ".join(str(text).split())


def _run_point(chapter, overrides, folder, token, key):
    """Run one point on a Dask worker; returns a plain dict (never raises for a chapter error)."""
    host = socket.gethostname()
    folder = Path(folder)
    meta = _read_json(folder.parents[1] / "sweep.json")
    if not meta or meta.get("token") != token:
        return {
            "ok": False,
            "error": f"worker on {host} does not see {folder.parents[1]}: the sweep folder "
            "must be on a file system shared with the workers",
        }
    try:
        _, full = resolve_parameters(chapter, overrides)
        if key_for(chapter, full) != key:
            return {
                "ok": False,
                "error": f"worker on {host} has another notebook, qbkit or environment than "
                "the client (cache keys differ): install the same commit and lock file there",
            }
        _, cached = run_chapter(chapter, overrides, folder, progress=False)
    except ChapterFailed as err:
        return {
            "ok": False,
            "error": _one_line(err),
            "cell": err.cell,
            "source": err.source,
            "host": host,
        }
    except P.ParameterError as err:
        return {"ok": False, "error": _one_line(err), "host": host}
    return {"ok": True, "cached": cached, "host": host}


# -- the cluster ----------------------------------------------------------------------
@contextlib.contextmanager
def _dask_client(workers, scheduler):
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise P.ParameterError(
                "--scheduler", f"cannot reach {scheduler}: {_one_line(err)}"
            ) from None
        with client:
            yield client
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "port 8787 in use, using another"
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            env=dict(KERNEL_ENV),  # BLAS single-threaded in the workers (and their kernels)
            silence_logs=logging.CRITICAL,  # e.g. heartbeats cut at shutdown; points report
            dashboard_address=":8787",
        )
    with cluster, Client(cluster) as client:
        yield client


def _default_workers():
    from dask.system import CPU_COUNT

    return CPU_COUNT


def _progress_bar(total, initial, enabled):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="point",
        desc="qbkit sweep",
        disable=not enabled,
        file=sys.stderr,
    )


def _record_failure(out, point, result):
    failures = out / "failures"
    failures.mkdir(exist_ok=True)
    record = {
        "point": point.id,
        "label": point.label,
        "parameters": dict(point.overrides),
        "parameters_hash": point.hash,
        "error": result.get("error"),
        "cell": result.get("cell"),
        "source": result.get("source"),
        "host": result.get("host"),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = failures / f".{point.id}.json.tmp"
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(failures / f"{point.id}.json")


def _clear_failure(out, point):
    (out / "failures" / f"{point.id}.json").unlink(missing_ok=True)


def run_sweep(sweep, out, workers=None, scheduler=None, progress=None, plot=None, echo=None):
    """Run every point of a sweep that is not done yet, then write the results.

    Parameters
    ----------
    sweep : Sweep
        From :func:`plan_sweep`.
    out : str or Path
        The sweep folder: new, empty, or an earlier sweep of the same chapter.
    workers : int, optional
        Worker processes of the embedded ``LocalCluster`` (default: the number of cores,
        at most the number of points to run); one thread each.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``) instead.
    progress : bool, optional
        A progress bar over points on stderr (default: when stderr is a terminal and
        ``CI`` is not set).
    plot : str, optional
        A summary key to draw into ``sweep.png`` (see :func:`plot_sweep`).
    echo : callable, optional
        Receives one-line notes (the dashboard address, resumed points); default: stderr.

    Returns
    -------
    SweepResult

    Raises
    ------
    qbkit.book.params.ParameterError
        ``out`` cannot be used or written, the scheduler cannot be reached, or ``plot``
        names no summary key or suits no plot of this sweep.
    KeyboardInterrupt
        Interrupted: finished points stay in ``out``; the cluster is shut down.
    """
    out = Path(out)
    echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    if workers is not None and workers < 1:
        raise P.ParameterError("--workers", f"must be at least 1, got {workers}")
    _check_out(out, sweep.chapter)
    states = {p.id: _point_state(out, p, sweep.chapter) for p in sweep.points}
    todo = [p for p in sweep.points if states[p.id] == "todo"]
    cached = [p for p in todo if lookup(sweep.chapter, p.key) is not None]
    remote = [p for p in todo if p not in cached]
    counts = {"done before": len(sweep.points) - len(todo), "from the cache": 0, "executed": 0}
    failures, dashboard = [], None
    with contextlib.ExitStack() as stack:
        client = None
        if remote:  # reach the cluster before anything is written
            n = min(workers or _default_workers(), len(remote))
            client = stack.enter_context(_dask_client(None if scheduler else n, scheduler))
            dashboard = client.dashboard_link
            if scheduler and not client.scheduler_info().get("workers"):
                echo(f"qbkit: {scheduler} has no workers yet; the points wait for one")
        stack.enter_context(_locked(out))
        token = uuid.uuid4().hex
        _write_json(out / "sweep.json", _definition(sweep, token))
        points_dir = out / "points"
        points_dir.mkdir(exist_ok=True)
        _clean_partials(points_dir)
        stale = sum(state == "stale" for state in states.values())
        if stale:  # kept, as resuming promises; the git_commit column tells them apart
            echo(
                f"qbkit: {stale} points done before were run with another notebook, qbkit or "
                f"environment (current = false in sweep.csv); to run them again, remove their "
                f"folders under {points_dir} or use another --out"
            )
        if counts["done before"]:
            echo(f"qbkit: {counts['done before']} of {len(sweep.points)} points done before")
        if dashboard:
            echo(f"qbkit: Dask dashboard at {dashboard}")
        bar = stack.enter_context(_progress_bar(len(sweep.points), counts["done before"], progress))

        def finished(point, result):
            if result.get("ok"):
                _clear_failure(out, point)
                counts["from the cache" if result.get("cached") else "executed"] += 1
            else:
                _record_failure(out, point, result)
                failures.append((point, result["error"]))
            bar.update(1)

        futures = {}
        if client is not None:
            for p in remote:
                future = client.submit(
                    _run_point,
                    sweep.chapter,
                    p.overrides,
                    str(points_dir / p.id),
                    token,
                    p.key,
                    key=f"{sweep.chapter}-{p.id}-{token[:8]}",  # named on the dashboard
                    pure=False,
                )
                futures[future] = p
        for p in cached:  # meanwhile, here: copies from the cache
            finished(
                p, _run_point(sweep.chapter, p.overrides, str(points_dir / p.id), token, p.key)
            )
        if futures:
            from distributed import as_completed

            previous = signal.getsignal(signal.SIGTERM)
            if _main_thread():
                signal.signal(signal.SIGTERM, _raise_interrupt)
            try:
                for future in as_completed(futures):
                    point = futures.pop(future)
                    try:
                        result = future.result()
                    except Exception as err:  # the worker died, or could not run the task
                        result = {"ok": False, "error": _one_line(f"{type(err).__name__}: {err}")}
                    finished(point, result)
                    future.release()
            except KeyboardInterrupt:
                client.cancel(list(futures))
                raise
            finally:
                if _main_thread():
                    signal.signal(signal.SIGTERM, previous)
        files = write_results(sweep, out)
        if plot is not None:
            files.append(plot_sweep(sweep, out, plot))
    return SweepResult(counts, failures, files, dashboard)


def _main_thread():
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum, frame):
    raise _Interrupted()


def _write_json(path, data):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str) + "\n")
    tmp.replace(path)


def _definition(sweep, token):
    return {
        "chapter": sweep.chapter,
        "parameters": [list(p) for p in sweep.parameters],
        "zip": sweep.zip,
        "swept": sweep.swept,
        "fixed": sweep.fixed,
        "points": len(sweep.points),
        "token": token,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# -- results --------------------------------------------------------------------------
def _units(help_text):
    """The unit at the start of a parameter's help text (``unit, meaning``), or ''.

    Not every help text follows that convention (``N_C/N_B of Figs. ...``), so only a
    short first field that names no figure is taken as a unit.
    """
    first = help_text.split(",")[0].strip()
    if "," not in help_text or len(first) > 16 or re.search(r"\bFigs?\b|\(paper", first):
        return ""
    return first


def _records(sweep, out):
    """One dict per point: status, provenance and the numeric summary (read from ``out``)."""
    rows = []
    for p in sweep.points:
        folder = out / "points" / p.id
        failure = _read_json(out / "failures" / f"{p.id}.json")
        row = {"point": p, "status": "missing", "summary": {}, "error": ""}
        if failure is not None and failure.get("parameters_hash") == p.hash:
            row.update(status="failed", error=failure.get("error") or "")
        elif _point_state(out, p, sweep.chapter) != "todo":
            meta = _read_json(folder / "run.json") or {}
            log = (folder / "run.log").read_text()
            summary = _read_json(folder / "summary.json") or {}
            row.update(
                status="ok",
                seconds=meta.get("seconds"),
                started=meta.get("started"),
                git_commit=meta.get("git_commit") or "unknown",
                current=meta.get("key") == p.key,
                from_cache="from cache True" in log,
                summary={
                    k: float(v)
                    for k, v in summary.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)
                },
            )
        rows.append(row)
    return rows


def _summary_keys(rows):
    return sorted({k for r in rows for k in r["summary"]})


def _atomic(path, write):
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)
    return path


def write_results(sweep, out):
    """Write ``sweep.csv`` and ``sweep.nc`` from the points in ``out``.

    ``sweep.csv`` has one row per point: point id, the swept parameters, status (``ok``,
    ``failed``), whether it came from the cache, its run time in seconds, when and at which
    git commit it ran, whether that was with today's notebook, ``qbkit`` and environment
    (``current``), the error of a failed point, and every numeric key of its
    ``summary.json``; comment lines
    first name the chapter, commit, fixed parameters and the swept parameters' units.
    ``sweep.nc`` holds the same as an :class:`xarray.Dataset`: the swept parameters are its
    dimensions (one dimension ``point`` under ``--zip``), each summary key a variable (NaN
    where a point failed), with the chapter, git commit, qbkit version and parameter units
    as attributes.

    Parameters
    ----------
    sweep : Sweep
    out : Path
        The sweep folder.

    Returns
    -------
    list of Path
        The two files.
    """
    out = Path(out)
    rows = _records(sweep, out)
    keys = _summary_keys(rows)
    params = get_chapter(sweep.chapter).parameters()
    commit = git_commit(repo_root()) or "unknown"
    qbkit_version = versions()["qbkit"]

    def write_csv(path):
        with open(path, "w", newline="") as fh:
            fh.write(
                f"# qbkit sweep of {sweep.chapter}, git commit {commit}, qbkit {qbkit_version}\n"
            )
            if sweep.fixed:
                fixed = ", ".join(f"{k}={_fmt(v)}" for k, v in sweep.fixed.items())
                fh.write(f"# fixed: {fixed}\n")
            for name in sweep.dims:
                fh.write(f"# {name}: {_units(params[name].help) or '-'} ({params[name].help})\n")
            extra = ["from_cache", "seconds", "started", "git_commit", "current"]
            head = ["point", *sweep.dims, "status", *extra, "error"]
            writer = csv.writer(fh)
            writer.writerow(head + keys)
            for r in rows:
                p = r["point"]
                writer.writerow(
                    [p.id, *(_csv(p.values[d]) for d in sweep.dims), r["status"]]
                    + [_csv(r.get(c, "")) for c in extra]
                    + [r["error"]]
                    + [_csv(r["summary"].get(k, "")) for k in keys]
                )

    files = [_atomic(out / "sweep.csv", write_csv)]
    ds = _dataset(sweep, rows, keys, params, commit, qbkit_version)
    files.append(_atomic(out / "sweep.nc", lambda path: ds.to_netcdf(path, engine="scipy")))
    return files


def _csv(value):
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _variable_name(key, taken):
    name = key.replace("/", "_")
    while name in taken:
        name = f"summary_{name}"
    return name


def _dataset(sweep, rows, keys, params, commit, qbkit_version):
    import numpy as np
    import xarray as xr

    def coord_attrs(name):
        attrs = {"long_name": name, "description": params[name].help}
        if _units(params[name].help):
            attrs["units"] = _units(params[name].help)
        return attrs

    dims = sweep.dims
    if sweep.zip and dims:
        shape, where = (len(rows),), [(i,) for i in range(len(rows))]
        dim_names = ("point",)
        coords = {
            name: ("point", np.asarray([r["point"].values[name] for r in rows]), coord_attrs(name))
            for name in dims
        }
    else:
        shape = tuple(len(sweep.swept[d]) for d in dims)
        where = [np.unravel_index(r["point"].index, shape) if dims else () for r in rows]
        dim_names = tuple(dims)
        coords = {name: (name, np.asarray(sweep.swept[name]), coord_attrs(name)) for name in dims}
    point_ids = np.empty(shape, dtype=object)
    status = np.empty(shape, dtype=object)
    commits = np.empty(shape, dtype=object)
    current = np.zeros(shape, dtype=bool)
    seconds = np.full(shape, np.nan)
    for r, at in zip(rows, where):
        point_ids[at], status[at] = r["point"].id, r["status"]
        commits[at], current[at] = r.get("git_commit", ""), r.get("current", False)
        seconds[at] = r.get("seconds") if r.get("seconds") is not None else np.nan
    data = {
        "point_id": (dim_names, point_ids.astype(str), {"long_name": "folder under points/"}),
        "status": (dim_names, status.astype(str), {"long_name": "ok, failed or missing"}),
        "seconds": (dim_names, seconds, {"long_name": "run time of the point", "units": "s"}),
        "git_commit": (dim_names, commits.astype(str), {"long_name": "commit the point ran at"}),
        "current": (
            dim_names,
            current,
            {"long_name": "ran with this notebook, qbkit and environment (cache key)"},
        ),
    }
    taken = set(data) | set(coords) | set(dim_names)
    for key in keys:
        values = np.full(shape, np.nan)
        for r, at in zip(rows, where):
            values[at] = r["summary"].get(key, np.nan)
        name = _variable_name(key, taken)
        taken.add(name)
        data[name] = (dim_names, values, {"long_name": key, "summary_key": key})
    units = {k: _units(p.help) for k, p in params.items() if k in dims or k in sweep.fixed}
    attrs = {
        "title": f"qbkit sweep of {sweep.chapter}",
        "chapter": sweep.chapter,
        "git_commit": commit,
        "qbkit_version": qbkit_version,
        "swept_parameters": ", ".join(dims),
        "fixed_parameters": json.dumps(sweep.fixed),
        "parameter_units": json.dumps(units),
        "zip": int(sweep.zip),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _axis_label(name, params):
    unit = _units(params[name].help)
    return f"{name} [{unit}]" if unit and unit != "1" else name


def _positions(values):
    """Axis positions and tick labels: numbers at their values (ticks on them if at most 12),
    text and booleans at 0, 1, 2, ... with their values as labels."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        return arr.astype(float), [_fmt(v.item()) for v in arr] if len(set(arr)) <= 12 else None
    return np.arange(len(arr), dtype=float), [str(v) for v in arr]


def plot_sweep(sweep, out, key):
    """Draw summary ``key`` over a 1-D or 2-D sweep into ``out/sweep.png``.

    One swept parameter gives a line over it; two give a map (the first parameter along
    x, the second along y; under ``--zip``, a scatter coloured by the value). Axes carry
    the parameters' names and units; failed points are left out.

    Parameters
    ----------
    sweep : Sweep
    out : Path
        The sweep folder (with its ``points/``).
    key : str
        A key of the points' ``summary.json``.

    Returns
    -------
    Path
        ``out/sweep.png``.

    Raises
    ------
    qbkit.book.params.ParameterError
        The sweep has neither one nor two swept parameters, or no point has ``key``.
    """
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from .figures import use_style

    check_plot(sweep, key)
    out = Path(out)
    rows = _records(sweep, out)
    keys = _summary_keys(rows)
    if key not in keys:
        shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
        raise P.ParameterError("--plot", f"no point has the summary key {key!r} (keys: {shown})")
    params = get_chapter(sweep.chapter).parameters()
    use_style()
    fig = MplFigure(figsize=(4.6, 3.4), layout="constrained")
    ax = fig.add_subplot()
    value = {r["point"].index: r["summary"].get(key, np.nan) for r in rows}
    dims = sweep.dims
    if len(dims) == 1:
        (name,) = dims
        xs = [p.values[name] for p in sweep.points]
        x, ticks = _positions(xs)
        y = np.array([value[p.index] for p in sweep.points])
        order = np.argsort(x, kind="stable")
        ax.plot(x[order], y[order], "o-", ms=3)
        if ticks:
            ax.set_xticks(x, ticks)
        ax.set_xlabel(_axis_label(name, params))
        ax.set_ylabel(key)
    else:
        xname, yname = dims
        if sweep.zip:
            x, xt = _positions([p.values[xname] for p in sweep.points])
            y, yt = _positions([p.values[yname] for p in sweep.points])
            z = np.array([value[p.index] for p in sweep.points])
            art = ax.scatter(x, y, c=z, s=30)
        else:
            x, xt = _positions(sweep.swept[xname])
            y, yt = _positions(sweep.swept[yname])
            z = np.array([value[p.index] for p in sweep.points]).reshape(len(x), len(y)).T
            ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
            x, y, z = x[ox], y[oy], z[np.ix_(oy, ox)]
            xt = [xt[i] for i in ox] if xt else None
            yt = [yt[i] for i in oy] if yt else None
            art = ax.pcolormesh(x, y, np.ma.masked_invalid(z), shading="nearest")
        if xt:
            ax.set_xticks(x, xt)
        if yt:
            ax.set_yticks(y, yt)
        ax.set_xlabel(_axis_label(xname, params))
        ax.set_ylabel(_axis_label(yname, params))
        fig.colorbar(art, ax=ax, label=key)
    fixed = ", ".join(f"{k}={_fmt(v)}" for k, v in sweep.fixed.items())
    ax.set_title(sweep.chapter + (f"\n{fixed}" if fixed else ""), fontsize=8)
    return _atomic(out / "sweep.png", lambda path: fig.savefig(path, format="png", dpi=150))


def check_plot(sweep, key):
    """Refuse ``--plot`` on a sweep it cannot draw (before anything runs).

    Raises
    ------
    qbkit.book.params.ParameterError
        Unless one or two parameters are swept.
    """
    if len(sweep.dims) not in (1, 2):
        raise P.ParameterError(
            "--plot", f"draws a sweep of one or two parameters, this one sweeps {len(sweep.dims)}"
        )


# -- command line ---------------------------------------------------------------------
def add_arguments(parser):
    """Add the arguments of ``qbkit sweep`` to ``parser`` (for :mod:`qbkit.book.cli`).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``sweep`` subcommand's parser.

    Returns
    -------
    argparse.ArgumentParser
        The same parser.
    """
    parser.add_argument("chapter")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUES"),
        help="one value (fixed), a list 1,2,5 or a range START:STOP:STEP with both ends "
        "included (swept); repeatable, once per name",
    )
    parser.add_argument(
        "--out", metavar="DIR", required=True, help="sweep folder (new, or an earlier sweep)"
    )
    parser.add_argument(
        "--zip",
        action="store_true",
        help="pair the swept values (lists of one length) instead of the Cartesian grid",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local Dask cluster (default: the number of cores)",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://HOST:8786"
    )
    parser.add_argument("--plot", metavar="KEY", help="draw summary KEY into DIR/sweep.png")
    return parser


def sweep_main(args):
    """Run ``qbkit sweep`` from parsed arguments; returns the exit code.

    Exit codes: 0 every point succeeded; 1 a point failed (one line per failure on
    stderr); 130 interrupted (run the same command again to resume).

    Raises
    ------
    qbkit.book.params.ParameterError
        Bad input (the command line turns it into exit code 2); nothing is written.
    """
    if not isinstance(args, argparse.Namespace):
        raise TypeError("sweep_main expects parsed arguments (argparse.Namespace)")
    sweep = plan_sweep(args.chapter, args.parameter, args.zip)
    if args.plot is not None:
        check_plot(sweep, args.plot)
    out = Path(args.out)
    try:
        result = run_sweep(
            sweep, out, workers=args.workers, scheduler=args.scheduler, plot=args.plot
        )
    except KeyboardInterrupt:
        print(
            f"qbkit: sweep interrupted; finished points are kept in {out}/points: run the "
            "same command again to resume",
            file=sys.stderr,
        )
        return 130
    c = result.counts
    ok = c["done before"] + c["from the cache"] + c["executed"]
    print(
        f"qbkit: {len(sweep.points)} points of {sweep.chapter} in {out}: {ok} ok "
        f"({c['executed']} executed, {c['from the cache']} from the cache, "
        f"{c['done before']} done before), {len(result.failures)} failed; wrote "
        + ", ".join(f.name for f in result.files)
    )
    for point, error in result.failures:
        print(f"qbkit: point {point.label} ({point.id}) failed: {error}", file=sys.stderr)
    return 1 if result.failures else 0
