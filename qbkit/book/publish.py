"""What a chapter publishes: figures (glued for the book), their data, tables, summary.json.

Where the files go is decided by the caller, not the notebook: every execution by the book's
machinery (``qbkit run``, the book build, nbval under ``make test``) sets ``QBKIT_OUTPUT_DIR``
and ``QBKIT_BOOK=1``, so figures are written there and glued for ``{glue:figure}`` instead of
shown inline. In plain Jupyter neither is set: figures are shown inline and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import numpy as np

__all__ = ["output_dir", "publish_figure", "write_csv", "round_sig", "write_summary", "table"]


def output_dir():
    """The folder named by ``QBKIT_OUTPUT_DIR`` (created), or None when unset."""
    path = os.environ.get("QBKIT_OUTPUT_DIR")
    if not path:
        return None
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_csv(path, columns, title=""):
    """Write columns of possibly different lengths to CSV, units in the header.

    Parameters
    ----------
    path : str or Path
    columns : dict of str to (array_like, str)
        ``{column name: (values, unit)}``; shorter columns are padded with empty cells.
    title : str
        Written as the first comment line.
    """
    names = list(columns)
    values = [np.ravel(np.asarray(columns[n][0], dtype=float)) for n in names]
    n_rows = max(len(v) for v in values)
    with open(path, "w", newline="") as fh:
        fh.write(f"# {title}\n" if title else "")
        for n in names:
            fh.write(f"# {n}: {columns[n][1]}\n")
        writer = csv.writer(fh)
        writer.writerow(names)
        for i in range(n_rows):
            writer.writerow([repr(float(v[i])) if i < len(v) else "" for v in values])


def publish_figure(fig, name, data, caption=""):
    """Show or glue a figure and, under ``qbkit run``, save it with its data.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        Glue key and file stem, e.g. ``"quach-fig2"``.
    data : dict of str to (array_like, str)
        The plotted numbers, ``{column: (values, unit)}`` (see :func:`write_csv`).
    caption : str
        Written as the CSV title line.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    # Render the PNG here rather than rely on the kernel's matplotlib backend (with
    # MPLBACKEND=Agg an inline figure would be displayed as text only).
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    png = buffer.getvalue()
    out = output_dir()
    if out is not None:
        (out / f"{name}.png").write_bytes(png)
        fig.savefig(out / f"{name}.pdf", bbox_inches="tight", metadata={"CreationDate": None})
        write_csv(out / f"{name}.csv", data, title=caption or name)
    plt.close(fig)
    image = Image(data=png, format="png")
    if os.environ.get("QBKIT_BOOK") == "1":
        from myst_nb import glue

        glue(name, image, display=False)
    else:
        display(image)


def round_sig(x, digits=6):
    """Round a float to ``digits`` significant digits (0 and non-finite kept)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def write_summary(summary, parameters=None, digits=6, scorecard=None, undefined_ok=False):
    """Round a flat dict of key numbers and, under ``qbkit run``, write summary.json.

    Parameters
    ----------
    summary : dict of str to float
    parameters : mapping, optional
        Written next to it as parameters.json (the values the run used).
    digits : int
        Significant digits.
    scorecard : qbkit.book.scorecard.Scorecard, optional
        Written next to it as scorecard.json (one object per claim).
    undefined_ok : bool
        Leave out keys whose value is None or not finite (a quantity that does not exist at
        the run's parameters, e.g. an efficiency maximum where no engine regime exists)
        instead of raising. Their names go to ``summary_undefined.json``.

    Returns
    -------
    dict
        The rounded summary, keys sorted.

    Raises
    ------
    ValueError
        If a value is not a finite number (and ``undefined_ok`` is False).
    """
    rounded, undefined = {}, []
    for key in sorted(summary):
        value = float("nan") if summary[key] is None else float(summary[key])
        if not math.isfinite(value):
            if undefined_ok:
                undefined.append(key)
                continue
            raise ValueError(f"summary value {key!r} is not finite: {value}")
        rounded[key] = round_sig(value, digits)
    out = output_dir()
    if out is not None:
        (out / "summary.json").write_text(json.dumps(rounded, indent=1) + "\n")
        if parameters is not None:
            (out / "parameters.json").write_text(json.dumps(dict(parameters), indent=1) + "\n")
        if scorecard is not None:
            (out / "scorecard.json").write_text(json.dumps(scorecard.rows(), indent=1) + "\n")
        if undefined:
            (out / "summary_undefined.json").write_text(json.dumps(undefined, indent=1) + "\n")
    if undefined:
        print(f"not defined at these parameters, left out of the summary: {', '.join(undefined)}")
    return rounded


def _cell(x, fmt):
    if isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if x is None:
        return "–"
    return format(x, fmt)


def table(header, rows, fmt=".4g", show=True):
    """A Markdown table from a header and rows of numbers or strings, displayed in the notebook.

    Parameters
    ----------
    header : sequence of str
        Column titles (Markdown and math allowed).
    rows : iterable of sequences
        One sequence per row, as long as ``header``; numbers are formatted with ``fmt``,
        strings are kept, bools become yes/no.
    fmt : str or sequence of str
        Format spec for numbers, one for all columns or one per column.
    show : bool
        Display the table (default); otherwise only return it.

    Returns
    -------
    str
        The Markdown source.

    Raises
    ------
    ValueError
        If a row's length differs from the header's.
    """
    header = list(header)
    fmts = [fmt] * len(header) if isinstance(fmt, str) else list(fmt)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for k, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"table row {k} has {len(row)} cells, the header {len(header)}")
        lines.append("| " + " | ".join(_cell(x, f) for x, f in zip(row, fmts)) + " |")
    text = "\n".join(lines)
    if show:
        from IPython.display import Markdown, display

        display(Markdown(text))
    return text
