"""The networkx projection: a typed graph of roles, skills, tools and the rest, built on purpose.

The knowledge base is RDF; the analyses (overlap, handoff chains, transitions, coverage, bridges)
are graph questions. This module projects the store onto a `networkx.MultiDiGraph` from an explicit
list of relations, never from a generic triple dump: no literal nodes, no rdf:type hubs, no
n-ary helper nodes (skill requirements, tool uses and handoffs become edge attributes).

Nodes are the entities' IRIs (str) with the attributes

    type         role | skill | tool | category | responsibility | artifact | stage
    label        the English skos:prefLabel (else the IRI's last segment)
    aliases      sorted skos:altLabel values
    definition   skos:definition ("" when none)
    sources      source ids of the graphs that type the entity (e.g. ["datamax-hats", "olx-interview"])
    family       (roles) the role family's label or None
    stakeholder  (roles) True for dt:Stakeholder, who are not hires
    kind         (skills) technical | soft | knowledge (the dt:Skill subclass) or None
    order        (stages) the lifecycle position (dt:stageOrder) or None

Edges carry `relation` and `sources` (the source ids whose named graph states the fact and counts,
see below) and

    requires_skill      role -> skill     level (strongest any source gives: core > working > basic,
                                          None if no source gives one), levels {level: [source ids]}
    uses_tool           role -> tool      level, levels as above; categories [category IRIs the role
                                          uses the tool as, via dt:asCategory]
    in_category         tool -> category
    has_responsibility  role -> responsibility (from the dt:ResponsibilityAssignment nodes)
    at_stage            responsibility -> stage
    produces            responsibility -> artifact
    hands_off_to        role -> role      one edge per dt:Handoff node (key = the handoff IRI):
                                          handoff, artifact, artifact_label, stage, stage_label, mode,
                                          workflow, workflow_label, step, note, notes {source: note},
                                          and the per-source views modes / stages / steps
                                          {value: [source ids]}
    works_with          role -> role      as stated (dt:worksWith is symmetric; read it undirected)

Skills, tools, responsibilities and handoffs also carry what the sources qualify (graph/lookup/qualifiers.py):

    qualified           {source id: {conditions, stances, limiting, inferred, note, text}} for every
                        source that states the fact with a condition or a stance
    conditional         True when every stating source limits the fact (a condition, a fallback, a
                        reported problem, an anti-pattern description)
    inferred            True when every counting source's claim is the project's inference
    inferred_sources    the source ids whose claim is an inference (curation)

A limited claim does not count while another source states the fact plainly: `sources`, `levels`,
`categories`, `modes`, `stages` and `steps` come from the counting claims only. A conditional fact
(no plain claim at all) is left out of the projection unless `include_conditional=True`; the facts
left out are listed in `G.graph["left_out"]` (and kept ones in `G.graph["conditional"]`) so that
every analysis can say what it did not count.

Every edge other than a handoff has the relation name as its key, so `G.edges[u, v, "uses_tool"]`
works. Everything is read through `kg.select(...)` with one bulk query per relation (plus a few for
node attributes), so the projection builds the same way on the embedded store, a persistent store
and a remote SPARQL endpoint, and scales to the ESCO import (~17,000 nodes, ~124,000 links).

>>> G = build_projection(kg)
>>> G.nodes["https://w3id.org/datateam-kg/role/data-engineer"]["label"]
'data engineer'
>>> G.edges["https://w3id.org/datateam-kg/role/data-engineer",
...         "https://w3id.org/datateam-kg/skill/data-warehouse-design", "requires_skill"]["level"]
'core'
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
from rdflib import URIRef

from ..ontology.namespaces import BASE, DT
from ..queries.sparql.binding import bind_in_text, term_n3
from .errors import DatateamError
from .lookup.qualifiers import PLAIN, Qualifier, Qualifiers, read_qualifiers, split_claims
from .lookup.sources import graph_source_ids

# ---------------------------------------------------------------------------------------------
# Vocabulary of the projection

# type key -> the classes whose instances become nodes of that type (the main class first).
NODE_CLASSES: dict[str, tuple[str, ...]] = {
    "role": (str(DT.Role), str(DT.Stakeholder)),
    "skill": (str(DT.Skill), str(DT.TechnicalSkill), str(DT.SoftSkill), str(DT.KnowledgeArea)),
    "tool": (str(DT.Tool),),
    "category": (str(DT.ToolCategory),),
    "responsibility": (str(DT.Responsibility),),
    "artifact": (str(DT.Artifact),),
    "stage": (str(DT.LifecycleStage),),
}
NODE_TYPES = tuple(NODE_CLASSES)
TYPE_OF_CLASS = {cls: key for key, classes in NODE_CLASSES.items() for cls in classes}

LEVEL_NAMES = {str(DT.Core): "core", str(DT.Working): "working", str(DT.Basic): "basic"}
LEVEL_RANK = {"core": 3, "working": 2, "basic": 1}
MODE_NAMES = {str(DT.Sequential): "sequential", str(DT.SideBySide): "side by side"}
SKILL_KINDS = {str(DT.TechnicalSkill): "technical", str(DT.SoftSkill): "soft", str(DT.KnowledgeArea): "knowledge"}


@dataclass(frozen=True)
class Relation:
    """One projected relation: its name, the RDF property and the node types at both ends."""

    name: str
    predicate: str
    source_type: str
    target_type: str


RELATIONS: dict[str, Relation] = {
    r.name: r
    for r in (
        Relation("requires_skill", str(DT.requiresSkill), "role", "skill"),
        Relation("uses_tool", str(DT.usesTool), "role", "tool"),
        Relation("in_category", str(DT.inCategory), "tool", "category"),
        Relation("has_responsibility", str(DT.hasResponsibility), "role", "responsibility"),
        Relation("at_stage", str(DT.atStage), "responsibility", "stage"),
        Relation("produces", str(DT.produces), "responsibility", "artifact"),
        # One edge per dt:Handoff node (the predicate is the shortcut, for documentation only).
        Relation("hands_off_to", str(DT.handsOffTo), "role", "role"),
        Relation("works_with", str(DT.worksWith), "role", "role"),
    )
}
DEFAULT_RELATIONS: tuple[str, ...] = tuple(RELATIONS)


# ---------------------------------------------------------------------------------------------
# Sources


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


# Bound queries: a pattern evaluated for each of many IRIs in one query, each IRI written into its
# own UNION branch by the binding path. Oxigraph joins a VALUES block only after evaluating the
# whole pattern (seconds over a store with ESCO); a constant in a pattern uses its indexes.
BOUND_BRANCHES = 50   # IRIs per query (Oxigraph plans a longer UNION in more than linear time)


_PLACEHOLDER = "urn:datateam:bound-iri"


def _bound_branch(pattern: str, variable: str) -> str:
    """`{ BIND(<placeholder> AS ?variable) pattern-with-<placeholder> }`, written by queries/sparql/binding.py;
    each IRI's branch replaces the placeholder with the IRI as the binding path writes it (term_n3)."""
    head = "SELECT * WHERE "
    text = bind_in_text(f"{head}{{ {pattern} }}", {variable: URIRef(_PLACEHOLDER)})
    if text is None or not text.startswith(head):
        raise DatateamError(f"cannot bind ?{variable} in the pattern {pattern!r}")
    return text[len(head):]


