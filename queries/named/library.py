"""The library of named queries: the queries/named/*.rq files and their comment headers.

Each file starts with a header of `# key: value` comment lines:

    # title: Tools of a role
    # description: The tools people in a role work with, by category, level and source.
    # param: role (role) = data engineer -- the role whose tools to list
    # example: datateam query tools-of-role --param role="ML engineer"

`param` lines read `NAME (TYPE) [= DEFAULT] [-- what it is]`. A parameter without a default is
optional: left unbound, its variable matches anything. TYPE is one of

- an entity type (role, skill, tool, category, responsibility, artifact, stage, deployment,
  workflow, team-pattern, family, source): the value is a name, alias or id resolved like
  `datateam show` resolves it (graph/lookup/names.py);
- a class as a prefixed name (e.g. `dt:OrganisationSize`): the value names an instance of the
  class by its label, or the first word of it ("small" for "small organisation");
- iri, string, integer, decimal or boolean.

Every parameter variable is projected by its query, so Oxigraph can substitute it as an RDF term.

>>> q = load_named_query("tools-of-role")
>>> q.params[0].name, q.params[0].type
('role', 'role')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Node

from ...graph.lookup.names import ENTITY_TYPES, normalise, resolve
from ...graph.text import format_rows
from ...ontology.namespaces import PREFIXES
from ..sparql.binding import check_value_length, decimal_literal, integer_literal, iri_term
from ..sparql.errors import QueryError, QueryParameterError
from .lists import concatenations, runnable_text, sort_lists

QUERIES_DIR = Path(__file__).resolve().parent
SCALAR_TYPES = ("iri", "string", "integer", "decimal", "boolean")

_PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[^)]+)\)\s*"
                    r"(?:=\s*(?P<default>.*?))?\s*(?:--\s*(?P<doc>.*))?$")


@dataclass(frozen=True)
class Parameter:
    """A parameter of a named query: its variable name, type, default (None: optional) and description."""

    name: str
    type: str
    default: str | None = None
    description: str = ""

    @property
    def optional(self) -> bool:
        return self.default is None

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "default": self.default, "description": self.description}


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its name (file stem), header fields and SPARQL text."""

    name: str
    title: str
    description: str
    params: tuple[Parameter, ...]
    examples: tuple[str, ...]
    text: str
    path: Path = field(compare=False)

    def param(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "params": [p.as_dict() for p in self.params], "examples": list(self.examples)}


def parse_header(text: str, where: str) -> dict:
    """Read the `# key: value` lines at the top of a query file.

    Returns {"title", "description", "params": [Parameter], "examples": [str]}; raises QueryError
    naming the file and line when a header line cannot be read or title/description is missing.
    """
    fields: dict = {"title": None, "description": None, "params": [], "examples": []}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        if not body or ":" not in body:
            continue
        key, value = (part.strip() for part in body.split(":", 1))
        key = key.lower()
        if key in ("title", "description"):
            fields[key] = value
        elif key == "param":
            m = _PARAM.match(value)
            if not m:
                raise QueryError(f"{where}:{number}: cannot read the parameter {value!r}; write "
                                 "'# param: NAME (TYPE) = DEFAULT -- description'")
            ptype = m.group("type").strip()
            _check_type(ptype, f"{where}:{number}")
            default = m.group("default")
            if default is not None:
                default = default.strip()
                if len(default) >= 2 and default[0] == default[-1] and default[0] in "\"'":
                    default = default[1:-1]
            fields["params"].append(Parameter(m.group("name"), ptype, default, (m.group("doc") or "").strip()))
        elif key == "example":
            fields["examples"].append(value)
    for required in ("title", "description"):
        if not fields[required]:
            raise QueryError(f"{where}: the header has no '# {required}: ...' line")
    return fields


def _check_type(ptype: str, where: str) -> None:
    if ptype in ENTITY_TYPES or ptype in SCALAR_TYPES:
        return
    m = re.match(r"^([A-Za-z][\w-]*):(\w+)$", ptype)
    if m and m.group(1) in PREFIXES:
        return
    raise QueryError(f"{where}: unknown parameter type {ptype!r} (use an entity type such as role or tool, a "
                     f"class such as dt:OrganisationSize, or one of {', '.join(SCALAR_TYPES)})")


