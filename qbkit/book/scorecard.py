"""A chapter's scorecard: every checkable claim of its paper, with a verdict a reader can count.

Verdict classes (the same in every chapter, counted on the book's scorecard page):

``agrees``
    Our number matches the paper's within the stated tolerance.
``disagrees``
    The paper is wrong; the chapter shows the evidence in an executed cell and the errata
    page says the same.
``agrees-after-correction``
    The printed value is wrong, and a stated erratum (``corrected``) fixes it: our number
    matches the corrected value and not the printed one.
``depends-on-unstated``
    The paper's value is reached for some value of a parameter or convention it does not
    state; ``unstated`` names that value and ``ours`` is our number there.
``not-checkable``
    The claim cannot be checked with what the paper gives; ``note`` says why.
``n/a``
    The run's parameters differ from those the claim is made at (set by ``applies=False``).

:meth:`Scorecard.check` asserts each row's class against its numbers, so a change of either
number that breaks a verdict stops the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["VERDICTS", "Claim", "Scorecard"]

VERDICTS = (
    "agrees",
    "disagrees",
    "agrees-after-correction",
    "depends-on-unstated",
    "not-checkable",
    "n/a",
)


def _plain(x):
    """A JSON-ready version of a claim value (float, bool, str or None)."""
    if x is None or isinstance(x, str):
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    value = float(x)
    return value if math.isfinite(value) else str(value)


def _fmt(x):
    if x is None:
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    return f"{float(x):.6g}"


def _close(a, b, rtol, atol):
    if isinstance(b, (bool, np.bool_, str)) or isinstance(a, (bool, np.bool_, str)):
        return a == b
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


@dataclass(frozen=True)
class Claim:
    """One row of a scorecard (see :meth:`Scorecard.add` for the fields)."""

    claim: str
    where: str
    paper: object
    ours: object
    rtol: float
    atol: float
    note: str
    verdict: str
    corrected: object = None
    unstated: str = ""
    anchor: str = ""

    @property
    def numeric(self):
        return not isinstance(self.paper, (bool, np.bool_, str)) and self.paper is not None

    def problem(self):
        """What contradicts this row's verdict (None when the numbers support it)."""
        v, tol = self.verdict, (self.rtol, self.atol)
        if v in ("n/a", "not-checkable"):
            return None
        if self.ours is None:
            return "no value of ours"
        matches_paper = _close(self.ours, self.paper, *tol)
        if v in ("agrees", "depends-on-unstated") and not matches_paper:
            return f"expected agreement; paper {_fmt(self.paper)}, ours {_fmt(self.ours)}"
        if v == "disagrees" and matches_paper:
            return (
                f"recorded as a disagreement, but ours {_fmt(self.ours)} matches {_fmt(self.paper)}"
            )
        if v == "agrees-after-correction":
            if not _close(self.ours, self.corrected, *tol):
                corrected = _fmt(self.corrected)
                return f"expected agreement with the corrected {corrected}, ours {_fmt(self.ours)}"
            if matches_paper:
                return (
                    f"ours {_fmt(self.ours)} matches the printed value too: the verdict is 'agrees'"
                )
        return None

    def as_dict(self):
        return {
            "claim": self.claim,
            "where": self.where,
            "paper": _plain(self.paper),
            "ours": _plain(self.ours),
            "rtol": self.rtol,
            "atol": self.atol,
            "note": self.note,
            "verdict": self.verdict,
            "corrected": _plain(self.corrected),
            "unstated": self.unstated,
            "anchor": self.anchor,
        }