def select_each(kg, projection: str, before: str, pattern: str, variable: str, iris: Iterable[str],
                 after: str = "") -> list[dict]:
    """The rows of `SELECT projection WHERE { before pattern after }` for ?variable bound to each of `iris`."""
    iris = list(iris)
    branch = _bound_branch(pattern, variable)
    placeholder = term_n3(URIRef(_PLACEHOLDER))
    rows: list[dict] = []
    for start in range(0, len(iris), BOUND_BRANCHES):
        branches = " UNION ".join(branch.replace(placeholder, term_n3(URIRef(iri)))
                                  for iri in iris[start:start + BOUND_BRANCHES])
        rows += kg.select(f"SELECT {projection} WHERE {{ {before} {{ {branches} }} {after} }}")
    return rows


# ---------------------------------------------------------------------------------------------
# Building


def build_projection(kg, relations: Iterable[str] = DEFAULT_RELATIONS,
                     roles: Iterable[str] | None = None, *, include_conditional: bool = False,
                     accept_conditions: Iterable[str] = ()) -> nx.MultiDiGraph:
    """Project the knowledge graph onto a typed networkx MultiDiGraph.

    kg: any backend with `select()` and `graph_names()` (embedded, persistent or remote).
    relations: names from RELATIONS (default: all of them). Only node types at an end of a chosen
        relation become nodes, and every entity of those types does (isolated ones too).
    roles: optional role IRIs; then only those roles are kept, together with the nodes reachable
        from them along the edges' direction without passing another role (their skills, tools,
        those tools' categories, responsibilities with their stages and artifacts).
    include_conditional: keep the facts every stating source limits to a condition or qualifies
        with a limiting stance (marked conditional=True); by default they are left out and listed
        in G.graph["left_out"].
    accept_conditions: condition IRIs known to hold (e.g. dt:InSmallTeam for a small team): a
        claim limited only by them counts as plain. Limiting stances never count.

    Returns the graph described in the module docstring. Raises DatateamError for an unknown
    relation or a role IRI that is not a role.

    >>> G = build_projection(kg, relations=["requires_skill"])
    >>> sorted({d["type"] for _, d in G.nodes(data=True)})
    ['role', 'skill']
    """
    relations = _known_relations(relations)
    types = sorted({t for r in relations for t in (RELATIONS[r].source_type, RELATIONS[r].target_type)},
                   key=NODE_TYPES.index)
    sources = _SourceIds(graph_source_ids(kg))
    graph = nx.MultiDiGraph(include_conditional=include_conditional, left_out=[], conditional=[],
                            accept_conditions=frozenset(str(c) for c in accept_conditions))
    _add_nodes(kg, graph, types, sources)
    qualifiers = read_qualifiers(kg) if set(relations) & (set(NODE_PROPERTY) | {"hands_off_to"}) else Qualifiers()
    for name in relations:
        if name == "hands_off_to":
            _add_handoffs(kg, graph, sources, qualifiers)
        elif name in NODE_PROPERTY:
            _add_claims(kg, graph, RELATIONS[name], sources, qualifiers)
        else:
            _add_simple(kg, graph, RELATIONS[name], sources)
    if roles is not None:
        graph = _restrict_to_roles(graph, roles)
    return graph


