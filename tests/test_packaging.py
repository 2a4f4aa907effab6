"""Packaging that cannot drop a package: the pyproject lists match the folders, and a built wheel works.

The repository root is the package (package-dir {"datateam": "."}), so setuptools cannot discover
the subpackages and pyproject.toml lists them. An editable install and the other tests would still
pass with a folder missing from that list; only a wheel would lack it. So the list is checked
against the folders here, every data file against the package-data globs, and a slow test builds
the wheel, installs it into a fresh virtual environment and runs the main commands from a folder
outside the repository.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE_FOLDERS = ("graph", "queries", "ontology")
ROOT_FILES = ("__init__.py", "cli.py")
SKIP = {"__pycache__"}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def package_files() -> dict[str, list[str]]:
    """Each folder of the package (as a dotted name) -> the names of the files it holds."""
    found = {"datateam": list(ROOT_FILES)}
    for top in PACKAGE_FOLDERS:
        for folder, dirs, files in os.walk(ROOT / top):
            dirs[:] = sorted(d for d in dirs if d not in SKIP)
            names = sorted(f for f in files if not f.endswith(".pyc"))
            if names:
                found[".".join(("datateam", *Path(folder).relative_to(ROOT).parts))] = names
    return found


def wheel_names() -> set[str]:
    """The paths the wheel must hold: every file of every package folder, under datateam/."""
    names = set()
    for package, files in package_files().items():
        base = "/".join(package.split("."))
        names.update(f"{base}/{f}" for f in files)
    return names


def test_every_package_folder_is_listed():
    listed = pyproject()["tool"]["setuptools"]["packages"]
    assert sorted(listed) == listed, "keep the packages list sorted"
    assert set(listed) == set(package_files())


def test_every_data_file_is_covered_by_package_data():
    globs = pyproject()["tool"]["setuptools"]["package-data"]
    uncovered = [f"{package}: {name}" for package, files in package_files().items() for name in files
                 if not name.endswith(".py") and not any(fnmatch.fnmatch(name, g) for g in globs.get(package, []))]
    assert uncovered == []
    assert set(globs) <= set(package_files())


def _copy_source(target: Path) -> None:
    """What a build reads (metadata files, root modules, package folders), so it writes nothing here."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", *ROOT_FILES):
        shutil.copy2(ROOT / name, target / name)
    for folder in PACKAGE_FOLDERS:
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns(*SKIP, "*.pyc"))


@pytest.mark.slow
def test_the_wheel_holds_every_package_and_its_commands_run_from_a_fresh_environment(tmp_path):
    source, dist, venv, elsewhere = (tmp_path / n for n in ("source", "dist", "venv", "elsewhere"))
    _copy_source(source)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    assert "BuildBackendWarning" not in build.stderr, build.stderr[-3000:]
    (wheel,) = dist.glob("datateam_kg-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        inside = {n for n in archive.namelist() if ".dist-info/" not in n}
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())
    assert inside == wheel_names()

    # A fresh environment gets the wheel; then a .pth line lends it this environment's dependencies
    # (after its own site-packages), so the test downloads nothing. This environment's editable
    # `datateam` stays invisible there: the .pth files of a folder added that way are not run.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    new_site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                            text=True).strip())
    (new_site / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    elsewhere.mkdir()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args: str) -> list[str]:
        done = subprocess.run([str(venv / "bin" / "datateam"), *args], cwd=elsewhere, capture_output=True,
                              text=True, timeout=300, env=env)
        assert done.returncode == 0, (args, done.stderr[-3000:])
        return done.stdout.splitlines()

    where = subprocess.check_output([str(python), "-c", "import datateam; print(datateam.__file__)"],
                                    cwd=elsewhere, text=True, env=env).strip()
    assert Path(where) == new_site / "datateam" / "__init__.py"
    roles = run("roles")
    assert roles[0].split() == ["role", "aliases", "skills", "tools", "definition"]
    assert roles[2].startswith("analytics engineer ")
    assert run("show", "data engineer")[0] == "data engineer  (role, https://w3id.org/datateam-kg/role/data-engineer)"
    assert run("query", "tools-of-role", "--param", "role=data engineer")[:2] == [
        "role,tool,tool_label,categories,levels,source_count,sources",
        "https://w3id.org/datateam-kg/role/data-engineer,https://w3id.org/datateam-kg/tool/amazon-ecs,Amazon ECS,"
        "model hosting,,1,ds-vs-de-teams"]
    page = tmp_path / "page" / "explorer.html"
    overview = run("overview", "--html", str(page))
    assert overview[0] == "Knowledge graph: 5,858 distinct triples in 8 named graphs"
    assert overview[-1] == f"Explorer page: {page} (330 nodes, 623 links); open it in a browser."
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert list(elsewhere.iterdir()) == []
