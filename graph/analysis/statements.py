"""What the sources say about roles beyond single facts: their own comparisons of roles, and their
answers to the questions they disagree on.

- A *role comparison* (dt:RoleComparison) is a source's statement that roles are similar, need
  similar skills, are sometimes one person, work closely, form one group or are different jobs.
  `role_comparisons(kg, a, b)` returns the statements about a pair of roles, to be read beside a
  computed overlap score (the interview's "DevOps engineers or sometimes SREs" explains why those
  two roles overlap completely).
- A *disputed question* (dt:Question) is framed by the project; each source's answer is a
  dt:Position in that source's graph, resting on facts the source states. `disputed_questions`
  returns every question with each source's answer and the pairs of sources that disagree.

>>> [c["kinds"] for c in role_comparisons(kg, "DevOps engineer", "site reliability engineer")]
[['one group']]
"""

from __future__ import annotations

from collections import defaultdict

from ...queries.named.library import load_named_query
from ..lookup.names import resolve
from ..lookup.sources import source_index


def _resolve(kg, name: str | None) -> str | None:
    if name is None:
        return None

    return str(resolve(kg, name, ["role"]).iri)


def _source_of(index: dict, graph: str) -> dict:
    return index.get(graph, {"id": graph.rsplit("/", 1)[-1], "title": graph})


def role_comparisons(kg, a: str | None = None, b: str | None = None) -> list[dict]:
    """The sources' own comparisons of roles; with `a`, those naming role a; with `a` and `b`, those naming both.

    a, b: role names, aliases or ids (resolved like everywhere else).
    Returns [{"id", "source": {id, title}, "roles": [{id, label}], "kinds": [labels], "kind_ids": [IRIs],
    "condition": label or None, "note"}], sorted by source, then by the roles' labels.

    >>> [c["source"]["id"] for c in role_comparisons(kg, "data analyst", "data scientist")]
    ['olx-interview']
    """
    ra, rb = _resolve(kg, a), _resolve(kg, b)
    rows = kg.select("""
        SELECT DISTINCT ?c ?g ?role ?roleLabel ?kind ?kindLabel ?condition ?note WHERE {
          GRAPH ?g { ?c a dt:RoleComparison ; dt:comparesRole ?role ; dt:comparisonKind ?kind ; skos:note ?note }
          ?role skos:prefLabel ?roleLabel .
          OPTIONAL { ?kind rdfs:label ?kindLabel }
          OPTIONAL { GRAPH ?g { ?c dt:condition ?cond } ?cond rdfs:label ?condition }
        }""")
    index = source_index(kg)
    found: dict[tuple, dict] = {}
    for row in rows:
        key = (str(row["c"]), str(row["g"]))
        entry = found.setdefault(key, {"id": key[0], "source": _source_of(index, key[1]), "roles": {}, "kinds": {},
                                       "condition": None, "note": str(row["note"])})
        entry["roles"][str(row["role"])] = str(row["roleLabel"])
        entry["kinds"][str(row["kind"])] = str(row.get("kindLabel", str(row["kind"]).rsplit("#", 1)[-1]))
        if "condition" in row:
            entry["condition"] = str(row["condition"])
    out = []
    for entry in found.values():
        ids = set(entry["roles"])
        if (ra and ra not in ids) or (rb and rb not in ids):
            continue
        roles = sorted(({"id": i, "label": lab} for i, lab in entry["roles"].items()), key=lambda r: r["label"].casefold())
        kinds = sorted(entry["kinds"].items(), key=lambda kv: kv[1])
        out.append({"id": entry["id"], "source": entry["source"], "roles": roles,
                    "kinds": [label for _, label in kinds], "kind_ids": [iri for iri, _ in kinds],
                    "condition": entry["condition"], "note": entry["note"]})
    return sorted(out, key=lambda c: (c["source"]["id"], [r["label"].casefold() for r in c["roles"]], c["id"]))


def comparisons_by_pair(kg) -> dict[frozenset, list[dict]]:
    """Every comparison filed under each pair of roles it names: {frozenset({a_iri, b_iri}): [comparison]}."""
    out: dict[frozenset, list[dict]] = defaultdict(list)
    for comparison in role_comparisons(kg):
        ids = [r["id"] for r in comparison["roles"]]
        for i, x in enumerate(ids):
            for y in ids[i + 1:]:
                out[frozenset((x, y))].append(comparison)
    return dict(out)


