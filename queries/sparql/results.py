"""The result of a SPARQL query, independent of where it ran (embedded store, worker process or remote endpoint).

`QueryResult.serialize(fmt)` writes it in the W3C formats: SPARQL 1.1 Query Results JSON and XML,
the SPARQL 1.1 CSV and TSV formats, Turtle / N-Triples / JSON-LD for graph results, plus an aligned
text table for people. `MEDIA_TYPES` gives the Content-Type of each format.

>>> result = QueryResult("ask", boolean=True)
>>> result.serialize("json")
b'{"head": {}, "boolean": true}\\n'
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ...graph.text import to_table
from ...ontology.namespaces import PREFIXES, bind_prefixes
from .errors import QueryError

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "rdfxml")
ALL_FORMATS = SELECT_FORMATS + GRAPH_FORMATS

MEDIA_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}

# file extension -> format, for --output FILE without --format
FORMAT_OF_EXTENSION: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".json": "json", ".srj": "json", ".xml": "xml", ".srx": "xml",
    ".txt": "table", ".ttl": "ttl", ".nt": "nt", ".jsonld": "jsonld",
    ".rdf": "rdfxml",
}

_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_SHORT_NUMERIC = {
    str(XSD.integer): re.compile(r"^[+-]?[0-9]+$"),
    str(XSD.decimal): re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
    str(XSD.double): re.compile(r"^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+$"),
    str(XSD.boolean): re.compile(r"^(?:true|false)$"),
}


@dataclass
class QueryResult:
    """What a query returned.

    kind: "select", "ask" or "graph" (CONSTRUCT/DESCRIBE).
    variables: the projected variable names, in order (select).
    rows: one dict per solution, variable name -> rdflib term; unbound variables are absent (select).
    boolean: the answer (ask). graph: the triples (graph). truncated: a row cap cut the result.
    """

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False

    def formats(self) -> tuple[str, ...]:
        """The formats this result can be written in."""
        return GRAPH_FORMATS if self.kind == "graph" else SELECT_FORMATS

    def __len__(self) -> int:
        if self.kind == "graph":
            return len(self.graph) if self.graph is not None else 0
        if self.kind == "ask":
            return 1
        return len(self.rows)

    def serialize(self, fmt: str) -> bytes:
        """Serialize to `fmt`: table/csv/tsv/json/xml (W3C SPARQL 1.1 results) for select and ask,
        ttl/nt/jsonld/rdfxml for graph results."""
        if fmt not in self.formats():
            what = "CONSTRUCT/DESCRIBE" if self.kind == "graph" else "SELECT/ASK"

            raise QueryError(f"format {fmt!r} does not fit a {what} result; use one of {', '.join(self.formats())}")
        if self.kind == "graph":
            return _serialize_graph(self.graph if self.graph is not None else Graph(), fmt)
        writer = {"table": self._table, "csv": self._csv, "tsv": self._tsv, "json": self._json,
                  "xml": self._xml}[fmt]
        return writer().encode("utf-8")

    def to_records(self) -> list[dict[str, str]]:
        """Plain rows for notebooks: variable -> the term's text (IRI, lexical form, blank node id)."""
        return [{v: str(row[v]) for v in self.variables if v in row} for row in self.rows]

    # -- select / ask writers -------------------------------------------------------------------
    def _table(self) -> str:
        if self.kind == "ask":
            return ("yes" if self.boolean else "no") + "\n"

        cells = [{v: display(row[v]) for v in self.variables if v in row} for row in self.rows]
        return to_table(cells, self.variables)

    def _csv(self) -> str:
        if self.kind == "ask":
            return "true" if self.boolean else "false"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow([_csv_value(row.get(v)) for v in self.variables])
        return out.getvalue()

    def _tsv(self) -> str:
        if self.kind == "ask":
            return "true" if self.boolean else "false"
        lines = ["\t".join("?" + v for v in self.variables)]
        for row in self.rows:
            lines.append("\t".join(tsv_term(row[v]) if v in row else "" for v in self.variables))
        return "\n".join(lines) + "\n"

    def _json(self) -> str:
        if self.kind == "ask":
            return json.dumps({"head": {}, "boolean": bool(self.boolean)}) + "\n"
        # One solution per line: valid JSON that stays readable and greppable.
        head = json.dumps({"vars": list(self.variables)}, ensure_ascii=False)
        lines = [json.dumps({v: json_term(row[v]) for v in self.variables if v in row}, ensure_ascii=False)
                 for row in self.rows]
        body = ",\n    ".join(lines)
        return (f'{{"head": {head},\n "results": {{"bindings": [' + (f"\n    {body}\n  " if lines else "")
                + "]}}\n")

    def _xml(self) -> str:
        out = ['<?xml version="1.0" encoding="utf-8"?>',
               '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        if self.kind == "ask":
            out += ["  <head/>", f"  <boolean>{'true' if self.boolean else 'false'}</boolean>", "</sparql>"]
            return "\n".join(out) + "\n"
        out.append("  <head>")
        out += [f"    <variable name={quoteattr(v)}/>" for v in self.variables]
        out += ["  </head>", "  <results>"]
        for row in self.rows:
            out.append("    <result>")
            for v in self.variables:
                if v in row:
                    out.append(f"      <binding name={quoteattr(v)}>{xml_term(row[v])}</binding>")
            out.append("    </result>")
        out += ["  </results>", "</sparql>"]
        return "\n".join(out) + "\n"


def choose_format(fmt: str | None, output: str | None, form: str | None, tty: bool) -> str:
    """The output format: the one asked for, else the --output file's extension, else a default.

    The default is an aligned table on a terminal and CSV otherwise for SELECT/ASK (and updates),
    Turtle for CONSTRUCT/DESCRIBE. Raises QueryError when the format does not fit the query form.

    >>> choose_format(None, "out.json", "select", False)
    'json'
    """
    from pathlib import Path

    graph_form = form in ("construct", "describe")
    if fmt is None and output:
        fmt = FORMAT_OF_EXTENSION.get(Path(output).suffix.lower())
    if fmt is None:
        return "ttl" if graph_form else ("table" if tty else "csv")
    allowed = GRAPH_FORMATS if graph_form else SELECT_FORMATS
    if form is not None and fmt not in allowed:
        what = "CONSTRUCT/DESCRIBE" if graph_form else "SELECT/ASK"
        raise QueryError(f"--format {fmt} does not fit a {what} query; use one of {', '.join(allowed)}")
    return fmt


# -- one term in each format -------------------------------------------------------------------

def _datatype(term: Literal) -> str | None:
    """The datatype to write: None for simple (xsd:string) and language-tagged literals."""
    if term.language:
        return None
    dt = str(term.datatype) if term.datatype is not None else None
    return None if dt in (None, _XSD_STRING) else dt


def json_term(term: Node) -> dict:
    """A term as an RDF term object of the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif _datatype(term):
            out["datatype"] = _datatype(term)
        return out
    if isinstance(term, tuple) and len(term) == 3:
        return {"type": "triple", "value": {k: json_term(t) for k, t in zip(("subject", "predicate", "object"), term)}}
    raise TypeError(f"not an RDF term: {term!r}")


def xml_term(term: Node) -> str:
    """A term as an element of the SPARQL Query Results XML format."""
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
        if _datatype(term):
            return f"<literal datatype={quoteattr(_datatype(term))}>{escape(str(term))}</literal>"
        return f"<literal>{escape(str(term))}</literal>"
    if isinstance(term, tuple) and len(term) == 3:
        parts = "".join(f"<{k}>{xml_term(t)}</{k}>" for k, t in zip(("subject", "predicate", "object"), term))
        return f"<triple>{parts}</triple>"
    raise TypeError(f"not an RDF term: {term!r}")


def _escape_string(value: str) -> str:
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t"))


def tsv_term(term: Node) -> str:
    """A term in the SPARQL TSV format (Turtle syntax; numbers and booleans in their short form)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term)
        if term.language:
            return f'"{_escape_string(text)}"@{term.language}'
        dt = _datatype(term)
        if dt is None:
            return f'"{_escape_string(text)}"'
        short = _SHORT_NUMERIC.get(dt)
        if short is not None and short.match(text):
            return text
        return f'"{_escape_string(text)}"^^<{dt}>'
    if isinstance(term, tuple) and len(term) == 3:
        return "<< " + " ".join(tsv_term(t) for t in term) + " >>"
    raise TypeError(f"not an RDF term: {term!r}")


