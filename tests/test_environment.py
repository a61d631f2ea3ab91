"""environment.yml (Binder, conda) agrees with pyproject.toml, the single source of dependencies."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_defers_to_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = [d for d in deps if isinstance(d, dict)][0]["pip"]
    assert pip == ["-e .[binder]"]


def test_pyproject_declares_what_the_book_needs():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = " ".join(meta["dependencies"]).lower()
    for pkg in ("qutip>=5.3", "numpy", "scipy", "matplotlib", "papermill"):
        assert pkg in names
    extras = meta["optional-dependencies"]
    assert any(d.startswith("jupyter-book>=1.0.4.post1,<2") for d in extras["book"])
    assert any(d.startswith("nbval") for d in extras["test"])
    assert "qbkit[book]" in extras["binder"] and any(
        d.startswith("jupyterlab") for d in extras["binder"]
    )
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
