"""The wheel holds every package and nothing but ``boardgym/...``.

An editable install finds any folder on disk, so a subpackage missing from
pyproject.toml still imports in development and is silently absent from the
wheel; these tests compare pyproject.toml with the tree and build a wheel.
"""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
#: Folders with Python files that are not installed: tests, benchmark scripts,
#: and tool or build output.
NOT_PACKAGES = {"tests", "benchmarks", "build", "dist", ".venv", ".git", ".ci"}


def _setuptools_config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_folders() -> set[Path]:
    """Folders below the root (tools' and build output pruned) that hold .py files."""
    folders = set()
    for folder, subfolders, files in os.walk(ROOT):
        relative = Path(folder).relative_to(ROOT)
        subfolders[:] = [name for name in subfolders if not (
            (relative == Path(".") and name in NOT_PACKAGES) or name.startswith(".")
            or name == "__pycache__" or name.endswith(".egg-info"))]
        if relative != Path(".") and any(name.endswith(".py") for name in files):
            folders.add(relative)
    return folders


def test_every_package_folder_is_listed_in_pyproject():
    config = _setuptools_config()
    folder_of = {package: Path(folder) for package, folder in config["package-dir"].items()}
    listed = {}
    for package in config["packages"]:
        root = next(name for name in folder_of if package == name or package.startswith(name + "."))
        listed[folder_of[root].joinpath(*package[len(root):].split(".")[1:])] = package
    folders = _package_folders()
    assert {Path("envs"), Path("agents"), Path("pipelines")} <= folders
    assert folders == set(listed), f"folders with .py files vs packages in pyproject.toml: {sorted(map(str, folders ^ set(listed)))}"
    for folder in folders:
        assert (ROOT / folder / "__init__.py").exists(), f"{folder} has no __init__.py"


def test_wheel_contains_only_boardgym_and_every_module(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("envs", "agents", "pipelines"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True)
    (wheel,) = (tmp_path / "dist").glob("boardgym-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    outside = [name for name in names if not name.startswith("boardgym/")
               and not (name.split("/")[0].startswith("boardgym-") and name.split("/")[0].endswith(".dist-info"))]
    assert outside == []
    expected = {f"boardgym/{folder}/{path.relative_to(ROOT / folder).as_posix()}"
                for folder in ("envs", "agents", "pipelines") for path in (ROOT / folder).rglob("*.py")
                if "__pycache__" not in path.parts}
    assert expected <= set(names), sorted(expected - set(names))
    assert "boardgym/__init__.py" not in names  # boardgym is a namespace package