def _known_relations(relations: Iterable[str]) -> list[str]:
    """`relations` as a list; DatateamError naming any that is not in RELATIONS."""
    relations = list(relations)
    unknown = [r for r in relations if r not in RELATIONS]
    if unknown:
        raise DatateamError(f"unknown relation(s) {', '.join(unknown)}; choose from {', '.join(RELATIONS)}")
    return relations


def build_focused_projection(kg, roles: Iterable[str], relations: Iterable[str] = DEFAULT_RELATIONS, *,
                             include_conditional: bool = False,
                             accept_conditions: Iterable[str] = ()) -> nx.MultiDiGraph:
    """The projection around a few roles, read with queries bound to them and to what they reach.

    Equal to the whole projection's view of `roles` (IRIs): their nodes and edges, the nodes they
    reach along `relations` (their items, the tools' categories, including the ones a role uses a
    tool as, the responsibilities' stages and artifacts) with the same attributes and edges in the
    same order, and the conditional facts about them; other roles are not in it. It reads a few
    hundred rows where the whole projection of a store with ESCO and O*NET reads over a million.
    Relations between roles (hands_off_to, works_with) need every role: DatateamError, as for an
    unknown relation or a role IRI that is not a role.

    >>> G = build_focused_projection(kg, ["https://w3id.org/datateam-kg/role/data-engineer"], ["requires_skill"])
    >>> sorted({d["type"] for _, d in G.nodes(data=True)})
    ['role', 'skill']
    """
    relations = _known_relations(relations)
    between_roles = [r for r in relations if RELATIONS[r].source_type == "role" == RELATIONS[r].target_type]
    if between_roles:
        raise DatateamError(f"{', '.join(between_roles)} link roles to roles: use build_projection")
    roles = sorted({str(r) for r in roles})
    types = sorted({t for r in relations for t in (RELATIONS[r].source_type, RELATIONS[r].target_type)},
                   key=NODE_TYPES.index)
    sources = _SourceIds(graph_source_ids(kg))
    graph = nx.MultiDiGraph(include_conditional=include_conditional, left_out=[], conditional=[],
                            accept_conditions=frozenset(str(c) for c in accept_conditions))
    qualifiers = read_qualifiers(kg) if set(relations) & set(NODE_PROPERTY) else Qualifiers()
    claims = {name: _read_claims(kg, RELATIONS[name], roles) for name in relations if name in NODE_PROPERTY}
    reached = set(roles)
    for found in claims.values():
        reached.update(o for _, o in found.stated)
        reached.update(c for by_graph in found.categories.values() for cats in by_graph.values() for c in cats)
    # The relations between items (a tool's categories, a responsibility's stage), followed until
    # nothing new is reached.
    simple = [name for name in relations if name not in NODE_PROPERTY]
    stated: dict[str, dict] = {name: {} for name in simple}
    asked: set[str] = set()
    while reached - asked:
        todo = sorted(reached - asked)
        asked.update(todo)
        for name in simple:
            found = _stated(kg, RELATIONS[name], todo)
            stated[name].update(found)
            reached.update(o for _, o in found)
    _add_nodes(kg, graph, types, sources, only=reached)
    others = [n for n, t in graph.nodes(data="type") if t == "role" and n not in roles]
    graph.remove_nodes_from(others)
    for role in roles:
        if role not in graph or graph.nodes[role]["type"] != "role":
            raise DatateamError(f"not a role in the projection: <{role}>")
    for name in relations:
        if name in NODE_PROPERTY:
            _add_claims(kg, graph, RELATIONS[name], sources, qualifiers, claims[name])
        else:
            _add_simple(kg, graph, RELATIONS[name], sources, stated[name])
    return graph


