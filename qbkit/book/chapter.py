"""The frame of every chapter notebook: :func:`start` after the parameters, ``finish`` at the end.

A chapter's code cells then hold only its physics and its figures::

    ch = start("quach2020_dark_states", globals())   # validate, style, clock
    if ch.at_paper("T", "R"): ...                      # values from the (paper: X) notes
    sc = ch.scorecard()                                # rows n/a off the paper's parameters
    ...
    summary = ch.finish(sc, {"E_B_ss(R=5)": E})        # table, summary.json, scorecard.json, checks
    ch.print_summary()                                  # the nbval check cell
    ch.about()                                          # versions and run time
"""

from __future__ import annotations

import math
import os
import time

from . import params as P
from .environment import versions
from .figures import use_style
from .publish import write_summary
from .registry import get_chapter
from .scorecard import Scorecard

__all__ = ["ChapterRun", "start"]


class ChapterRun:
    """One execution of a chapter: its validated parameters, the paper's values, its ending.

    Use :func:`start` to make one.
    """

    def __init__(self, name, values):
        self.chapter = get_chapter(name)
        self._params = self.chapter.parameters()
        missing = set(self._params) - set(values)
        if missing:
            raise ValueError(f"parameter '{sorted(missing)[0]}': missing")
        try:
            self.params = P.frozen(self.chapter.validate(values))
        except P.ParameterError as err:
            raise err.kind(str(err)) from None
        self.paper = {k: p.paper for k, p in self._params.items() if p.paper is not None}
        self.summary = None
        self._start = time.perf_counter()

    def at_paper(self, *names):
        """Whether the named parameters (default: all with a ``(paper: X)`` note) equal the paper's.

        Raises
        ------
        KeyError
            If a named parameter has no ``(paper: X)`` note.
        """
        for name in names:
            if name not in self.paper:
                raise KeyError(
                    f"parameter {name!r} has no '(paper: X)' note in the parameters cell"
                )
        names = names or tuple(self.paper)
        return all(_same(self.params[k], self.paper[k]) for k in names)

    def scorecard(self, applies=True):
        """An empty :class:`~qbkit.book.scorecard.Scorecard` with this chapter's anchors."""
        return Scorecard(self.chapter.prefix, applies)

    def finish(self, scorecard, summary, digits=6):
        """End the chapter: show the scorecard, write the run's files, assert every verdict.

        Displays the scorecard table and its counts, writes ``summary.json``,
        ``scorecard.json`` and ``parameters.json`` (under ``qbkit run`` and the book
        build), then runs :meth:`Scorecard.check`. At the paper's parameters (the
        scorecard applies) every summary value must be finite; at other parameters a value
        that is None or NaN (a quantity that does not exist there) is left out and named.

        Returns
        -------
        dict
            The summary rounded to ``digits`` significant digits.
        """
        from IPython.display import Markdown, display

        counts = {k: v for k, v in scorecard.counts().items() if v}
        display(
            Markdown(
                scorecard.to_markdown() + "\n\n" + ", ".join(f"{v} {k}" for k, v in counts.items())
            )
        )
        self.summary = write_summary(
            summary,
            parameters=self.params,
            digits=digits,
            scorecard=scorecard,
            undefined_ok=not scorecard.applies,
        )
        scorecard.check()
        return self.summary

    def print_summary(self, digits=5):
        """Print the summary, one ``key: value`` per line (the nbval check cell)."""
        if self.summary is None:
            raise RuntimeError("call finish() before print_summary()")
        for key, value in self.summary.items():
            print(f"{key}: {value:.{digits}g}")

    def about(self):
        """Print versions, BLAS threads, parameters and run time (like ``qutip.about()``)."""
        print(", ".join(f"{k} {v}" for k, v in versions().items() if v != "not installed"))
        print(f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
        print(f"parameters: {dict(self.params)}")
        print(f"run time: {time.perf_counter() - self._start:.1f} s")


def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and math.isclose(a, b, rel_tol=1e-12)
        )
    return a == b


def start(name, namespace):
    """Validate a chapter's parameters from the notebook's namespace and apply the book's style.

    Parameters
    ----------
    name : str
        Chapter name (``qbkit list`` shows them).
    namespace : mapping
        The notebook's ``globals()``: the parameters cell's names are read from it.

    Returns
    -------
    ChapterRun

    Raises
    ------
    TypeError, ValueError
        A value of the wrong type or out of range; the message names the parameter.
    """
    params = get_chapter(name).parameters()
    run = ChapterRun(name, {k: namespace[k] for k in params if k in namespace})
    use_style()
    return run
