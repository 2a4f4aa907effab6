"""The authoring files' declared format: every problem is an error naming the file, line and key, the
build exits non-zero, and `make kb` reproduces the committed ontology/kb/*.trig byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datateam.ontology import compile as kb
from datateam.ontology.source_format import json_schemas, load_source_file, read_yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "ontology" / "sources"
KB = ROOT / "ontology" / "kb"


@pytest.fixture()
def sources(tmp_path) -> Path:
    """A scratch copy of ontology/sources to break."""
    target = tmp_path / "sources"
    shutil.copytree(SOURCES, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def _compile_problems(sources: Path) -> list[str]:
    with pytest.raises(kb.CompileError) as info:
        kb.compile_dataset(sources)
    return info.value.problems


def test_an_unknown_key_is_an_error_naming_file_line_and_key(sources):
    path = sources / "004-jetbrains-roles.yaml"
    _edit(path, "  ml-engineer:\n    data-versioning: null", "  ml-engineer:\n    data-versioning: null\n"
          "    machine-learning: {levle: core}")
    line = _line_of(path, "levle")
    assert _compile_problems(sources) == [f"004-jetbrains-roles.yaml:{line}: skills.ml-engineer.machine-learning: "
                                          "unknown key 'levle'"]


def test_the_command_exits_non_zero_and_prints_the_problem(sources, tmp_path):
    path = sources / "002-hitchhiker-roles.yaml"
    _edit(path, "    mode: side-by-side\n    note: Data engineers work closely", "    mode: side-by-side\n"
          "    stpe: 2\n    note: Data engineers work closely")
    line = _line_of(path, "stpe")
    out = tmp_path / "kb"
    result = subprocess.run([sys.executable, "-m", "datateam.ontology.compile", "--sources", str(sources),
                             "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["the knowledge base does not compile (1 problem(s)):",
                                          f"  002-hitchhiker-roles.yaml:{line}: handoffs[2]: unknown key 'stpe'"]
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_comma_in_a_flow_mapping_cannot_cut_a_note_short(sources):
    """The failure that lost eleven notes: in {note: a, b} the comma starts a new key 'b'."""
    path = sources / "004-jetbrains-roles.yaml"
    _edit(path, "  - from: data-engineer\n    to: data-scientist\n    artifact: prepared-dataset\n"
                "    stage: data-ingestion\n    mode: sequential\n"
                "    note: Data scientists usually work on data that data engineers have prepared or at least moved.",
          "  - {from: data-engineer, to: data-scientist, artifact: prepared-dataset, stage: data-ingestion,\n"
          "     mode: sequential, note: Data scientists use prepared data, or at least moved data}")
    line = _line_of(path, "{from: data-engineer")
    problems = _compile_problems(sources)
    assert problems == [f"004-jetbrains-roles.yaml:{line + 1}: handoffs[1]: unknown key 'or at least moved data' "
                        "(inside {...} a comma starts a new key, which cuts the text before it short: write the "
                        "mapping in block style or quote the text)"]


@pytest.mark.parametrize("old,new,needle,message", [
    ("    step: 3\n", "    step: three\n", "step: three", "handoffs[3].step: Input should be a valid integer (got 'three')"),
    ("    mode: side-by-side\n    workflow: listing-categorisation\n    step: 2\n",
     "    mode: beside\n    workflow: listing-categorisation\n    step: 2\n", "mode: beside",
     "handoffs[2].mode: Input should be 'sequential' or 'side-by-side' (got 'beside')"),
    ("    statistics: basic          # \"basics of statistics\"", "    statistics: expert", "statistics: expert",
     "skills.data-analyst.statistics: Input should be 'core', 'working' or 'basic' (got 'expert')"),
    ("      condition: small-team\n      note: >-\n        For a small",
     "      condition: tiny-team\n      note: >-\n        For a small", "condition: tiny-team",
     "skills.data-engineer.machine-learning.condition: Input should be 'small-team' or 'no-product-manager' "
     "(got 'tiny-team')"),
])
def test_a_wrong_type_or_value_names_the_key(sources, old, new, needle, message):
    path = sources / "001-olx-interview.yaml"
    _edit(path, old, new)
    assert _compile_problems(sources) == [f"001-olx-interview.yaml:{_line_of(path, needle)}: {message}"]


def test_a_missing_field_is_named(sources):
    path = sources / "003-ds-vs-de-teams.yaml"
    _edit(path, "    artifact: data-model\n", "")
    line = _line_of(path, "  - from: data-engineer")
    assert _compile_problems(sources) == [f"003-ds-vs-de-teams.yaml:{line}: handoffs[1]: missing required key 'artifact'"]


def test_a_duplicate_key_is_an_error_not_a_silent_overwrite(sources):
    path = sources / "000-datamax-hats.yaml"
    _edit(path, "    analytics: core\n", "    analytics: core\n    statistics: basic\n")
    first, second = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                     if line.strip().startswith("statistics:")][:2]
    assert _compile_problems(sources) == [f"000-datamax-hats.yaml:{second}: skills.data-scientist.statistics: "
                                          f"duplicate key 'statistics' (the first one, on line {first}, would be lost)"]


def test_unknown_ids_and_unsupported_positions_are_named_with_their_line(sources):
    path = sources / "004-jetbrains-roles.yaml"
    _edit(path, "    - govern-data\n", "    - govern-the-data\n")
    _edit(path, "    rests_on: [handoff:data-scientist--ml-engineer--trained-model]",
          "    rests_on: [handoff:data-scientist--ml-engineer--model-web-service]")
    problems = _compile_problems(sources)
    assert problems == [
        f"004-jetbrains-roles.yaml:{_line_of(path, 'govern-the-data')}: responsibilities.data-governor[1]: unknown "
        "responsibility 'govern-the-data' (not in entities.yaml responsibilities)",
        f"004-jetbrains-roles.yaml:{_line_of(path, 'model-web-service]')}: "
        "positions.ml-engineer-relative-to-data-scientist.rests_on[1]: "
        "handoff:data-scientist--ml-engineer--model-web-service is not a fact this source states"]


def test_every_problem_in_every_file_is_reported_at_once(sources):
    _edit(sources / "000-datamax-hats.yaml", "  kind: blog post\n", "  kind: blog post\n  colour: blue\n")
    _edit(sources / "entities.yaml", "    label: Dagster\n", "    label: 7\n")
    problems = _compile_problems(sources)
    assert len(problems) == 2
    assert problems[0].startswith("entities.yaml:") and "tools.dagster.label: Input should be a valid string (got 7)" in problems[0]
    assert problems[1].startswith("000-datamax-hats.yaml:") and "source: unknown key 'colour'" in problems[1]


def test_the_shipped_files_pass_and_keep_every_note_whole():
    for path in sorted(SOURCES.glob("0*.yaml")):
        data, lines = load_source_file(path)
        raw, _ = read_yaml(path)
        for i, h in enumerate(raw.get("handoffs") or []):
            assert set(h) <= {"from", "to", "artifact", "stage", "mode", "workflow", "step", "note", "condition",
                              "stance"}, (path.name, i)
        for h in data.handoffs:
            if h.note:
                assert h.note.endswith("."), (path.name, h.note)
    olx = load_source_file(SOURCES / "001-olx-interview.yaml")[0]
    note = next(h.note for h in olx.handoffs if h.from_ == "data-scientist" and h.artifact == "trained-model"
                and h.workflow is None)
    # the note that a cut once turned into its opposite
    assert "work together rather than the model being thrown over a wall" in " ".join(note.split())


def test_the_format_is_published_as_json_schema():
    schemas = json_schemas()
    assert set(schemas) == {"source", "entities", "curation", "esco-alignment"}
    handoff = schemas["source"]["$defs"]["Handoff"]
    assert handoff["additionalProperties"] is False
    assert set(handoff["required"]) == {"from", "to", "artifact", "stage", "mode"}


def test_make_kb_reproduces_the_committed_trig_byte_for_byte(tmp_path):
    """Compiled in a fresh process with another hash seed into a scratch folder: the same bytes as ontology/kb."""
    out = tmp_path / "kb"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    result = subprocess.run([sys.executable, "-m", "datateam.ontology.compile", "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    committed = {p.name: p.read_bytes() for p in KB.glob("*.trig")}
    fresh = {p.name: p.read_bytes() for p in out.glob("*.trig")}
    assert sorted(fresh) == sorted(committed)
    for name in committed:
        assert fresh[name] == committed[name], f"{name} differs: run make kb and commit ontology/kb"
    check = subprocess.run([sys.executable, "-m", "datateam.ontology.compile", "--check"], capture_output=True,
                           text=True, cwd=ROOT)
    assert check.returncode == 0, check.stderr


def test_check_reports_a_stale_graph(tmp_path):
    out = tmp_path / "kb"
    shutil.copytree(KB, out)
    (out / "jetbrains-roles.trig").write_text("# edited by hand\n", encoding="utf-8")
    (out / "old-source.trig").write_text("", encoding="utf-8")
    assert kb.main(["--check", "--out", str(out)]) == 1
