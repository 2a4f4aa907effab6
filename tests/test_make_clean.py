"""`make clean` removes what the project's own commands leave, and nothing a user wrote."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import ROOT

# The options through which the README's examples write a file or a store into the working folder.
WRITES = re.compile(r"(?:-o|--output|--html|--plot|--store|--location)\s+([^\s\"']+)")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def readme_outputs() -> set[str]:
    """The first path component of everything the README's shell examples write."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    return {m.split("/")[0] for block in blocks for m in WRITES.findall(block) if not m.startswith(("..", "/"))}


def test_the_readme_examples_write_what_the_list_knows():
    """A new example writing a new file fails here until `make clean` knows it."""
    assert readme_outputs() == {"out", "roles.csv", "kb.trig", "result.json", "overlap.png", "explorer.html",
                                "de.html", "de-vs-mle.html", "mine.html", "kg", "kg-server"}


def test_clean_removes_the_outputs_and_keeps_the_users_files(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    made = ["out/explorer.html", "roles.csv", "kb.trig", "result.json", "overlap.png", "explorer.html", "de.html",
            "de-vs-mle.html", "mine.html", "kg/datateam-store.json", "kg/db-1/CURRENT", "kg-server/CURRENT",
            "build/lib/x.py", "dist/x.whl", "datateam_kg.egg-info/PKG-INFO", ".pytest_cache/README.md",
            "tests/artifacts/shot.png", "graph/__pycache__/x.pyc", ".venv/bin/python"]
    kept = ["my-query.rq", "team.yaml", "my-company-roles.ttl", "notes/kg/datateam-store.json",
            "graph/store.py", "tests/test_x.py", "elsewhere.html"]
    for name in made + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    done = subprocess.run(["make", "--no-print-directory", "clean"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(["Makefile", *kept])


def test_a_folder_named_like_a_store_that_is_not_one_is_kept(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("kg/my-notes.txt", "kg-server/data.ttl"):
        (tmp_path / name).parent.mkdir(parents=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    subprocess.run(["make", "--no-print-directory", "clean"], cwd=tmp_path, capture_output=True, check=True, timeout=60)
    assert (tmp_path / "kg" / "my-notes.txt").exists() and (tmp_path / "kg-server" / "data.ttl").exists()