def load_query_file(path: Path) -> NamedQuery:
    """Read one .rq file with its header."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    header = parse_header(text, str(path))
    return NamedQuery(path.stem, header["title"], header["description"], tuple(header["params"]),
                      tuple(header["examples"]), text, path)


def named_query_files() -> list[Path]:
    """The shipped named query files, sorted by name."""
    return sorted(QUERIES_DIR.glob("*.rq"))


def list_named_queries() -> list[NamedQuery]:
    """Every named query of the library, sorted by name.

    >>> [q.name for q in list_named_queries()][:2]
    ['artifact-flow', 'collaborators']
    """
    return [load_query_file(p) for p in named_query_files()]


def load_named_query(name: str) -> NamedQuery:
    """The named query `name` (file stem, e.g. "tools-of-role"); raises QueryError with suggestions."""
    path = QUERIES_DIR / f"{name}.rq"
    if re.fullmatch(r"[A-Za-z0-9_-]+", name) and path.is_file():
        return load_query_file(path)
    import difflib

    names = [p.stem for p in named_query_files()]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `datateam queries` lists them"
    raise QueryError(f"no named query {name!r}{hint}", exit_code=2)


# -- parameters --------------------------------------------------------------------------------

def parse_param_args(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Turn ["role=data engineer", "n=3"] into {"role": "data engineer", "n": "3"}."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise QueryParameterError(f"--param {item!r}: write NAME=VALUE")
        key, value = item.split("=", 1)
        key = key.strip().lstrip("?$")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise QueryParameterError(f"--param {item!r}: {key!r} is not a valid parameter name")
        out[key] = value
    return out


def bind_parameters(kg, query: NamedQuery | None, given: dict[str, str]) -> dict[str, Node]:
    """Turn textual parameter values into RDF terms for `query`.

    For a named query, each declared parameter gets the given value or its default, converted by
    its type (names resolved through graph.names.resolve); an undeclared one is an error. For an
    ad-hoc query (query=None) a value is read as an IRI when it is <...>, a prefixed name with a
    project prefix or http(s)://..., else as a plain string literal.
    """
    for name, value in given.items():
        check_value_length(value, f"--param {name}")
    if query is None:
        return {name: _adhoc_term(value, f"--param {name}") for name, value in given.items()}
    unknown = sorted(set(given) - {p.name for p in query.params})
    if unknown:
        declared = ", ".join(p.name for p in query.params) or "none"
        raise QueryParameterError(f"{query.name} has no parameter {', '.join(unknown)} (its parameters: {declared})")
    out: dict[str, Node] = {}
    for param in query.params:
        value = given.get(param.name, param.default)
        if value is None:
            continue
        out[param.name] = convert_value(kg, param, value)
    return out


def _adhoc_term(value: str, where: str) -> Node:
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        return iri_term(text[1:-1], where)
    if re.match(r"^https?://\S+$", text):
        return iri_term(text, where)
    m = re.match(r"^([A-Za-z][\w-]*):([\w.\-/]*)$", text)
    if m and m.group(1) in PREFIXES:
        return iri_term(PREFIXES[m.group(1)] + m.group(2), where)
    return Literal(value)


def convert_value(kg, param: Parameter, value: str) -> Node:
    """Convert one textual value to an RDF term by the parameter's type."""
    ptype = param.type
    where = f"--param {param.name}"
    check_value_length(value, where)
    if ptype == "source":
        found = _source_by_identifier(kg, value)
        if found is not None:
            return found
    if ptype in ENTITY_TYPES:
        return resolve(kg, value, [ptype]).iri
    if ptype == "iri":
        term = _adhoc_term(value, where)
        if not isinstance(term, URIRef):
            raise QueryParameterError(f"{where}: {value!r} is not an IRI or a prefixed name")
        return term
    if ptype == "string":
        return Literal(value)
    if ptype == "integer":
        return integer_literal(value, where)
    if ptype == "decimal":
        return decimal_literal(value, where)
    if ptype == "boolean":
        folded = value.strip().lower()
        if folded in ("true", "yes", "1"):
            return Literal(True)
        if folded in ("false", "no", "0"):
            return Literal(False)
        raise QueryParameterError(f"{where}: {value!r} is not true or false")
    return _instance_of(kg, ptype, value, where)


def _source_by_identifier(kg, value: str) -> URIRef | None:
    """A source named by its short id (olx-interview) or its title: sources carry dcterms:identifier
    and dcterms:title rather than skos:prefLabel, which graph.names.resolve looks for."""
    target = normalise(value)
    rows = kg.select("SELECT DISTINCT ?s ?id ?title WHERE { ?s a dt:Source ; dcterms:identifier ?id . "
                     "OPTIONAL { ?s dcterms:title ?title } }")
    found = {r["s"] for r in rows if target in (normalise(str(r["id"])), normalise(str(r.get("title", ""))))}
    return next(iter(found)) if len(found) == 1 else None


