"""The environment: pyproject.toml's ranges, the lock file's exact versions, Binder and conda."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"


def locked():
    """``{canonical name: version}`` of every pin in the lock file."""
    pins = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", LOCK.read_text(), flags=re.M)
    return {canonicalize_name(n.split("[")[0]): v for n, v in pins}


def declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"]]
    for extra in meta["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return [r for r in reqs if canonicalize_name(r.name) != "qbkit"]


def test_lock_pins_every_declared_dependency_within_its_range():
    pins = locked()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in pyproject.toml but not pinned in the lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"lock pins {req.name}=={pins[name]}, outside {req.specifier} (run make lock)"
        )


def test_lock_has_hashes_for_every_pin():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[2])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_pyproject_keeps_ranges_not_exact_pins():
    for req in declared():
        assert not any(s.operator == "==" for s in req.specifier), req
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"


def test_environment_yml_installs_the_lock_and_binder_adds_qbkit():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = [d for d in deps if isinstance(d, dict)][0]["pip"]
    assert pip == ["-r requirements/lock.txt"]
    post = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post and (ROOT / "postBuild").stat().st_mode & 0o111


def test_pyproject_declares_what_the_book_needs():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {canonicalize_name(r.name) for r in declared()}
    for pkg in (
        "qutip",
        "numpy",
        "scipy",
        "matplotlib",
        "papermill",
        "jupyter-book",
        "nbval",
        "jupyterlab",
        "ruff",
        "pytest-xdist",
    ):
        assert pkg in names
    extras = meta["optional-dependencies"]
    assert any(d.startswith("jupyter-book>=1.0.4.post1,<2") for d in extras["book"])
    assert "qbkit[book]" in extras["binder"] and "qbkit[book]" in extras["test"]
    assert meta["requires-python"] == ">=3.11"


def test_sweep_extra_is_in_test_and_binder():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    assert any(d.startswith("dask[distributed]>=") for d in extras["sweep"])
    assert any(d.startswith("xarray>=") for d in extras["sweep"])
    assert "qbkit[sweep]" in extras["test"] and "qbkit[sweep]" in extras["binder"]
    lock = (ROOT / "requirements" / "lock.txt").read_text()
    for pkg in ("dask==", "distributed==", "xarray==", "bokeh=="):
        assert f"\n{pkg}" in lock, pkg


def test_book_config():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["only_build_toc_files"] is True
    assert cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["repository"]["branch"] == "main"
    assert cfg["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert cfg["sphinx"]["config"]["numfig"] is True
    for excluded in (".venv", "_build", "tests"):
        assert excluded in cfg["exclude_patterns"]
