"""Team files are bounded (bytes, people, hats) and a large one is fast.

A team file of 8,000 people took 70 s: every hat of every person was resolved by its own SPARQL
lookups, and the YAML was composed by PyYAML's pure-Python loader. Now each distinct hat is
resolved once (counted here, so the test does not lean on the clock) and libyaml composes.
"""

from __future__ import annotations

import time

import pytest
import yaml
from click.testing import CliRunner

import datateam.graph.analysis.coverage as coverage_module
import datateam.graph.lookup.names as names
from datateam.cli import main
from datateam.graph.analysis.coverage import MAX_HATS_PER_PERSON, MAX_PEOPLE, MAX_TEAM_FILE_BYTES, TeamFileError, coverage, read_team_file

HATS = ["data scientist", "data engineer", "ML engineer"]


def write_team(path, people: int, hats=HATS):
    data = {"team": "a large company", "size": "large",
            "people": [{"name": f"person {i}", "hats": list(hats)} for i in range(people)]}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_team_of_8000_resolves_each_hat_once(kg, tmp_path, monkeypatch):
    team = write_team(tmp_path / "team.yaml", 8000)
    calls = []
    original = names.resolve

    def counting(kg_, name, types=None):
        calls.append(name)
        return original(kg_, name, types)

    monkeypatch.setattr(names, "resolve", counting)
    monkeypatch.setattr(coverage_module, "resolve", counting)  # the name coverage.py looks it up by
    result = coverage(kg, team=str(team))
    assert sorted(calls) == sorted(HATS)  # not 8,000 x 3
    assert len(result["team"]["people"]) == 8000
    assert result["team"]["people"][7999] == {"name": "person 7999", "hats": [
        {"id": "https://w3id.org/datateam-kg/role/data-scientist", "label": "data scientist"},
        {"id": "https://w3id.org/datateam-kg/role/data-engineer", "label": "data engineer"},
        {"id": "https://w3id.org/datateam-kg/role/ml-engineer", "label": "ML engineer"}]}
    assert [r["label"] for r in result["team"]["roles"]] == ["data engineer", "data scientist", "ML engineer"]


def test_the_largest_team_allowed_is_read_in_seconds(tmp_path):
    team = write_team(tmp_path / "team.yaml", MAX_PEOPLE)
    assert team.stat().st_size < MAX_TEAM_FILE_BYTES
    started = time.monotonic()
    result = CliRunner().invoke(main, ["coverage", "--team", str(team), "--next-hire", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 40  # generous: about 3 s on an idle machine, over 60 s before
    assert f'"name": "person {MAX_PEOPLE - 1}"' in result.stdout


def test_too_many_people_is_one_line(tmp_path):
    team = write_team(tmp_path / "team.yaml", MAX_PEOPLE + 1, hats=["DS"])
    with pytest.raises(TeamFileError) as info:
        read_team_file(team)
    assert str(info.value) == (f"{team}:4: the team lists {MAX_PEOPLE + 1:,} people; a team file holds at most "
                               f"{MAX_PEOPLE:,}")


def test_too_many_hats_is_one_line(tmp_path):
    team = write_team(tmp_path / "team.yaml", 1, hats=["DS"] * (MAX_HATS_PER_PERSON + 1))
    result = CliRunner().invoke(main, ["coverage", "--team", str(team)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {team}:6: person 0 wears {MAX_HATS_PER_PERSON + 1} hats; at most "
                             f"{MAX_HATS_PER_PERSON} per person\n")


def test_too_many_bytes_is_refused_before_parsing(tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text("team: " + "x" * MAX_TEAM_FILE_BYTES + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["coverage", "--team", str(team)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {team}: the team file is larger than {MAX_TEAM_FILE_BYTES // 1024:,} KiB; "
                             f"a team file lists at most {MAX_PEOPLE:,} people\n")


def test_binary_and_undecodable_team_files(tmp_path):
    binary = tmp_path / "team.yaml"
    binary.write_bytes(b"people:\n  - name: A\x00\n")
    with pytest.raises(TeamFileError, match=r"team\.yaml: not a YAML text file \(it holds binary data\)$"):
        read_team_file(binary)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"people:\n  - name: Jos\xe9\n    hats: [DS]\n")
    with pytest.raises(TeamFileError, match=r"latin\.yaml:2: not UTF-8 text \(invalid continuation byte\)$"):
        read_team_file(latin)
