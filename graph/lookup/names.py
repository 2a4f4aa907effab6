"""Resolving what a user types ("data engineer", "DE", "airflow", "role:data-engineer") to an entity.

Names match case-insensitively over preferred labels, aliases (skos:altLabel) and the IRI's last
segment; hyphens, underscores and repeated spaces count as one space, so "full stack data
scientist" finds "full-stack data scientist". A full IRI (bare or in angle brackets, as SPARQL and
Turtle write it: `<https://w3id.org/datateam-kg/role/data-engineer>`) or a prefixed name
(`role:data-engineer`) is taken as is.

When several entities match, the best kind of match wins (preferred label, then alias, then id),
then the most specific graph: the user's own data, then imported frameworks (ESCO, O*NET), then the
shipped knowledge base. Whatever is still tied is ambiguous and the candidates are listed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import URIRef

from ...ontology.namespaces import BASE, DT, PREFIXES
from ..errors import AmbiguousNameError, NameNotFoundError

# type key -> class IRI; the order is the order candidates are listed in.
ENTITY_TYPES: dict[str, URIRef] = {
    "role": DT.Role,
    "skill": DT.Skill,
    "tool": DT.Tool,
    "category": DT.ToolCategory,
    "responsibility": DT.Responsibility,
    "artifact": DT.Artifact,
    "stage": DT.LifecycleStage,
    "deployment": DT.DeploymentPattern,
    "workflow": DT.Workflow,
    "team-pattern": DT.TeamPattern,
    "family": DT.RoleFamily,
    "source": DT.Source,
}
TYPE_OF_CLASS = {str(cls): key for key, cls in ENTITY_TYPES.items()}

USER_GRAPHS = BASE + "graph/user/"
IMPORT_GRAPHS = BASE + "graph/import/"

MATCH_PREF, MATCH_ALT, MATCH_ID = 0, 1, 2


@dataclass(frozen=True)
class Entity:
    """A resolved entity: its IRI, type key (role, skill, tool, ...) and preferred label."""

    iri: URIRef
    type: str
    label: str
    # Equally good matches in lower-priority graphs (e.g. the shipped role when an imported
    # ESCO occupation has the same label): (iri, type, label) tuples, for a "note:" to the user.
    shadowed: tuple = ()

    def as_dict(self) -> dict:
        return {"id": str(self.iri), "type": self.type, "label": self.label}

    def shadow_note(self, name: str) -> str | None:
        """A one-line note naming the matches this resolution hid, or None."""
        if not self.shadowed:
            return None
        others = "; ".join(f"{label} ({type_key}, {iri})" for iri, type_key, label in self.shadowed)
        return f"note: {name!r} resolved to {self.label} <{self.iri}>; it also names {others} (give an id to choose)"


def normalise(name: str) -> str:
    """Fold a name for matching: casefold, treat - _ / and runs of spaces as one space."""
    return re.sub(r"[\s\-_]+", " ", name.casefold()).strip()


def _graph_rank(graph: str | None) -> int:
    if graph and graph.startswith(USER_GRAPHS):
        return 0
    if graph and graph.startswith(IMPORT_GRAPHS):
        return 1
    return 2


_CANDIDATES_QUERY = """
SELECT ?s ?type ?g ?kind WHERE {
  VALUES ?needle { %(needles)s }
  { GRAPH ?g { ?s skos:prefLabel ?needle } BIND(0 AS ?kind) }
  UNION
  { GRAPH ?g { ?s skos:altLabel ?needle } BIND(1 AS ?kind) }
  ?s a ?type .
  FILTER(?type IN (%(types)s))
}
"""


def _types_clause(types: list[str]) -> str:
    return " ".join(f"<{ENTITY_TYPES[t]}>" for t in types)


def _label_variants(name: str) -> list[str]:
    variants = {name, name.strip(), name.strip().lower(), name.strip().title(), name.strip().upper(),
                name.strip().capitalize()}
    return [v for v in variants if v]


def resolve(kg, name: str, types: list[str] | tuple[str, ...] | None = None) -> Entity:
    """Resolve `name` to one entity of the given type keys (default: all known types).

    Raises NameNotFoundError (with the nearest labels as suggestions) or AmbiguousNameError (with
    the candidates). Works on any object with a `select(query, bindings)` method.

    >>> resolve(kg, "DE", ["role"]).iri
    rdflib.term.URIRef('https://w3id.org/datateam-kg/role/data-engineer')
    """
    types = list(types or ENTITY_TYPES)
    unknown = [t for t in types if t not in ENTITY_TYPES]
    if unknown:
        raise ValueError(f"unknown entity type(s): {', '.join(unknown)}")
    text = name.strip()
    if not text:
        raise NameNotFoundError("empty name", [])
    direct = _resolve_iri(kg, text, types)
    if direct is not None:
        return direct
    candidates = _exact_candidates(kg, text, types)
    if not candidates:
        candidates = _folded_candidates(kg, text, types)
    if not candidates:
        suggestions = nearest_names(kg, text, types)
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        kinds = "/".join(types) if len(types) < len(ENTITY_TYPES) else "entity"
        raise NameNotFoundError(f"no {kinds} named {text!r}{hint}", suggestions)
    return _pick(text, candidates)


def _resolve_iri(kg, text: str, types: list[str]) -> Entity | None:
    iri = None
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1].strip()
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise NameNotFoundError(f"{text!r} is not a valid IRI ({str(exc).splitlines()[0]})", []) from None
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
            raise NameNotFoundError(f"{text!r} is not an absolute IRI (write <https://...>)", [])
    elif re.match(r"^https?://", text):
        iri = text
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise NameNotFoundError(f"{text!r} is not a valid IRI ({str(exc).splitlines()[0]})", []) from None
    else:
        m = re.match(r"^([A-Za-z][\w-]*):([\w.\-/]+)$", text)
        if m and m.group(1) in PREFIXES:
            iri = PREFIXES[m.group(1)] + m.group(2)
    if iri is None:
        return None
    rows = kg.select(
        "SELECT ?s ?type ?label WHERE { ?s a ?type . VALUES ?type { %s } "
        "OPTIONAL { ?s skos:prefLabel ?label } }" % _types_clause(types),
        {"s": URIRef(iri)},
    )
    if not rows:
        raise NameNotFoundError(f"no {'/'.join(types) if len(types) < len(ENTITY_TYPES) else 'entity'} with IRI <{iri}>", [])
    row = min(rows, key=lambda r: types.index(TYPE_OF_CLASS[str(r["type"])]))
    return Entity(URIRef(iri), TYPE_OF_CLASS[str(row["type"])], str(row.get("label", iri)))


def _exact_candidates(kg, text: str, types: list[str]) -> list[tuple]:
    """Fast path: one indexed lookup of the literal as typed and in common casings (with and without @en).

    The literals are written into the query as RDF terms by rdflib's serializer (quotes and
    backslashes escaped), never as raw text.
    """
    from rdflib import Literal

    needles = " ".join(lit.n3() for v in _label_variants(text) for lit in (Literal(v, lang="en"), Literal(v)))
    rows = kg.select(_CANDIDATES_QUERY % {"needles": needles, "types": ", ".join(f"<{ENTITY_TYPES[t]}>" for t in types)})
    if not rows:
        return []
    labels = _preferred_labels(kg, {URIRef(r["s"]) for r in rows})
    return [(URIRef(r["s"]), TYPE_OF_CLASS[str(r["type"])], labels.get(URIRef(r["s"]), str(r["s"])),
             str(r.get("g", "")), int(r["kind"])) for r in rows]


def _preferred_labels(kg, iris: set[URIRef]) -> dict[URIRef, str]:
    """The English (or plain) preferred label of each IRI."""
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = kg.select(f"""SELECT ?s ?label WHERE {{ VALUES ?s {{ {values} }} ?s skos:prefLabel ?label
                         FILTER(langMatches(lang(?label), "en") || lang(?label) = "") }}""")
    return {URIRef(r["s"]): str(r["label"]) for r in rows}


def _folded_candidates(kg, text: str, types: list[str]) -> list[tuple]:
    """Slow path: compare folded forms of every label and alias, and the IRIs' last segments."""
    target = normalise(text)
    found = []
    for row in all_names(kg, types):
        if normalise(row["name"]) == target:
            found.append((row["iri"], row["type"], row["label"], row["graph"], row["kind"]))
    return found


