"""Plain-data descriptions of entities: the role list and everything known about one entity.

Every fact carries the sources that state it (`[{"id": ..., "title": ...}]`), found through the
named graph the fact sits in: one graph per source document, so a fact stated by three sources
lists three sources. A fact a source qualifies (graph/lookup/qualifiers.py) lists that source's condition
or stance under `qualifiers`; `sources` then names the sources whose claim counts (the plain ones),
and a fact no source states plainly is marked `conditional`.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import URIRef

from ...ontology.namespaces import DT
from ..lookup.names import Entity
from ..lookup.qualifiers import PLAIN, read_qualifiers, split_claims
from ..lookup.sources import source_index
from ..text import format_rows, one_line, to_json, to_table
from .statements import disputed_questions, role_comparisons, source_counts

LEVEL_NAMES = {str(DT.Core): "core", str(DT.Working): "working", str(DT.Basic): "basic"}
LEVEL_RANK = {"core": 3, "working": 2, "basic": 1, None: 0}
MODE_NAMES = {str(DT.Sequential): "sequential", str(DT.SideBySide): "side by side"}
SKILL_KINDS = {str(DT.TechnicalSkill): "technical", str(DT.SoftSkill): "soft", str(DT.KnowledgeArea): "knowledge"}


# ---------------------------------------------------------------------------------------------
# Sources


class _Sources:
    """Collects source ids per key and turns them into sorted [{id, title}] lists."""

    def __init__(self, index: dict[str, dict]):
        self.index = index
        self.qualifiers = None

    def id_of(self, graph) -> str | None:
        src = self.index.get(str(graph))
        return src["id"] if src else None

    def claims(self, nodes_by_graph: dict) -> dict:
        """{graph: qualifier} for a fact stated in several graphs, from its n-ary nodes there."""
        out = {}
        for g, nodes in nodes_by_graph.items():
            found = [self.qualifiers.of(str(n), str(g)) for n in sorted(nodes, key=str)] if self.qualifiers else []
            found = [q for q in found if q is not PLAIN]
            out[g] = found[0] if found else PLAIN
        return out

    def qualified(self, nodes_by_graph: dict) -> tuple[set, list[dict], bool]:
        """(the graphs whose claims count, the qualifiers as [{source, conditions, stances, ...}], conditional)."""
        claims = self.claims(nodes_by_graph)
        counting, limited = split_claims(claims)
        listed = [q.as_dict(self.id_of(g) or str(g)) for g, q in sorted(claims.items(), key=lambda kv: str(kv[0]))
                  if q is not PLAIN and self.id_of(g) != "ontology"]
        return (counting or limited), listed, not counting

    def of(self, graphs) -> list[dict]:
        seen = {}
        for g in graphs:
            src = self.index.get(str(g))
            if src and src["id"] != "ontology":
                seen[src["id"]] = src
        return [seen[k] for k in sorted(seen)]


# ---------------------------------------------------------------------------------------------
# Role list


def list_roles(kg) -> list[dict]:
    """Every role: id, label, aliases, definition, skills and tools (distinct counts), family, stakeholder.

    >>> [r["label"] for r in list_roles(kg)][:2]
    ['analytics engineer', 'backend engineer']
    """
    base = kg.select("""
        SELECT ?role ?label ?definition ?family ?stakeholder WHERE {
          ?role a dt:Role .
          OPTIONAL { ?role skos:prefLabel ?label FILTER(lang(?label) = "en" || lang(?label) = "") }
          OPTIONAL { ?role skos:definition ?definition }
          OPTIONAL { ?role dt:roleFamily/skos:prefLabel ?family }
          BIND(EXISTS { ?role a dt:Stakeholder } AS ?stakeholder)
        }""")
    roles: dict[str, dict] = {}
    for row in base:
        key = str(row["role"])
        entry = roles.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))), "aliases": [],
                                       "definition": str(row.get("definition", "")), "skills": 0, "tools": 0,
                                       "family": str(row["family"]) if "family" in row else None,
                                       "stakeholder": bool(row["stakeholder"].toPython())})
        if "definition" in row and not entry["definition"]:
            entry["definition"] = str(row["definition"])
    for row in kg.select("SELECT ?role ?alias WHERE { ?role a dt:Role ; skos:altLabel ?alias }"):
        entry = roles.get(str(row["role"]))
        if entry is not None and str(row["alias"]) not in entry["aliases"]:
            entry["aliases"].append(str(row["alias"]))
    counts = _fact_counts(kg)
    for key, entry in roles.items():
        entry["aliases"].sort(key=str.casefold)
        found = counts.get(key, {})
        for what in ("skills", "tools", "responsibilities", "handoffs"):
            entry[what] = len(found.get(what, ()))
            entry[f"conditional_{what}"] = len(found.get(f"conditional_{what}", ()))
        entry["note"] = described_only_note(entry)
    return sorted(roles.values(), key=lambda r: (r["label"].casefold(), r["id"]))


def _fact_counts(kg) -> dict[str, dict[str, set]]:
    """role IRI -> {"skills": {items}, "conditional_skills": {items}, ...}: a fact counts when some
    source states it plainly, and is conditional when every stating source qualifies it."""
    qualifiers = read_qualifiers(kg)
    out: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    claims: dict[tuple, dict] = defaultdict(dict)
    for what, pattern in (
            ("skills", "?role dt:requiresSkill ?x OPTIONAL { ?n dt:role ?role ; dt:skill ?x }"),
            ("tools", "?role dt:usesTool ?x OPTIONAL { ?n dt:role ?role ; dt:tool ?x }"),
            ("responsibilities", "?role dt:hasResponsibility ?x OPTIONAL { ?n dt:role ?role ; dt:responsibility ?x }"),
            ("handoffs", "?n a dt:Handoff ; dt:fromRole|dt:toRole ?role . BIND(?n AS ?x)")):
        for row in kg.select(f"SELECT DISTINCT ?role ?x ?n ?g WHERE {{ ?role a dt:Role . GRAPH ?g {{ {pattern} }} }}"):
            key = (str(row["role"]), what, str(row["x"]))
            q = qualifiers.of(str(row["n"]), str(row["g"])) if "n" in row else PLAIN
            if claims[key].get(str(row["g"]), PLAIN) is PLAIN:
                claims[key][str(row["g"])] = q
    for (role, what, item), by_graph in claims.items():
        counting, _ = split_claims(by_graph)
        out[role][what if counting else f"conditional_{what}"].add(item)
    return out


def described_only_note(entry: dict) -> str | None:
    """For a role the sources give no skills or tools: say what they do describe; None otherwise.

    `entry` needs the counts of list_roles (skills, tools, responsibilities, handoffs and their
    conditional_ counterparts).

    >>> described_only_note({"skills": 0, "tools": 0, "responsibilities": 1, "handoffs": 0,
    ...                      "conditional_skills": 0, "conditional_tools": 0})
    'the sources give no skills or tools for this role; they describe only its responsibility'
    """
    if entry["skills"] or entry["tools"]:
        return None
    parts = []
    if entry.get("responsibilities"):
        parts.append("its responsibility" if entry["responsibilities"] == 1 else "its responsibilities")
    if entry.get("handoffs"):
        parts.append("what it hands on or receives")
    described = " and ".join(parts) if parts else "that it exists"
    conditional = entry.get("conditional_skills", 0) + entry.get("conditional_tools", 0)
    aside = (f" ({conditional} conditional {'skill or tool' if conditional == 1 else 'skills or tools'} aside)"
             if conditional else "")
    return f"the sources give no skills or tools for this role{aside}; they describe only {described}"


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def _count_cell(n: int, conditional: int, none: bool) -> str:
    if none and not conditional:
        return "—"
    return f"{n} (+{conditional} conditional)" if conditional else str(n)


def format_roles(rows: list[dict]) -> str:
    """The role list as a table; roles the sources give no skills or tools are marked and named below it."""
    table = []
    for r in rows:
        none = bool(r.get("note"))
        table.append(dict(r, aliases=", ".join(r["aliases"]), definition=one_line(r["definition"], 70),
                          skills=_count_cell(r["skills"], r.get("conditional_skills", 0), none),
                          tools=_count_cell(r["tools"], r.get("conditional_tools", 0), none)))
    text = to_table(table, ["label", "aliases", "skills", "tools", "definition"],
                    ["role", "aliases", "skills", "tools", "definition"])
    return text + roles_without_skills_note(rows)


def roles_without_skills_note(rows: list[dict]) -> str:
    """A paragraph naming the roles whose sources give no skills or tools ('' when there are none)."""
    import textwrap

    bare = [r for r in rows if r.get("note")]
    if not bare:
        return ""
    names = ", ".join(r["label"] for r in bare)
    text = (f"— {len(bare)} of the {len(rows)} roles have no skills or tools in the sources, which describe "
            f"only their responsibilities or handoffs: {names}. Analyses that rank roles by skills and tools "
            "leave them out.")
    return "\n" + "\n".join(textwrap.wrap(text, 100)) + "\n"


# ---------------------------------------------------------------------------------------------
# One entity


def describe(kg, entity: Entity) -> dict:
    """Everything known about one entity, as plain data with sources on every fact.

    For a role: id, type, label, aliases, definition, family, skills [{label, level, sources}],
    tools [{label, categories, sources}], responsibilities [{label, stage, sources}], hands_off_to and
    receives_from [{role, artifact, stage, mode, sources}], works_with, esco (matches), team_guidance,
    deployments, sources. For a tool: categories and used_by [{role, level, sources}]. For a skill:
    used_by [{role, level, sources}]. Other types get their own relations.

    >>> from datateam.graph.lookup.names import resolve
    >>> describe(kg, resolve(kg, "data engineer"))["tools"][0]["label"]
    'Amazon ECS'
    """
    sources = _Sources(source_index(kg))
    sources.qualifiers = read_qualifiers(kg)
    details = _basics(kg, entity, sources)
    builder = {
        "role": _describe_role,
        "tool": _describe_tool,
        "skill": _describe_skill,
        "responsibility": _describe_responsibility,
        "artifact": _describe_artifact,
        "category": _describe_category,
        "stage": _describe_stage,
        "deployment": _describe_deployment,
        "workflow": _describe_workflow,
        "team-pattern": _describe_team_pattern,
        "family": _describe_family,
        "source": _describe_source,
    }[entity.type]
    builder(kg, entity.iri, details, sources)
    return details


def _basics(kg, entity: Entity, sources: _Sources) -> dict:
    rows = kg.select("""
        SELECT ?s ?p ?o ?g WHERE {
          VALUES ?p { skos:prefLabel skos:altLabel skos:definition dcterms:source }
          GRAPH ?g { ?s ?p ?o }
        }""", {"s": entity.iri})
    aliases, definition, graphs = [], "", set()
    for row in rows:
        p = str(row["p"])
        if p.endswith("altLabel") and str(row["o"]) not in aliases:
            aliases.append(str(row["o"]))
        elif p.endswith("definition"):
            definition = definition or str(row["o"])
        elif p.endswith("prefLabel"):
            graphs.add(row["g"])
        elif p == "http://purl.org/dc/terms/source":
            graphs.add(row["g"])
    return {
        "id": str(entity.iri),
        "type": entity.type,
        "label": entity.label,
        "aliases": sorted(aliases, key=str.casefold),
        "definition": definition,
        "sources": sources.of(graphs),
    }


def _describe_role(kg, iri: URIRef, d: dict, sources: _Sources) -> None:
    family = kg.select("SELECT ?role ?label WHERE { ?role dt:roleFamily/skos:prefLabel ?label }", {"role": iri})
    d["family"] = str(family[0]["label"]) if family else None
    d["stakeholder"] = bool(kg.select("SELECT ?role WHERE { ?role a dt:Stakeholder }", {"role": iri}))
    d["skills"] = _role_skills(kg, iri, sources)
    d["tools"] = _role_tools(kg, iri, sources)
    d["responsibilities"] = _role_responsibilities(kg, iri, sources)
    d["hands_off_to"] = _handoffs(kg, iri, "from", sources)
    d["receives_from"] = _handoffs(kg, iri, "to", sources)
    d["works_with"] = _works_with(kg, iri, sources)
    d["broader"] = _related_roles(kg, iri, "skos:broader", sources)
    d["narrower"] = _related_roles(kg, iri, "^skos:broader", sources)
    d["related"] = _related_roles(kg, iri, "skos:related|^skos:related", sources)
    d["deployments"] = _role_deployments(kg, iri, sources)
    d["team_guidance"] = _role_guidance(kg, iri, sources)
    d["esco"] = _esco(kg, iri)
    esco_flags = kg.select("""
        SELECT ?role ?none ?note WHERE {
          OPTIONAL { ?role dt:noEscoEquivalent ?none }
          OPTIONAL { ?role skos:editorialNote ?note }
        }""", {"role": iri})
    d["no_esco_equivalent"] = any(bool(r["none"].toPython()) for r in esco_flags if "none" in r)
    notes = sorted({str(r["note"]) for r in esco_flags if "note" in r})
    d["esco_note"] = " ".join(notes) if notes else None

    d["comparisons"] = role_comparisons(kg, str(iri))
    d["disputed_questions"] = disputed_questions(kg, str(iri))
    counts = {"skills": sum(1 for x in d["skills"] if not x["conditional"]),
              "tools": sum(1 for x in d["tools"] if not x["conditional"]),
              "responsibilities": sum(1 for x in d["responsibilities"] if not x["conditional"]),
              "handoffs": sum(1 for h in d["hands_off_to"] + d["receives_from"] if not h["conditional"]),
              "conditional_skills": sum(1 for x in d["skills"] if x["conditional"]),
              "conditional_tools": sum(1 for x in d["tools"] if x["conditional"])}
    d["note"] = described_only_note(counts)


def _role_skills(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?skill ?label ?g ?req ?level ?kind WHERE {
          GRAPH ?g { ?role dt:requiresSkill ?skill
                     OPTIONAL { ?req dt:role ?role ; dt:skill ?skill OPTIONAL { ?req dt:level ?level } } }
          OPTIONAL { ?skill skos:prefLabel ?label }
          OPTIONAL { ?skill a ?kind FILTER(?kind IN (dt:TechnicalSkill, dt:SoftSkill, dt:KnowledgeArea)) }
        }""", {"role": iri})
    skills: dict[str, dict] = {}
    for row in rows:
        key = str(row["skill"])
        entry = skills.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))), "kind": None,
                                        "nodes": defaultdict(set), "levels": defaultdict(set)})
        entry["nodes"][row["g"]].update([row["req"]] if "req" in row else [])
        if "kind" in row:
            entry["kind"] = SKILL_KINDS.get(str(row["kind"]))
        level = LEVEL_NAMES.get(str(row["level"])) if "level" in row else None
        if level:
            entry["levels"][row["g"]].add(level)
    out = []
    for entry in skills.values():
        use, qualifiers, conditional = sources.qualified(entry["nodes"])
        levels = _levels(entry["levels"], use, sources)
        out.append({
            "id": entry["id"], "label": entry["label"], "kind": entry["kind"],
            "level": levels[0]["level"] if levels else None,
            "levels": levels,
            "sources": sources.of(use),
            "conditional": conditional,
            "qualifiers": qualifiers,
        })
    return sorted(out, key=lambda s: (s["conditional"], -LEVEL_RANK[s["level"]], s["label"].casefold()))