def _csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, tuple):
        return tsv_term(term)
    return str(term)


def display(term: Node) -> str:
    """A term for people: IRIs as prefixed names where a project prefix fits, literals as their text."""
    if isinstance(term, URIRef):
        return compact_iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, tuple):
        return "<< " + " ".join(display(t) for t in term) + " >>"
    return str(term)


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_LOCAL_OK = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.]*$")


def compact_iri(iri: str) -> str:
    """`https://w3id.org/datateam-kg/role/data-engineer` -> `role:data-engineer` (else the IRI in <>)."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local == "" or (_LOCAL_OK.match(local) and not local.endswith(".")):
                return f"{prefix}:{local}"
    return f"<{iri}>"


# -- graph results -------------------------------------------------------------------------------

def _serialize_graph(graph: Graph, fmt: str) -> bytes:
    if fmt == "nt":
        text = graph.serialize(format="nt")
        lines = sorted(line for line in text.splitlines() if line.strip())
        return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    out = Graph()
    bind_prefixes(out)
    for triple in graph:
        out.add(triple)
    if fmt == "ttl":
        return out.serialize(format="turtle").encode("utf-8")
    used = _used_prefixes(out)
    if fmt == "rdfxml":
        import pyoxigraph as ox
        from oxrdflib._converter import to_ox

        triples = [ox.Triple(*(to_ox(t) for t in triple)) for triple in sorted(out)]
        return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=used)
    return out.serialize(format="json-ld", context=used, indent=2).encode("utf-8")


def _used_prefixes(graph: Graph) -> dict[str, str]:
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for triple in graph for t in triple if isinstance(t, Literal) and t.datatype}
    return {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
