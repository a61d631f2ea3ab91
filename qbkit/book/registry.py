"""The book's chapters: where each notebook lives and the rules its parameters obey.

Names, types, defaults and help texts come from each notebook's ``parameters``
cell (:func:`qbkit.book.params.read_parameters`); this registry adds only the rules.
"""

from __future__ import annotations

import os
import runpy
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import params as P

__all__ = ["Chapter", "CHAPTERS", "repo_root", "get_chapter", "validate_parameters"]


@dataclass(frozen=True)
class Chapter:
    """A book chapter: its notebook, title and parameter rules.

    ``rules`` maps every parameter to a rule of its own value; ``relations`` are rules
    between parameters (:func:`qbkit.book.params.at_most`, ...). Both are checked before
    a kernel starts. ``folder`` holds the notebook of a chapter from outside the book
    (see :data:`EXTRA_CHAPTERS`); the book's own chapters live in ``notebooks/``.
    """

    name: str
    title: str
    rules: dict
    relations: tuple = ()
    folder: str | None = None

    @property
    def prefix(self):
        """Short id of the chapter (``quach2020``): figure names and scorecard anchors."""
        return self.name.split("_")[0]

    @property
    def notebook(self):
        folder = Path(self.folder) if self.folder else repo_root() / "notebooks"
        return folder / f"{self.name}.ipynb"

    def validate(self, values):
        """Validate a (partial) dict of values; defaults fill the rest. Raises ParameterError."""
        return P.validate(self.parameters(), values, self.relations)

    def parameters(self):
        """The notebook's parameters with this chapter's rules attached (dict of Param)."""
        return _parameters(self.name)


CHAPTERS = {
    c.name: c
    for c in [
        Chapter(
            "quach2020_dark_states",
            "Dark-state charging of open quantum batteries (Quach & Munro 2020)",
            {
                "gamma": P.positive,
                "T": P.in_range(0.0, 1e3),
                "battery_initial": P.one_of("ground", "thermal"),
                "R": P.in_range(1, 100),
                "N_B": P.in_range(1, 12),
                "N_B_max": P.in_range(2, 30),
                "R_max": P.in_range(2, 50),
                "T_max": P.in_range(0.1, 1e3),
            },
        ),
        Chapter(
            "pirmoradian2019_aging",
            "Aging of a quantum battery (Pirmoradian & Mølmer 2019)",
            {
                "gamma": P.positive,
                "N": P.in_range(2, 400),
                "Gamma": P.in_range(0.0, 1e6),
                "tau_s": P.in_range(1e-4, 1.0),
                "tau_d": P.in_range(1e-4, 1.0),
                "tau_d_long": P.in_range(1e-4, 1.0),
                "t_release": P.in_range(1e-3, 0.25),
            },
        ),
        Chapter(
            "salvia2023_collisional_charging",
            "Collisional charging of cavity and spin batteries (Salvia et al.)",
            {
                "d_osc": P.in_range(50, 1000),
                "two_j": P.in_range(1, 999),
                "q": P.in_range(0.0, 1.0),
                "theta_fig2": P.in_range(1e-4, 0.5),
                "gamma_fig5": P.in_range(0.0, 0.1),
                "Omega_tau_fig2": P.in_range(1.0, 60.0),
                "Omega_tau_max_spin": P.in_range(0.5, 20.0),
            },
        ),
        Chapter(
            "leitch2024_quantum_rotor",
            "Thermodynamics of a two-qubit quantum rotor device (Leitch, Hammam & De Chiara)",
            {
                "beta1": P.in_range(0.01, 10.0),
                "beta_r": P.in_range(0.01, 10.0),
                "B1": P.in_range(0.1, 100.0),
                "B2": P.in_range(0.1, 100.0),
                "g": P.in_range(1e-3, 10.0),
                "chi": P.in_range(-0.95, 0.95),
                "lam": P.in_range(1e-4, 10.0),
                "gamma": P.in_range(1e-7, 1.0),  # > 0: without the load no steady state
                "I": P.in_range(0.1, 20.0),
                "L_max": P.in_range(20, 150),
                "Omega": P.in_range(0.1, 1e4),
                "g_rect": P.in_range(1e-3, 10.0),
            },
        ),
        Chapter(
            "martins2023_rydberg_flywheel",
            "A Rydberg ion flywheel for quantum work storage (Martins et al.)",
            {
                "gamma": P.in_range(0.01, 100.0),
                "omega": P.in_range(0.5, 100.0),
                "kappa1": P.in_range(-20.0, 20.0),
                "kappa2": P.in_range(-5.0, 5.0),
                "V0": P.in_range(-200.0, 200.0),
                "V0_kappa2": P.in_range(-200.0, 200.0),
                "Omega": P.in_range(0.0, 100.0),
                "Delta_min": P.in_range(-100.0, 100.0),
                "Delta_max": P.in_range(-100.0, 100.0),
                "Delta": P.in_range(-100.0, 100.0),
                "Omega_min": P.in_range(0.0, 100.0),
                "Omega_max": P.in_range(0.0, 100.0),
                "t_max": P.in_range(5.0, 1000.0),  # gamma t; the charging fit needs several periods
                "t_map": P.in_range(1.0, 1000.0),
                "n_grid": P.in_range(3, 201),
                "N_fock": P.in_range(10, 300),
                "edge_tol": P.in_range(1e-14, 1e-6),  # the top Fock state must stay below 1e-6
                "band": P.in_range(4, 64),
            },
            relations=(P.at_most("t_map", "t_max"),),
        ),
    ]
}