def _levels(levels_by_graph: dict, use: set, sources) -> list[dict]:
    """[{level, sources}] strongest first, from the counting graphs only."""
    by_level: dict[str, set] = defaultdict(set)
    for g in use:
        for level in levels_by_graph.get(g, ()):
            by_level[level].add(g)
    return [{"level": lv, "sources": sources.of(gs)}
            for lv, gs in sorted(by_level.items(), key=lambda kv: -LEVEL_RANK[kv[0]])]


def _role_tools(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?tool ?label ?g ?use ?cat ?level WHERE {
          GRAPH ?g { ?role dt:usesTool ?tool
                     OPTIONAL { ?use dt:role ?role ; dt:tool ?tool
                                OPTIONAL { ?use dt:asCategory ?cat } OPTIONAL { ?use dt:level ?level } } }
          OPTIONAL { ?tool skos:prefLabel ?label }
        }""", {"role": iri})
    category_labels = _labels_by_iri(kg, {str(r["cat"]) for r in rows if "cat" in r})
    tools: dict[str, dict] = {}
    for row in rows:
        key = str(row["tool"])
        entry = tools.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))), "nodes": defaultdict(set),
                                       "categories": defaultdict(set), "levels": defaultdict(set)})
        entry["nodes"][row["g"]].update([row["use"]] if "use" in row else [])
        if "cat" in row:
            entry["categories"][row["g"]].add(category_labels.get(str(row["cat"]), _local(str(row["cat"]))))
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"][row["g"]].add(LEVEL_NAMES[str(row["level"])])
    general = _tool_categories(kg, list(tools))
    out = []
    for key, entry in tools.items():
        use, qualifiers, conditional = sources.qualified(entry["nodes"])
        categories = sorted({c for g in use for c in entry["categories"].get(g, ())}) or sorted(general.get(key, []))
        levels = _levels(entry["levels"], use, sources)
        out.append({
            "id": key, "label": entry["label"], "categories": categories,
            "level": levels[0]["level"] if levels else None, "levels": levels,
            "sources": sources.of(use), "conditional": conditional, "qualifiers": qualifiers,
        })
    return sorted(out, key=lambda t: (t["conditional"], t["label"].casefold()))


def _labels_by_iri(kg, iris: set[str]) -> dict[str, str]:
    """The English preferred label of each IRI (one query)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    rows = kg.select(f"""SELECT DISTINCT ?x ?label WHERE {{ VALUES ?x {{ {values} }} ?x skos:prefLabel ?label
                          FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }}""")
    out: dict[str, str] = {}
    for row in rows:
        out[str(row["x"])] = min(out.get(str(row["x"]), str(row["label"])), str(row["label"]))
    return out


def _tool_categories(kg, tool_iris: list[str]) -> dict[str, set]:
    if not tool_iris:
        return {}
    values = " ".join(f"<{t}>" for t in tool_iris)
    rows = kg.select(f"SELECT ?tool ?label WHERE {{ VALUES ?tool {{ {values} }} ?tool dt:inCategory/skos:prefLabel ?label }}")
    out: dict[str, set] = defaultdict(set)
    for row in rows:
        out[str(row["tool"])].add(str(row["label"]))
    return out


def _role_responsibilities(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?resp ?label ?g ?node ?stageLabel ?order WHERE {
          GRAPH ?g { ?role dt:hasResponsibility ?resp OPTIONAL { ?node dt:role ?role ; dt:responsibility ?resp } }
          OPTIONAL { ?resp skos:prefLabel ?label }
          OPTIONAL { ?resp dt:atStage ?stage . ?stage skos:prefLabel ?stageLabel ; dt:stageOrder ?order }
        }""", {"role": iri})
    resps: dict[str, dict] = {}
    for row in rows:
        key = str(row["resp"])
        entry = resps.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))),
                                       "stage": str(row["stageLabel"]) if "stageLabel" in row else None,
                                       "order": int(row["order"]) if "order" in row else 99,
                                       "nodes": defaultdict(set)})
        entry["nodes"][row["g"]].update([row["node"]] if "node" in row else [])
    out = []
    for e in resps.values():
        use, qualifiers, conditional = sources.qualified(e["nodes"])
        out.append({"id": e["id"], "label": e["label"], "stage": e["stage"], "sources": sources.of(use),
                    "conditional": conditional, "qualifiers": qualifiers, "_order": e["order"]})
    out.sort(key=lambda r: (r["conditional"], r["_order"], r["label"].casefold()))
    for r in out:
        del r["_order"]
    return out


def _handoffs(kg, iri, side: str, sources) -> list[dict]:
    this, other = ("dt:fromRole", "dt:toRole") if side == "from" else ("dt:toRole", "dt:fromRole")
    rows = kg.select(f"""
        SELECT ?role ?h ?other ?otherLabel ?artifactLabel ?stageLabel ?order ?mode ?g ?wfLabel ?step ?note WHERE {{
          GRAPH ?g {{ ?h a dt:Handoff ; {this} ?role ; {other} ?other ; dt:artifact ?artifact .
                     OPTIONAL {{ ?h dt:mode ?mode }} OPTIONAL {{ ?h skos:note ?note }} }}
          OPTIONAL {{ GRAPH ?g {{ ?h dt:atStage ?stage }} ?stage skos:prefLabel ?stageLabel ; dt:stageOrder ?order }}
          OPTIONAL {{ GRAPH ?g {{ ?h dt:partOfWorkflow ?wf ; dt:stepNumber ?step }} ?wf skos:prefLabel ?wfLabel }}
          OPTIONAL {{ ?other skos:prefLabel ?otherLabel }}
          OPTIONAL {{ ?artifact skos:prefLabel ?artifactLabel }}
        }}""", {"role": iri})
    found: dict[str, dict] = {}
    for row in rows:
        key = str(row["h"])
        entry = found.setdefault(key, {
            "id": key, "role": str(row.get("otherLabel", _local(str(row["other"])))), "role_id": str(row["other"]),
            "artifact": str(row.get("artifactLabel", "")), "stages": defaultdict(set), "modes": defaultdict(set),
            "order": 99, "nodes": defaultdict(set), "workflow": None, "step": None, "step_graphs": set(),
            "notes": {}})
        entry["nodes"][row["g"]].add(row["h"])
        if "stageLabel" in row:
            entry["stages"][row["g"]].add(str(row["stageLabel"]))
            entry["order"] = min(entry["order"], int(row["order"]))
        if "mode" in row:
            entry["modes"][MODE_NAMES.get(str(row["mode"]), _local(str(row["mode"])))].add(row["g"])
        if "wfLabel" in row:
            entry["workflow"], entry["step"] = str(row["wfLabel"]), int(row["step"])
            entry["step_graphs"].add(row["g"])
        if "note" in row and sources.id_of(row["g"]):
            entry["notes"][sources.id_of(row["g"])] = str(row["note"])
    out = []
    for e in found.values():
        use, qualifiers, conditional = sources.qualified(e["nodes"])
        modes = [{"mode": m, "sources": sources.of(gs & use)} for m, gs in sorted(e["modes"].items()) if gs & use]
        inferred = {g for g in use if any(q["inferred"] for q in qualifiers if q["source"] == sources.id_of(g))}
        out.append({
            "role": e["role"], "role_id": e["role_id"], "artifact": e["artifact"],
            "stage": ", ".join(sorted({st for g in use for st in e["stages"].get(g, ())})) or None,
            "mode": modes[0]["mode"] if len(modes) == 1 else "disputed" if modes else None,
            "modes": modes, "workflow": e["workflow"], "step": e["step"],
            "placement_inferred": bool(e["step_graphs"]) and e["step_graphs"] <= inferred,
            "sources": sources.of(use), "conditional": conditional, "qualifiers": qualifiers,
            "inferred": bool(use) and use <= inferred,
            "notes": dict(sorted(e["notes"].items())), "_order": e["order"],
        })
    out.sort(key=lambda h: (h["conditional"], h["_order"], h["role"].casefold(), h["artifact"]))
    for h in out:
        del h["_order"]
    return out


def _works_with(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?other ?label ?g WHERE {
          { GRAPH ?g { ?role dt:worksWith ?other } } UNION { GRAPH ?g { ?other dt:worksWith ?role } }
          OPTIONAL { ?other skos:prefLabel ?label }
        }""", {"role": iri})
    return _group_roles(rows, sources)


def _related_roles(kg, iri, path: str, sources) -> list[dict]:
    rows = kg.select(f"""
        SELECT ?role ?other ?label ?g WHERE {{
          GRAPH ?g {{ ?role {path} ?other }}
          ?other a dt:Role .
          OPTIONAL {{ ?other skos:prefLabel ?label }}
        }}""", {"role": iri})
    return _group_roles(rows, sources)


def _group_roles(rows, sources) -> list[dict]:
    grouped: dict[str, dict] = {}
    for row in rows:
        key = str(row["other"])
        entry = grouped.setdefault(key, {"role": str(row.get("label", _local(key))), "role_id": key, "graphs": set()})
        entry["graphs"].add(row["g"])
    out = [{"role": e["role"], "role_id": e["role_id"], "sources": sources.of(e["graphs"])} for e in grouped.values()]
    return sorted(out, key=lambda r: r["role"].casefold())


def _role_deployments(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?dep ?label ?p ?g WHERE {
          VALUES ?p { dt:ownedBy dt:supportedBy }
          GRAPH ?g { ?dep ?p ?role }
          ?dep skos:prefLabel ?label
        }""", {"role": iri})
    grouped: dict[tuple, set] = defaultdict(set)
    for row in rows:
        grouped[(str(row["dep"]), str(row["label"]), "owner" if str(row["p"]).endswith("ownedBy") else "support")].add(row["g"])
    return sorted(({"id": k[0], "label": k[1], "as": k[2], "sources": sources.of(gs)} for k, gs in grouped.items()),
                  key=lambda d: (d["label"], d["as"]))


def _role_guidance(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?pattern ?label ?p ?kindLabel ?g WHERE {
          VALUES ?p { dt:recommendsRole dt:concernsRole }
          GRAPH ?g { ?pattern a dt:TeamPattern ; ?p ?role }
          ?pattern skos:prefLabel ?label .
          OPTIONAL { ?pattern dt:guidanceKind/rdfs:label ?kindLabel }
        }""", {"role": iri})
    grouped: dict[str, dict] = {}
    for row in rows:
        key = str(row["pattern"])
        entry = grouped.setdefault(key, {"id": key, "label": str(row["label"]),
                                         "kind": str(row["kindLabel"]) if "kindLabel" in row else None,
                                         "recommended": False, "graphs": set()})
        entry["recommended"] |= str(row["p"]).endswith("recommendsRole")
        entry["graphs"].add(row["g"])
    out = [{"id": e["id"], "label": e["label"], "kind": e["kind"], "recommended": e["recommended"],
            "sources": sources.of(e["graphs"])} for e in grouped.values()]
    return sorted(out, key=lambda p: p["label"].casefold())


def _esco(kg, iri) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?concept ?p ?label ?note WHERE {
          VALUES ?p { skos:closeMatch skos:broadMatch skos:exactMatch skos:narrowMatch }
          ?role ?p ?concept .
          OPTIONAL { ?concept skos:prefLabel ?label }
          OPTIONAL { ?concept skos:editorialNote ?note }
        }""", {"role": iri})
    out = {}
    for row in rows:
        key = (str(row["concept"]), _local(str(row["p"])))
        out[key] = {"uri": key[0], "match": key[1], "label": str(row.get("label", "")),
                    "note": str(row["note"]) if "note" in row else None}
    return sorted(out.values(), key=lambda m: (m["match"] != "closeMatch", m["label"]))


def _describe_tool(kg, iri, d, sources) -> None:
    rows = kg.select("""
        SELECT ?tool ?cat ?label ?g WHERE { GRAPH ?g { ?tool dt:inCategory ?cat } ?cat skos:prefLabel ?label }
    """, {"tool": iri})
    cats: dict[str, set] = defaultdict(set)
    for row in rows:
        cats[str(row["label"])].add(row["g"])
    d["categories"] = [{"label": k, "sources": sources.of(v)} for k, v in sorted(cats.items())]
    rows = kg.select("""
        SELECT ?tool ?role ?label ?g ?use ?cat ?level WHERE {
          GRAPH ?g { ?role dt:usesTool ?tool
                     OPTIONAL { ?use dt:role ?role ; dt:tool ?tool
                                OPTIONAL { ?use dt:asCategory ?cat } OPTIONAL { ?use dt:level ?level } } }
          OPTIONAL { ?role skos:prefLabel ?label }
        }""", {"tool": iri})
    category_labels = _labels_by_iri(kg, {str(r["cat"]) for r in rows if "cat" in r})
    users: dict[str, dict] = {}
    for row in rows:
        key = str(row["role"])
        entry = users.setdefault(key, {"role": str(row.get("label", _local(key))), "role_id": key,
                                       "nodes": defaultdict(set), "as": defaultdict(set), "levels": defaultdict(set)})
        entry["nodes"][row["g"]].update([row["use"]] if "use" in row else [])
        if "cat" in row:
            entry["as"][row["g"]].add(category_labels.get(str(row["cat"]), _local(str(row["cat"]))))
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"][row["g"]].add(LEVEL_NAMES[str(row["level"])])
    out = []
    for e in users.values():
        use, qualifiers, conditional = sources.qualified(e["nodes"])
        levels = {lv for g in use for lv in e["levels"].get(g, ())}
        out.append({"role": e["role"], "role_id": e["role_id"],
                    "as_categories": sorted({c for g in use for c in e["as"].get(g, ())}),
                    "level": max(levels, key=LEVEL_RANK.get) if levels else None,
                    "sources": sources.of(use), "conditional": conditional, "qualifiers": qualifiers})
    d["used_by"] = sorted(out, key=lambda u: (u["conditional"], u["role"].casefold()))


def _describe_skill(kg, iri, d, sources) -> None:
    kinds = kg.select("SELECT ?skill ?kind WHERE { ?skill a ?kind FILTER(?kind IN (dt:TechnicalSkill, dt:SoftSkill, dt:KnowledgeArea)) }",
                      {"skill": iri})
    d["kind"] = SKILL_KINDS.get(str(kinds[0]["kind"])) if kinds else None
    d["broader"] = _labels_of(kg, iri, "skos:broader")
    d["narrower"] = _labels_of(kg, iri, "^skos:broader")
    rows = kg.select("""
        SELECT ?skill ?role ?label ?g ?req ?level WHERE {
          GRAPH ?g { ?role dt:requiresSkill ?skill
                     OPTIONAL { ?req dt:role ?role ; dt:skill ?skill OPTIONAL { ?req dt:level ?level } } }
          OPTIONAL { ?role skos:prefLabel ?label }
        }""", {"skill": iri})
    users: dict[str, dict] = {}
    for row in rows:
        key = str(row["role"])
        entry = users.setdefault(key, {"role": str(row.get("label", _local(key))), "role_id": key,
                                       "nodes": defaultdict(set), "levels": defaultdict(set)})
        entry["nodes"][row["g"]].update([row["req"]] if "req" in row else [])
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"][row["g"]].add(LEVEL_NAMES[str(row["level"])])
    out = []
    for e in users.values():
        use, qualifiers, conditional = sources.qualified(e["nodes"])
        levels = _levels(e["levels"], use, sources)
        out.append({"role": e["role"], "role_id": e["role_id"], "level": levels[0]["level"] if levels else None,
                    "levels": levels, "sources": sources.of(use), "conditional": conditional,
                    "qualifiers": qualifiers})
    d["used_by"] = sorted(out, key=lambda u: (u["conditional"], -LEVEL_RANK[u["level"]], u["role"].casefold()))


def _labels_of(kg, iri, path: str) -> list[dict]:
    rows = kg.select(f"SELECT DISTINCT ?s ?o ?label WHERE {{ ?s {path} ?o . OPTIONAL {{ ?o skos:prefLabel ?label }} }}",
                     {"s": iri})
    found = {str(r["o"]): str(r.get("label", _local(str(r["o"])))) for r in rows}
    return sorted(({"id": k, "label": v} for k, v in found.items()), key=lambda x: x["label"].casefold())


def _describe_responsibility(kg, iri, d, sources) -> None:
    d["stage"] = (_labels_of(kg, iri, "dt:atStage") or [{"label": None}])[0]["label"]
    d["produces"] = [x["label"] for x in _labels_of(kg, iri, "dt:produces")]
    d["broader"] = _labels_of(kg, iri, "skos:broader")
    d["narrower"] = _labels_of(kg, iri, "^skos:broader")
    rows = kg.select("""
        SELECT ?resp ?other ?label ?g WHERE { GRAPH ?g { ?other dt:hasResponsibility ?resp } OPTIONAL { ?other skos:prefLabel ?label } }
    """, {"resp": iri})
    d["roles"] = _group_roles(rows, sources)


def _describe_artifact(kg, iri, d, sources) -> None:
    rows = kg.select("SELECT ?a ?resp ?label WHERE { ?resp dt:produces ?a ; skos:prefLabel ?label }", {"a": iri})
    d["produced_by"] = sorted({str(r["label"]) for r in rows}, key=str.casefold)
    rows = kg.select("""
        SELECT ?a ?h ?fromLabel ?toLabel ?stageLabel ?g WHERE {
          GRAPH ?g { ?h dt:artifact ?a ; dt:fromRole ?from ; dt:toRole ?to . OPTIONAL { ?h dt:atStage ?stage } }
          ?from skos:prefLabel ?fromLabel . ?to skos:prefLabel ?toLabel .
          OPTIONAL { ?stage skos:prefLabel ?stageLabel }
        }""", {"a": iri})
    grouped: dict[str, dict] = {}
    for row in rows:
        e = grouped.setdefault(str(row["h"]), {"from": str(row["fromLabel"]), "to": str(row["toLabel"]),
                                               "stage": str(row["stageLabel"]) if "stageLabel" in row else None,
                                               "graphs": set()})
        e["graphs"].add(row["g"])
    d["handoffs"] = sorted(({"from": e["from"], "to": e["to"], "stage": e["stage"], "sources": sources.of(e["graphs"])}
                            for e in grouped.values()), key=lambda h: (h["from"], h["to"]))


def _describe_category(kg, iri, d, sources) -> None:
    d["broader"] = _labels_of(kg, iri, "skos:broader")
    d["narrower"] = _labels_of(kg, iri, "^skos:broader")
    rows = kg.select("""
        SELECT ?cat ?tool ?label ?g WHERE { GRAPH ?g { ?tool dt:inCategory ?cat } ?tool skos:prefLabel ?label }
    """, {"cat": iri})
    tools: dict[str, dict] = {}
    for row in rows:
        e = tools.setdefault(str(row["tool"]), {"label": str(row["label"]), "id": str(row["tool"]), "graphs": set()})
        e["graphs"].add(row["g"])
    roles = kg.select("SELECT ?cat ?tool ?roleLabel WHERE { ?tool dt:inCategory ?cat . ?role dt:usesTool ?tool ; skos:prefLabel ?roleLabel }",
                      {"cat": iri})
    used: dict[str, set] = defaultdict(set)
    for row in roles:
        used[str(row["tool"])].add(str(row["roleLabel"]))
    d["tools"] = sorted(({"label": e["label"], "id": e["id"], "used_by": sorted(used[e["id"]], key=str.casefold),
                         "sources": sources.of(e["graphs"])} for e in tools.values()), key=lambda t: t["label"].casefold())


def _describe_stage(kg, iri, d, sources) -> None:
    order = kg.select("SELECT ?s ?order WHERE { ?s dt:stageOrder ?order }", {"s": iri})
    d["order"] = int(order[0]["order"]) if order else None
    rows = kg.select("SELECT ?s ?resp ?label WHERE { ?resp a dt:Responsibility ; dt:atStage ?s ; skos:prefLabel ?label }", {"s": iri})
    d["responsibilities"] = sorted({str(r["label"]) for r in rows}, key=str.casefold)
    rows = kg.select("""
        SELECT ?s ?fromLabel ?toLabel ?artifactLabel WHERE {
          ?h a dt:Handoff ; dt:atStage ?s ; dt:fromRole/skos:prefLabel ?fromLabel ; dt:toRole/skos:prefLabel ?toLabel ;
             dt:artifact/skos:prefLabel ?artifactLabel }""", {"s": iri})
    d["handoffs"] = sorted({(str(r["fromLabel"]), str(r["toLabel"]), str(r["artifactLabel"])) for r in rows})
    d["handoffs"] = [{"from": f, "to": t, "artifact": a} for f, t, a in d["handoffs"]]


def _describe_deployment(kg, iri, d, sources) -> None:
    for key, prop in (("owned_by", "dt:ownedBy"), ("supported_by", "dt:supportedBy")):
        rows = kg.select(f"SELECT ?dep ?other ?label ?g WHERE {{ GRAPH ?g {{ ?dep {prop} ?other }} ?other skos:prefLabel ?label }}",
                         {"dep": iri})
        d[key] = _group_roles(rows, sources)
    d["produces"] = [x["label"] for x in _labels_of(kg, iri, "dt:produces")]
    d["examples"] = sorted({str(r["ex"]) for r in kg.select("SELECT ?dep ?ex WHERE { ?dep dt:example ?ex }", {"dep": iri})})


def _describe_workflow(kg, iri, d, sources) -> None:
    d["examples"] = sorted({str(r["ex"]) for r in kg.select("SELECT ?wf ?ex WHERE { ?wf dt:example ?ex }", {"wf": iri})})
    rows = kg.select("""
        SELECT ?wf ?step ?fromLabel ?toLabel ?artifactLabel ?stageLabel ?g WHERE {
          GRAPH ?g { ?h dt:partOfWorkflow ?wf ; dt:stepNumber ?step ; dt:fromRole ?from ; dt:toRole ?to ;
                        dt:artifact ?a ; dt:atStage ?stage }
          ?from skos:prefLabel ?fromLabel . ?to skos:prefLabel ?toLabel .
          ?a skos:prefLabel ?artifactLabel . ?stage skos:prefLabel ?stageLabel }""", {"wf": iri})
    d["steps"] = sorted(({"step": int(r["step"]), "from": str(r["fromLabel"]), "to": str(r["toLabel"]),
                          "artifact": str(r["artifactLabel"]), "stage": str(r["stageLabel"]),
                          "sources": sources.of([r["g"]])} for r in rows),
                        key=lambda s: (s["step"], s["to"]))


def _describe_team_pattern(kg, iri, d, sources) -> None:
    rows = kg.select("""
        SELECT ?p ?kind ?size ?condition WHERE {
          OPTIONAL { ?p dt:guidanceKind/rdfs:label ?kind }
          OPTIONAL { ?p dt:organisationSize/rdfs:label ?size }
          OPTIONAL { ?p dt:appliesWhen ?condition } }""", {"p": iri})
    d["kind"] = next((str(r["kind"]) for r in rows if "kind" in r), None)
    d["organisation_sizes"] = sorted({str(r["size"]) for r in rows if "size" in r})
    d["condition"] = next((str(r["condition"]) for r in rows if "condition" in r), None)
    d["recommends"] = [x["label"] for x in _labels_of(kg, iri, "dt:recommendsRole")]
    d["concerns"] = [x["label"] for x in _labels_of(kg, iri, "dt:concernsRole")]


def _describe_family(kg, iri, d, sources) -> None:
    d["roles"] = [x["label"] for x in _labels_of(kg, iri, "^dt:roleFamily")]


def _describe_source(kg, iri, d, sources) -> None:
    rows = kg.select("""
        SELECT ?s ?p ?o WHERE {
          VALUES ?p { dcterms:title dcterms:creator dcterms:publisher dcterms:issued dt:seedFile dt:sourceKind dcterms:description skos:note }
          ?s ?p ?o }""", {"s": iri})
    fields: dict[str, list] = defaultdict(list)
    for row in rows:
        fields[_local(str(row["p"]))].append(str(row["o"]))
    d["title"] = (fields.get("title") or [d["label"]])[0]
    d["creators"] = sorted(fields.get("creator", []))
    d["publisher"] = (fields.get("publisher") or [None])[0]
    d["issued"] = (fields.get("issued") or [None])[0]
    d["seed_file"] = (fields.get("seedFile") or [None])[0]
    d["kind"] = (fields.get("sourceKind") or [None])[0]
    d["summary"] = (fields.get("description") or [""])[0]
    d["notes"] = fields.get("note", [])
    if not d["definition"]:
        d["definition"] = d["summary"]
    if d["seed_file"]:
        d["counts"] = source_counts(kg).get(_local(str(iri)))


# ---------------------------------------------------------------------------------------------
# Text rendering


def _src(sources: list[dict]) -> str:
    return "[" + ", ".join(s["id"] for s in sources) + "]" if sources else ""


def format_details(d: dict, width: int = 100) -> str:
    """Render `describe()` output as readable text for a terminal."""
    import textwrap

    lines = [f"{d['label']}  ({d['type']}, {d['id']})"]
    if d.get("aliases"):
        lines.append(f"aliases: {', '.join(d['aliases'])}")
    if d.get("family"):
        lines.append(f"family: {d['family']}" + ("  (outside the data team)" if d.get("stakeholder") else ""))
    if d.get("kind") and d["type"] in ("skill", "team-pattern", "source"):
        lines.append(f"kind: {d['kind']}")
    if d.get("definition"):
        lines += textwrap.wrap(d["definition"], width)
    if d.get("note"):
        lines += textwrap.wrap(f"Note: {d['note'][0].upper()}{d['note'][1:]}.", width)

    def section(title, items, render):
        if items:
            lines.append("")
            lines.append(f"{title} ({len(items)})")
            for item in items:
                lines.append("  " + render(item))

    t = d["type"]
    if t == "role":
        section("Skills", d["skills"], lambda s: f"{(s['level'] or '-'):8} {s['label']}  {_src(s['sources'])}"
                + ("  levels differ: " + "; ".join(f"{lv['level']} {_src(lv['sources'])}" for lv in s['levels'])
                   if len(s["levels"]) > 1 else "") + _qualifier_text(s))
        section("Tools", d["tools"], lambda x: f"{x['label']}  ({', '.join(x['categories']) or 'no category'})  "
                f"{_src(x['sources'])}" + _qualifier_text(x))
        section("Responsibilities", d["responsibilities"],
                lambda r: f"{r['label']}  [{r['stage'] or '-'}]  {_src(r['sources'])}" + _qualifier_text(r))
        section("Hands off to", d["hands_off_to"], lambda h: _handoff_line(h))
        section("Receives from", d["receives_from"], lambda h: _handoff_line(h))
        section("Works with", d["works_with"], lambda r: f"{r['role']}  {_src(r['sources'])}")
        for key, title in (("broader", "Broader roles"), ("narrower", "Narrower roles"), ("related", "Related roles")):
            section(title, d[key], lambda r: f"{r['role']}  {_src(r['sources'])}")
        section("Deployment patterns", d["deployments"], lambda x: f"{x['label']} ({x['as']})  {_src(x['sources'])}")
        section("Team guidance", d["team_guidance"],
                lambda p: f"{p['label']}" + (" (recommends this role)" if p["recommended"] else "") + f"  {_src(p['sources'])}")
        section("How the sources compare it with other roles", d["comparisons"],
                lambda c: _comparison_line(c, d["id"]))
        if d["disputed_questions"]:
            lines.append("")
            lines.append(f"Where the sources disagree ({len(d['disputed_questions'])} questions)")
            for q in d["disputed_questions"]:
                lines.append(f"  {q['label']}")
                for p in q["positions"]:
                    lines.append(f"    [{p['source']['id']}] {p['answer']}: {p['note']}")
        esco = [f"{m['label']} ({m['match']}) <{m['uri']}>" + (f" — {m['note']}" if m.get("note") else "") for m in d["esco"]]
        if d["no_esco_equivalent"]:
            esco.insert(0, "no ESCO occupation")
        section("ESCO", esco, str)
        if d.get("esco_note"):
            lines.append("  " + d["esco_note"])
    elif t == "tool":
        section("Categories", d["categories"], lambda c: f"{c['label']}  {_src(c['sources'])}")
        section("Used by", d["used_by"], lambda u: f"{u['role']}" + (f" as {', '.join(u['as_categories'])}" if u["as_categories"] else "")
                + (f" ({u['level']})" if u["level"] else "") + f"  {_src(u['sources'])}" + _qualifier_text(u))
    elif t == "skill":
        section("Broader", d["broader"], lambda x: x["label"])
        section("Narrower", d["narrower"], lambda x: x["label"])
        section("Needed by", d["used_by"], lambda u: f"{(u['level'] or '-'):8} {u['role']}  {_src(u['sources'])}"
                + _qualifier_text(u))
    elif t == "responsibility":
        lines.append(f"stage: {d['stage']}" + (f"; produces: {', '.join(d['produces'])}" if d["produces"] else ""))
        section("Part of", d["broader"], lambda x: x["label"])
        section("Sub-tasks", d["narrower"], lambda x: x["label"])
        section("Carried by", d["roles"], lambda r: f"{r['role']}  {_src(r['sources'])}")
    elif t == "artifact":
        section("Produced by", d["produced_by"], str)
        section("Handed over", d["handoffs"], lambda h: f"{h['from']} → {h['to']} [{h['stage']}]  {_src(h['sources'])}")
    elif t == "category":
        section("Broader", d["broader"], lambda x: x["label"])
        section("Narrower", d["narrower"], lambda x: x["label"])
        section("Tools", d["tools"], lambda x: f"{x['label']}  used by: {', '.join(x['used_by']) or '-'}  {_src(x['sources'])}")
    elif t == "stage":
        section("Responsibilities", d["responsibilities"], str)
        section("Handoffs", d["handoffs"], lambda h: f"{h['from']} → {h['to']}: {h['artifact']}")
    elif t == "deployment":
        section("Owned by", d["owned_by"], lambda r: f"{r['role']}  {_src(r['sources'])}")
        section("Supported by", d["supported_by"], lambda r: f"{r['role']}  {_src(r['sources'])}")
        section("Examples", d["examples"], str)
    elif t == "workflow":
        section("Examples", d["examples"], str)
        section("Steps", d["steps"], lambda s: f"{s['step']:>2}. {s['from']} → {s['to']}: {s['artifact']} [{s['stage']}]  {_src(s['sources'])}")
    elif t == "team-pattern":
        lines.append(f"kind: {d['kind']}; organisation size: {', '.join(d['organisation_sizes'])}")
        if d["condition"]:
            lines.append(f"when: {d['condition']}")
        section("Recommends", d["recommends"], str)
        section("Concerns", d["concerns"], str)
    elif t == "family":
        section("Roles", d["roles"], str)
    elif t == "source":
        for key in ("creators", "publisher", "issued", "seed_file"):
            if d.get(key):
                value = ", ".join(d[key]) if isinstance(d[key], list) else d[key]
                lines.append(f"{key.replace('_', ' ')}: {value}")
        if d.get("counts"):
            c = d["counts"]
            lines += textwrap.wrap(
                f"facts: {c['facts']} ({c['qualified_facts']} qualified by a condition or stance, "
                f"{c['conditional_facts']} of them conditional); statements: {c['statements']} "
                f"({c['comparisons']} comparisons of roles, {c['positions']} answers to disputed questions); "
                f"disagreements with other sources: {c['disagreements']}", width)
        section("Notes", d["notes"], str)
    if d.get("sources"):
        lines.append("")
        lines.append("Sources:")
        for s in d["sources"]:
            lines.append(f"  [{s['id']}] {s['title']}")
    return "\n".join(lines) + "\n"


def _handoff_line(h: dict) -> str:
    mode = h["mode"] or "-"
    if h["mode"] == "disputed":
        mode = "disputed: " + "; ".join(f"{m['mode']} {_src(m['sources'])}" for m in h["modes"])
    step = ""
    if h.get("workflow"):
        placed = ", placed there by the project" if h.get("placement_inferred") and not h.get("inferred") else ""
        step = f" (step {h['step']} of {h['workflow']}{placed})"
    return f"{h['role']}: {h['artifact']} [{h['stage'] or '-'}; {mode}]{step}  {_src(h['sources'])}" + _qualifier_text(h)


def _qualifier_text(item: dict) -> str:
    """What the sources qualify about a fact, for the end of its line ('' when nothing)."""
    if item.get("inferred"):
        return "  — inferred by the project, no source states it"
    qualifiers = [q for q in item.get("qualifiers") or [] if q["limiting"]]
    if not qualifiers:
        return ""
    views = "; ".join(f"{q['source']}: {q['text']}" for q in qualifiers)
    if item.get("conditional"):
        return f"  — conditional ({views})"
    return f"  — also {views}, not counted"


def _comparison_line(c: dict, this: str) -> str:
    others = ", ".join(r["label"] for r in c["roles"] if r["id"] != this)
    condition = f" ({c['condition']})" if c.get("condition") else ""
    return f"with {others}: {', '.join(c['kinds'])}{condition}  [{c['source']['id']}] {c['note']}"


ROLE_COLUMNS = ["id", "label", "aliases", "definition", "skills", "tools", "responsibilities",
                "conditional_skills", "conditional_tools", "family", "note"]


def render_roles(rows: list[dict], fmt: str = "table") -> str:
    """list_roles(...) as "table" (format_roles) or as "json", "csv" or "tsv" rows of ROLE_COLUMNS."""
    return format_roles(rows) if fmt == "table" else format_rows(rows, ROLE_COLUMNS, fmt)


def render_details(details: dict, fmt: str = "table") -> str:
    """describe(...) as "table" (format_details) or "json" text."""
    return to_json(details) if fmt == "json" else format_details(details)
