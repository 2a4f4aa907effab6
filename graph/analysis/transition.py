"""Career transitions: what carries over from role A to role B, what to learn, and a route between them.

A role's requirements are its skills and tools, each weighted by the strongest level any source
gives (core 3, working 2, basic 1, no level stated 2 — the overlap weights). The learning distance
from A to B is the share of B's weighted requirements that A does not already meet:

    distance(A → B) = Σ_i max(0, wB_i − wA_i) / Σ_i wB_i        (0 = nothing to learn, 1 = everything)

It is directed: an ML engineer moving to data engineering has a different gap than the reverse.
Because it is a share of the *target's* requirements, a stepping stone can be shorter in total
than the direct move: the route is the weighted shortest path over the complete role-to-role
graph of these distances (Dijkstra, graph/analysis/route.py, which makes only the distances it
reads), reported when it is strictly shorter than the direct distance. Stakeholders are never stepping stones, and neither are roles the
sources give no skills or tools (the result names them). Conditional facts (graph/lookup/qualifiers.py)
are not counted unless `include_conditional=True`; the result lists them.

>>> t = transition(kg, "data analyst", "data scientist")
>>> sorted(t)[:4]
['a', 'b', 'carries_over', 'conditional']
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..errors import DatateamError
from ..lookup.names import resolve
from ..projection import select_each
from ..text import to_delimited, to_json
from .items import projection_of_roles
from .overlap import (
    LEVEL_WEIGHTS,
    UNRANKED_REASON,
    conditional_facts,
    format_matrix_notes,
    incidence_matrices,
    role_items,
)
from .requirements import requirements_of, role_requirements
from .route import shortest_route
from .statements import disputed_questions

TRANSITION_RELATIONS = ("requires_skill", "uses_tool")
TYPE_ORDER = {"skill": 0, "tool": 1}
LEVEL_ORDER = {"core": 0, "working": 1, None: 2, "basic": 3}
# Edges of zero distance must stay edges for Dijkstra (scipy reads 0 as "no edge").
_ZERO = 1e-12


def learning_distance(wa: dict[str, int], wb: dict[str, int]) -> float:
    """Σ max(0, wB_i − wA_i) / Σ wB_i: the share of B's weighted requirements that A lacks (0 when B needs nothing).

    >>> learning_distance({"sql": 3}, {"sql": 2, "python": 2})
    0.5
    """
    total = sum(wb.values())
    if not total:
        return 0.0
    return sum(max(0, w - wa.get(item, 0)) for item, w in wb.items()) / total


def distance_matrix(role_ids: list[str], items: dict[str, dict[str, int]]) -> np.ndarray:
    """All directed learning distances at once: D[i, j] = distance(role i → role j).

    Σ max(0, wB − wA) = ΣwB − Σ min(wA, wB), and Σ min for all pairs is one sparse product of the
    level-threshold incidence blocks (see graph/analysis/overlap.py).
    """
    _, thresholds, weight_sums, _ = incidence_matrices(role_ids, items)
    return distances_of(thresholds, weight_sums)


def distances_of(thresholds: sparse.csr_matrix, weight_sums: np.ndarray) -> np.ndarray:
    """D[i, j] = distance(role i → role j) from the level-threshold blocks and weight sums of the roles."""
    # The counts fit 32 bits; the same arithmetic, in place (16 million cells for ~4,000 roles).
    dist = (thresholds.astype(np.int32) @ thresholds.T.astype(np.int32)).toarray().astype(float)
    totals = weight_sums.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.subtract(totals[np.newaxis, :], dist, out=dist)
        np.divide(dist, totals[np.newaxis, :], out=dist)
    dist[:, totals == 0] = 0.0
    return dist


def _requirement(graph, role: str, item: str) -> dict:
    for d in (graph.get_edge_data(role, item) or {}).values():
        if d["relation"] in TRANSITION_RELATIONS:
            return d
    return {}


def _complete_graph(dist: np.ndarray) -> sparse.csr_matrix:
    """The complete directed graph of the distances as CSR: every edge i -> j (i != j) with weight
    dist[i, j], or _ZERO where that is 0; no self-loops.

    The same matrix as sparse.csr_matrix of the dense weights with a zero diagonal, built without
    searching 16 million cells for their non-zeros (ESCO and O*NET together have ~4,000 roles).
    """
    n = dist.shape[0]
    off_diagonal = ~np.eye(n, dtype=bool)
    data = dist[off_diagonal]
    data[data <= 0] = _ZERO
    indices = np.broadcast_to(np.arange(n, dtype=np.int32), (n, n))[off_diagonal]
    indptr = np.arange(n + 1, dtype=np.int64) * max(n - 1, 0)
    return sparse.csr_matrix((data, indices, indptr), shape=(n, n))


def best_route(role_ids: list[str], dist: np.ndarray, start: int, goal: int) -> tuple[list[int], float]:
    """The shortest path (indices) from start to goal over the complete graph of distances, and its length.

    scipy's Dijkstra over the whole matrix: the reference that route.shortest_route (which
    `transition` uses, making only the rows it reads) is tested against."""
    from scipy.sparse.csgraph import dijkstra  # only the reference needs csgraph (80 ms to import)

    lengths, predecessors = dijkstra(_complete_graph(dist), directed=True, indices=start, return_predecessors=True)
    path = [goal]
    while path[-1] != start:
        previous = predecessors[path[-1]]
        if previous < 0:
            return [start, goal], float(dist[start, goal])
        path.append(int(previous))
    path.reverse()
    total = float(sum(dist[u, v] for u, v in zip(path, path[1:])))
    return path, total


PLAN_LEVEL_ORDER = {"core": 0, "working": 1, None: 2, "basic": 3}
FOUNDATIONS = "Foundations (skills no single lifecycle stage owns)"
SOFT = "Working with people"
UNLEVELLED_TOOLS = "Tools the sources name without a level"


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def plan_context(kg, items=None, categories=()) -> dict:
    """What orders a learning plan, read from the store: the lifecycle stage of each skill and tool
    category (the curation's classification), the tools' own categories, the skill hierarchy and the
    stages' labels and order: {"stage_of", "categories_of", "broader", "stages": {iri: (order, label)}}.

    items: only what the plan of these skills and tools (IRIs) reads, with `categories` (the ones a
    role uses them as): their stages, the tools' categories and the skills' broader skills up the
    hierarchy, read with queries bound to them; the whole store's otherwise.
    """
    stages = {str(r["s"]): (int(r["order"]), str(r["label"])) for r in kg.select("""
        SELECT ?s ?order ?label WHERE { ?s a dt:LifecycleStage ; dt:stageOrder ?order ; skos:prefLabel ?label
                                        FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }""")}
    staged_classes = "VALUES ?c { dt:Skill dt:ToolCategory }"
    categories_pattern = "?t a dt:Tool ; dt:inCategory ?c"
    broader_pattern = "?s a dt:Skill ; skos:broader ?b . ?b a dt:Skill"
    if items is None:
        stage_rows = kg.select(f"SELECT ?x ?stage WHERE {{ {staged_classes} ?x a ?c ; dt:atStage ?stage }}")
        category_rows = kg.select(f"SELECT ?t ?c WHERE {{ {categories_pattern} }}")
        broader_rows = kg.select(f"SELECT ?s ?b WHERE {{ {broader_pattern} }}")
    else:
        items = sorted(set(items))
        category_rows = select_each(kg, "?t ?c", "", categories_pattern, "t", items)
        broader_rows, asked, todo = [], set(), set(items)
        while todo:
            asked |= todo
            found = select_each(kg, "?s ?b", "", broader_pattern, "s", sorted(todo))
            broader_rows += found
            todo = {str(r["b"]) for r in found} - asked
        staged = set(items) | {str(c) for c in categories} | {str(r["c"]) for r in category_rows}
        stage_rows = select_each(kg, "?x ?stage", staged_classes, "?x a ?c ; dt:atStage ?stage", "x", sorted(staged))
    stage_of = {}
    for r in stage_rows:
        stage = str(r["stage"])
        if stage in stages:
            current = stage_of.get(str(r["x"]))
            if current is None or stages[stage][0] < stages[current][0]:
                stage_of[str(r["x"])] = stage
    categories_of: dict[str, set] = {}
    for r in category_rows:
        categories_of.setdefault(str(r["t"]), set()).add(str(r["c"]))
    broader: dict[str, set] = {}
    for r in broader_rows:
        broader.setdefault(str(r["s"]), set()).add(str(r["b"]))
    return {"stage_of": stage_of, "categories_of": categories_of, "broader": broader, "stages": stages}


def _depth(item: str, broader: dict, seen=()) -> int:
    ups = [b for b in broader.get(item, ()) if b not in seen]
    return 1 + max(_depth(b, broader, seen + (item,)) for b in ups) if ups else 0


def _item_stage(graph, role: str, item: str, ctx: dict) -> str | None:
    node = graph.nodes[item]
    if node["type"] == "skill":
        return ctx["stage_of"].get(item)
    need = _requirement(graph, role, item)
    categories = set(need.get("categories") or ()) or ctx["categories_of"].get(item, set())
    staged = [ctx["stage_of"][c] for c in categories if c in ctx["stage_of"]]
    return min(staged, key=lambda st: ctx["stages"][st][0]) if staged else None


def _group_title(entry: dict, ctx: dict) -> tuple[tuple, str]:
    """(sort key, title) of the plan group an item belongs to."""
    if entry["kind"] == "tool" and entry["to_level"] is None:
        return (3, 0), UNLEVELLED_TOOLS
    if entry["stage"] is None:
        if entry["kind"] == "skill" and entry.get("skill_kind") == "soft":
            return (2, 0), SOFT
        return (0, 0), FOUNDATIONS
    order, label = ctx["stages"][entry["stage"]]
    return (1, order), f"{label[:1].upper()}{label[1:]}"


def plan_groups(entries: list[dict], ctx: dict) -> list[dict]:
    """Entries of a plan in ordered groups: foundations, then each lifecycle stage in order (skills
    before the tools that rest on them, broader skills before narrower ones), then the soft skills,
    then the tools no source gives a level for, which never swamp the plan."""
    groups: dict[str, dict] = {}
    for entry in entries:
        key, title = _group_title(entry, ctx)
        groups.setdefault(title, {"key": key, "title": title, "items": []})["items"].append(entry)
    out = []
    for group in sorted(groups.values(), key=lambda g: g["key"]):
        def order(e):
            stage = ctx["stages"][e["stage"]][0] if e["stage"] else 0
            return (stage if group["title"] == UNLEVELLED_TOOLS else 0, TYPE_ORDER[e["kind"]], e["depth"],
                    PLAN_LEVEL_ORDER[e["to_level"]], -len(e["sources"]), e["label"].casefold())
        items = sorted(group["items"], key=order)
        out.append({"title": group["title"],
                    "items": [dict({k: v for k, v in e.items() if k not in ("depth", "skill_kind")},
                                   stage_label=ctx["stages"][e["stage"]][1] if e["stage"] else None) for e in items]})
    return out


def _disputes(kg, role: str) -> dict[str, list]:
    """The disputed questions that rest on the role's requirement of an item: {item local name: [question]}."""
    out: dict[str, list] = {}
    prefix = f"{_local(role)}--"
    for q in disputed_questions(kg, role):
        for p in q["positions"]:
            for fact in p["rests_on"]:
                parts = fact.rstrip("/").rsplit("/", 2)
                folder, name = (parts[-2], parts[-1]) if len(parts) == 3 else ("", "")
                if folder in ("requirement", "tool-use") and name.startswith(prefix):
                    entry = {"question": q["label"],
                             "answers": [{"source": x["source"]["id"], "answer": x["answer"]} for x in q["positions"]]}
                    bucket = out.setdefault(name[len(prefix):], [])
                    if entry not in bucket:
                        bucket.append(entry)
    return out


def _responsibility_changes(kg, src: str, dst: str, include_conditional: bool) -> dict:
    """The responsibilities that change: {"take_on", "keep", "hand_over"}, each grouped by lifecycle stage."""
    rg = projection_of_roles(kg, {src, dst}, ("has_responsibility", "at_stage"), include_conditional)

    def duties(role):
        return {v: d for _, v, d in rg.out_edges(role, data=True) if d["relation"] == "has_responsibility"}

    da, db = duties(src), duties(dst)

    def grouped(ids, side):
        groups: dict[tuple, list] = {}
        for r in ids:
            stages = [v for _, v, d in rg.out_edges(r, data=True) if d["relation"] == "at_stage"]
            stage = min(stages, key=lambda st: rg.nodes[st].get("order", 99)) if stages else None
            key = (rg.nodes[stage].get("order", 99), rg.nodes[stage]["label"]) if stage else (99, "no stage")
            groups.setdefault(key, []).append({"id": r, "label": rg.nodes[r]["label"],
                                               "sources": list(side[r]["sources"])})
        return [{"stage": label, "items": sorted(items, key=lambda i: i["label"].casefold())}
                for (_, label), items in sorted(groups.items())]

    return {"take_on": grouped(set(db) - set(da), db), "keep": grouped(set(db) & set(da), db),
            "hand_over": grouped(set(da) - set(db), da)}


def _plain_without_level(need: dict) -> list[str]:
    """The sources that ask for an item without giving a level (a plain requirement)."""
    levelled = {s for srcs in (need.get("levels") or {}).values() for s in srcs}
    return [s for s in need.get("sources", []) if s not in levelled]


def learning_plan(kg, graph, src: str, dst: str, wa: dict, wb: dict) -> dict:
    """What carries over, what to deepen and what to learn, each in ordered groups (see `plan_groups`).

    - deepen: an item A has that B asks for at a higher level (by the overlap weights), or that A has
      only at basic level while a source asks B for it plainly, without limiting it to the basics
      (the sources' "a bit of" is not what a plain requirement asks; the interview's ML engineer
      knows "a bit" of machine learning, the Hitchhiker's Guide has them develop the algorithms);
    - learn: an item B asks for that A does not have;
    - carries over: the rest of what both have.
    Items: {id, label, kind, from_level, to_level, sources (asking B), sources_a (A's claim),
    support (how many sources ask B), levels {level: [sources]}, plain (sources asking B without a
    level), stage, stage_label, why, disputed [{question, answers: [{source, answer}]}]}.
    """
    used_as = {c for item in wb for c in _requirement(graph, dst, item).get("categories") or ()}
    ctx = plan_context(kg, items=wb, categories=used_as)
    disputes = _disputes(kg, dst)
    carries, deepen, learn = [], [], []
    for item, weight in wb.items():
        need = _requirement(graph, dst, item)
        have = _requirement(graph, src, item) if item in wa else None
        node = graph.nodes[item]
        entry = {"id": item, "label": node["label"], "kind": node["type"],
                 "from_level": have.get("level") if have else None, "to_level": need.get("level"),
                 "sources": list(need.get("sources", [])), "sources_a": list(have.get("sources", [])) if have else [],
                 "support": len(need.get("sources", [])), "levels": dict(need.get("levels") or {}),
                 "plain": _plain_without_level(need), "stage": _item_stage(graph, dst, item, ctx), "why": None,
                 "disputed": disputes.get(_local(item), []),
                 "depth": _depth(item, ctx["broader"]), "skill_kind": node.get("kind")}
        if have is None:
            learn.append(entry)
            continue
        plain = entry["plain"]
        if weight > wa[item]:
            entry["why"] = f"{entry['from_level'] or 'no level stated'} in the start role, {entry['to_level']} asked"
            deepen.append(entry)
        elif have.get("level") == "basic" and plain:
            entry["to_level"] = None  # no level: asked for plainly, beyond "a bit of"
            entry["why"] = (f"basic in the start role; {', '.join(plain)} ask{'s' if len(plain) == 1 else ''} for it "
                            "without limiting it to the basics"
                            + (f" ({'; '.join(f'{s}: {lv}' for lv, ss in entry['levels'].items() for s in ss)})"
                               if entry["levels"] else ""))
            deepen.append(entry)
        else:
            carries.append(entry)
    return {"carries_over": plan_groups(carries, ctx), "deepen": plan_groups(deepen, ctx),
            "learn": plan_groups(learn, ctx)}


def transition(kg, a: str, b: str, *, graph=None, include_conditional: bool = False) -> dict:
    """What moving from role `a` to role `b` (names or ids) takes.

    Returns {"a": {id, label}, "b": {id, label},
             "carries_over": [{id, label, type, level_a, level_b, sources, sources_a, sources_b}],
             "to_learn": [{id, label, type, level, have, gap, sources, levels}],
             "distance": float, "direct_distance": float,
             "route": {"roles": [labels], "ids": [...], "legs": [{from, to, distance}], "total": float} | None}.
    `to_learn` lists skills, then tools, core before working before basic; `have` is A's level when A
    has the item but below B's level, `gap` the weight still missing. `distance` is the shorter of
    the direct distance and the route's total. `sources` are the sources that ask B for the item;
    for what carries over, `sources_a` and `sources_b` name the sources of each role's claim.
    Also "unranked": roles left out as stepping stones (no skills or tools in the sources), and
    "conditional": {included, facts} for the facts about A and B that every source qualifies.

    >>> transition(kg, "DevOps engineer", "site reliability engineer")["distance"]
    0.041667
    """
    ra, rb = resolve(kg, a, ["role"]), resolve(kg, b, ["role"])
    src, dst = str(ra.iri), str(rb.iri)
    if src == dst:
        raise DatateamError(f"{a!r} and {b!r} are the same role ({ra.label})")
    if graph is None:
        # The plan reads the two roles alone; the route needs every role's requirements (saved beside
        # a persistent store).
        graph = projection_of_roles(kg, {src, dst}, TRANSITION_RELATIONS, include_conditional)
        table = role_requirements(kg, include_conditional)
    else:
        table = requirements_of(graph)
    skills, tools = role_items(graph, "skills"), role_items(graph, "tools")
    wa = {**skills.get(src, {}), **tools.get(src, {})}
    wb = {**skills.get(dst, {}), **tools.get(dst, {})}
    if not wb:
        raise DatateamError(f"the knowledge graph lists no skills or tools for {rb.label!r}: nothing to compare")

    def node(item):
        return graph.nodes[item]

    carries, learn = [], []
    for item, weight in wb.items():
        need = _requirement(graph, dst, item)
        have = _requirement(graph, src, item) if item in wa else None
        entry = {"id": item, "label": node(item)["label"], "type": node(item)["type"]}
        if have is not None:
            carries.append(dict(entry, level_a=have.get("level"), level_b=need.get("level"),
                                sources=list(need.get("sources", [])), sources_a=list(have.get("sources", [])),
                                sources_b=list(need.get("sources", []))))
        gap = weight - wa.get(item, 0)
        if gap > 0:
            learn.append(dict(entry, level=need.get("level"), have=have.get("level") if have else None,
                              gap=gap, sources=list(need.get("sources", [])), levels=dict(need.get("levels", {}))))
    carries.sort(key=lambda e: (TYPE_ORDER[e["type"]], LEVEL_ORDER[e["level_b"]], e["label"].casefold()))
    learn.sort(key=lambda e: (TYPE_ORDER[e["type"]], LEVEL_ORDER[e["level"]], e["label"].casefold()))
    plan = learning_plan(kg, graph, src, dst, wa, wb)

    direct = learning_distance(wa, wb)
    need_points, missing_points = sum(wb.values()), sum(e["gap"] for e in learn)
    explanation = (f"the {rb.label}'s {len(wb)} skills and tools weigh {need_points} points (core 3, working or no "
                   f"level stated 2, basic 1); the {ra.label} already meets {need_points - missing_points}, so "
                   f"{missing_points} are missing over {len(learn)} items: direct distance "
                   f"{missing_points}/{need_points} = {direct:.3f}")
    candidates = sorted(r for r in table.roles if table.has_items(r) and not table.is_stakeholder(r) or r in (src, dst))
    unranked = sorted(({"id": r, "label": table.label(r), "reason": UNRANKED_REASON}
                       for r in table.roles if not table.has_items(r) and not table.is_stakeholder(r)
                       and r not in (src, dst)), key=lambda e: e["label"].casefold())
    index = {r: i for i, r in enumerate(candidates)}
    path, total, leg_distances = shortest_route(*table.threshold_blocks(candidates), index[src], index[dst])
    route = None
    if len(path) > 2 and total < direct - 1e-9:
        legs = [{"from": table.label(candidates[u]), "to": table.label(candidates[v]), "distance": round(d, 6)}
                for u, v, d in zip(path, path[1:], leg_distances)]
        route = {"roles": [table.label(candidates[i]) for i in path],
                 "ids": [candidates[i] for i in path], "legs": legs, "total": round(total, 6)}
    return {
        "a": {"id": src, "label": ra.label},
        "b": {"id": dst, "label": rb.label},
        "carries_over": plan["carries_over"],
        "deepen": plan["deepen"],
        "learn": plan["learn"],
        "responsibilities": _responsibility_changes(kg, src, dst, include_conditional),
        "shared": carries,
        "to_learn": learn,
        "distance": round(min(direct, route["total"]) if route else direct, 6),
        "direct_distance": round(direct, 6),
        "explanation": explanation,
        "route": route,
        "undescribed_start": not wa,
        "unranked": unranked,
        "conditional": conditional_facts(graph, (src, dst), TRANSITION_RELATIONS),
    }


__all__ = ["LEVEL_WEIGHTS", "best_route", "distance_matrix", "format_transition", "learning_distance", "learning_plan",
           "plan_context", "plan_groups", "plan_rows", "transition"]


def _plan_item_text(item: dict, levels: bool, told: set) -> str:
    level = ""
    if levels:
        level = f"  [{item['from_level'] or '-'} → {item['to_level'] or 'no level stated'}]" if item["from_level"] \
            else f"  [{item['to_level'] or 'no level stated'}]"
    stage = f" ({item['stage_label']})" if item.get("stage_label") and item["kind"] == "tool" else ""
    n = item["support"]
    text = f"    {item['kind']:<5} {item['label']}{stage}{level}  {n} source{'s' if n != 1 else ''}: {', '.join(item['sources'])}"
    if item.get("why"):
        text += f"\n          why: {item['why']}"
    for d in item.get("disputed", []):
        if d["question"] in told:
            text += f"\n          disputed: {d['question']} (see above)"
            continue
        told.add(d["question"])
        answers = "; ".join(f"{a['source']}: {a['answer']}" for a in d["answers"])
        text += f"\n          the sources disagree on {d['question']}: {answers}"
    return text


def _groups_text(title: str, groups: list[dict], told: set, levels: bool = True) -> list[str]:
    count = sum(len(g["items"]) for g in groups)
    lines = [f"{title} ({count})"]
    for group in groups:
        lines.append(f"  {group['title']}")
        lines += [_plan_item_text(item, levels, told) for item in group["items"]]
    if not groups:
        lines.append("  (nothing)")
    return lines


def format_transition(result: dict) -> str:
    """The result of `transition` as a learning plan: route, what carries over, what to deepen, what
    to learn (in ordered groups), the responsibilities that change, and what the numbers left out."""
    a, b = result["a"]["label"], result["b"]["label"]
    lines = [f"{a} → {b}", f"learning distance {result['distance']:.3f}"
             + (f" (direct {result['direct_distance']:.3f})" if result["route"] else ""),
             f"  why: {result['explanation']}", ""]
    if result.get("undescribed_start"):
        lines += [f"Note: the sources give no skills or tools for the {a}, so everything counts as to learn.", ""]
    if result["route"]:
        route = result["route"]
        legs = "; ".join(f"{leg['from']} → {leg['to']} {leg['distance']:.3f}" for leg in route["legs"])
        lines += [f"Shorter route via {', '.join(route['roles'][1:-1])}: total {route['total']:.3f} ({legs})", ""]
    told: set = set()
    lines += _groups_text("Carries over", result["carries_over"], told, levels=False) + [""]
    lines += _groups_text("Deepen", result["deepen"], told) + [""]
    lines += _groups_text("Learn", result["learn"], told) + [""]
    lines.append("Responsibilities that change")
    for key, title in (("take_on", f"take on (the {b}'s, not the {a}'s)"), ("keep", "keep"),
                       ("hand_over", f"hand over (the {a}'s, not the {b}'s)")):
        groups = result["responsibilities"][key]
        lines.append(f"  {title}: {sum(len(g['items']) for g in groups)}")
        for g in groups:
            lines.append(f"    {g['stage']}: " + "; ".join(f"{i['label']} ({', '.join(i['sources'])})" for i in g["items"]))

    notes = format_matrix_notes({"unranked": result.get("unranked"), "conditional": result.get("conditional")},
                                left_out="Not used as stepping stones")
    if notes:
        lines += ["", notes.rstrip("\n")]
    return "\n".join(lines) + "\n"


PLAN_COLUMNS = ["status", "group", "kind", "label", "from_level", "to_level", "support", "sources", "id"]


def plan_rows(result: dict) -> list[dict]:
    """The plan of a transition(...) result as flat rows (PLAN_COLUMNS): what to learn, what to deepen,
    then what carries over, each in its groups' order."""
    rows = []
    for key, status in (("learn", "learn"), ("deepen", "deepen"), ("carries_over", "carries over")):
        for group in result[key]:
            rows += [dict(item, status=status, group=group["title"]) for item in group["items"]]
    return rows


TRANSITION_COLUMNS = PLAN_COLUMNS


def transition_rows(result: dict) -> list[dict]:
    """A transition(...) result as rows (TRANSITION_COLUMNS): the plan's items, see `plan_rows`."""
    return plan_rows(result)


def render_transition(result: dict, fmt: str = "table") -> str:
    """A transition(...) result as "table" (format_transition), "csv" (transition_rows) or "json" text."""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_delimited(transition_rows(result), TRANSITION_COLUMNS)
    return format_transition(result)