def _pick(text: str, candidates: list[tuple]) -> Entity:
    best: dict[URIRef, tuple] = {}
    for iri, type_key, label, graph, kind in candidates:
        rank = (kind, _graph_rank(graph))
        if iri not in best or rank < best[iri][0]:
            best[iri] = (rank, type_key, label)
    top = min(v[0] for v in best.values())
    winners = sorted((iri, v[1], v[2]) for iri, v in best.items() if v[0] == top)
    if len(winners) == 1:
        iri, type_key, label = winners[0]
        shadowed = tuple(sorted((str(i), v[1], v[2]) for i, v in best.items()
                                if i != iri and v[0][0] == top[0]))
        return Entity(iri, type_key, label, shadowed)
    listed = [{"id": str(i), "type": t, "label": lab} for i, t, lab in winners]
    shown = "; ".join(f"{c['label']} ({c['type']}, {c['id']})" for c in listed)
    raise AmbiguousNameError(f"{text!r} is ambiguous: {shown}; name one by its id", listed)


_ALL_NAMES_QUERY = """
SELECT DISTINCT ?s ?type ?name ?label ?g ?kind WHERE {
  VALUES ?type { %(types)s }
  ?s a ?type .
  { GRAPH ?g { ?s skos:prefLabel ?name } BIND(0 AS ?kind) }
  UNION
  { GRAPH ?g { ?s skos:altLabel ?name } BIND(1 AS ?kind) }
  OPTIONAL { ?s skos:prefLabel ?label }
}
"""


