"""The build stops on a failing chapter, names it and its cell, and leaves no site behind."""

import nbformat

from qbkit.book.build import build


def test_failing_chapter_stops_the_build(tmp_path, capsys):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('broken on purpose')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "notebooks" / "broken.ipynb")
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/broken\n"
    )
    assert build(jobs=1, root=tmp_path) == 1
    out = capsys.readouterr()
    assert (
        "broken: FAILED" in out.out
        and "cell 1" in out.out
        and "ValueError: broken on purpose" in out.out
    )
    assert "left unchanged" in out.err
    assert not (tmp_path / "_build" / "html").exists()
