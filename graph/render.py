"""Turning plain data (lists of dicts) into text: aligned tables, CSV/TSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence


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
    """CSV (or TSV with delimiter '\\t') with a header row; lists are joined with '; '."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["; ".join(cell_text(v) for v in row.get(c)) if isinstance(row.get(c), (list, tuple))
                         else cell_text(row.get(c)) for c in columns])
    return out.getvalue()


def to_table(rows: Sequence[dict], columns: Sequence[str], headers: Sequence[str] | None = None,
             max_width: int | None = None) -> str:
    """An aligned plain-text table; long cells are cut with an ellipsis to fit the terminal."""
    headers = list(headers or columns)
    cells = [[cell_text(row.get(c)) for c in columns] for row in rows]
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
