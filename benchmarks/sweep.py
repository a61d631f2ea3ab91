"""Benchmark of ``qbkit sweep``: 8 points of the dark-state chapter on 2 Dask workers against
8 serial ``qbkit run --force`` of the same points, on the same machine.

Targets (issue 20): speed-up >= 1.7x on 2 cores; overhead per point over a plain run <= 3 s,
where the overhead is the extra worker time per point, ``(workers * T_sweep - T_serial) / n``
(it includes the cluster's start and any slowdown of two kernels sharing the machine).

Both sides run as a reader would, as ``python -m qbkit`` processes, each with an empty
execution cache of its own, so every point is executed. Run with
``python benchmarks/run.py --sweep`` (or this file); figures depend on the machine's load,
which is printed with them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHAPTER = "quach2020_dark_states"
#: Reduced truncations: about 30 s per run on an idle 2-core machine.
FIXED = [("N_B_max", "4"), ("R_max", "4")]


def _qbkit(args, cache):
    env = {
        **os.environ,
        "QBKIT_CACHE_DIR": str(cache),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "CI": "1",  # no progress output
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "qbkit", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"qbkit {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def _load():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None):
    """Run the benchmark and print its numbers; returns 0.

    Parameters
    ----------
    argv : list of str, optional
        ``--points N`` (default 8) and ``--workers N`` (default 2).

    Returns
    -------
    int
        0 (a benchmark reports; it does not fail).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8, help="points (R = 1 .. N), default 8")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers, default 2")
    args = parser.parse_args(argv)
    n, workers = args.points, args.workers
    fixed = [x for name, value in FIXED for x in ("-p", name, value)]
    print(f"sweep benchmark: {CHAPTER}, R = 1..{n}, {' '.join(fixed)}; cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="qbkit-sweep-bench-") as tmp:
        tmp = Path(tmp)
        load_start = _load()
        serial, serial_exec = [], []
        for r in range(1, n + 1):
            out = tmp / "serial" / f"R{r}"
            args_run = ["run", CHAPTER, "-p", "R", str(r), *fixed, "--force", "--out", str(out)]
            serial.append(_qbkit(args_run, tmp / "cache-serial"))
            serial_exec.append(json.loads((out / "run.json").read_text())["seconds"])
            print(f"{serial[-1]:8.1f} s  qbkit run --force, R = {r}", flush=True)
        load_serial = _load()
        out = tmp / "sweep"
        args_sweep = ["sweep", CHAPTER, "-p", "R", f"1:{n}:1", *fixed]
        t_sweep = _qbkit(
            [*args_sweep, "--workers", str(workers), "--out", str(out)], tmp / "cache-sweep"
        )
        load_sweep = _load()
        with open(out / "sweep.csv") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
        if len(rows) != n or any(r["status"] != "ok" for r in rows):
            raise RuntimeError("the sweep did not finish every point")
        sweep_exec = [float(r["seconds"]) for r in rows]
    t_serial = sum(serial)
    speedup = t_serial / t_sweep
    overhead = (workers * t_sweep - t_serial) / n
    print(f"{t_sweep:8.1f} s  qbkit sweep of {n} points on {workers} workers (incl. cluster start)")
    print(f"{t_serial:8.1f} s  {n} serial qbkit run --force (incl. process start)")
    print(
        f"speed-up {speedup:.2f}x (target >= 1.7x), overhead per point {overhead:+.1f} s "
        f"(target <= 3 s)"
    )
    print(
        f"papermill execution per point: {sum(serial_exec) / n:.1f} s serial, "
        f"{sum(sweep_exec) / n:.1f} s in the sweep ({workers} at a time)"
    )
    # what is not the notebook's execution: process start and copies for a plain run;
    # cluster start, scheduling, copies and the last round's idle worker for the sweep
    print(
        f"time per point outside the execution: {(t_serial - sum(serial_exec)) / n:.1f} s "
        f"serial, {(workers * t_sweep - sum(sweep_exec)) / n:.1f} s of worker time in the sweep"
    )
    print(
        f"load average (1/5/15 min): {load_start} at start, {load_serial} after the serial runs, "
        f"{load_sweep} after the sweep"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
