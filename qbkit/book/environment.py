"""What a run was made with: package versions, the book's git commit, the locked environment."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["PACKAGES", "versions", "git_commit", "lock_file", "file_digest"]

#: Packages whose versions every run records (status page, ``about()``).
PACKAGES = ("qbkit", "qutip", "numpy", "scipy", "matplotlib", "papermill", "nbval", "jupyter-book")


def versions():
    """``{package: version}`` for Python and :data:`PACKAGES` (``"not installed"`` if absent)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git(root, *args):
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def git_commit(root):
    """The commit checked out at ``root`` (``+dirty`` if tracked files differ); None outside git."""
    try:
        head = _git(root, "rev-parse", "--short=12", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def lock_file(root):
    """The lock file that pins the book's environment (``requirements/lock.txt``)."""
    return Path(root) / "requirements" / "lock.txt"


def file_digest(paths):
    """SHA-256 over the names and contents of ``paths`` (in the given order), hex."""
    h = hashlib.sha256()
    for path in paths:
        path = Path(path)
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()
