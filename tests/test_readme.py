"""The README is the user's manual: its example data file and its command lines must stay true."""

import json
import re
import shlex
import warnings
from pathlib import Path

import click
import pytest

from datateam.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE = ROOT / "docs" / "examples" / "acme-roles.ttl"


def _readme_command_lines() -> list[list[str]]:
    """Every `datateam ...` line inside the README's sh code blocks, as argument lists."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split(" # ")[0].strip()
            if line.startswith("datateam "):
                lines.append(shlex.split(line)[1:])
    return lines


def test_the_readme_shows_every_command():
    used = {word for args in _readme_command_lines() for word in args if not word.startswith("-")}
    commands = set(main.commands)
    assert commands - used == set()


@pytest.mark.parametrize("args", _readme_command_lines(), ids=lambda a: " ".join(a)[:60])
def test_every_readme_command_line_parses(args, tmp_path, monkeypatch):
    """Each example's command path, options and choices exist (click parses it; nothing is run)."""
    work = tmp_path / "work"
    (work / "docs" / "examples").mkdir(parents=True)
    for name in ("team.yaml", "my-query.rq", "my-company-roles.ttl", "docs/examples/acme-roles.ttl"):
        (work / name).write_text("")
    for folder in ("esco-v1.1.1", "onet-29.2"):
        (tmp_path / "shared" / "data" / folder).mkdir(parents=True)
    monkeypatch.chdir(work)
    group, rest, parent = main, list(args), None
    while True:
        ctx = group.make_context(group.name or "datateam", rest, parent=parent)
        with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 8.1 needs it
            warnings.simplefilter("ignore", DeprecationWarning)
            rest, parent = [*getattr(ctx, "protected_args", []), *ctx.args], ctx
        if not isinstance(group, click.Group):
            break
        assert rest and rest[0] in group.commands, f"no command in {args}"
        group, rest = group.commands[rest[0]], rest[1:]
    assert rest == [], f"unparsed {rest} in {args}"


def test_the_example_data_file_conforms(runner):
    result = runner.invoke(main, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_the_example_role_is_merged_and_linked_to_shipped_entities(runner):
    result = runner.invoke(main, ["--data", str(EXAMPLE), "show", "translator", "--format", "json"])
    assert result.exit_code == 0, result.output
    role = json.loads(result.stdout)
    assert role["label"] == "analytics translator"
    assert {s["label"] for s in role["skills"]} == {"communication", "presenting findings"}
    assert [(t["label"], t["categories"]) for t in role["tools"]] == [("Tableau", ["data manipulation tools", "visualization"])]
    assert {s["id"] for s in role["sources"]} == {"acme-handbook"}