def disputed_questions(kg, role: str | None = None) -> list[dict]:
    """The questions the sources answer differently, each with every source's answer.

    role: only the questions that concern this role (name, alias or id).
    Returns [{"id", "label", "definition", "concerns": [labels], "concern_ids": [IRIs],
    "positions": [{"source": {id, title},
    "answer", "answer_id", "note", "rests_on": [IRIs]}], "disagreements": [{"a": source id, "b": source id,
    "answer_a", "answer_b"}]}], questions by label, positions by source.

    >>> [p["answer"] for p in disputed_questions(kg)[0]["positions"]][:1]
    ['one central data engineering team with sub-teams per product']
    """
    wanted = _resolve(kg, role)
    questions = kg.select("""
        SELECT DISTINCT ?q ?label ?definition ?role ?roleLabel WHERE {
          ?q a dt:Question ; skos:prefLabel ?label .
          OPTIONAL { ?q skos:definition ?definition }
          OPTIONAL { ?q dt:concernsRole ?role . ?role skos:prefLabel ?roleLabel }
        }""")
    found: dict[str, dict] = {}
    for row in questions:
        entry = found.setdefault(str(row["q"]), {"id": str(row["q"]), "label": str(row["label"]),
                                                 "definition": str(row.get("definition", "")), "concerns": {}})
        if "role" in row:
            entry["concerns"][str(row["role"])] = str(row["roleLabel"])
    # The positions first, in a sub-select: joined the other way round Oxigraph walks every label of
    # the store (20 s with ESCO imported, against 30 ms).
    positions = kg.select("""
        SELECT DISTINCT ?q ?g ?answer ?answerLabel ?note ?fact WHERE {
          { SELECT ?q ?g ?answer ?note ?fact WHERE {
              GRAPH ?g { ?p a dt:Position ; dt:onQuestion ?q ; dt:answer ?answer ; skos:note ?note
                         OPTIONAL { ?p dt:restsOn ?fact } } } }
          ?answer skos:prefLabel ?answerLabel .
        }""")
    index = source_index(kg)
    by_question: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in positions:
        g = str(row["g"])
        entry = by_question[str(row["q"])].setdefault(g, {"source": _source_of(index, g), "answer": str(row["answerLabel"]),
                                                          "answer_id": str(row["answer"]), "note": str(row["note"]),
                                                          "rests_on": set()})
        if "fact" in row:
            entry["rests_on"].add(str(row["fact"]))
    out = []
    for q, entry in found.items():
        if wanted and wanted not in entry["concerns"]:
            continue
        listed = sorted(by_question.get(q, {}).values(), key=lambda p: p["source"]["id"])
        for p in listed:
            p["rests_on"] = sorted(p["rests_on"])
        pairs = [{"a": x["source"]["id"], "b": y["source"]["id"], "answer_a": x["answer"], "answer_b": y["answer"]}
                 for i, x in enumerate(listed) for y in listed[i + 1:] if x["answer_id"] != y["answer_id"]]
        out.append({"id": q, "label": entry["label"], "definition": entry["definition"],
                    "concerns": sorted(entry["concerns"].values(), key=str.casefold),
                    "concern_ids": sorted(entry["concerns"]),
                    "positions": listed, "disagreements": pairs})
    return sorted(out, key=lambda q: q["label"].casefold())


def source_counts(kg) -> dict[str, dict]:
    """Per source document: facts, qualified facts, statements and disagreements, as plain counts.

    facts: skill requirements, tool uses, responsibility assignments, handoffs and team patterns its
    graph states; qualified_facts: those it limits to a condition or gives a stance; conditional
    facts: qualified facts no other source states plainly (the analyses leave them out);
    statements: its role comparisons and its answers to disputed questions; disagreements: the rows
    of the source-disagreements query that name it.

    >>> source_counts(kg)["olx-interview"]["statements"] > 0
    True
    """
    from ..projection import build_projection  # lazy: start-up time (networkx)

    index = source_index(kg)
    seeds = {str(r["g"]) for r in kg.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g prov:wasDerivedFrom ?s } ?s dt:seedFile ?f }")}
    counts = {index[g]["id"]: {"facts": 0, "qualified_facts": 0, "conditional_facts": 0, "comparisons": 0,
                               "positions": 0, "statements": 0, "disagreements": 0} for g in seeds}
    rows = kg.select("""
        SELECT ?g ?kind (COUNT(DISTINCT ?n) AS ?count) WHERE {
          VALUES (?class ?kind) { (dt:SkillRequirement "facts") (dt:ToolUse "facts") (dt:ResponsibilityAssignment "facts")
                                  (dt:Handoff "facts") (dt:TeamPattern "facts") (dt:RoleComparison "comparisons")
                                  (dt:Position "positions") }
          GRAPH ?g { ?n a ?class }
        } GROUP BY ?g ?kind""")
    for row in rows:
        sid = index.get(str(row["g"]), {}).get("id")
        if sid in counts:
            counts[sid][str(row["kind"])] += int(row["count"])
    for row in kg.select("""
        SELECT ?g (COUNT(DISTINCT ?n) AS ?count) WHERE {
          GRAPH ?g { ?n dt:condition|dt:stance ?q FILTER NOT EXISTS { ?n a dt:RoleComparison } } } GROUP BY ?g"""):
        sid = index.get(str(row["g"]), {}).get("id")
        if sid in counts:
            counts[sid]["qualified_facts"] = int(row["count"])
    projection = build_projection(kg, relations=["requires_skill", "uses_tool", "has_responsibility", "hands_off_to"])
    for fact in projection.graph["left_out"]:
        for sid in fact["sources"]:
            if sid in counts:
                counts[sid]["conditional_facts"] += 1
    for row in kg.select(load_named_query("source-disagreements").text):
        for key in ("source_a", "source_b"):
            sid = str(row[key])
            if sid in counts:
                counts[sid]["disagreements"] += 1
    for entry in counts.values():
        entry["statements"] = entry["comparisons"] + entry["positions"]
    return dict(sorted(counts.items()))


__all__ = ["comparisons_by_pair", "disputed_questions", "role_comparisons", "source_counts"]
