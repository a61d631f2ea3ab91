"""The book's machinery: what validates, runs, caches, publishes and builds chapters.

Physics lives in the rest of :mod:`qbkit`; nothing here knows about a model. A chapter
notebook needs only the names exported here::

    from qbkit.book import Figure, start, table

Modules
-------
:mod:`~qbkit.book.chapter`      start and end of a chapter notebook (parameters, scorecard, summary)
:mod:`~qbkit.book.figures`      style, panels, :class:`Figure` (curves recorded once, plot + CSV)
:mod:`~qbkit.book.publish`      output folder, CSV, ``summary.json``, Markdown tables
:mod:`~qbkit.book.scorecard`    claims and verdict classes
:mod:`~qbkit.book.params`       parameters read from the notebook, rules, validation
:mod:`~qbkit.book.registry`     the chapters and the rules of their parameters
:mod:`~qbkit.book.runner`       one chapter execution (papermill), atomic output folders
:mod:`~qbkit.book.cache`        content-hash cache of executed chapters
:mod:`~qbkit.book.build`        ``make book``: execute or reuse every chapter, pages, Sphinx
:mod:`~qbkit.book.pages`        the generated scorecard and status pages
:mod:`~qbkit.book.nbval_cache`  pytest plugin: nbval's execution feeds the cache
:mod:`~qbkit.book.cli`          ``qbkit list``, ``qbkit run``, ``qbkit new``
:mod:`~qbkit.book.nbtools`      clean committed notebooks
"""

from .chapter import ChapterRun, start
from .figures import Figure, label_panels, panels, use_style
from .publish import table
from .scorecard import VERDICTS, Scorecard

__all__ = [
    "ChapterRun",
    "start",
    "Figure",
    "panels",
    "label_panels",
    "use_style",
    "table",
    "Scorecard",
    "VERDICTS",
]
