"""Refusing XML documents that declare entities, before any parser expands them.

An XML document may declare entities in its DOCTYPE; nested declarations ("billion laughs") make
a 1 KB file expand to gigabytes. Oxigraph's RDF/XML parser (the one the store uses for `--data`,
`validate` and graph answers from a remote endpoint) expands such entities without a limit, and
defusedxml, which guards Python's own XML parsers, cannot guard a parser written in Rust. So every
RDF/XML document is read here first, with Python's expat, up to its root element: a DOCTYPE that
declares anything (an internal subset, or an external DTD to fetch) stops the read with a one-line
error, before the real parser sees a byte. A plain `<!DOCTYPE rdf:RDF>` declares nothing and
passes. Only the prolog is read (the check stops at the first element), so the cost does not grow
with the document.

>>> refuse_entity_declarations(b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"/>', "answer")
>>> refuse_entity_declarations(b'<!DOCTYPE r [<!ENTITY a "b">]><r/>', "bomb.rdf")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
datateam.graph.store.xml_guard.XmlDeclarationError: bomb.rdf:1:13: the XML document's DOCTYPE declares entities ...
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.parsers import expat

from ..errors import DataFileError

CHUNK = 1 << 16


class XmlDeclarationError(DataFileError):
    """An XML document declares a DTD or entities (refused: they can expand without bound)."""


class _RootReached(Exception):
    """The first element started: the prolog is over and no DOCTYPE can follow."""


def refuse_entity_declarations(data: bytes | Iterable[bytes], where: str) -> None:
    """Raise XmlDeclarationError if the XML in `data` has a DOCTYPE that declares anything.

    data: the whole document or an iterable of byte chunks (only the prolog is read).
    where: how messages name the document (a file name, "the answer of ...").
    A document expat cannot read before its root element is refused too (with expat's message),
    because what the real parser would make of such a prolog cannot be checked.
    """
    parser = expat.ParserCreate()
    found: list[str] = []

    def doctype(name, system_id, public_id, has_internal_subset):
        if system_id or public_id:
            found.append(f"names an external DTD ({system_id or public_id})")
        elif has_internal_subset:
            found.append("declares entities or other markup (an internal subset)")
        if found:
            raise _RootReached

    def entity(*args):
        found.append("declares entities")
        raise _RootReached

    def root(name, attributes):
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        for chunk in chunks:
            for start in range(0, len(chunk), CHUNK):
                parser.Parse(bytes(chunk[start:start + CHUNK]), False)
        parser.Parse(b"", True)
    except _RootReached:
        pass
    except expat.ExpatError as exc:
        raise XmlDeclarationError(f"{where}:{exc.lineno}:{exc.offset + 1}: not readable as XML "
                                  f"({expat.ErrorString(exc.code)})") from None
    if found:
        raise XmlDeclarationError(
            f"{where}:{parser.CurrentLineNumber}:{parser.CurrentColumnNumber + 1}: the XML document's DOCTYPE "
            f"{found[0]}; such a DOCTYPE is refused because XML entities can expand without bound "
            "(remove the DOCTYPE, or convert the file to Turtle)")


def refuse_entity_declarations_in_file(path, where: str | None = None) -> None:
    """`refuse_entity_declarations` for a file, read in chunks up to its root element."""

    def chunks():
        with open(path, "rb") as handle:
            while True:
                block = handle.read(CHUNK)
                if not block:
                    return
                yield block

    refuse_entity_declarations(chunks(), where or str(path))