class _SourceIds:
    """Turns sets of graph IRIs into sorted lists of source ids (memoised: most facts share a few sets)."""

    def __init__(self, by_graph: dict[str, str]):
        self.by_graph = by_graph
        self._memo: dict[frozenset, tuple] = {}

    def list(self, graphs: Iterable[str]) -> list[str]:
        key = frozenset(graphs)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = tuple(sorted({self.by_graph[g] for g in key if g in self.by_graph}))
        return list(found)


def _add_nodes(kg, graph: nx.MultiDiGraph, types: list[str], sources: "_SourceIds",
               only: Iterable[str] | None = None) -> None:
    """Add the entities of `types` as nodes (only those of `only`, IRIs, when given), with their attributes."""
    classes = [cls for t in types for cls in NODE_CLASSES[t]]
    typed: dict[str, str] = {}
    graphs: dict[str, set] = defaultdict(set)
    stakeholders = set()
    kinds: dict[str, set] = defaultdict(set)
    if only is None:
        typing = kg.select(f"""
            SELECT ?x ?cls ?g WHERE {{
              VALUES ?cls {{ {_values(classes)} }}
              GRAPH ?g {{ ?x a ?cls }}
              FILTER(isIRI(?x))
            }}""")
        texts = kg.select(f"""
            SELECT DISTINCT ?x ?p ?text WHERE {{
              VALUES ?cls {{ {_values(classes)} }}
              VALUES ?p {{ skos:prefLabel skos:altLabel skos:definition }}
              ?x a ?cls ; ?p ?text .
              FILTER(isLiteral(?text) && (lang(?text) = "" || langMatches(lang(?text), "en")))
            }}""")
    else:
        only = sorted(set(only))
        typing = select_each(kg, "?x ?cls ?g", f"VALUES ?cls {{ {_values(classes)} }}", "GRAPH ?g { ?x a ?cls }", "x",
                              only)
        texts = select_each(kg, "DISTINCT ?x ?p ?text",
                             f"VALUES ?cls {{ {_values(classes)} }} VALUES ?p {{ skos:prefLabel skos:altLabel skos:definition }}",
                             "?x a ?cls ; ?p ?text", "x", only,
                             'FILTER(isLiteral(?text) && (lang(?text) = "" || langMatches(lang(?text), "en")))')
    for row in typing:
        iri, cls = str(row["x"]), str(row["cls"])
        key = TYPE_OF_CLASS[cls]
        # An entity typed with classes of two node types keeps the earlier type in NODE_TYPES.
        if iri not in typed or NODE_TYPES.index(key) < NODE_TYPES.index(typed[iri]):
            typed[iri] = key
        graphs[iri].add(str(row["g"]))
        if cls == str(DT.Stakeholder):
            stakeholders.add(iri)
        elif cls in SKILL_KINDS:
            kinds[iri].add(SKILL_KINDS[cls])
    labels: dict[str, tuple] = {}
    aliases: dict[str, set] = defaultdict(set)
    definitions: dict[str, str] = {}
    for row in texts:
        iri, prop, text = str(row["x"]), str(row["p"]), str(row["text"])
        if prop.endswith("#prefLabel"):
            # Prefer an @en label, then the alphabetically first, so the choice is stable.
            rank = (0 if getattr(row["text"], "language", None) else 1, text)
            if iri not in labels or rank < labels[iri]:
                labels[iri] = rank
        elif prop.endswith("#altLabel"):
            aliases[iri].add(text)
        elif iri not in definitions or text < definitions[iri]:
            definitions[iri] = text
    families: dict[str, str] = {}
    if "role" in types:
        family_pattern = """?x a dt:Role ; dt:roleFamily ?f .
              OPTIONAL { ?f skos:prefLabel ?familyLabel FILTER(lang(?familyLabel) = "" || langMatches(lang(?familyLabel), "en")) }
              BIND(COALESCE(?familyLabel, STR(?f)) AS ?family)"""
        family_rows = kg.select(f"SELECT DISTINCT ?x ?family WHERE {{ {family_pattern} }}") if only is None \
            else select_each(kg, "DISTINCT ?x ?family", "", family_pattern, "x",
                              sorted(iri for iri, key in typed.items() if key == "role"))
        for row in family_rows:
            iri = str(row["x"])
            families[iri] = min(families.get(iri, str(row["family"])), str(row["family"]))
    orders: dict[str, int] = {}
    if "stage" in types:
        for row in kg.select("SELECT DISTINCT ?x ?order WHERE { ?x a dt:LifecycleStage ; dt:stageOrder ?order }"):
            value = row["order"].toPython()
            if isinstance(value, int):
                orders[str(row["x"])] = min(orders.get(str(row["x"]), value), value)
    nodes = []
    for iri, key in typed.items():
        label = labels[iri][1] if iri in labels else _local_name(iri)
        attrs = {
            "type": key,
            "label": label,
            "aliases": sorted((a for a in aliases.get(iri, ()) if a != label), key=str.casefold),
            "definition": definitions.get(iri, ""),
            "sources": sources.list(graphs[iri]),
        }
        if key == "role":
            attrs["family"] = families.get(iri)
            attrs["stakeholder"] = iri in stakeholders
        elif key == "skill":
            attrs["kind"] = min(kinds[iri]) if iri in kinds else None
        elif key == "stage":
            attrs["order"] = orders.get(iri)
        nodes.append((iri, attrs))
    nodes.sort()
    graph.add_nodes_from(nodes)


