r"""Turning plain data (lists of dicts) into text: aligned tables, CSV/TSV and JSON, and text safe for a terminal.

CSV and TSV written here are meant for spreadsheets, so they are spreadsheet-safe (OWASP's advice
against CSV injection): a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading apostrophe, so a label such as `=HYPERLINK(...)` shows as text instead of running
as a formula. Numbers are written as they are. The W3C SPARQL query-result CSV and TSV formats
(`datateam query --format csv`, the endpoint's text/csv) are not written here: those formats
carry values exactly, and queries/sparql/results.py leaves them raw.

>>> to_delimited([{"label": "=1+1", "n": -2}], ["label", "n"])
"label,n\n'=1+1,-2\n"
>>> printable("http://host/a\r\nX-Evil: 1\x1b[31m")
'http://host/a\\r\\nX-Evil: 1\\x1b[31m'
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterable, Sequence

# Characters a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# C0 and C1 control characters, DEL, and the Unicode bidirectional overrides and isolates, which
# can make a terminal show text other than what was printed.
_UNSAFE_FOR_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control characters written as escapes (\\r, \\n, \\x1b, \\u202e), for messages.

    Whatever a message echoes (a URL, a name, a file's bytes) then stays on one line and cannot
    move the cursor, change colours or reorder what the terminal shows.
    """
    return _UNSAFE_FOR_TERMINAL.sub(_escape_char, text)


def spreadsheet_cell(value) -> str:
    """One CSV/TSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence], delimiter: str = ",") -> str:
    """The shared spreadsheet-safe CSV (or TSV) writer: a header row, then one row per sequence of values."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([spreadsheet_cell(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(v) for v in row])
    return out.getvalue()


def to_json(data) -> str:
    """Pretty JSON with stable key order as given and non-ASCII kept readable."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def one_line(text: str, width: int) -> str:
    """The first sentence of `text` on one line, cut to `width` characters with an ellipsis."""
    text = " ".join((text or "").split())
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= width else first[: width - 1] + "…"


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return str(value)


def to_delimited(rows: Sequence[dict], columns: Sequence[str], delimiter: str = ",") -> str:
    """Spreadsheet-safe CSV (or TSV with delimiter '\\t') with a header row; lists are joined with '; '."""

    def cell(value):
        if isinstance(value, (list, tuple)):
            return "; ".join(cell_text(v) for v in value)
        return value if isinstance(value, (bool, int)) else cell_text(value)

    return write_spreadsheet_csv(columns, ([cell(row.get(c)) for c in columns] for row in rows), delimiter)


def _table_cell(text: str) -> str:
    """A table cell on one line: line breaks and tabs become spaces, other controls escapes."""
    if not _UNSAFE_FOR_TERMINAL.search(text):
        return text
    return printable(re.sub(r"[\r\n\t]+", " ", text))


def to_table(rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
             max_width: int | None = None) -> str:
    """An aligned plain-text table; long cells are cut with an ellipsis to fit the terminal."""
    headers = list(headers or columns)
    cells = [[_table_cell(cell_text(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    limit = max_width or shutil.get_terminal_size((120, 24)).columns
    # Shrink the widest columns until the table fits, never below 12 characters.
    while sum(widths) + 2 * (len(widths) - 1) > limit:
        i = max(range(len(widths)), key=lambda k: widths[k])
        if widths[i] <= 12:
            break
        widths[i] -= 1

    def fmt(values):
        parts = []
        for value, width in zip(values, widths):
            text = value if len(value) <= width else value[: max(width - 1, 0)] + "…"
            parts.append(text.ljust(width))
        return "  ".join(parts).rstrip()

    lines = [fmt(headers), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells]
    return "\n".join(lines) + "\n"


def format_rows(rows: Sequence[dict], columns: Sequence[str], fmt: str = "table",
                headers: Sequence[str] | None = None) -> str:
    """Rows as text in one of the commands' row formats: "table" (headers label the columns), "csv", "tsv" or "json"."""
    if fmt == "json":
        return to_json(list(rows))
    if fmt == "csv":
        return to_delimited(rows, columns)
    if fmt == "tsv":
        return to_delimited(rows, columns, "\t")
    return to_table(rows, columns, headers)
