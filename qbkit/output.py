"""What a chapter publishes: figures (glued for the book), their data, summary.json, scorecard.

Where the files go is decided by the caller, not the notebook: ``qbkit run`` sets
``QBKIT_OUTPUT_DIR``; the book build sets ``QBKIT_BOOK=1`` so that figures are glued
for ``{glue:figure}`` instead of shown inline. In plain Jupyter neither is set:
figures are shown inline and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "output_dir",
    "publish_figure",
    "write_csv",
    "round_sig",
    "write_summary",
    "Scorecard",
]


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


def write_summary(summary, parameters=None, digits=6):
    """Round a flat dict of key numbers and, under ``qbkit run``, write summary.json.

    Parameters
    ----------
    summary : dict of str to float
    parameters : mapping, optional
        Written next to it as parameters.json (the values the run used).
    digits : int
        Significant digits.

    Returns
    -------
    dict
        The rounded summary, keys sorted.

    Raises
    ------
    ValueError
        If a value is not a finite number.
    """
    rounded = {}
    for key in sorted(summary):
        value = float(summary[key])
        if not math.isfinite(value):
            raise ValueError(f"summary value {key!r} is not finite: {value}")
        rounded[key] = round_sig(value, digits)
    out = output_dir()
    if out is not None:
        (out / "summary.json").write_text(json.dumps(rounded, indent=1) + "\n")
        if parameters is not None:
            (out / "parameters.json").write_text(json.dumps(dict(parameters), indent=1) + "\n")
    return rounded


@dataclass
class _Claim:
    claim: str
    where: str
    paper: object
    ours: object
    rtol: float
    atol: float
    why: str
    applies: bool
    expect_agree: bool

    @property
    def numeric(self):
        return not isinstance(self.paper, (bool, str))

    @property
    def agrees(self):
        if self.numeric:
            return bool(np.allclose(self.ours, self.paper, rtol=self.rtol, atol=self.atol))
        return self.ours == self.paper


@dataclass
class Scorecard:
    """The table of a paper's quantitative claims against this book's numbers.

    Add claims with :meth:`add`; :meth:`to_markdown` renders the table; :meth:`check`
    asserts every applicable claim (numbers with ``np.testing.assert_allclose``), so
    a broken claim fails the notebook run. A claim the book disagrees with is added
    with ``expect_agree=False`` and its reason; :meth:`check` then asserts that the
    disagreement is still there, so a change in either number is noticed.
    """

    claims: list = field(default_factory=list)

    def add(self, claim, where, paper, ours, *, rtol=0.0, atol=0.0, why="", applies=True,
            expect_agree=True):
        """Record one claim.

        Parameters
        ----------
        claim, where : str
            What the paper says and where (equation, figure, section).
        paper, ours : float or bool or str
            The paper's value and this book's value (bools for qualitative claims).
        rtol, atol : float
            Tolerance of the comparison, with ``why`` justifying it.
        applies : bool
            False when the run's parameters differ from the paper's for this claim.
        expect_agree : bool
            False for a claim this book disagrees with (explain in ``why``).
        """
        self.claims.append(
            _Claim(claim, where, paper, ours, rtol, atol, why, applies, expect_agree)
        )

    @staticmethod
    def _fmt(x):
        if isinstance(x, (bool, np.bool_)):
            return "yes" if x else "no"
        if isinstance(x, str):
            return x
        return f"{float(x):.6g}"

    def verdict(self, c):
        if not c.applies:
            return "n/a (parameters differ from the paper's)"
        if c.agrees:
            return "agrees" if c.expect_agree else "agrees (unexpectedly)"
        return "DISAGREES" if c.expect_agree else "disagrees (see errata)"

    def to_markdown(self):
        rows = [
            "| # | claim | where | paper | this book | tolerance, note | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, c in enumerate(self.claims, 1):
            tol = f"rtol {c.rtol:g}, atol {c.atol:g}" if c.numeric else "yes/no"
            if c.why:
                tol += f"; {c.why}"
            rows.append(
                f"| {i} | {c.claim} | {c.where} | {self._fmt(c.paper)} | {self._fmt(c.ours)} "
                f"| {tol} | {self.verdict(c)} |"
            )
        return "\n".join(rows)

    def check(self):
        """Assert every applicable claim; raise AssertionError naming the first failure."""
        for c in self.claims:
            if not c.applies:
                continue
            if c.agrees != c.expect_agree:
                expected = "agreement" if c.expect_agree else "the recorded disagreement"
                raise AssertionError(
                    f"claim '{c.claim}' ({c.where}): expected {expected}; "
                    f"paper {self._fmt(c.paper)}, ours {self._fmt(c.ours)}"
                )
            if c.numeric and c.expect_agree:
                np.testing.assert_allclose(c.ours, c.paper, rtol=c.rtol, atol=c.atol,
                                           err_msg=c.claim)

    def counts(self):
        """Numbers of claims by verdict."""
        out = {}
        for c in self.claims:
            v = self.verdict(c)
            out[v] = out.get(v, 0) + 1
        return out
