"""Benchmarks: each chapter's heaviest computations, ours next to the plain QuTiP way, and
each chapter end to end.

Run with ``make benchmark`` (one BLAS thread, as the book build uses). Every chapter has a
module ``benchmarks/<prefix>.py`` with

* ``cases()``: ``{description: callable}``, timed as the best of ``--repeat`` runs;
* ``comparisons()`` (optional): a list of :class:`Comparison`: the same observable computed
  our way and the plain way (``mesolve``, ``steadystate``, ``piqs``, dense Kraus products),
  timed in the same run, with the ratio and the largest difference.

Figures are machine-dependent; compare ratios, and run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

MODULES = ["quach2020", "pirmoradian2019", "salvia2023", "leitch2024", "martins2023"]


@dataclass
class Comparison:
    """One observable, computed our way and the plain way on the same case.

    ``ours`` and ``plain`` return arrays of the same shape; ``size`` names the case (and,
    where the plain way cannot reach the chapter's size, both sizes).
    """

    name: str
    size: str
    ours: Callable[[], np.ndarray]
    plain: Callable[[], np.ndarray]


def best_of(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def compare(c, repeat):
    t_ours, a = best_of(c.ours, repeat)
    t_plain, b = best_of(c.plain, 1)
    diff = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    print(
        f"{t_ours:8.2f} s ours | {t_plain:8.2f} s plain | {t_plain / t_ours:7.1f}x | "
        f"max |diff| {diff:.1e}  {c.name} ({c.size})",
        flush=True,
    )


def chapter(name):
    def run():
        from qbkit.book.runner import run_chapter

        with tempfile.TemporaryDirectory() as tmp:  # force: time an execution, not the cache
            run_chapter(name, [], Path(tmp) / "out", progress=False, force=True)

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of each kernel (default 3)"
    )
    parser.add_argument(
        "--no-chapters", action="store_true", help="skip the end-to-end chapter runs"
    )
    parser.add_argument("--only", choices=MODULES, action="append", help="only these chapters")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="only the sweep benchmark (benchmarks/sweep.py): qbkit sweep against serial runs",
    )
    args = parser.parse_args(argv)
    if args.sweep:
        return importlib.import_module("sweep").main([])
    modules = args.only or MODULES
    for prefix in modules:
        module = importlib.import_module(prefix)
        for name, fn in module.cases().items():
            print(f"{best_of(fn, args.repeat)[0]:8.2f} s  {name}", flush=True)
        for c in getattr(module, "comparisons", list)():
            compare(c, args.repeat)
    if not args.no_chapters:
        from qbkit.book.registry import CHAPTERS

        for name, ch in CHAPTERS.items():
            if ch.prefix in modules:
                print(
                    f"{best_of(chapter(name), 1)[0]:8.2f} s  chapter {name} end to end "
                    "(qbkit run --force, incl. kernel start)",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
