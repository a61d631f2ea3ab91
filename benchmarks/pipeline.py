"""Benchmark of the book pipeline on a fresh clone: cold, warm, and one chapter touched.

``make benchmark-pipeline`` (or ``python benchmarks/pipeline.py [--test]``). Clones the
repository's HEAD into a temporary folder and times, there:

1. ``make book`` on the fresh clone (installs included, every chapter executed);
2. ``make book`` again with nothing changed (target: at most 30 s);
3. ``make book`` after a sentence is added to one chapter's text (only that chapter runs);
4. with ``--test``: ``make test`` cold (a second fresh clone) and ``make test`` again.

Run it on an otherwise idle machine; each line reports the wall-clock time and which chapters
executed (from the build's own log).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clone(into):
    subprocess.run(["git", "clone", "-q", str(ROOT), str(into)], check=True)
    return into


def timed(label, cmd, cwd):
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{label}: failed")
    ran = re.findall(r"\[book\] (\S+): ok", done.stdout)
    print(f"{seconds:8.1f} s  {label}; chapters executed: {', '.join(ran) or 'none'}", flush=True)
    return seconds


def touch_chapter(repo, name):
    path = repo / "notebooks" / f"{name}.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    cell["source"] = "".join(cell["source"]) + "\n\nA sentence added for the benchmark."
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="also time make test, cold and warm")
    parser.add_argument("--chapter", default="pirmoradian2019_aging", help="the chapter to touch")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        repo = clone(Path(tmp) / "book")
        timed("make book, fresh clone (installs included)", ["make", "book"], repo)
        timed("make book, nothing changed", ["make", "book"], repo)
        touch_chapter(repo, args.chapter)
        timed(f"make book, {args.chapter} edited", ["make", "book"], repo)
        if args.test:
            repo = clone(Path(tmp) / "test")
            timed("make test, fresh clone (installs included)", ["make", "test"], repo)
            timed("make test, nothing changed", ["make", "test"], repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
