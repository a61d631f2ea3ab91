"""Publishing: the GitHub Actions workflow, and one place for the repository URL."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from qbkit.book.build import build
from qbkit.book.site import BEGIN, END, read_site

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def test_workflow_runs_the_readme_test_command(workflow):
    readme = (ROOT / "README.md").read_text()
    test_command = re.search(r"^make test\b", readme, re.M)
    assert test_command, "the README names its test command"
    runs = [s.get("run", "") for s in steps(workflow, "build")]
    assert "make test" in runs
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML reads `on` as True
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers


def test_every_action_is_pinned_to_an_exact_version(workflow):
    uses = [s["uses"] for job in workflow["jobs"] for s in steps(workflow, job) if "uses" in s]
    assert uses
    for ref in uses:
        assert PINNED.match(ref), f"{ref}: pin an exact version (vX.Y.Z or a commit)"


def test_deploys_only_from_main_and_pull_requests_only_upload(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert "github.ref == 'refs/heads/main'" in deploy["if"] and "push" in deploy["if"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    build_steps = steps(workflow, "build")
    pages = [
        s for s in build_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    artifact = [s for s in build_steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert pages and "refs/heads/main" in pages[0]["if"]
    assert artifact and artifact[0]["if"] == "github.event_name == 'pull_request'"
    assert pages[0]["with"]["path"] == "_build/html"


def test_workflow_restores_and_saves_the_execution_cache(workflow):
    caches = [s for s in steps(workflow, "build") if s.get("uses", "").startswith("actions/cache/")]
    assert {s["uses"].split("@")[0] for s in caches} == {
        "actions/cache/restore",
        "actions/cache/save",
    }
    assert all(s["with"]["path"] == "_build/cache" for s in caches)


def test_readme_badges_follow_the_configured_repository():
    site = read_site(ROOT)
    readme = (ROOT / "README.md").read_text()
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert site.binder in block and site.pages in block and f"{site.url}/actions" in block


def test_changing_the_url_in_one_place_changes_every_button_and_badge(tmp_path):
    """A throwaway book with one notebook; the URL changed only in _config.yml."""
    for name in ("_config.yml", "README.md"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "book").mkdir()
    shutil.copy2(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    (tmp_path / "book" / "intro.md").write_text("# Intro\n")
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "notebooks" / "tiny.ipynb")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/tiny\n"
    )
    config = tmp_path / "_config.yml"
    config.write_text(
        config.read_text().replace("github.com/OWNER/qbkit-book", "github.com/someone/their-book")
    )
    assert build(jobs=1, root=tmp_path) == 0
    readme = (tmp_path / "README.md").read_text()
    assert "OWNER" not in readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert "https://mybinder.org/v2/gh/someone/their-book/main?urlpath=lab" in readme
    assert "https://someone.github.io/their-book/" in readme
    page = (tmp_path / "_build" / "html" / "notebooks" / "tiny.html").read_text()
    assert (
        "https://mybinder.org/v2/gh/someone/their-book/main?urlpath=lab/tree/notebooks/tiny.ipynb"
        in page
    )
    assert 'href="https://github.com/someone/their-book"' in page
    assert "OWNER" not in page
