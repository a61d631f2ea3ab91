"""Shared figure style: the papers' panel labels and the default colour cycle (blue, orange, green, red)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = ["use_style", "panels", "label_panels"]


def use_style():
    """Apply the book's matplotlib style (deterministic fonts and sizes, no interactive backend changes)."""
    mpl.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "lines.linewidth": 1.5,
        "svg.hashsalt": "qbkit",
        "pdf.fonttype": 42,
    })


def panels(rows, cols, width=3.1, height=2.4):
    """A figure with a grid of panels; returns ``(fig, axes)`` with ``axes`` flattened row-wise."""
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), layout="constrained")
    return fig, axes.ravel() if hasattr(axes, "ravel") else [axes]


def label_panels(axes, start="a"):
    """Write (a), (b), ... above the upper-left corner of each panel."""
    for k, ax in enumerate(axes):
        ax.set_title(f"({chr(ord(start) + k)})", loc="left", fontweight="bold")
