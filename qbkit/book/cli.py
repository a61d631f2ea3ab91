"""Command line: ``qbkit list``, ``qbkit run``, ``qbkit sweep`` and ``qbkit new``.

Exit codes: 0 success, 1 the chapter failed while executing (for a sweep: a point failed),
2 bad input (one line on stderr naming the parameter; nothing written), 130 a sweep was
interrupted.
"""

from __future__ import annotations

import argparse
import sys

from . import params as P
from .registry import CHAPTERS, get_chapter
from .runner import ChapterFailed, default_out, run_chapter


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit code 2, like argparse, but ours
        self.exit(2, f"qbkit: error: {message}\n")


def _parser():
    parser = _Parser(
        prog="qbkit", description="Run the qbkit book's chapters with your parameters."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="list chapters and their parameters")
    ls.add_argument("chapter", nargs="?", help="show only this chapter")
    run = sub.add_parser(
        "run",
        help="execute a chapter with changed parameters",
        description="Writes the executed notebook, figures (PNG, PDF), their data (CSV), "
        "summary.json and scorecard.json to DIR (default _build/runs/CHAPTER). A result "
        "already in the cache (same notebook, qbkit, parameters, environment) is copied.",
    )
    run.add_argument("chapter")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter (repeatable, once per name)",
    )
    run.add_argument("--out", metavar="DIR", help="output folder")
    run.add_argument(
        "--force", action="store_true", help="execute even if the cache holds the result"
    )
    from .sweep import EXAMPLE, add_arguments

    add_arguments(
        sub.add_parser(
            "sweep",
            help="run a chapter over a grid of parameter values, on Dask",
            description="Runs every point of the grid (each an ordinary 'qbkit run' into "
            "DIR/points/<point id>/, taken from the cache where it can) on an embedded Dask "
            "LocalCluster or an existing cluster, and writes DIR/sweep.csv and DIR/sweep.nc. "
            "Every point is validated before anything runs. Resumable: points already done "
            "are skipped; failed points are recorded in DIR/failures/ and tried again.",
            epilog=EXAMPLE,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    new = sub.add_parser(
        "new",
        help="start a new chapter from the skeleton",
        description="Creates notebooks/NAME.ipynb, its registry entry, its line in "
        "_toc.yml, a section of book/errata.md and a bibliography stub.",
    )
    new.add_argument("name", help="chapter name: firstauthorYEAR_topic, e.g. smith2025_heat_engine")
    new.add_argument("--title", required=True, help="the paper's title")
    return parser


def _list(name):
    chapters = [get_chapter(name)] if name else list(CHAPTERS.values())
    for ch in chapters:
        print(f"{ch.name}: {ch.title}")
        for p in ch.parameters().values():
            print(f"    {p.name:<16} {p.type.__name__:<6} = {p.default!r:<10}  {p.help}")


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            _list(args.chapter)
            return 0
        if args.command == "new":
            from .skeleton import new_chapter

            for path in new_chapter(args.name, args.title):
                print(f"qbkit: wrote {path}")
            return 0
        if args.command == "sweep":
            from .sweep import sweep_main

            return sweep_main(args)
        out, cached = run_chapter(args.chapter, args.parameter, args.out, force=args.force)
    except P.ParameterError as err:
        print(f"qbkit: error: {err}", file=sys.stderr)
        return 2
    except ChapterFailed as err:
        where = args.out or default_out(args.chapter)
        print(f"qbkit: chapter failed, {where} left unchanged: {err}", file=sys.stderr)
        return 1
    print(f"qbkit: wrote {out}{' (from the cache)' if cached else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
