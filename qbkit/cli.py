"""Command line: ``qbkit list [CHAPTER]`` and ``qbkit run CHAPTER [-p NAME VALUE]... [--out DIR]``.

Exit codes: 0 success, 1 the chapter failed while executing, 2 bad input (one line
on stderr naming the parameter; nothing written).
"""

from __future__ import annotations

import argparse
import sys

from . import params as P
from .chapters import CHAPTERS, get_chapter
from .runner import ChapterFailed, default_out, run_chapter


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit code 2, like argparse, but ours
        self.exit(2, f"qbkit: error: {message}\n")


def _parser():
    parser = _Parser(prog="qbkit", description="Run the qbkit book's chapters with your parameters.")
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list chapters and their parameters")
    ls.add_argument("chapter", nargs="?", help="show only this chapter")
    run = sub.add_parser(
        "run",
        help="execute a chapter with changed parameters",
        description="Writes the executed notebook, figures (PNG, PDF), their data (CSV) "
        "and summary.json to DIR (default _build/runs/CHAPTER).",
    )
    run.add_argument("chapter")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    run.add_argument("--out", metavar="DIR", help="output folder")
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
        out = run_chapter(args.chapter, args.parameter, args.out)
    except P.ParameterError as err:
        print(f"qbkit: error: {err}", file=sys.stderr)
        return 2
    except ChapterFailed as err:
        where = args.out or default_out(args.chapter)
        print(f"qbkit: chapter failed, {where} left unchanged: {err}", file=sys.stderr)
        return 1
    print(f"qbkit: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