@dataclass
class Scorecard:
    """The table of a paper's quantitative claims against this book's numbers.

    Parameters
    ----------
    prefix : str
        Short chapter id used in row anchors, e.g. ``"quach2020"`` gives ``quach2020-claim-3``.
    applies : bool
        Default of each row's ``applies`` (usually "the run is at the paper's parameters").

    Examples
    --------
    >>> sc = Scorecard("demo")
    >>> sc.add("E(0) = 0", "Eq. (1)", 0.0, 1e-12, atol=1e-9, note="exact")
    >>> sc.counts()["agrees"]
    1
    """

    prefix: str = "claim"
    applies: bool = True
    claims: list = field(default_factory=list)

    def add(
        self,
        claim,
        where,
        paper,
        ours,
        *,
        rtol=0.0,
        atol=0.0,
        note="",
        verdict="agrees",
        corrected=None,
        unstated="",
        applies=None,
    ):
        """Record one claim.

        Parameters
        ----------
        claim, where : str
            What the paper says (in our words) and where (equation, figure, section).
        paper, ours : float or bool or str or None
            The paper's value and ours (bools for qualitative claims; ``ours`` may be None
            only for ``not-checkable``).
        rtol, atol : float
            Tolerance of the comparison; ``note`` says why it is what it is.
        note : str
            Tolerance reason, evidence, the erratum it rests on.
        verdict : str
            One of :data:`VERDICTS` except ``n/a`` (which ``applies=False`` gives).
        corrected : float or bool, optional
            For ``agrees-after-correction``: the value after the stated correction.
        unstated : str
            For ``depends-on-unstated``: the parameter value that reproduces the paper,
            e.g. ``"I = 0.62"``; ``ours`` is our number at that value.
        applies : bool, optional
            False when the run's parameters differ from the claim's (verdict becomes ``n/a``);
            default the scorecard's ``applies``.

        Raises
        ------
        ValueError
            Unknown verdict, a repeated claim, or a missing ``corrected``/``unstated``/``note``
            that the verdict needs.
        """
        if verdict not in VERDICTS or verdict == "n/a":
            raise ValueError(f"verdict must be one of {VERDICTS[:-1]}, got {verdict!r}")
        if any(c.claim == claim for c in self.claims):
            raise ValueError(f"claim {claim!r} is already on the scorecard (one claim, one row)")
        if verdict == "agrees-after-correction" and corrected is None:
            raise ValueError(f"claim {claim!r}: 'agrees-after-correction' needs corrected=")
        if verdict == "depends-on-unstated" and not unstated:
            raise ValueError(f"claim {claim!r}: 'depends-on-unstated' needs unstated= (the value)")
        if verdict in ("disagrees", "not-checkable", "depends-on-unstated") and not note:
            raise ValueError(f"claim {claim!r}: verdict {verdict!r} needs a note with the evidence")
        applies = self.applies if applies is None else bool(applies)
        anchor = f"{self.prefix}-claim-{len(self.claims) + 1}"
        self.claims.append(
            Claim(
                claim,
                where,
                paper,
                ours,
                float(rtol),
                float(atol),
                note,
                verdict if applies else "n/a",
                corrected,
                unstated,
                anchor,
            )
        )

    def rows(self):
        """The claims as JSON-ready dicts (what ``scorecard.json`` holds)."""
        return [c.as_dict() for c in self.claims]

    def to_markdown(self):
        """The scorecard as a Markdown table, one anchor per row."""
        rows = [
            "| # | claim | where | paper | this book | tolerance, note | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, c in enumerate(self.claims, 1):
            tol = f"rtol {c.rtol:g}, atol {c.atol:g}" if c.numeric else "yes/no"
            note = "; ".join(s for s in (tol, c.note) if s)
            ours = _fmt(c.ours)
            if c.verdict == "agrees-after-correction":
                ours += f" (corrected: {_fmt(c.corrected)})"
            if c.unstated:
                ours += f" at {c.unstated}"
            cells = [
                f'<a id="{c.anchor}"></a>{i}',
                c.claim,
                c.where,
                _fmt(c.paper),
                ours,
                note,
                f"**{c.verdict}**" if c.verdict == "disagrees" else c.verdict,
            ]
            rows.append("| " + " | ".join(s.replace("|", "\\|") for s in cells) + " |")
        return "\n".join(rows)

    def check(self):
        """Assert every row's verdict against its numbers.

        Raises
        ------
        AssertionError
            Naming the first claim whose numbers contradict its verdict.
        """
        for c in self.claims:
            problem = c.problem()
            if problem:
                raise AssertionError(
                    f"claim '{c.claim}' ({c.where}), verdict {c.verdict}: {problem}"
                )

    def counts(self):
        """Numbers of claims per verdict class (every class present, zeros included)."""
        out = dict.fromkeys(VERDICTS, 0)
        for c in self.claims:
            out[c.verdict] += 1
        return out
