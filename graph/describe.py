"""Plain-data descriptions of entities: the role list and everything known about one entity.

Every fact carries the sources that state it (`[{"id": ..., "title": ...}]`), found through the
named graph the fact sits in: one graph per source document, so a fact stated by three sources
lists three sources.
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import URIRef

from ..ontology.namespaces import BASE, DT
from .names import Entity

LEVEL_NAMES = {str(DT.Core): "core", str(DT.Working): "working", str(DT.Basic): "basic"}
LEVEL_RANK = {"core": 3, "working": 2, "basic": 1, None: 0}
MODE_NAMES = {str(DT.Sequential): "sequential", str(DT.SideBySide): "side by side"}
SKILL_KINDS = {str(DT.TechnicalSkill): "technical", str(DT.SoftSkill): "soft", str(DT.KnowledgeArea): "knowledge"}


# ---------------------------------------------------------------------------------------------
# Sources


def source_index(kg) -> dict[str, dict]:
    """Map each named graph IRI to its source as {"id", "title"}.

    A graph's source is the dt:Source it was derived from (prov:wasDerivedFrom); graphs without that
    metadata (a user's file) are named after the graph.
    """
    rows = kg.select("""
        SELECT ?g ?id ?title WHERE {
          GRAPH ?g { ?g prov:wasDerivedFrom ?src }
          ?src dcterms:identifier ?id .
          OPTIONAL { ?src dcterms:title ?title }
        }""")
    index = {}
    for row in rows:
        index[str(row["g"])] = {"id": str(row["id"]), "title": str(row.get("title", row["id"]))}
    # A user's file without provenance metadata: if it declares exactly one dt:Source, that is its source.
    declared = defaultdict(list)
    for row in kg.select("""
        SELECT ?g ?id ?title WHERE { GRAPH ?g { ?src a dt:Source ; dcterms:identifier ?id
                                                OPTIONAL { ?src dcterms:title ?title } } }"""):
        declared[str(row["g"])].append({"id": str(row["id"]), "title": str(row.get("title", row["id"]))})
    for graph, found in declared.items():
        if graph not in index and len(found) == 1:
            index[graph] = found[0]
    for graph in kg.graph_names():
        key = str(graph)
        if key not in index:
            local = key[len(BASE + "graph/"):] if key.startswith(BASE + "graph/") else key
            index[key] = {"id": local, "title": f"graph <{key}>"}
    return index


class _Sources:
    """Collects source ids per key and turns them into sorted [{id, title}] lists."""

    def __init__(self, index: dict[str, dict]):
        self.index = index

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
    for prop, key in (("dt:requiresSkill", "skills"), ("dt:usesTool", "tools")):
        for row in kg.select(f"SELECT ?role (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?role a dt:Role ; {prop} ?x }} GROUP BY ?role"):
            if str(row["role"]) in roles:
                roles[str(row["role"])][key] = int(row["n"])
    for entry in roles.values():
        entry["aliases"].sort(key=str.casefold)
    return sorted(roles.values(), key=lambda r: (r["label"].casefold(), r["id"]))


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


# ---------------------------------------------------------------------------------------------
# One entity


def describe(kg, entity: Entity) -> dict:
    """Everything known about one entity, as plain data with sources on every fact.

    For a role: id, type, label, aliases, definition, family, skills [{label, level, sources}],
    tools [{label, categories, sources}], responsibilities [{label, stage, sources}], hands_off_to and
    receives_from [{role, artifact, stage, mode, sources}], works_with, esco (matches), team_guidance,
    deployments, sources. For a tool: categories and used_by [{role, level, sources}]. For a skill:
    used_by [{role, level, sources}]. Other types get their own relations.

    >>> describe(kg, resolve(kg, "data engineer"))["tools"][0]["label"]
    'Amazon EMR'
    """
    sources = _Sources(source_index(kg))
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


def _labelled(rows, key: str) -> list[dict]:
    return sorted(rows, key=lambda r: (r[key].casefold() if isinstance(r[key], str) else r[key]))


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


def _role_skills(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?skill ?label ?g ?level ?kind WHERE {
          GRAPH ?g { ?role dt:requiresSkill ?skill }
          OPTIONAL { GRAPH ?g { ?req dt:role ?role ; dt:skill ?skill ; dt:level ?level } }
          OPTIONAL { ?skill skos:prefLabel ?label }
          OPTIONAL { ?skill a ?kind FILTER(?kind IN (dt:TechnicalSkill, dt:SoftSkill, dt:KnowledgeArea)) }
        }""", {"role": iri})
    skills: dict[str, dict] = {}
    for row in rows:
        key = str(row["skill"])
        entry = skills.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))), "kind": None,
                                        "graphs": set(), "levels": defaultdict(set)})
        entry["graphs"].add(row["g"])
        if "kind" in row:
            entry["kind"] = SKILL_KINDS.get(str(row["kind"]))
        level = LEVEL_NAMES.get(str(row["level"])) if "level" in row else None
        if level:
            entry["levels"][level].add(row["g"])
    out = []
    for entry in skills.values():
        levels = [{"level": lv, "sources": sources.of(gs)}
                  for lv, gs in sorted(entry["levels"].items(), key=lambda kv: -LEVEL_RANK[kv[0]])]
        out.append({
            "id": entry["id"], "label": entry["label"], "kind": entry["kind"],
            "level": levels[0]["level"] if levels else None,
            "levels": levels,
            "sources": sources.of(entry["graphs"]),
        })
    return sorted(out, key=lambda s: (-LEVEL_RANK[s["level"]], s["label"].casefold()))


