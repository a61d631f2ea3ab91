"""Keep committed notebooks clean: no outputs except the small nbval check cells.

``python -m qbkit.book.nbtools check NB...``   exit 1 and name every problem
``python -m qbkit.book.nbtools clean NB...``   strip outputs, counts and run metadata in place
``python -m qbkit.book.nbtools refresh NB EXECUTED``  copy the outputs of the
``# NBVAL_CHECK_OUTPUT`` cells of an executed copy into NB (the expected values
nbval compares against), then clean NB
``python -m qbkit.book.nbtools expected NB...``  execute each NB at its defaults (or take
the execution from the cache) and refresh NB from it
"""

from __future__ import annotations

import argparse
import sys

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
KEEP_CELL_METADATA = {"tags"}


def is_check_cell(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def problems(nb):
    """List what makes a notebook node unclean (empty when clean)."""
    out = []
    for i, cell in enumerate(nb.cells):
        extra = set(cell.metadata) - KEEP_CELL_METADATA
        if extra:
            out.append(f"cell {i}: metadata {sorted(extra)}")
        if cell.cell_type != "code":
            continue
        expected_count = 1 if is_check_cell(cell) and cell.outputs else None
        if cell.execution_count != expected_count:
            out.append(
                f"cell {i}: execution count {cell.execution_count} (expected {expected_count})"
            )
        if cell.outputs and not is_check_cell(cell):
            out.append(f"cell {i}: has outputs")
        for o in cell.outputs:
            if o.output_type != "stream" or o.get("name") != "stdout":
                out.append(f"cell {i}: check cell output must be plain stdout, got {o.output_type}")
    if "papermill" in nb.metadata:
        out.append("notebook metadata: papermill")
    if not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        out.append("no cell tagged 'parameters'")
    return out


def clean(nb):
    """Strip outputs (except check cells), execution counts and run metadata, in place."""
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        if cell.cell_type == "code":
            if not is_check_cell(cell):
                cell.outputs = []
            # nbval skips a reference cell that has outputs but no execution count
            cell.execution_count = 1 if is_check_cell(cell) and cell.outputs else None
            for o in cell.outputs:
                o.pop("execution_count", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def refresh(nb, executed):
    """Copy the check cells' outputs from an executed copy (injected-parameters cells skipped)."""
    ran = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    if len(ran) != len(nb.cells):
        raise ValueError("executed notebook does not match the source cell by cell")
    for cell, done in zip(nb.cells, ran):
        if cell.source != done.source:
            raise ValueError("executed notebook's sources differ from the source notebook")
        if is_check_cell(cell):
            cell.outputs = [
                o for o in done.outputs if o.output_type == "stream" and o.name == "stdout"
            ]
    return clean(nb)


def expected(paths):
    """Refresh each notebook's check-cell outputs from an execution at its defaults."""
    from pathlib import Path

    from .params import read_parameters
    from .runner import execute_chapter

    for path in map(Path, paths):
        defaults = {k: p.default for k, p in read_parameters(path).items()}
        entry, cached = execute_chapter(path, {}, defaults)
        nb = refresh(nbformat.read(path, 4), nbformat.read(entry.notebook, 4))
        nbformat.write(nb, path)
        print(f"{path}: check outputs refreshed ({'cached' if cached else 'executed'} run)")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m qbkit.book.nbtools", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("check", "clean"):
        sub.add_parser(name).add_argument("notebooks", nargs="+")
    r = sub.add_parser("refresh")
    r.add_argument("notebook")
    r.add_argument("executed")
    sub.add_parser("expected").add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "refresh":
        nb = refresh(nbformat.read(args.notebook, 4), nbformat.read(args.executed, 4))
        nbformat.write(nb, args.notebook)
        return 0
    if args.cmd == "expected":
        return expected(args.notebooks)
    status = 0
    for path in args.notebooks:
        nb = nbformat.read(path, 4)
        if args.cmd == "clean":
            nbformat.write(clean(nb), path)
        else:
            for p in problems(nb):
                print(f"{path}: {p}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