def repo_root():
    """The repository root (the folder holding ``notebooks/``).

    Raises
    ------
    FileNotFoundError
        If qbkit is not installed from a checkout of the repository.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / "notebooks").is_dir():
        raise FileNotFoundError(
            f"no notebooks/ next to the qbkit package ({root}); install qbkit with "
            "'pip install -e .' from a clone of the repository"
        )
    return root


#: Environment variable naming Python files (separated by ``os.pathsep``) whose list
#: ``CHAPTERS`` holds extra :class:`Chapter` objects with a ``folder``: chapters from outside
#: the book, e.g. the tiny chapters of the sweep tests. An environment variable reaches
#: every process that runs a chapter (Dask workers, papermill kernels).
EXTRA_CHAPTERS = "QBKIT_EXTRA_CHAPTERS"


def _load_extra_chapters():
    for path in filter(None, os.environ.get(EXTRA_CHAPTERS, "").split(os.pathsep)):
        for chapter in runpy.run_path(path).get("CHAPTERS", []):
            CHAPTERS.setdefault(chapter.name, chapter)


def get_chapter(name):
    """Look up a chapter by name; raise ParameterError naming it if unknown."""
    if name not in CHAPTERS:
        _load_extra_chapters()
    if name not in CHAPTERS:
        raise P.ParameterError(
            "CHAPTER", f"unknown chapter {name!r} (known: {', '.join(CHAPTERS)})"
        )
    return CHAPTERS[name]


@cache
def _parameters(name):
    chapter = CHAPTERS[name]
    found = P.read_parameters(chapter.notebook)
    missing = set(found) ^ set(chapter.rules)
    if missing:
        raise ValueError(f"chapter {name}: parameters and rules disagree on {sorted(missing)}")
    return {
        k: P.Param(p.name, p.type, p.default, p.help, chapter.rules[k]) for k, p in found.items()
    }


def validate_parameters(chapter, **values):
    """Validate a chapter's parameters as the notebook's validation cell does.

    Parameters
    ----------
    chapter : str
        Chapter name, e.g. ``"quach2020_dark_states"``.
    **values
        Every parameter of the chapter by name.

    Returns
    -------
    types.MappingProxyType
        The validated values (read-only; lists become tuples).

    Raises
    ------
    TypeError
        A value has the wrong type (the message names the parameter).
    ValueError
        A value is out of range, or a name is unknown or missing.
    """
    ch = get_chapter(chapter)
    missing = set(ch.parameters()) - set(values)
    if missing:
        raise ValueError(f"parameter '{sorted(missing)[0]}': missing")
    try:
        return P.frozen(ch.validate(values))
    except P.ParameterError as err:
        raise err.kind(str(err)) from None