def _ends_ok(graph: nx.MultiDiGraph, relation: Relation, s: str, o: str) -> bool:
    nodes = graph.nodes
    return (s in nodes and o in nodes and nodes[s]["type"] == relation.source_type
            and nodes[o]["type"] == relation.target_type)


def _stated(kg, relation: Relation, subjects: Iterable[str] | None = None) -> dict[tuple[str, str], set]:
    """(subject, object) -> the graphs stating `subject predicate object` (of the given subjects only, if any)."""
    stated: dict[tuple[str, str], set] = defaultdict(set)
    pattern = f"GRAPH ?g {{ ?s <{relation.predicate}> ?o }}"
    rows = kg.select(f"SELECT ?s ?o ?g WHERE {{ {pattern} }}") if subjects is None \
        else select_each(kg, "?s ?o ?g", "", pattern, "s", sorted(subjects))
    for row in rows:
        stated[(str(row["s"]), str(row["o"]))].add(str(row["g"]))
    return stated


def _add_simple(kg, graph: nx.MultiDiGraph, relation: Relation, sources: "_SourceIds",
                stated: dict[tuple[str, str], set] | None = None) -> None:
    stated = stated if stated is not None else _stated(kg, relation)
    edges = []
    for (s, o), graphs in sorted(stated.items()):
        if _ends_ok(graph, relation, s, o):
            edges.append((s, o, relation.name, {"relation": relation.name, "sources": sources.list(graphs)}))
    graph.add_edges_from(edges)


def _strongest(levels: dict[str, list]) -> str | None:
    return max(levels, key=LEVEL_RANK.__getitem__) if levels else None


# The n-ary node behind each role-centred relation: the node's property that names the item.
NODE_PROPERTY = {"requires_skill": "dt:skill", "uses_tool": "dt:tool", "has_responsibility": "dt:responsibility"}
RELATION_TEXT = {"requires_skill": "requires", "uses_tool": "uses", "has_responsibility": "has the task",
                 "hands_off_to": "hands off"}


def _claims_of(qualifiers: Qualifiers, nodes_by_graph: dict[str, set]) -> dict[str, Qualifier]:
    """{graph: the qualifier that graph states on the fact's node(s)} (PLAIN when none)."""
    out = {}
    for g, nodes in nodes_by_graph.items():
        found = [qualifiers.of(n, g) for n in sorted(nodes)]
        found = [q for q in found if q is not PLAIN]
        out[g] = found[0] if found else PLAIN
    return out


