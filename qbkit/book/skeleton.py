"""``qbkit new NAME --title TITLE``: a new chapter that already runs and passes ``make test``.

Creates the notebook with the fixed skeleton (title, overview, parameters, model, one figure,
beyond the paper, provenance, scorecard, summary, about), registers the chapter and its
parameter rules, adds it to the table of contents, gives it an errata section and a
bibliography stub, and stores the expected output of its nbval check cell. The example
physics (free decay of a two-level emitter, checked against ``qutip.mesolve``) is there to
be replaced.
"""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat

from . import params as P
from .registry import CHAPTERS, repo_root

__all__ = ["new_chapter"]

NAME = re.compile(r"^[a-z]+[0-9]{4}_[a-z0-9_]+$")

MARKDOWN = {
    "title": """# {title}

**Paper.** A. Author, B. Author, *{title}*, Journal **0**, 000000 (YEAR),
doi:[10.0000/replace-me](https://doi.org/10.0000/replace-me) {{cite}}`{key}`.

## Overview

In your own words: the system, what the paper claims, and what this chapter checks and how.""",
    "model": """## The model

Each equation of the paper, with its number, directly above the code that builds it. Here, as an
example, a two-level emitter decays from its excited state at rate $\\gamma$, so its energy in units
of $\\hbar\\omega$ is

$$
E(t) = e^{{-\\gamma t}} . \\tag{{1}}
$$""",
    "figure": """## Figure 1

```{{glue:figure}} {prefix}-fig1
:name: fig-{prefix}-fig1

Energy of the emitter against time: the closed form (1) and `qutip.mesolve`.
```""",
    "beyond": """## Beyond the paper

Every approximation against an exact method, every truncation shown to be converged.

### Provenance of what the paper does not state

| quantity | value used | status | reason |
|---|---|---|---|
| $\\gamma$ | 1 | stated | the time unit |""",
    "scorecard": """## Scorecard

Every checkable claim, with its tolerance and why it is that tolerance.""",
    "about": "## About this run",
}

CODE = {
    "parameters": """gamma: float = 1.0  # 1/time unit, decay rate of the emitter (paper: 1)
t_max: float = 5.0  # 1/gamma, end of the time axis of Fig. 1 (paper: 5)""",
    "start": """import numpy as np
import qutip

from qbkit.book import Figure, start

ch = start("{name}", globals())""",
    "model": """tlist = np.linspace(0, t_max, 101)
E_closed = np.exp(-gamma * tlist)
sm = qutip.destroy(2)
result = qutip.mesolve(qutip.qzero(2), qutip.basis(2, 1).proj(), tlist, [np.sqrt(gamma) * sm],
                       e_ops=[sm.dag() * sm])
E_mesolve = result.expect[0]""",
    "figure": """fig = Figure("{prefix}-fig1", x=("gamma_t", "1"), caption="Fig. 1: free decay")
ax = fig.axes[0]
fig.plot(ax, gamma * tlist, E_closed, name="E_closed_form", unit="hbar*omega", label="Eq. (1)")
fig.plot(ax, gamma * tlist, E_mesolve, "--", name="E_mesolve", unit="hbar*omega", label="mesolve")
ax.set(xlabel=r"$\\gamma t$", ylabel=r"$E$ ($\\hbar\\omega$)")
ax.legend(loc="upper right")
fig.publish()""",
    "beyond": """mesolve_residual = np.abs(E_mesolve - E_closed).max()
print(f"largest |mesolve - Eq. (1)| = {{mesolve_residual:.1e}}")""",
    "scorecard": """sc = ch.scorecard(applies=ch.at_paper())
sc.add("E(t) = exp(-gamma t) (largest residual of mesolve)", "Eq. (1)", 0.0, mesolve_residual,
       atol=1e-6, note="mesolve's default tolerances")
summary = ch.finish(sc, {{"E(t=1)": float(np.interp(1 / gamma, tlist, E_mesolve))}})""",
    "check": """# NBVAL_CHECK_OUTPUT
ch.print_summary()""",
    "about": """# NBVAL_IGNORE_OUTPUT
ch.about()""",
}


def _notebook(name, title, prefix, key):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    fill = {"name": name, "title": title, "prefix": prefix, "key": key}
    cells = [
        md(MARKDOWN["title"].format(**fill)),
        code(CODE["parameters"], metadata={"tags": ["parameters"]}),
        code(CODE["start"].format(**fill)),
        md(MARKDOWN["model"].format(**fill)),
        code(CODE["model"]),
        md(MARKDOWN["figure"].format(**fill)),
        code(CODE["figure"].format(**fill)),
        md(MARKDOWN["beyond"]),
        code(CODE["beyond"].format(**fill)),
        md(MARKDOWN["scorecard"]),
        code(CODE["scorecard"].format(**fill)),
        code(CODE["check"]),
        md(MARKDOWN["about"]),
        code(CODE["about"]),
    ]
    for cell in cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        cell.pop("id", None)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.nbformat_minor = 4
    return nb


def _insert_before(text, marker, addition, where):
    k = text.rindex(marker)
    if k < 0:
        raise ValueError(f"cannot find where to add the chapter in {where}")
    return text[:k] + addition + text[k:]


def new_chapter(name, title, root=None):
    """Create a chapter skeleton; return the paths written.

    Raises
    ------
    qbkit.book.params.ParameterError
        A name that is not ``firstauthorYEAR_topic`` or that exists already.
    """
    if not NAME.match(name):
        raise P.ParameterError("NAME", f"must look like smith2025_heat_engine, got {name!r}")
    root = repo_root() if root is None else root
    notebook = root / "notebooks" / f"{name}.ipynb"
    if name in CHAPTERS or notebook.exists():
        raise P.ParameterError("NAME", f"a chapter {name!r} exists already")
    prefix = name.split("_")[0]
    key = name.replace("_", "")
    nbformat.write(_notebook(name, title, prefix, key), notebook)

    registry = root / "qbkit" / "book" / "registry.py"
    entry = (
        f'        Chapter(\n            "{name}",\n            {title!r},\n'
        '            {"gamma": P.positive, "t_max": P.in_range(0.1, 100.0)},\n        ),\n'
    )
    registry.write_text(_insert_before(registry.read_text(), "    ]\n}", entry, registry))

    toc = root / "_toc.yml"
    text = toc.read_text()
    last = list(re.finditer(r"^      - file: notebooks/\S+\n", text, re.M))[-1]
    toc.write_text(text[: last.end()] + f"      - file: notebooks/{name}\n" + text[last.end() :])

    errata = root / "book" / "errata.md"
    errata.write_text(
        errata.read_text().rstrip() + f"\n\n## {title}\n\nChapter: [{title}]"
        f"(../notebooks/{name}.ipynb) {{cite:p}}`{key}`.\n\nNo errata so far.\n"
    )

    bib = root / "book" / "references.bib"
    bib.write_text(
        bib.read_text().rstrip() + f"\n\n@article{{{key},\n  author  = {{Author, A.}},\n"
        f"  title   = {{{title}}},\n  journal = {{Journal}},\n  year    = {{2000}},\n"
        "  note    = {Replace with the verified reference}\n}\n"
    )
    # the nbval reference output, from a real execution (a fresh interpreter sees the new entry)
    subprocess.run(
        [sys.executable, "-m", "qbkit.book.nbtools", "expected", str(notebook)], check=True
    )
    return [notebook, registry, toc, errata, bib]
