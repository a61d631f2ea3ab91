"""Committed notebooks: clean, with the fixed skeleton and a well-formed parameters cell."""

import re
from pathlib import Path

import nbformat
import pytest

from qbkit.book.nbtools import CHECK_MARK, problems
from qbkit.book.params import parameters_cell
from qbkit.book.registry import CHAPTERS, get_chapter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*: (int|float|str|bool|list) = [^#]+  # [^=]+$")


def test_every_notebook_is_a_registered_chapter_and_vice_versa():
    assert {p.stem for p in NOTEBOOKS} == set(CHAPTERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path):
    assert problems(nbformat.read(path, 4)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_literal_and_documented(path):
    source = parameters_cell(nbformat.read(path, 4)).source
    for line in source.splitlines():
        assert LINE.match(line), (
            f"parameters cell line not 'name: type = literal  # unit, meaning': {line!r}"
        )
        assert line.split(":")[0].isascii()
    get_chapter(path.stem).parameters()  # every parameter has a rule and vice versa


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skeleton(path):
    nb = nbformat.read(path, 4)
    title = nb.cells[0].source
    assert title.startswith("# ") and ("doi" in title.lower() or "arxiv" in title.lower())
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("## Overview", "## Beyond the paper", "## Scorecard", "Provenance"):
        assert heading in text
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    k = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "start(" in nb.cells[k + 1].source or "validate_parameters(" in nb.cells[k + 1].source
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(CHECK_MARK)]
    assert checks and all(c.outputs for c in checks), (
        "nbval check cells need their expected outputs"
    )
    glued = re.findall(r"```\{glue:figure\} (\S+)", text)
    # every glued figure is published under its name: a string literal "<prefix>-..." in the code
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    prefix = get_chapter(path.stem).prefix
    named = set(re.findall(rf'"({prefix}-[A-Za-z0-9_-]+)"', code))
    assert glued and len(set(glued)) == len(glued) and set(glued) <= named, set(glued) - named