def _qualification(claims: dict[str, Qualifier], sources: "_SourceIds", accepted=frozenset()) -> tuple[set, dict]:
    """(the graphs whose claims count, the edge attributes describing the qualifiers)."""
    counting, limited = split_claims(claims, accepted)
    conditional = not counting
    use = limited if conditional else counting
    by_source = {}
    for g, q in sorted(claims.items()):
        for sid in sources.list([g]):
            if q is not PLAIN:
                by_source[sid] = q.as_dict(sid)
    inferred_sources = sources.list(g for g in use if claims[g].inferred)
    attrs = {"qualified": by_source, "conditional": conditional,
             "inferred": bool(use) and all(claims[g].inferred for g in use),
             "inferred_sources": inferred_sources}
    return use, attrs


def _left_out_fact(graph: nx.MultiDiGraph, relation: str, s: str, o: str, attrs: dict, extra: str = "") -> dict:
    """A conditional fact as plain data, for G.graph["left_out"] / G.graph["conditional"]."""
    to_label = graph.nodes[o]["label"]
    shown = f'"{to_label}"' if relation == "has_responsibility" else to_label
    return {"relation": relation, "from": s, "to": o, "from_label": graph.nodes[s]["label"], "to_label": to_label,
            "text": f"{graph.nodes[s]['label']} {RELATION_TEXT[relation]}{extra} {shown}",
            "sources": list(attrs["sources"]), "qualifiers": list(attrs["qualified"].values())}


def _keep(graph: nx.MultiDiGraph, relation: str, s: str, o: str, attrs: dict, extra: str = "") -> bool:
    """Whether to add the edge; conditional facts are recorded either way."""
    if not attrs["conditional"]:
        return True
    fact = _left_out_fact(graph, relation, s, o, attrs, extra)
    if graph.graph["include_conditional"]:
        graph.graph["conditional"].append(fact)
        return True
    graph.graph["left_out"].append(fact)
    return False


@dataclass
class _Claims:
    """What the sources state about one role-centred relation: per (role, item) and graph, the n-ary
    nodes, levels and categories."""

    stated: dict
    levels: dict
    categories: dict


def _claim_rows(kg, relation: Relation, roles: Iterable[str] | None = None) -> list[dict]:
    """Rows (s, o, g, n?, level?, cat?) of the links and their n-ary nodes (of the given roles only, if any).

    For given roles the links and the n-ary nodes are read apart, each query bound to one role, and
    joined here as the OPTIONAL would: a node counts for the link its graph also states.
    """
    node_property = NODE_PROPERTY[relation.name]
    if roles is None:
        return kg.select(f"""
            SELECT ?s ?o ?g ?n ?level ?cat WHERE {{
              GRAPH ?g {{
                ?s <{relation.predicate}> ?o
                OPTIONAL {{ ?n {node_property} ?o ; dt:role ?s
                           OPTIONAL {{ ?n dt:level ?level }} OPTIONAL {{ ?n dt:asCategory ?cat }} }}
              }}
            }}""")
    rows: list[dict] = []
    for role in sorted(set(roles)):
        bound = {"s": URIRef(role)}
        links = kg.select(f"SELECT ?s ?o ?g WHERE {{ GRAPH ?g {{ ?s <{relation.predicate}> ?o }} }}", bound)
        nodes: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for row in kg.select(f"""
            SELECT ?s ?o ?g ?n ?level ?cat WHERE {{
              GRAPH ?g {{ ?n {node_property} ?o ; dt:role ?s
                          OPTIONAL {{ ?n dt:level ?level }} OPTIONAL {{ ?n dt:asCategory ?cat }} }}
            }}""", bound):
            nodes[(str(row["o"]), str(row["g"]))].append(row)
        for link in links:
            rows += nodes.get((str(link["o"]), str(link["g"])), [link])
    return rows


def _read_claims(kg, relation: Relation, roles: Iterable[str] | None = None) -> _Claims:
    stated: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    levels: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    categories: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in _claim_rows(kg, relation, roles):
        pair = (str(row["s"]), str(row["o"]))
        g = str(row["g"])
        nodes = stated[pair][g]
        if "n" in row:
            nodes.add(str(row["n"]))
        if "level" in row and str(row["level"]) in LEVEL_NAMES:
            levels[pair][g].add(LEVEL_NAMES[str(row["level"])])
        if "cat" in row:
            categories[pair][g].add(str(row["cat"]))
    return _Claims(stated, levels, categories)


