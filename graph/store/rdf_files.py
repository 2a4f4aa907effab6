"""RDF files: the shipped files' locations, formats by extension, and parsing with clear errors.

Every reader of an RDF file (the embedded store, the persistent store, validation, push) goes
through `parse_file`, so a binary file, an RDF/XML entity declaration or a syntax error is refused
the same way everywhere: one line naming the file, its line and its column.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ...ontology.namespaces import BASE
from ..errors import DataFileError
from .xml_guard import refuse_entity_declarations_in_file

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "datateam.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
KB_DIR = ONTOLOGY_DIR / "kb"
USER_GRAPH_BASE = BASE + "graph/user/"

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}

def knowledge_base_files() -> list[Path]:
    """Return the shipped knowledge-base files (one TriG file per source), in a stable order."""
    return sorted(KB_DIR.glob("*.trig"))


def files_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over files' names and bytes, in the order given, as 'sha256:<hex>'."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode("utf-8") + b"\0")
        digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def rdf_format_for(path: Path) -> ox.RdfFormat:
    """Return the RDF format of a file from its extension, or raise DataFileError naming the file."""
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(RDF_FORMATS))
        raise DataFileError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})")
    return fmt


def user_graph_iri(path: Path) -> URIRef:
    """Return the named graph that holds the triples of a user's data file."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-") or "data"
    return URIRef(USER_GRAPH_BASE + slug)


UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 8192


def parse_file(path: Path, default_graph: URIRef) -> list[ox.Quad]:
    """Parse an RDF file into quads; triples outside any named graph go to `default_graph`.

    A UTF-8 byte order mark is skipped (editors on Windows write one). Refused with a one-line
    DataFileError naming the file: a binary file (a NUL byte near its start), RDF/XML whose
    DOCTYPE declares entities (see graph/store/xml_guard.py), and the first syntax error (with its line
    and column).
    """
    path = Path(path)
    fmt = rdf_format_for(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    target = ox.NamedNode(str(default_graph))
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            _refuse_binary(path, head, fmt)
            if fmt == ox.RdfFormat.RDF_XML:
                refuse_entity_declarations_in_file(path)
            handle.seek(len(UTF8_BOM) if head.startswith(UTF8_BOM) and fmt != ox.RdfFormat.RDF_XML else 0)
            quads = []
            for quad in ox.parse(handle, format=fmt, base_iri=path.resolve().as_uri()):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                quads.append(quad)
        return quads
    except SyntaxError as exc:
        raise DataFileError(f"{path}:{_syntax_location(exc)}{_first_line(exc)}") from exc
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: {_first_line(exc)}") from exc


def _refuse_binary(path: Path, head: bytes, fmt: ox.RdfFormat) -> None:
    """Refuse a file whose first bytes hold a NUL: no RDF text format allows one (UTF-16 XML excepted)."""
    if fmt == ox.RdfFormat.RDF_XML and head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return
    index = head.find(b"\x00")
    if index < 0:
        return
    line = head.count(b"\n", 0, index) + 1
    column = index - (head.rfind(b"\n", 0, index) + 1) + 1
    raise DataFileError(f"{path}:{line}:{column}: this is not a {fmt.name} text file: it holds binary data "
                        f"(a NUL byte at byte {index + 1}); give a Turtle, TriG, N-Triples, N-Quads, JSON-LD "
                        "or RDF/XML file")


def _syntax_location(exc: SyntaxError) -> str:
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "offset", None)
    if line:
        return f"{line}:{col}: " if col else f"{line}: "
    return " "


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    text = re.sub(r"^Parser error (at|between) line \d+ (between )?(column|columns) \d+( and (line \d+ column )?\d+)?: ", "", text)
    return text.splitlines()[0] if text else type(exc).__name__