def all_names(kg, types: list[str] | None = None) -> list[dict]:
    """Every label, alias and id of the given types, as dicts (iri, type, name, label, graph, kind)."""
    types = list(types or ENTITY_TYPES)
    rows = kg.select(_ALL_NAMES_QUERY % {"types": _types_clause(types)})
    out = []
    ids_seen = set()
    for row in rows:
        iri = URIRef(row["s"])
        type_key = TYPE_OF_CLASS[str(row["type"])]
        label = str(row.get("label", row["name"]))
        graph = str(row.get("g", ""))
        out.append({"iri": iri, "type": type_key, "name": str(row["name"]), "label": label,
                    "graph": graph, "kind": int(row["kind"])})
        if iri not in ids_seen:
            ids_seen.add(iri)
            local = re.split(r"[/#]", str(iri).rstrip("/"))[-1]
            out.append({"iri": iri, "type": type_key, "name": local, "label": label,
                        "graph": graph, "kind": MATCH_ID})
    return out


def nearest_names(kg, text: str, types: list[str] | None = None, limit: int = 5) -> list[str]:
    """The labels closest to `text` (for 'did you mean' hints), best first."""
    names = {}
    for row in all_names(kg, types):
        names.setdefault(normalise(row["name"]), row["label"])
    target = normalise(text)
    close = difflib.get_close_matches(target, list(names), n=limit * 3, cutoff=0.6)
    contained = [n for n in names if target and (target in n.split() or n.startswith(target))]
    ordered = []
    for key in close + sorted(contained):
        label = names[key]
        if label not in ordered:
            ordered.append(label)
    return ordered[:limit]