def _add_claims(kg, graph: nx.MultiDiGraph, relation: Relation, sources: "_SourceIds", qualifiers: Qualifiers,
                claims: _Claims | None = None) -> None:
    """role -> skill, tool or responsibility, with levels (and, for tools, categories) and qualifiers
    from the n-ary nodes.

    A level, category or qualifier belongs to the source whose graph states both the link and the
    n-ary node's property: that is how each source's view is kept apart.
    """
    claims = claims if claims is not None else _read_claims(kg, relation)
    stated, levels, categories = claims.stated, claims.levels, claims.categories
    edges = []
    for (s, o), by_graph in sorted(stated.items()):
        if not _ends_ok(graph, relation, s, o):
            continue
        use, qualified = _qualification(_claims_of(qualifiers, by_graph), sources, graph.graph["accept_conditions"])
        by_level: dict[str, set] = defaultdict(set)
        for g in use:
            for lv in levels.get((s, o), {}).get(g, ()):
                by_level[lv].add(g)
        by_level_ids = {lv: sources.list(gs) for lv, gs in sorted(by_level.items(), key=lambda kv: -LEVEL_RANK[kv[0]])}
        by_level_ids = {lv: srcs for lv, srcs in by_level_ids.items() if srcs}
        attrs = {"relation": relation.name, "sources": sources.list(use), **qualified}
        if relation.name != "has_responsibility":
            attrs["level"] = _strongest(by_level_ids)
            attrs["levels"] = by_level_ids
        if relation.name == "uses_tool":
            attrs["categories"] = sorted({c for g in use for c in categories.get((s, o), {}).get(g, ())})
        if _keep(graph, relation.name, s, o, attrs):
            edges.append((s, o, relation.name, attrs))
    graph.add_edges_from(edges)


_HANDOFF_PROPERTIES = {
    str(DT.fromRole): "from", str(DT.toRole): "to", str(DT.artifact): "artifact", str(DT.atStage): "stage",
    str(DT.mode): "mode", str(DT.partOfWorkflow): "workflow", str(DT.stepNumber): "step",
}


def _add_handoffs(kg, graph: nx.MultiDiGraph, sources: "_SourceIds", qualifiers: Qualifiers) -> None:
    """One role -> role edge per dt:Handoff node; per-source views kept where sources differ.

    Only the counting claims make the views (mode, stage, step): a source's picture of an
    anti-pattern does not make a handoff's mode disputed.
    """
    facts: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for row in kg.select("""
        SELECT ?h ?p ?o ?g WHERE {
          VALUES ?p { dt:fromRole dt:toRole dt:artifact dt:atStage dt:mode dt:partOfWorkflow dt:stepNumber }
          ?h a dt:Handoff .
          GRAPH ?g { ?h ?p ?o }
        }"""):
        value = row["o"]
        key = _HANDOFF_PROPERTIES[str(row["p"])]
        value = int(value.toPython()) if key == "step" else str(value)
        facts[str(row["h"])][key][value].add(str(row["g"]))
    notes: dict[str, dict[str, str]] = defaultdict(dict)
    for row in kg.select("""
        SELECT DISTINCT ?h ?g ?text WHERE {
          ?h a dt:Handoff . GRAPH ?g { ?h skos:note ?text }
          FILTER(lang(?text) = "" || langMatches(lang(?text), "en"))
        }"""):
        notes[str(row["h"])][str(row["g"])] = str(row["text"])
    labels: dict[str, str] = {}
    for row in kg.select("""
        SELECT DISTINCT ?x ?text WHERE {
          ?h a dt:Handoff ; dt:artifact|dt:atStage|dt:partOfWorkflow ?x . ?x skos:prefLabel ?text
          FILTER(lang(?text) = "" || langMatches(lang(?text), "en"))
        }"""):
        iri = str(row["x"])
        labels[iri] = min(labels.get(iri, str(row["text"])), str(row["text"]))
    edges = []
    for handoff, props in sorted(facts.items()):
        ends = [sorted(props.get(k, {})) for k in ("from", "to")]
        if len(ends[0]) != 1 or len(ends[1]) != 1:
            continue  # not a well-formed handoff (SHACL requires exactly one of each)
        s, o = ends[0][0], ends[1][0]
        if not _ends_ok(graph, RELATIONS["hands_off_to"], s, o):
            continue
        all_graphs = set().union(*(gs for values in props.values() for gs in values.values()))
        use, qualified = _qualification(_claims_of(qualifiers, {g: {handoff} for g in all_graphs}), sources,
                                        graph.graph["accept_conditions"])

        def view(key, rename=lambda v: v):
            out = {}
            for v, gs in sorted(props.get(key, {}).items()):
                ids = sources.list(gs & use)
                if ids:
                    out[rename(v)] = ids
            return out

        modes = view("mode", lambda m: MODE_NAMES.get(m, _local_name(m)))
        stages = view("stage")
        steps = view("step")
        workflows = view("workflow")
        artifact = min(props.get("artifact", {None: ()}), key=lambda a: (a is None, a or ""))
        stage = _first_stage(graph, stages)
        workflow = min(workflows) if workflows else None
        own_notes = notes.get(handoff, {})
        note_by_source = {sid: own_notes[g] for g in sorted(own_notes) for sid in sources.list([g])}
        counted_notes = sorted(own_notes[g] for g in use if g in own_notes)
        attrs = {
            "relation": "hands_off_to",
            "sources": sources.list(use),
            "handoff": handoff,
            "artifact": artifact,
            "artifact_label": labels.get(artifact, _local_name(artifact)) if artifact else None,
            "stage": stage,
            "stage_label": labels.get(stage, _local_name(stage)) if stage else None,
            "mode": (next(iter(modes)) if len(modes) == 1 else "disputed") if modes else None,
            "workflow": workflow,
            "workflow_label": labels.get(workflow, _local_name(workflow)) if workflow else None,
            "step": min(steps) if steps else None,
            "note": counted_notes[0] if counted_notes else None,
            "notes": note_by_source,
            "modes": modes,
            "stages": stages,
            "steps": steps,
            "workflows": workflows,
            **qualified,
        }
        extra = f" {attrs['artifact_label']} to" if attrs["artifact_label"] else " to"
        if _keep(graph, "hands_off_to", s, o, attrs, extra=extra):
            edges.append((s, o, handoff, attrs))
    graph.add_edges_from(edges)