def _role_tools(kg, iri, sources) -> list[dict]:
    rows = kg.select("""
        SELECT ?role ?tool ?label ?g ?cat ?catLabel ?level WHERE {
          GRAPH ?g { ?role dt:usesTool ?tool }
          OPTIONAL { GRAPH ?g { ?use dt:role ?role ; dt:tool ?tool ; dt:asCategory ?cat } ?cat skos:prefLabel ?catLabel }
          OPTIONAL { GRAPH ?g { ?use2 dt:role ?role ; dt:tool ?tool ; dt:level ?level } }
          OPTIONAL { ?tool skos:prefLabel ?label }
        }""", {"role": iri})
    tools: dict[str, dict] = {}
    for row in rows:
        key = str(row["tool"])
        entry = tools.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))), "graphs": set(),
                                       "categories": {}, "levels": defaultdict(set)})
        entry["graphs"].add(row["g"])
        if "cat" in row:
            entry["categories"].setdefault(str(row["catLabel"]), set()).add(row["g"])
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"][LEVEL_NAMES[str(row["level"])]].add(row["g"])
    general = _tool_categories(kg, list(tools))
    out = []
    for key, entry in tools.items():
        categories = sorted(entry["categories"]) or sorted(general.get(key, []))
        levels = [{"level": lv, "sources": sources.of(gs)}
                  for lv, gs in sorted(entry["levels"].items(), key=lambda kv: -LEVEL_RANK[kv[0]])]
        out.append({
            "id": key, "label": entry["label"], "categories": categories,
            "level": levels[0]["level"] if levels else None, "levels": levels,
            "sources": sources.of(entry["graphs"]),
        })
    return sorted(out, key=lambda t: t["label"].casefold())


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
        SELECT ?role ?resp ?label ?g ?stageLabel ?order WHERE {
          GRAPH ?g { ?role dt:hasResponsibility ?resp }
          OPTIONAL { ?resp skos:prefLabel ?label }
          OPTIONAL { ?resp dt:atStage ?stage . ?stage skos:prefLabel ?stageLabel ; dt:stageOrder ?order }
        }""", {"role": iri})
    resps: dict[str, dict] = {}
    for row in rows:
        key = str(row["resp"])
        entry = resps.setdefault(key, {"id": key, "label": str(row.get("label", _local(key))),
                                       "stage": str(row["stageLabel"]) if "stageLabel" in row else None,
                                       "order": int(row["order"]) if "order" in row else 99, "graphs": set()})
        entry["graphs"].add(row["g"])
    out = [{"id": e["id"], "label": e["label"], "stage": e["stage"], "sources": sources.of(e["graphs"]),
            "_order": e["order"]} for e in resps.values()]
    out.sort(key=lambda r: (r["_order"], r["label"].casefold()))
    for r in out:
        del r["_order"]
    return out


def _handoffs(kg, iri, side: str, sources) -> list[dict]:
    this, other = ("dt:fromRole", "dt:toRole") if side == "from" else ("dt:toRole", "dt:fromRole")
    rows = kg.select(f"""
        SELECT ?role ?h ?other ?otherLabel ?artifactLabel ?stageLabel ?order ?mode ?g ?wfLabel ?step WHERE {{
          GRAPH ?g {{ ?h a dt:Handoff ; {this} ?role ; {other} ?other ; dt:artifact ?artifact .
                     OPTIONAL {{ ?h dt:mode ?mode }} }}
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
            "artifact": str(row.get("artifactLabel", "")), "stages": set(), "modes": defaultdict(set),
            "order": 99, "graphs": set(), "workflow": None, "step": None})
        entry["graphs"].add(row["g"])
        if "stageLabel" in row:
            entry["stages"].add(str(row["stageLabel"]))
            entry["order"] = min(entry["order"], int(row["order"]))
        if "mode" in row:
            entry["modes"][MODE_NAMES.get(str(row["mode"]), _local(str(row["mode"])))].add(row["g"])
        if "wfLabel" in row:
            entry["workflow"], entry["step"] = str(row["wfLabel"]), int(row["step"])
    out = []
    for e in found.values():
        modes = [{"mode": m, "sources": sources.of(gs)} for m, gs in sorted(e["modes"].items())]
        out.append({
            "role": e["role"], "role_id": e["role_id"], "artifact": e["artifact"],
            "stage": ", ".join(sorted(e["stages"])) or None,
            "mode": modes[0]["mode"] if len(modes) == 1 else "disputed" if modes else None,
            "modes": modes, "workflow": e["workflow"], "step": e["step"],
            "sources": sources.of(e["graphs"]), "_order": e["order"],
        })
    out.sort(key=lambda h: (h["_order"], h["role"].casefold(), h["artifact"]))
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
          GRAPH ?g { ?pattern ?p ?role }
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
        SELECT ?tool ?role ?label ?g ?catLabel ?level WHERE {
          GRAPH ?g { ?role dt:usesTool ?tool }
          OPTIONAL { ?role skos:prefLabel ?label }
          OPTIONAL { GRAPH ?g { ?use dt:role ?role ; dt:tool ?tool ; dt:asCategory/skos:prefLabel ?catLabel } }
          OPTIONAL { GRAPH ?g { ?use2 dt:role ?role ; dt:tool ?tool ; dt:level ?level } }
        }""", {"tool": iri})
    users: dict[str, dict] = {}
    for row in rows:
        key = str(row["role"])
        entry = users.setdefault(key, {"role": str(row.get("label", _local(key))), "role_id": key, "graphs": set(),
                                       "as": set(), "levels": set()})
        entry["graphs"].add(row["g"])
        if "catLabel" in row:
            entry["as"].add(str(row["catLabel"]))
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"].add(LEVEL_NAMES[str(row["level"])])
    d["used_by"] = sorted(({"role": e["role"], "role_id": e["role_id"], "as_categories": sorted(e["as"]),
                            "level": max(e["levels"], key=LEVEL_RANK.get) if e["levels"] else None,
                            "sources": sources.of(e["graphs"])} for e in users.values()),
                          key=lambda u: u["role"].casefold())


def _describe_skill(kg, iri, d, sources) -> None:
    kinds = kg.select("SELECT ?skill ?kind WHERE { ?skill a ?kind FILTER(?kind IN (dt:TechnicalSkill, dt:SoftSkill, dt:KnowledgeArea)) }",
                      {"skill": iri})
    d["kind"] = SKILL_KINDS.get(str(kinds[0]["kind"])) if kinds else None
    d["broader"] = _labels_of(kg, iri, "skos:broader")
    d["narrower"] = _labels_of(kg, iri, "^skos:broader")
    rows = kg.select("""
        SELECT ?skill ?role ?label ?g ?level WHERE {
          GRAPH ?g { ?role dt:requiresSkill ?skill }
          OPTIONAL { ?role skos:prefLabel ?label }
          OPTIONAL { GRAPH ?g { ?req dt:role ?role ; dt:skill ?skill ; dt:level ?level } }
        }""", {"skill": iri})
    users: dict[str, dict] = {}
    for row in rows:
        key = str(row["role"])
        entry = users.setdefault(key, {"role": str(row.get("label", _local(key))), "role_id": key,
                                       "graphs": set(), "levels": defaultdict(set)})
        entry["graphs"].add(row["g"])
        if "level" in row and LEVEL_NAMES.get(str(row["level"])):
            entry["levels"][LEVEL_NAMES[str(row["level"])]].add(row["g"])
    out = []
    for e in users.values():
        levels = [{"level": lv, "sources": sources.of(gs)}
                  for lv, gs in sorted(e["levels"].items(), key=lambda kv: -LEVEL_RANK[kv[0]])]
        out.append({"role": e["role"], "role_id": e["role_id"], "level": levels[0]["level"] if levels else None,
                    "levels": levels, "sources": sources.of(e["graphs"])})
    d["used_by"] = sorted(out, key=lambda u: (-LEVEL_RANK[u["level"]], u["role"].casefold()))


def _labels_of(kg, iri, path: str) -> list[dict]:
    rows = kg.select(f"SELECT ?s ?o ?label WHERE {{ ?s {path} ?o . OPTIONAL {{ ?o skos:prefLabel ?label }} }}", {"s": iri})
    return sorted(({"id": str(r["o"]), "label": str(r.get("label", _local(str(r["o"]))))} for r in rows),
                  key=lambda x: x["label"].casefold())


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
          OPTIONAL { ?p dt:condition ?condition } }""", {"p": iri})
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
                   if len(s["levels"]) > 1 else ""))
        section("Tools", d["tools"], lambda x: f"{x['label']}  ({', '.join(x['categories']) or 'no category'})  {_src(x['sources'])}")
        section("Responsibilities", d["responsibilities"],
                lambda r: f"{r['label']}  [{r['stage'] or '-'}]  {_src(r['sources'])}")
        section("Hands off to", d["hands_off_to"], lambda h: _handoff_line(h))
        section("Receives from", d["receives_from"], lambda h: _handoff_line(h))
        section("Works with", d["works_with"], lambda r: f"{r['role']}  {_src(r['sources'])}")
        for key, title in (("broader", "Broader roles"), ("narrower", "Narrower roles"), ("related", "Related roles")):
            section(title, d[key], lambda r: f"{r['role']}  {_src(r['sources'])}")
        section("Deployment patterns", d["deployments"], lambda x: f"{x['label']} ({x['as']})  {_src(x['sources'])}")
        section("Team guidance", d["team_guidance"],
                lambda p: f"{p['label']}" + (" (recommends this role)" if p["recommended"] else "") + f"  {_src(p['sources'])}")
        esco = [f"{m['label']} ({m['match']}) <{m['uri']}>" + (f" — {m['note']}" if m.get("note") else "") for m in d["esco"]]
        if d["no_esco_equivalent"]:
            esco.insert(0, "no ESCO occupation")
        section("ESCO", esco, str)
        if d.get("esco_note"):
            lines.append("  " + d["esco_note"])
    elif t == "tool":
        section("Categories", d["categories"], lambda c: f"{c['label']}  {_src(c['sources'])}")
        section("Used by", d["used_by"], lambda u: f"{u['role']}" + (f" as {', '.join(u['as_categories'])}" if u["as_categories"] else "")
                + (f" ({u['level']})" if u["level"] else "") + f"  {_src(u['sources'])}")
    elif t == "skill":
        section("Broader", d["broader"], lambda x: x["label"])
        section("Narrower", d["narrower"], lambda x: x["label"])
        section("Needed by", d["used_by"], lambda u: f"{(u['level'] or '-'):8} {u['role']}  {_src(u['sources'])}")
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
    step = f" (step {h['step']} of {h['workflow']})" if h.get("workflow") else ""
    return f"{h['role']}: {h['artifact']} [{h['stage'] or '-'}; {mode}]{step}  {_src(h['sources'])}"
