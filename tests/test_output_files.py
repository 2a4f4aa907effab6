"""The one file writer: every -o gets the mode the umask gives a new file, a failed write keeps the old file,
and `explore --open` writes its page to a temporary file and copes with a missing browser."""

import os
import stat
import tempfile
import webbrowser
from pathlib import Path

import pytest

from datateam.cli import main
from datateam.graph import files
from datateam.graph.errors import DatateamError
from datateam.graph.files import write_atomically


@pytest.fixture()
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_the_writer_gives_the_umask_mode(tmp_path, umask, mask, expected):
    umask(mask)
    target = write_atomically(tmp_path / "out.txt", "héllo\n")
    assert target.read_bytes() == "héllo\n".encode("utf-8")
    assert mode(target) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old\n")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(DatateamError, match=r"out\.txt: directory .*missing does not exist"):
        write_atomically(tmp_path / "missing" / "out.txt", "x")


COMMANDS = {
    "export": ["export", "--format", "nt", "-o", "{out}"],
    "query": ["query", "-e", "SELECT ?tool WHERE { role:data-engineer dt:usesTool ?tool }", "-o", "{out}"],
    "explore": ["explore", "--view", "role", "--focus", "data engineer", "--depth", "0", "-o", "{out}"],
}


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_dash_o_gives_the_umask_mode(runner, tmp_path, umask, command, mask, expected):
    out = tmp_path / f"{command}.out"
    umask(mask)
    result = runner.invoke(main, [str(out) if a == "{out}" else a for a in COMMANDS[command]])
    assert result.exit_code == 0, result.output
    assert oct(mode(out)) == oct(expected)
    assert out.stat().st_size > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_failed_dash_o_keeps_the_old_file(runner, tmp_path, monkeypatch, command):
    out = tmp_path / f"{command}.out"
    out.write_text("old\n")

    def refuse(src, dst):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refuse)
    result = runner.invoke(main, [str(out) if a == "{out}" else a for a in COMMANDS[command]])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("error: PermissionError: [Errno 13] Permission denied")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


EXPLORE_OPEN = ["explore", "--view", "role", "--focus", "data engineer", "--depth", "0", "--open"]


def _page_from(url: str) -> Path:
    assert url.startswith("file://")
    return Path(url.removeprefix("file://"))


def test_explore_open_without_o_writes_a_temporary_file(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    result = runner.invoke(main, EXPLORE_OPEN)
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []  # nothing in the current folder
    assert len(opened) == 1
    page = _page_from(opened[0])
    try:
        assert page.parent == Path(tempfile.gettempdir()).resolve()
        assert page.name.startswith("datateam-explorer-") and page.suffix == ".html"
        assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
        assert result.stderr.startswith(f"wrote {page}: role view, ")
    finally:
        page.unlink(missing_ok=True)


def test_explore_open_with_o_opens_that_file(runner, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    result = runner.invoke(main, EXPLORE_OPEN + ["-o", str(tmp_path / "de.html")])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "de.html").resolve().as_uri()]


def _no_browser(url, *args, **kwargs):
    return False


def _broken_browser(url, *args, **kwargs):
    raise webbrowser.Error("could not locate runnable browser")


@pytest.mark.parametrize("browser", [_no_browser, _broken_browser], ids=["returns-false", "raises"])
def test_a_missing_browser_is_one_line_and_exit_zero(runner, tmp_path, monkeypatch, browser):
    monkeypatch.setattr(webbrowser, "open", browser)
    page = tmp_path / "de.html"
    result = runner.invoke(main, EXPLORE_OPEN + ["-o", str(page)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[-1] == f"note: no web browser could be started; open {page} yourself"
    assert len(lines) == 2 and lines[0].startswith(f"wrote {page}: role view, ")
    assert "Traceback" not in result.output
    assert page.stat().st_size > 1000


def test_a_failed_explore_open_leaves_no_temporary_file(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: pytest.fail("no page to open"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = runner.invoke(main, ["explore", "--view", "role", "--focus", "no such role at all", "--open"])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_format_and_output_go_after_the_command_name(runner, tmp_path):
    """As the README says: they belong to each command."""
    after = runner.invoke(main, ["prefixes", "--format", "csv", "-o", str(tmp_path / "p.csv")])
    assert after.exit_code == 0
    assert (tmp_path / "p.csv").read_text().startswith("prefix,iri\n")
    before = runner.invoke(main, ["--format", "csv", "prefixes"])
    assert before.exit_code == 2
    assert "No such option '--format'" in before.output


def test_the_cli_and_its_defaults_load_without_rdflib():
    """--help must stay fast: the CLI module and the shared defaults import no RDF or graph library."""
    import subprocess
    import sys

    code = ("import sys, datateam.cli, datateam.graph.defaults, datateam.graph.files; "
            "print(sorted(m for m in ('rdflib', 'pyoxigraph', 'networkx', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_each_default_exists_once():
    """The library's defaults and the CLI's option defaults are the numbers of graph/defaults.py."""
    from datateam.cli import bridges, coverage, explore, handoffs, overview, push, query, serve
    from datateam.graph import defaults
    from datateam.graph.output.overview import OVERVIEW_MIN_SHARED
    from datateam.graph.output.push import DEFAULT_PUSH_TIMEOUT
    from datateam.queries.engine.evaluate import DEFAULT_TIMEOUT
    from datateam.queries.engine.limits import HttpLimits
    from datateam.queries.server.endpoint import DEFAULT_MAX_ROWS, DEFAULT_PORT

    def option(command, name):
        return next(p.default for p in command.params if p.name == name)

    assert (DEFAULT_TIMEOUT, option(query, "timeout")) == (defaults.QUERY_TIMEOUT,) * 2 == (30.0, 30.0)
    assert (DEFAULT_PORT, option(serve, "port")) == (defaults.SERVER_PORT,) * 2 == (8000, 8000)
    assert (DEFAULT_MAX_ROWS, option(serve, "max_rows")) == (defaults.SERVER_MAX_ROWS,) * 2 == (10_000, 10_000)
    assert HttpLimits().max_connections == option(serve, "max_connections") == defaults.SERVER_MAX_CONNECTIONS
    assert DEFAULT_PUSH_TIMEOUT == option(push, "timeout") == defaults.PUSH_TIMEOUT == 300.0
    assert OVERVIEW_MIN_SHARED == option(overview, "min_shared") == 1
    from datateam.cli import similar

    assert option(similar, "top") == defaults.SIMILAR_TOP == 10
    assert option(overview, "top") == defaults.OVERVIEW_TOP == 8
    assert option(bridges, "top") == defaults.BRIDGES_TOP == 20
    assert option(coverage, "top") == defaults.COVERAGE_TOP == 5
    assert option(handoffs, "max_hops") == defaults.HANDOFF_MAX_HOPS == 4
    assert option(explore, "seed") == defaults.EXPLORER_SEED == 7


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", [["queries"], ["prefixes"], ["validate"], ["roles"]])
def test_debug_works_before_and_after_every_command_name(runner, command, where):
    args = ["--debug", *command] if where == "before" else [*command, "--debug"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