def _first_stage(graph: nx.MultiDiGraph, stages: dict[str, list]) -> str | None:
    """The stage all sources give, or when they differ the one stated by most sources (then by IRI)."""
    if not stages:
        return None
    return min(stages, key=lambda st: (-len(stages[st]), st))


def _restrict_to_roles(graph: nx.MultiDiGraph, roles: Iterable[str]) -> nx.MultiDiGraph:
    keep_roles = {str(r) for r in roles}
    for role in sorted(keep_roles):
        if role not in graph or graph.nodes[role]["type"] != "role":
            raise DatateamError(f"not a role in the projection: <{role}>")
    other_roles = {n for n, t in graph.nodes(data="type") if t == "role" and n not in keep_roles}
    without_others = graph.subgraph(n for n in graph if n not in other_roles)
    keep = set(keep_roles)
    for role in keep_roles:
        keep |= nx.descendants(without_others, role)  # edges point away from roles: role -> tool -> category
    out = graph.subgraph(keep).copy()
    for key in ("left_out", "conditional"):
        out.graph[key] = [f for f in graph.graph.get(key, []) if f["from"] in keep_roles]
    return out


# ---------------------------------------------------------------------------------------------
# Reading the projection


def nodes_of_type(graph: nx.MultiDiGraph, node_type: str) -> list[str]:
    """The node ids of one type, sorted by label.

    >>> nodes_of_type(build_projection(kg), "stage")[0].rsplit("/", 1)[-1]
    'analysis'
    """
    found = [n for n, t in graph.nodes(data="type") if t == node_type]
    return sorted(found, key=lambda n: (graph.nodes[n]["label"].casefold(), n))


def edges_of(graph: nx.MultiDiGraph, relation: str) -> list[tuple[str, str, dict]]:
    """The edges of one relation as (source, target, attributes), in a stable order."""
    return sorted(((u, v, d) for u, v, d in graph.edges(data=True) if d["relation"] == relation),
                  key=lambda e: (e[0], e[1], e[2].get("handoff", "")))


def label(graph: nx.MultiDiGraph, node: str) -> str:
    """A node's label (its IRI's last segment when it is not in the graph)."""
    return graph.nodes[node]["label"] if node in graph else _local_name(node)


def short_id(iri: str) -> str:
    """A compact id for display: `role:data-engineer` for the project's IRIs, else the IRI."""
    if iri.startswith(BASE):
        rest = iri[len(BASE):]
        if "/" in rest:
            kind, local = rest.split("/", 1)
            prefix = {"responsibility": "resp", "tool-use": "tooluse", "team-pattern": "pattern",
                      "deployment": "deploy", "requirement": "req", "role-family": "family"}.get(kind, kind)
            return f"{prefix}:{local}"
    return iri


__all__ = [
    "DEFAULT_RELATIONS", "LEVEL_RANK", "NODE_PROPERTY", "NODE_TYPES", "RELATIONS", "Relation", "build_focused_projection",
    "build_projection", "select_each",
    "edges_of", "graph_source_ids", "label", "nodes_of_type", "short_id",
]
