"""Build the HTML book: execute (or reuse from the cache) every chapter, generate pages, run Sphinx.

``python -m qbkit.book [--force] [--jobs N]`` (what ``make book`` runs). Steps:

1. sync the sources (``_config.yml``, ``_toc.yml``, ``book/``, ``notebooks/``) into
   ``_build/stage``, writing only files that changed, so that Sphinx rebuilds only those;
2. for every chapter in the table of contents, take its execution from the cache
   (:mod:`qbkit.book.cache`) or execute it with papermill, two at a time;
3. generate ``book/scorecard.md`` and ``book/status.md`` (:mod:`qbkit.book.pages`);
4. ``jupyter-book build -W -n --keep-going`` with execution off, then copy the site to
   ``_build/html``. When nothing changed since the last build, step 4 is skipped.

The site at ``_build/html`` is replaced only when every chapter executed and Sphinx
reported no warning; otherwise it is left as it was and the command exits non-zero,
naming the chapter and cell that failed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from . import params as P
from .cache import chapter_key, longest_first, lookup
from .pages import write_pages
from .registry import repo_root
from .runner import ChapterFailed, execute_chapter
from .site import read_site, update_readme

SOURCES = ["_config.yml", "_toc.yml", "book", "notebooks"]
IGNORED = {".ipynb_checkpoints", "__pycache__"}
DIGEST = ".qbkit-build"


def toc_notebooks(root):
    """Notebooks listed in ``root/_toc.yml``, as paths (in the order of the table of contents)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    path = root / f"{node[key]}.ipynb"
                    if path.exists():
                        found.append(path)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def _files(folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not IGNORED & set(path.relative_to(folder).parts):
            yield path


def _write_if_changed(path, data):
    """Write ``data`` (bytes) unless ``path`` holds it already (keeps mtimes for Sphinx)."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def sync_stage(root, stage, replaced):
    """Make ``stage`` a copy of the sources, with ``replaced`` ({relative path: bytes}) on top.

    Files that did not change keep their modification time; files no longer in the sources
    are removed.
    """
    wanted = {}
    for name in SOURCES:
        src = root / name
        if src.is_dir():
            for path in _files(src):
                wanted[str(path.relative_to(root))] = path.read_bytes()
        elif src.is_file():
            wanted[name] = src.read_bytes()
    wanted.update(replaced)
    for rel, data in wanted.items():
        _write_if_changed(stage / rel, data)
    if stage.is_dir():
        for path in list(_files(stage)):
            if str(path.relative_to(stage)) not in wanted:
                path.unlink()


def _defaults(notebook):
    try:
        return {k: p.default for k, p in P.read_parameters(notebook).items()}
    except ValueError:  # no parameters cell
        return {}


def _execute(job):
    notebook, root, force = job
    start = time.perf_counter()
    try:
        entry, _ = execute_chapter(notebook, {}, _defaults(notebook), root=root, force=force)
    except ChapterFailed as err:
        return notebook.stem, None, str(err), time.perf_counter() - start
    return notebook.stem, entry, "", time.perf_counter() - start


def _digest(stage):
    h = hashlib.sha256()
    for path in _files(stage):
        h.update(str(path.relative_to(stage)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _publishing(root):
    """Badges of the README from _config.yml; one warning while the URL is the placeholder."""
    if not (root / "README.md").is_file() or "repository" not in (root / "_config.yml").read_text():
        return
    site = (
        update_readme(root)
        if "<!-- badges" in (root / "README.md").read_text()
        else read_site(root)
    )
    if site.is_placeholder:
        print(
            f"[book] warning: _config.yml repository.url is the placeholder {site.url}; set it to "
            "your repository for working launch buttons and badges (README: Publishing your fork)",
            flush=True,
        )


def build(jobs=2, root=None, force=False):
    """Execute (or reuse) and build the book found at ``root`` (default: this repository).

    Parameters
    ----------
    jobs : int
        Chapters executed at a time.
    root : Path, optional
        Repository root.
    force : bool
        Execute every chapter even if the cache holds it.

    Returns
    -------
    int
        The process exit code: 0 on success, 1 if a chapter or Sphinx failed.
    """
    root = repo_root() if root is None else Path(root)
    build_dir = root / "_build"
    stage = build_dir / "stage"
    _publishing(root)
    notebooks = toc_notebooks(root)
    entries, ran, todo = {}, set(), []
    for nb in notebooks:
        entry = None if force else lookup(nb.stem, chapter_key(nb, _defaults(nb), root), root)
        if entry is None:
            todo.append(nb)
        else:
            entries[nb.stem] = entry
            meta = entry.meta
            print(
                f"[book] {nb.stem}: from the cache "
                f"(executed {meta['started']}, {meta['seconds']:.0f} s)",
                flush=True,
            )
    failed = []
    if todo:
        print(f"[book] executing {len(todo)} chapter(s), {jobs} at a time", flush=True)
        todo = longest_first(todo, root)
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
            for name, entry, message, seconds in pool.map(
                _execute, [(nb, root, force) for nb in todo]
            ):
                status = "ok" if entry else "FAILED"
                print(
                    f"[book] {name}: {status} ({seconds:.0f} s){' ' + message if message else ''}",
                    flush=True,
                )
                if entry is None:
                    failed.append(message)
                else:
                    entries[name] = entry
                    ran.add(name)
    if failed:
        print(
            f"[book] build stopped: {len(failed)} chapter(s) failed; _build/html left unchanged",
            file=sys.stderr,
        )
        return 1
    executed = {
        str(nb.relative_to(root)): entries[nb.stem].notebook.read_bytes() for nb in notebooks
    }
    executed.update(write_pages(root, [entries[nb.stem] for nb in notebooks], ran))
    sync_stage(root, stage, executed)
    target = build_dir / "html"
    digest = _digest(stage)
    if (target / DIGEST).is_file() and (target / DIGEST).read_text() == digest:
        print(f"[book] up to date: {target / 'index.html'}", flush=True)
        return 0
    jb_out = build_dir / "jb"
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(stage), "--path-output", str(jb_out), "-W", "-n", "--keep-going"]
    print(f"[book] jupyter-book build {stage.relative_to(root)} -W -n --keep-going", flush=True)
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    html = jb_out / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").is_file():
        print(result.stdout[-5000:], file=sys.stderr)
        print(
            "[book] jupyter-book reported errors or warnings; _build/html left unchanged",
            file=sys.stderr,
        )
        return 1
    fresh = build_dir / ".html.new"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(html, fresh)
    (fresh / DIGEST).write_text(digest)
    retired = build_dir / ".html.old"
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    fresh.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
    print(f"[book] done: {target / 'index.html'}", flush=True)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m qbkit.book", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="chapters executed at a time (default 2)"
    )
    parser.add_argument(
        "--force", action="store_true", help="execute every chapter, ignoring the cache"
    )
    args = parser.parse_args(argv)
    return build(args.jobs, force=args.force)
