"""The two generated pages of the book: the book-wide scorecard and the status of every chapter.

Both are written at build time from the cache entries the build uses (their ``scorecard.json``
and ``run.json``); nothing on them is written by hand. The committed ``book/scorecard.md`` and
``book/status.md`` are placeholders that the build replaces in its staging copy.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from .environment import git_commit, lock_file
from .registry import CHAPTERS
from .scorecard import VERDICTS

__all__ = ["book_counts", "scorecard_page", "status_page", "write_pages"]

SHOWN_VERSIONS = ("python", "qbkit", "qutip", "numpy", "scipy", "matplotlib", "papermill")


def _title(name):
    return CHAPTERS[name].title if name in CHAPTERS else name


def _label(name):
    """The chapter's short id, linked to its page."""
    short = CHAPTERS[name].prefix if name in CHAPTERS else name
    return f"[{short}](../notebooks/{name}.ipynb)"


def _claims(entry):
    path = entry.path / "scorecard.json"
    return json.loads(path.read_text()) if path.is_file() else []


def book_counts(entries):
    """``{chapter: {verdict: count}}`` plus ``"book"``, the sum over chapters."""
    counts = {}
    for entry in entries:
        per = dict.fromkeys(VERDICTS, 0)
        for row in _claims(entry):
            per[row["verdict"]] += 1
        counts[entry.meta["chapter"]] = per
    counts["book"] = {v: sum(c[v] for c in counts.values()) for v in VERDICTS}
    return counts


def _value(x):
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def scorecard_page(entries):
    """Markdown of the book-wide scorecard: counts per verdict and chapter, then every claim."""
    counts = book_counts(entries)
    lines = [
        "# Scorecard of the book",
        "",
        "Every checkable claim of every chapter, with the verdict the chapter reaches, and how",
        "many claims fall in each verdict class. Verdicts: *agrees*; *disagrees* (the paper is",
        "wrong, with the evidence in the chapter and on the {doc}`errata page <errata>`);",
        "*agrees-after-correction* (a stated erratum fixes the printed value);",
        "*depends-on-unstated* (the paper's value is reached for a value of a parameter it does",
        "not state, given in the row); *not-checkable*; *n/a* (the run's parameters differ from",
        "the paper's). Each row links to the chapter's own scorecard, which gives the tolerance",
        "and the reason for it.",
        "",
        *(f"* {_label(e.meta['chapter'])}: {_title(e.meta['chapter'])}" for e in entries),
        "",
        "## Counts",
        "",
        "| chapter | " + " | ".join(VERDICTS) + " | total |",
        "|---|" + "---|" * (len(VERDICTS) + 1),
    ]
    for name, per in counts.items():
        label = "**whole book**" if name == "book" else _label(name)
        lines.append(
            f"| {label} | "
            + " | ".join(str(per[v]) for v in VERDICTS)
            + f" | {sum(per.values())} |"
        )
    lines += [
        "",
        "## Every claim",
        "",
        "| chapter | # | claim | paper | ours | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for entry in entries:
        name = entry.meta["chapter"]
        for k, row in enumerate(_claims(entry), 1):
            link = f'<a href="../notebooks/{name}.html#{html.escape(row["anchor"])}">{k}</a>'
            ours = _value(row["ours"])
            if row.get("unstated"):
                ours += f" at {row['unstated']}"
            cells = [
                CHAPTERS[name].prefix if name in CHAPTERS else name,
                link,
                row["claim"],
                _value(row["paper"]),
                ours,
                row["verdict"],
            ]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def status_page(entries, ran, root):
    """Markdown of the status page: how and when each chapter's published execution was made."""
    lock = lock_file(root)
    lines = [
        "# Status of the chapters",
        "",
        "How each chapter shown in this book was executed. A chapter is executed again only when",
        "its notebook, the `qbkit` package, its parameters or the locked environment change;",
        "otherwise the build reuses the stored execution (*from the cache*).",
        "",
        f"Book built from commit `{git_commit(root) or 'unknown'}`; environment locked by "
        f"`{lock.relative_to(root) if lock.is_file() else 'no lock file'}`.",
        "",
        "| chapter | this build | run time | executed (UTC) | commit at execution | executor "
        "| nbval | parameters hash |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        m = entry.meta
        nbval = "passed" if m.get("nbval") else "not run"
        lines.append(
            f"| {_label(m['chapter'])} | {'executed' if m['chapter'] in ran else 'from the cache'} "
            f"| {m['seconds']:.0f} s | {m['started'].replace('T', ' ')} "
            f"| `{m['git_commit'] or 'unknown'}` "
            f"| {m['executor']} | {nbval} | `{m['parameters_hash']}` |"
        )
    lines += [
        "",
        "## Versions",
        "",
        "| chapter | " + " | ".join(SHOWN_VERSIONS) + " |",
        "|---|" + "---|" * len(SHOWN_VERSIONS),
    ]
    for entry in entries:
        m = entry.meta
        lines.append(
            f"| {_label(m['chapter'])} | "
            + " | ".join(m["versions"].get(k, "–") for k in SHOWN_VERSIONS)
            + " |"
        )
    return "\n".join(lines) + "\n"


def write_pages(root, entries, ran):
    """The generated pages as ``{relative path: bytes}`` for the staging copy of the book."""
    root = Path(root)
    pages = {
        "book/scorecard.md": lambda: scorecard_page(entries),
        "book/status.md": lambda: status_page(entries, ran, root),
    }
    # only where the book has the page (its placeholder is committed and in the TOC)
    return {rel: make().encode() for rel, make in pages.items() if (root / rel).is_file()}
