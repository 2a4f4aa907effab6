"""The ontology's documentation page, rendered by pyLODE (`make docs` writes out/ontology.html).

pyLODE (https://github.com/RDFLib/pyLODE) is a documentation dependency only (the `docs` extra);
nothing else imports this module. The page is a build product, not kept in git: pyLODE 3.3.4 lists
the members of a union class (the domains of dt:role, dt:atStage, ...) in an order that changes
from run to run. `render_html` fails when pyLODE logs a warning or an error, or
when two entries of the page share an anchor, so that a broken page is never written.

>>> html = render_html()                      # doctest: +SKIP
"""

from __future__ import annotations

import collections
import logging
import re
import sys
from pathlib import Path

from .namespaces import BASE

ONTOLOGY_FILE = Path(__file__).resolve().parent / "datateam.ttl"
DEFAULT_OUTPUT = Path("out") / "ontology.html"


class OntologyDocsError(Exception):
    """pyLODE complained about the ontology, or rendered a page with duplicate anchors."""


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def duplicate_anchors(html: str) -> list[str]:
    """The id attributes that occur more than once in `html`, sorted."""
    counts = collections.Counter(re.findall(r'\bid="([^"]+)"', html))
    return sorted(a for a, n in counts.items() if n > 1)


def render_html(path: Path = ONTOLOGY_FILE) -> str:
    """Render the ontology at `path` with pyLODE's OntPub profile; raise OntologyDocsError on any
    warning pyLODE logs or on duplicate anchors."""
    from pylode import OntPub

    handler = _Collect()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)  # pyLODE logs its progress at INFO and DEBUG
    root.addHandler(handler)
    try:
        html = OntPub(str(path), sort_subjects=True).make_html()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    if handler.records:
        first = handler.records[0]
        raise OntologyDocsError(f"{path}: pyLODE says: {first.levelname.lower()}: {first.getMessage()}")
    duplicates = duplicate_anchors(html)
    if duplicates:
        raise OntologyDocsError(f"{path}: the page has duplicate anchors: {', '.join(duplicates)}")
    if BASE not in html:
        raise OntologyDocsError(f"{path}: the page does not name the ontology's namespace {BASE}")
    return html


def main(argv: list[str] | None = None) -> int:
    """`python -m datateam.ontology.docs [OUTPUT]`: write the page (default out/ontology.html)."""
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else DEFAULT_OUTPUT
    try:
        html = render_html()
    except OntologyDocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
