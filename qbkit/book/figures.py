"""Figures of the book: one style, panels with the papers' labels, and curves recorded once.

:class:`Figure` draws each curve and records its numbers in the same call, so the CSV
written next to the figure holds exactly what is plotted, with units, and nothing is named
twice. :meth:`Figure.publish` refuses a panel without axis labels.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .publish import publish_figure

__all__ = ["use_style", "panels", "label_panels", "Figure"]


def use_style():
    """Apply the book's matplotlib style (deterministic fonts and sizes, no backend changes)."""
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "font.size": 9,
            "axes.titlesize": 9,
            "axes.labelsize": 9,
            "legend.fontsize": 7,
            "legend.frameon": False,
            "lines.linewidth": 1.5,
            "svg.hashsalt": "qbkit",
            "pdf.fonttype": 42,
        }
    )


def panels(rows, cols, width=3.1, height=2.4, **subplots_kw):
    """A figure with a grid of panels; returns ``(fig, axes)`` with ``axes`` flattened row-wise."""
    fig, axes = plt.subplots(
        rows, cols, figsize=(width * cols, height * rows), layout="constrained", **subplots_kw
    )
    return fig, axes.ravel() if hasattr(axes, "ravel") else [axes]


def label_panels(axes, start="a"):
    """Write (a), (b), ... above the upper-left corner of each panel."""
    for k, ax in enumerate(axes):
        ax.set_title(f"({chr(ord(start) + k)})", loc="left", fontweight="bold")


class Figure:
    """A figure of panels whose plotted numbers become its CSV.

    Parameters
    ----------
    name : str
        Glue key and file stem, e.g. ``"quach2020-fig2"``.
    rows, cols : int
        Panel grid; the panels are ``self.axes`` (flat, row-wise).
    caption : str
        First line of the CSV.
    x : (str, str), optional
        Default ``(column name, unit)`` of the x values of every curve.
    width, height : float
        Size of one panel in inches.

    Examples
    --------
    >>> fig = Figure("demo", 1, 2, x=("gamma_t", "1"))
    >>> t = np.linspace(0, 1, 5)
    >>> _ = fig.plot(fig.axes[0], t, t**2, name="E", unit="hbar*omega", label="E")
    >>> sorted(fig.columns)
    ['E', 'gamma_t']

    As a context manager the figure is published when the block ends without an error, and
    discarded (nothing written) when it raises::

        with Figure("demo", 1, 2, x=("gamma_t", "1")) as fig:
            draw_something(fig)
    """

    def __init__(
        self, name, rows=1, cols=1, *, caption="", x=None, width=3.1, height=2.4, **subplots_kw
    ):
        self.name, self.caption, self.x = name, caption, x
        self.fig, self.axes = panels(rows, cols, width, height, **subplots_kw)
        self.columns = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.publish()
        else:
            plt.close(self.fig)
        return False

    def record(self, name, values, unit):
        """Add a CSV column; a name already used must hold the same values.

        Raises
        ------
        ValueError
            If ``name`` was recorded before with other values.
        """
        values = np.asarray(values, dtype=float)
        if name in self.columns:
            old = self.columns[name][0]
            if old.shape != values.shape or not np.array_equal(old, values, equal_nan=True):
                raise ValueError(
                    f"figure {self.name}: column {name!r} recorded twice with different values"
                )
            return
        self.columns[name] = (values, unit)

    def _x(self, x, x_name, x_unit):
        name = x_name if x_name is not None else (self.x[0] if self.x else None)
        unit = x_unit if x_unit is not None else (self.x[1] if self.x else None)
        if name is None or unit is None:
            raise ValueError(f"figure {self.name}: give x_name and x_unit (or x= for the figure)")
        self.record(name, x, unit)

    def plot(self, ax, x, y, *fmt, name, unit, x_name=None, x_unit=None, **kwargs):
        """``ax.plot(x, y, *fmt, **kwargs)``, recording ``y`` as ``name`` [``unit``] and its x."""
        self._x(x, x_name, x_unit)
        self.record(name, y, unit)
        return ax.plot(x, y, *fmt, **kwargs)

    def scatter(self, ax, x, y, *, name, unit, x_name=None, x_unit=None, **kwargs):
        """``ax.scatter(x, y, **kwargs)``, recording both like :meth:`plot`."""
        self._x(x, x_name, x_unit)
        self.record(name, y, unit)
        return ax.scatter(x, y, **kwargs)

    def mesh(self, ax, x, y, Z, *, name, unit, x_name, x_unit, y_name, y_unit, **kwargs):
        """``ax.pcolormesh(x, y, Z)`` of a map ``Z[i, j]`` at ``(x[j], y[i])``.

        The CSV gets the axes as columns ``x_name`` and ``y_name`` and the map flattened
        row by row (``y`` slowest) as ``name``.
        """
        Z = np.asarray(Z, dtype=float)
        if Z.shape != (len(y), len(x)):
            raise ValueError(
                f"figure {self.name}: map {name!r} has shape {Z.shape}, "
                f"expected (len(y), len(x)) = ({len(y)}, {len(x)})"
            )
        self.record(x_name, x, x_unit)
        self.record(y_name, y, y_unit)
        self.record(name, Z.ravel(), f"{unit}; row-major over ({y_name}, {x_name})")
        return ax.pcolormesh(x, y, Z, **kwargs)

    def publish(self, labels=True):
        """Label the panels (a), (b), ..., then show or glue the figure and write PNG, PDF, CSV.

        Raises
        ------
        ValueError
            If a panel that shows data has no x or y label.
        """
        for k, ax in enumerate(self.axes):
            shows_data = ax.get_visible() and (ax.lines or ax.collections or ax.images)
            if shows_data and not (ax.get_xlabel() and ax.get_ylabel()):
                raise ValueError(
                    f"figure {self.name}: panel {k} needs an x and a y label with units"
                )
        if labels and len(self.axes) > 1:
            label_panels([ax for ax in self.axes if ax.get_visible()])
        publish_figure(self.fig, self.name, self.columns, self.caption)
