"""Progress on long work: a status line on standard error when it is a terminal, nothing otherwise."""

from __future__ import annotations

import io
import time

from datateam.cli import _Working


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_status_line_names_the_step_and_is_cleared_at_the_end():
    term = Terminal()
    with _Working("store drop", stream=term, delay=0, interval=0.01) as progress:
        progress("removing import/onet", 0.5)
        time.sleep(0.2)
    text = term.getvalue()
    assert "\rstore drop: removing import/onet (50%) … 0 s" in text
    shown = len("store drop: removing import/onet (50%) … 0 s")
    assert text.endswith("\r" + " " * shown + "\r")


def test_nothing_is_written_when_standard_error_is_not_a_terminal():
    piped = io.StringIO()
    with _Working("store drop", stream=piped, delay=0, interval=0.01) as progress:
        progress("removing import/onet", 0.5)
        time.sleep(0.1)
    assert piped.getvalue() == ""


def test_quick_work_shows_nothing():
    term = Terminal()
    with _Working("overlap", stream=term, delay=5, interval=0.01):
        time.sleep(0.05)
    assert term.getvalue() == ""


def test_store_drop_reports_each_step(tmp_path):
    from datateam.graph.store.persistent import open_persistent

    mine = tmp_path / "mine.ttl"
    mine.write_text("<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n", encoding="utf-8")
    heard = []
    with open_persistent(tmp_path / "kg", [mine], writable=True, validate=False) as kg:
        kg.drop_graphs(["https://w3id.org/datateam-kg/graph/user/mine"], progress=lambda *step: heard.append(step))
    assert heard == [("removing user/mine", 0.0), ("updating the default graph (the merge)", 0.5),
                     ("writing the database", 0.9), ("done", 1.0)]