def _instance_of(kg, class_name: str, value: str, where: str) -> URIRef:
    prefix, local = class_name.split(":", 1)
    cls = URIRef(PREFIXES[prefix] + local)
    direct = _adhoc_term(value, where)
    rows = kg.select("SELECT ?x ?label ?cls WHERE { ?x a ?cls . OPTIONAL { ?x rdfs:label|skos:prefLabel ?label } }",
                     {"cls": cls})
    if isinstance(direct, URIRef):
        if any(r["x"] == direct for r in rows):
            return direct
        raise QueryParameterError(f"{where}: {value!r} is not a {class_name}")
    target = normalise(value)
    exact, first_word = set(), set()
    for row in rows:
        label = normalise(str(row.get("label", "")))
        local_name = normalise(re.split(r"[/#]", str(row["x"]))[-1])
        if target in (label, local_name):
            exact.add(row["x"])
        elif label.split(" ")[:1] == [target]:
            first_word.add(row["x"])
    found = exact or first_word
    if len(found) == 1:
        return next(iter(found))
    choices = sorted({str(r.get("label", r["x"])) for r in rows})
    problem = "matches several" if found else "matches none"
    raise QueryParameterError(f"{where}: {value!r} {problem} of {', '.join(choices)}")


def read_query_source(source: str | None, expression: str | None, stdin_text=None) -> tuple[str, NamedQuery | None]:
    """Find the query text a command line names: -e TEXT, a FILE (or - for standard input), or a NAME.

    Returns (text, named query or None). A file whose header declares parameters (like the shipped
    queries) gets typed parameters too. Raises QueryError naming what is missing or wrong.
    """
    if expression is not None and source is not None:
        raise QueryError("give either a FILE or NAME or -e TEXT, not both")
    if expression is not None:
        if not expression.strip():
            raise QueryError("-e: the query text is empty")
        return expression, None
    if source is None:
        raise QueryError("give a query: a FILE, a NAME from `datateam queries`, or -e 'SELECT ...'")
    if source == "-":
        text = stdin_text() if callable(stdin_text) else (stdin_text or "")
        if not text.strip():
            raise QueryError("standard input holds no query")
        return text, None
    path = Path(source)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise QueryError(f"{path}: not a UTF-8 text file") from None
        except OSError as exc:
            raise QueryError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            header = parse_header(text, str(path))
        except QueryError:
            return text, None
        named = NamedQuery(path.stem, header["title"], header["description"], tuple(header["params"]),
                           tuple(header["examples"]), text, path)
        return text, named
    if path.suffix or "/" in source or "\\" in source:
        raise QueryError(f"{source}: no such file")
    named = load_named_query(source)
    return named.text, named


def describe_named_queries() -> list[dict]:
    """Rows for `datateam queries`: name, title, description, parameters (as text), example."""
    rows = []
    for q in list_named_queries():
        params = []
        for p in q.params:
            text = f"{p.name} ({p.type})"
            text += f" = {p.default}" if p.default is not None else " optional"
            params.append(text)
        rows.append({"name": q.name, "title": q.title, "description": q.description, "parameters": params,
                     "example": q.examples[0] if q.examples else f"datateam query {q.name}"})
    return rows


def run_named_query(kg, query: NamedQuery, bindings=None, **options):
    """Run a named query (or a query file with a header) with `queries.engine.execute.run_query`,
    its GROUP_CONCAT lists sorted (queries/named/lists.py). `options` go to run_query."""
    from ..engine.execute import run_query  # lazy: start-up time (rdflib)

    lists = concatenations(query.text)
    text = runnable_text(query.text) if lists else query.text
    return sort_lists(run_query(kg, text, bindings=bindings, **options), lists)


def render_named_queries(fmt: str = "table") -> str:
    """describe_named_queries() as text: a table of name, title and parameters, or "json", "csv", "tsv" rows."""
    rows = describe_named_queries()
    if fmt == "table":
        shown = [dict(r, parameters="; ".join(r["parameters"]) or "-") for r in rows]
        return format_rows(shown, ["name", "title", "parameters"], fmt)
    return format_rows(rows, ["name", "title", "description", "parameters", "example"], fmt)
