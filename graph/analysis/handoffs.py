"""Who hands what to whom: the handoff graph, the workflow chains in step order, paths between roles.

Built on the projection's `hands_off_to` edges (one per dt:Handoff node, with artifact, stage, mode,
workflow, step and sources). Where sources disagree, nothing is merged silently:

- a handoff whose sources give different modes has mode "disputed" and lists every source's mode;
- a handoff whose sources put it at different steps of a workflow appears at each of those steps,
  marked with the other placements.

A workflow chain shows only the handoffs placed in that workflow: another source's handoff between
the same two roles is not part of the worked example. Steps the example does not narrate are the
project's inference (curation graph) and are marked as such. A handoff every stating source
qualifies (for example a source's picture of the set-up it argues against) is left out unless
`include_conditional=True`, and the results say so.

>>> chain = workflow_chain(kg, "listing categorisation")
>>> [s["step"] for s in chain["steps"]][:3]
[1, 2, 3]
"""

from __future__ import annotations

import re

import networkx as nx

from ..defaults import HANDOFF_MAX_HOPS
from ..errors import DatateamError
from ..lookup.names import resolve
from ..lookup.qualifiers import conditional_summary
from ..projection import build_projection
from ..text import to_delimited, to_json
from .overlap import conditional_facts

MAX_HOPS = HANDOFF_MAX_HOPS
MAX_PATHS = 20


def handoff_graph(kg, graph=None, include_conditional: bool = False) -> nx.MultiDiGraph:
    """Roles and their handoff edges (a MultiDiGraph: one edge per dt:Handoff node).

    `graph` may be a full projection to reuse; otherwise one with just the handoffs is built.
    The result's G.graph keeps the projection's record of conditional handoffs.
    """
    if graph is None:
        graph = build_projection(kg, relations=["hands_off_to"], include_conditional=include_conditional)
    roles = [n for n, t in graph.nodes(data="type") if t == "role"]
    sub = nx.MultiDiGraph(**graph.graph)
    sub.add_nodes_from((n, graph.nodes[n]) for n in roles)
    sub.add_edges_from((u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)
                       if d["relation"] == "hands_off_to")
    return sub


def handoff_row(graph, u: str, v: str, data: dict) -> dict:
    """One handoff as plain data: from/to (labels and ids), artifact, stage, mode, workflow, step, sources."""
    return {
        "from": graph.nodes[u]["label"],
        "to": graph.nodes[v]["label"],
        "from_id": u,
        "to_id": v,
        "artifact": data["artifact_label"],
        "artifact_id": data["artifact"],
        "stage": data["stage_label"],
        "stage_id": data["stage"],
        "mode": data["mode"],
        "modes": [{"mode": m, "sources": s} for m, s in data["modes"].items()],
        "workflow": data["workflow_label"],
        "workflow_id": data["workflow"],
        "step": data["step"],
        "steps": [{"step": n, "sources": s} for n, s in sorted(data["steps"].items())],
        "sources": list(data["sources"]),
        "note": data.get("note"),
        "notes": dict(data.get("notes") or {}),
        "conditional": bool(data.get("conditional")),
        "inferred": bool(data.get("inferred")),
        "placement_inferred": bool(data["steps"]) and all(
            set(s) <= set(data.get("inferred_sources") or []) for s in data["steps"].values()),
        "qualifiers": [q for q in (data.get("qualified") or {}).values() if q["limiting"]],
        "id": data["handoff"],
    }


def _sort_key(row: dict):
    return (row["workflow"] or "~", row["step"] if row["step"] is not None else 999, row["from"].casefold(),
            row["to"].casefold(), (row["artifact"] or "").casefold())


def list_handoffs(kg, from_role: str | None = None, to_role: str | None = None, workflow: str | None = None,
                  *, graph=None, include_conditional: bool = False) -> list[dict]:
    """Every handoff (rows of `handoff_row`), optionally only from a role, to a role or in a workflow.

    Names are resolved like everywhere else ("DE", "data engineer", "role:data-engineer").

    >>> {r["to"] for r in list_handoffs(kg, from_role="ML engineer")} >= {"DevOps engineer"}
    True
    """
    hg = handoff_graph(kg, graph, include_conditional)
    src = str(resolve(kg, from_role, ["role"]).iri) if from_role else None
    dst = str(resolve(kg, to_role, ["role"]).iri) if to_role else None
    wf = str(resolve(kg, workflow, ["workflow"]).iri) if workflow else None
    rows = []
    for u, v, d in hg.edges(data=True):
        if src and u != src or dst and v != dst:
            continue
        if wf and wf not in d["workflows"]:
            continue
        rows.append(handoff_row(hg, u, v, d))
    return sorted(rows, key=_sort_key)


def _workflow_details(kg) -> dict[str, dict]:
    rows = kg.select("""
        SELECT ?wf ?label ?definition ?example WHERE {
          ?wf a dt:Workflow .
          OPTIONAL { ?wf skos:prefLabel ?label FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
          OPTIONAL { ?wf skos:definition ?definition }
          OPTIONAL { ?wf dt:example ?example }
        }""")
    out: dict[str, dict] = {}
    for row in rows:
        key = str(row["wf"])
        entry = out.setdefault(key, {"id": key, "label": str(row.get("label", re.split(r"[/#]", key)[-1])),
                                     "definition": "", "examples": []})
        if "definition" in row and not entry["definition"]:
            entry["definition"] = str(row["definition"])
        if "example" in row and str(row["example"]) not in entry["examples"]:
            entry["examples"].append(str(row["example"]))
    for entry in out.values():
        entry["examples"].sort()
    return out


def workflow_chain(kg, workflow: str, *, graph=None) -> dict:
    """The handoffs of one workflow in step order.

    Returns {"workflow": {id, label, definition, examples},
             "steps": [{"step": n, "handoffs": [row + "placed_elsewhere"]}],
             "roles": [labels in order of first appearance], "disagreements": [text]}.
    Handoffs sharing a step number happen in parallel; a step the project infers has
    placement_inferred (and, when no source states the handoff at all, inferred) set.

    >>> workflow_chain(kg, "listing categorisation")["steps"][0]["handoffs"][0]["from"]
    'business stakeholder'
    """
    entity = resolve(kg, workflow, ["workflow"])
    wf = str(entity.iri)
    hg = handoff_graph(kg, graph)
    details = _workflow_details(kg).get(wf, {"id": wf, "label": entity.label, "definition": "", "examples": []})
    by_step: dict[int, list] = {}
    disagreements = []
    for u, v, d in hg.edges(data=True):
        row = handoff_row(hg, u, v, d)
        if wf in d["workflows"]:
            steps = sorted(d["steps"]) or [None]
            for step in steps:
                placed = dict(row, step=step,
                              placed_elsewhere=[s for s in row["steps"] if s["step"] != step])
                by_step.setdefault(step if step is not None else 999, []).append(placed)
            if len(steps) > 1:
                disagreements.append(f"{row['from']} → {row['to']} ({row['artifact']}): sources place it at steps "
                                     + "; ".join(f"{s['step']} [{', '.join(s['sources'])}]" for s in row["steps"]))
    steps_out = []
    roles_seen: list[str] = []
    for step in sorted(by_step):
        handoffs = sorted(by_step[step], key=lambda r: (r["from"].casefold(), r["to"].casefold()))
        for row in handoffs:
            if row["mode"] == "disputed":
                disagreements.append(f"step {row['step']}: {row['from']} → {row['to']} ({row['artifact']}): "
                                     + "; ".join(f"{m['mode']} [{', '.join(m['sources'])}]" for m in row["modes"]))
            for name in (row["from"], row["to"]):
                if name not in roles_seen:
                    roles_seen.append(name)
        steps_out.append({"step": step if step != 999 else None, "handoffs": handoffs})
    if not steps_out:
        raise DatateamError(f"workflow {entity.label!r} has no handoffs in the knowledge graph")
    return {"workflow": details, "steps": steps_out, "roles": roles_seen, "disagreements": disagreements}


def workflows(kg, *, graph=None) -> list[dict]:
    """The chain of every workflow that has handoffs (see `workflow_chain`), by label."""
    hg = handoff_graph(kg, graph)
    found = sorted({wf for _, _, d in hg.edges(data=True) for wf in d["workflows"]})
    chains = [workflow_chain(kg, wf, graph=graph) for wf in found]
    return sorted(chains, key=lambda c: c["workflow"]["label"].casefold())


def paths_between(kg, from_role: str, to_role: str, max_hops: int = MAX_HOPS, *, graph=None,
                  include_conditional: bool = False) -> dict:
    """The chains of handoffs that lead from one role to another (simple paths, at most `max_hops`).

    Returns {"from": {id, label}, "to": {id, label}, "paths": [{"roles": [labels], "hops": [[row, ...]]}]}
    with the shortest paths first (at most MAX_PATHS); each hop lists every handoff between its two
    roles (artifacts, stages, modes and sources). An empty list means no chain of handoffs connects them.

    >>> paths_between(kg, "product manager", "ML engineer")["paths"][0]["roles"]
    ['product manager', 'data scientist', 'ML engineer']
    """
    a = resolve(kg, from_role, ["role"])
    b = resolve(kg, to_role, ["role"])
    src, dst = str(a.iri), str(b.iri)
    hg = handoff_graph(kg, graph, include_conditional)
    if src == dst:
        raise DatateamError(f"--from and --to name the same role ({a.label})")
    simple = nx.DiGraph(hg)
    found = []
    if src in simple and dst in simple:
        for path in nx.all_simple_paths(simple, src, dst, cutoff=max_hops):
            found.append(path)
    found.sort(key=lambda p: (len(p), [hg.nodes[n]["label"].casefold() for n in p]))
    paths = []
    for path in found[:MAX_PATHS]:
        hops = []
        for u, v in zip(path, path[1:]):
            rows = [handoff_row(hg, u, v, d) for d in hg.get_edge_data(u, v).values()]
            hops.append(sorted(rows, key=_sort_key))
        paths.append({"roles": [hg.nodes[n]["label"] for n in path], "hops": hops})
    return {"from": {"id": src, "label": a.label}, "to": {"id": dst, "label": b.label}, "paths": paths,
            "truncated": len(found) > MAX_PATHS, "conditional": conditional_facts(hg)}


# ---------------------------------------------------------------------------------------------
# Process routes: the way the sources describe the work going from one role to another

PROCESS_RELATIONS = ("hands_off_to", "has_responsibility", "produces", "at_stage")
PROJECT_SOURCES = frozenset({"curation"})


def _stage_order(graph, stage: str | None) -> int:
    return graph.nodes[stage].get("order", 99) if stage and stage in graph else 99


def _step_support(hg, u: str, v: str, artifact: str | None) -> list[str]:
    """The source documents (never the project's curation) that state a handoff of `artifact` from u to v."""
    found = set()
    for d in (hg.get_edge_data(u, v) or {}).values():
        if d["artifact"] == artifact:
            found.update(s for s in d["sources"] if s not in PROJECT_SOURCES)
    return sorted(found)


def _hats(graph, role: str, artifacts: list[str]) -> list[dict]:
    """The responsibilities of `role` that produce the artifacts it hands on (its hat on the route)."""
    out = {}
    for _, resp, d in graph.out_edges(role, data=True):
        if d["relation"] != "has_responsibility":
            continue
        made = {a for _, a, e in graph.out_edges(resp, data=True) if e["relation"] == "produces"}
        if made & set(artifacts):
            out[resp] = {"id": resp, "label": graph.nodes[resp]["label"], "sources": list(d["sources"])}
    return sorted(out.values(), key=lambda r: r["label"].casefold())


def _route_from_handoffs(graph, hg, handoffs: list[dict], kind: str, workflow: dict | None, dst: str) -> dict:
    """A route as plain data: its steps, the hats on the way in order, support and lifecycle order."""
    steps = []
    for row in handoffs:
        support = _step_support(hg, row["from_id"], row["to_id"], row["artifact_id"])
        steps.append(dict(row, support=support, backed=len(support),
                          stage_order=_stage_order(graph, row["stage_id"])))
    appearance: list[str] = []
    for row in steps:
        for role in (row["from_id"], row["to_id"]):
            if role not in appearance:
                appearance.append(role)
    hats = []
    for role in appearance:
        gives = [r for r in steps if r["from_id"] == role]
        gets = [r for r in steps if r["to_id"] == role]
        first = gives[0] if gives else gets[-1]
        artifacts = sorted({r["artifact_id"] for r in gives})
        hats.append({"id": role, "label": graph.nodes[role]["label"],
                     "gives": sorted({r["artifact"] for r in gives}), "receives": sorted({r["artifact"] for r in gets}),
                     "does": _hats(graph, role, artifacts) if role != dst else [],
                     "stage": first["stage"], "stage_order": first["stage_order"]})
    # The hats read in lifecycle order (by the stage of what each hands on), from the route's start to its end.
    start = appearance[0] if appearance else None
    hats.sort(key=lambda h: (h["id"] != start, h["id"] == dst, h["stage_order"], appearance.index(h["id"])))
    inversions = [f"{x['from']} → {x['to']} ({x['stage']}) after {w['from']} → {w['to']} ({w['stage']})"
                  for w, x in zip(steps, steps[1:]) if x["stage_order"] < w["stage_order"]]
    backed = sum(1 for r in steps if r["backed"])
    return {"kind": kind, "workflow": workflow, "roles": [h["label"] for h in hats], "ids": [h["id"] for h in hats],
            "hats": hats, "steps": steps,
            "support": {"steps": len(steps), "backed_steps": backed,
                        "share": round(backed / len(steps), 6) if steps else 0.0,
                        "mean_sources": round(sum(r["backed"] for r in steps) / len(steps), 6) if steps else 0.0,
                        "sources": sorted({s for r in steps for s in r["support"]})},
            "lifecycle": {"in_order": not inversions, "steps_back": inversions}}


def _workflow_window(chain: dict, src: str, dst: str) -> list[dict] | None:
    """The handoffs of a workflow from the first one `src` gives to the first one `dst` receives after it.

    Only handoffs whose receiver is `dst` or passes something on later in the window are kept, so
    parallel side branches (the ML engineer's work with the mobile engineers) do not join the route.
    """
    rows = [row for step in chain["steps"] for row in step["handoffs"]]
    start = next((i for i, r in enumerate(rows) if r["from_id"] == src), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(rows)) if rows[i]["to_id"] == dst), None)
    if end is None:
        return None
    last_step = rows[end]["step"]
    window = [r for r in rows[start:] if r["step"] is not None and r["step"] <= last_step]
    kept = []
    for i, row in enumerate(window):
        later = [r for r in window[i + 1:] if r["step"] > row["step"]]
        if row["to_id"] == dst and row["step"] == last_step or any(r["from_id"] == row["to_id"] for r in later):
            kept.append(row)
    return kept


def route_rank_key(route: dict):
    """The ranking of process routes: the share of steps a source document states (higher first), then
    the steps that go back to an earlier lifecycle stage (fewer first), then sources per step (more
    first); the hop count only breaks what is still tied, then the labels."""
    return (-route["support"]["share"], len(route["lifecycle"]["steps_back"]), -route["support"]["mean_sources"],
            len(route["steps"]), [r.casefold() for r in route["roles"]])


def process_routes(kg, from_role: str, to_role: str, max_hops: int = MAX_HOPS, *, graph=None,
                   include_conditional: bool = False) -> dict:
    """The routes the sources describe from one role to another, ranked by source support and lifecycle order.

    Candidates are (1) the stretch of every workflow (a source's worked example) from the first
    handoff `from_role` gives to the handoff `to_role` receives, with every hat on the way, and (2)
    the chains of handoffs the sources state one by one (`paths_between`). Each route lists its
    steps (each with `support`: the source documents that state a handoff between the two roles,
    never the project's curation), its hats in order (the role, what it gives and receives, and the
    responsibilities that produce what it gives), `support` {steps, backed_steps, share,
    mean_sources, sources} and `lifecycle` {in_order, steps_back}. Routes are ranked by
    `route_rank_key`; `shortest` is the chain with the fewest handoffs, kept for comparison.

    >>> process_routes(kg, "product manager", "ML engineer")["routes"][0]["roles"]
    ['product manager', 'data analyst', 'data engineer', 'data scientist', 'ML engineer']
    """
    a, b = resolve(kg, from_role, ["role"]), resolve(kg, to_role, ["role"])
    src, dst = str(a.iri), str(b.iri)
    if src == dst:
        raise DatateamError(f"--from and --to name the same role ({a.label})")
    graph = graph if graph is not None else build_projection(kg, relations=PROCESS_RELATIONS,
                                                             include_conditional=include_conditional)
    hg = handoff_graph(kg, graph, include_conditional)
    routes = []
    for chain in workflows(kg, graph=graph):
        window = _workflow_window(chain, src, dst)
        if window:
            wf = chain["workflow"]
            wf_sources = sorted({s for r in chain_rows(chain) for s in r["sources"] if s not in PROJECT_SOURCES})
            routes.append(_route_from_handoffs(graph, hg, window, "workflow",
                                               {"id": wf["id"], "label": wf["label"], "sources": wf_sources}, dst))
    seen = {tuple((r["from_id"], r["to_id"], r["artifact_id"]) for r in route["steps"]) for route in routes}
    chains = paths_between(kg, src, dst, max_hops, graph=hg)
    for path in chains["paths"]:
        rows = [min(hop, key=lambda r: (-len(r["sources"]), r["artifact"] or "")) for hop in path["hops"]]
        if tuple((r["from_id"], r["to_id"], r["artifact_id"]) for r in rows) in seen:
            continue  # the same handoffs as a worked example's stretch, listed once as that
        routes.append(_route_from_handoffs(graph, hg, rows, "handoff chain", None, dst))
    routes.sort(key=route_rank_key)
    for rank, route in enumerate(routes, start=1):
        route["rank"] = rank
        route["explanation"] = _route_explanation(route)
    shortest = min(routes, key=lambda r: (len(r["steps"]), route_rank_key(r)), default=None)
    return {"from": {"id": src, "label": a.label}, "to": {"id": dst, "label": b.label}, "routes": routes,
            "shortest": {"roles": shortest["roles"], "ids": shortest["ids"], "hops": len(shortest["steps"]),
                         "rank": shortest["rank"]} if shortest else None,
            "truncated": chains["truncated"], "conditional": conditional_facts(hg)}


def _route_explanation(route: dict) -> str:
    support = route["support"]
    words = [f"{support['backed_steps']} of {support['steps']} steps stated by a source "
             f"({support['mean_sources']:.2f} sources a step)"]
    back = route["lifecycle"]["steps_back"]
    words.append("every step moves forward in the lifecycle" if not back else
                 f"{len(back)} step{'s' if len(back) != 1 else ''} back in the lifecycle ({'; '.join(back)})")
    if route["kind"] == "workflow":
        words.append(f"follows the worked example '{route['workflow']['label']}' "
                     f"({', '.join(route['workflow']['sources'])})")
    else:
        words.append("handoffs the sources state one by one, not narrated as one process")
    return "; ".join(words)


def conditional_handoffs(kg, *, graph=None, include_conditional: bool = False) -> dict:
    """The handoffs every stating source qualifies: {"included": bool, "facts": [...]} (see graph/lookup/qualifiers.py)."""
    return conditional_facts(handoff_graph(kg, graph, include_conditional))


# ---------------------------------------------------------------------------------------------
# Mermaid


def _mermaid_id(iri: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", re.split(r"[/#]", iri.rstrip("/"))[-1]) or "node"


def _mermaid_text(text: str) -> str:
    return (text or "").replace('"', "#quot;").replace("|", "#124;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(rows: list[dict], numbered: bool = False) -> str:
    """A Mermaid flowchart of handoff rows: solid arrows for sequential handoffs, dotted for side by
    side, thick for disputed ones; each edge labelled with the artifact (and the step when numbered).

    >>> to_mermaid(list_handoffs(kg, workflow="listing categorisation"), numbered=True).splitlines()[0]
    'flowchart LR'
    """
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}
    used: set[str] = set()
    for row in rows:
        for iri, name in ((row["from_id"], row["from"]), (row["to_id"], row["to"])):
            if iri in ids:
                continue
            base = _mermaid_id(iri)
            key, n = base, 2
            while key in used:
                key, n = f"{base}_{n}", n + 1
            used.add(key)
            ids[iri] = key
            lines.append(f'    {key}["{_mermaid_text(name)}"]')
    for row in rows:
        label = row["artifact"] or ""
        if numbered and row.get("step") is not None:
            label = f"{row['step']}. {label}"
        arrow = {"sequential": "-->", "side by side": "-.->", "disputed": "==>"}.get(row["mode"], "-->")
        lines.append(f'    {ids[row["from_id"]]} {arrow}|"{_mermaid_text(label)}"| {ids[row["to_id"]]}')
    return "\n".join(lines) + "\n"


def chain_rows(chain: dict) -> list[dict]:
    """The handoffs of a chain as flat rows in step order (for tables, CSV and Mermaid)."""
    return [row for step in chain["steps"] for row in step["handoffs"]]


__all__ = [
    "chain_rows", "conditional_handoffs", "format_process_routes", "handoff_graph", "handoff_row", "list_handoffs",
    "paths_between", "process_routes", "route_rank_key", "route_rows", "to_mermaid", "workflow_chain", "workflows",
]


# ---------------------------------------------------------------------------------------------
# Text


def _srcs(row) -> str:
    return ", ".join(row["sources"])


def _mode_text(row) -> str:
    if row["mode"] == "disputed":
        return "disputed: " + "; ".join(f"{m['mode']} [{', '.join(m['sources'])}]" for m in row["modes"])
    return row["mode"] or "-"


def _marks(row) -> str:
    """What is special about a handoff row: inferred, placed by the project, conditional."""
    if row.get("inferred"):
        return "  — inferred by the project (no source narrates this step)"
    marks = []
    if row.get("placement_inferred"):
        marks.append("the source states it in general; the project places it at this step")
    if row.get("conditional"):
        marks.append("conditional: " + "; ".join(f"{q['source']}: {q['text']}" for q in row.get("qualifiers", [])))
    return f"  — {'; '.join(marks)}" if marks else ""


def format_chain(chain: dict) -> str:
    """A workflow chain as text: one line per handoff in step order, inferred steps marked."""
    wf = chain["workflow"]
    lines = [f"Workflow: {wf['label']}"]
    for example in wf.get("examples", []):
        lines.append(f"  e.g. {example}")
    for step in chain["steps"]:
        for row in step["handoffs"]:
            number = f"{step['step']:>3}." if step["step"] is not None else "   -"
            lines.append(f"{number} {row['from']} → {row['to']}: {row['artifact']} "
                         f"[{row['stage']}; {_mode_text(row)}]  ({_srcs(row)}){_marks(row)}")
            for other in row.get("placed_elsewhere", []):
                lines.append(f"       also placed at step {other['step']} by {', '.join(other['sources'])}")
    if chain["disagreements"]:
        lines.append("  Sources disagree:")
        lines += [f"    {d}" for d in chain["disagreements"]]
    return "\n".join(lines) + "\n"


def format_handoff_rows(rows: list[dict], title: str | None = None) -> str:
    """Handoff rows as text lines: from → to: artifact [stage; mode] (sources)."""
    lines = [title] if title else []
    for row in rows:
        step = f" (step {row['step']} of {row['workflow']})" if row["workflow"] else ""
        lines.append(f"  {row['from']} → {row['to']}: {row['artifact']} [{row['stage']}; {_mode_text(row)}]{step}"
                     f"  ({_srcs(row)}){_marks(row)}")
    if not rows:
        lines.append("  (none)")
    return "\n".join(lines) + "\n"


def format_paths(result: dict) -> str:
    """The result of `paths_between` as text."""
    a, b = result["from"]["label"], result["to"]["label"]
    if not result["paths"]:
        return f"No chain of handoffs leads from {a} to {b} (within {MAX_HOPS} handoffs).\n"
    lines = [f"Handoff chains from {a} to {b} ({len(result['paths'])}{'+' if result['truncated'] else ''}, shortest first)"]
    for number, path in enumerate(result["paths"], start=1):
        lines.append(f"{number}. {' → '.join(path['roles'])}")
        for hop in path["hops"]:
            for row in hop:
                lines.append(f"     {row['from']} → {row['to']}: {row['artifact']} [{row['stage']}; {_mode_text(row)}]"
                             f"  ({_srcs(row)}){_marks(row)}")
    note = format_conditional(result.get("conditional"))
    return "\n".join(lines) + "\n" + (f"\n{note}" if note else "")


def format_conditional(info: dict | None) -> str:
    """The note on conditional handoffs left out or included ('' when there are none)."""
    import textwrap

    note = conditional_summary((info or {}).get("facts", []), (info or {}).get("included", False))
    return "\n".join(textwrap.wrap(note, 100)) + "\n" if note else ""


def format_process_routes(result: dict, show_shortest: bool = True) -> str:
    """The result of `process_routes` as text: the routes ranked, each with its hats and steps."""
    a, b = result["from"]["label"], result["to"]["label"]
    if not result["routes"]:
        return f"No route the sources describe leads from {a} to {b} (within {MAX_HOPS} handoffs).\n"
    lines = [f"Routes from {a} to {b} as the sources describe the work ({len(result['routes'])}; "
             "ranked by the share of steps a source states, then lifecycle order, then sources per step)"]
    for route in result["routes"]:
        lines.append(f"{route['rank']}. {' → '.join(route['roles'])}")
        lines.append(f"   why: {route['explanation']}")
        for hat in route["hats"]:
            does = "; ".join(f"{d['label']} ({', '.join(d['sources'])})" for d in hat["does"])
            what = f"gives {', '.join(hat['gives'])}" if hat["gives"] else f"receives {', '.join(hat['receives'])}"
            lines.append(f"   - {hat['label']} [{hat['stage']}]: {what}" + (f"; as: {does}" if does else ""))
        for row in route["steps"]:
            step = f"{row['step']:>3}." if route["kind"] == "workflow" and row.get("step") is not None else "   -"
            backed = ", ".join(row["support"]) if row["support"] else "no source document"
            lines.append(f"     {step} {row['from']} → {row['to']}: {row['artifact']} [{row['stage']}; "
                         f"{_mode_text(row)}]  (backed by {len(row['support'])}: {backed}){_marks(row)}")
    if show_shortest and result.get("shortest"):
        short = result["shortest"]
        lines += ["", f"Shortest chain of handoffs (fewest hops, not the process): {' → '.join(short['roles'])} "
                      f"({short['hops']} handoff{'s' if short['hops'] != 1 else ''}; ranked {short['rank']} above)"]
    note = format_conditional(result.get("conditional"))
    return "\n".join(lines) + "\n" + (f"\n{note}" if note else "")


ROUTE_COLUMNS = ["route", "rank", "kind", "step", "from", "to", "artifact", "stage", "mode", "backed_by", "support",
                 "workflow"]


def route_rows(result: dict) -> list[dict]:
    """The steps of every route of a process_routes(...) result as flat rows (ROUTE_COLUMNS)."""
    rows = []
    for route in result["routes"]:
        for row in route["steps"]:
            rows.append(dict(row, route=" → ".join(route["roles"]), rank=route["rank"], kind=route["kind"],
                             step=row["step"] if route["kind"] == "workflow" else None,
                             backed_by=len(row["support"]), workflow=(route["workflow"] or {}).get("label")))
    return rows


# ---------------------------------------------------------------------------------------------
# The command's output: the view the options pick, in each format it offers

HANDOFF_COLUMNS = ["step", "from", "to", "artifact", "stage", "mode", "workflow", "sources"]


def _with_notes(text: str, notes: str) -> str:
    return text + ("\n" + notes if notes else "")


def render_handoffs(kg, from_role: str | None = None, to_role: str | None = None, workflow: str | None = None,
                    fmt: str = "table", *, max_hops: int = MAX_HOPS, include_conditional: bool = False,
                    shortest: bool = False) -> str:
    """The handoffs view `datateam handoffs` prints, as "table", "json", "mermaid" or "csv" text.

    With from_role and to_role: the routes the sources describe (process_routes), or with
    `shortest` the chains with the fewest hops (paths_between); with workflow alone: that
    workflow's chain; otherwise the handoffs from or to a role, or every workflow and the other
    handoffs. Raises DatateamError for a workflow combined with both roles, `shortest` without both
    roles, or an unknown name.
    """
    if shortest and not (from_role and to_role):
        raise DatateamError("--shortest needs both --from and --to")
    if from_role and to_role:
        if workflow:
            raise DatateamError("--workflow cannot be combined with both --from and --to")
        if not shortest:
            result = process_routes(kg, from_role, to_role, max_hops=max_hops, include_conditional=include_conditional)
            first = result["routes"][0] if result["routes"] else None
            if fmt == "json":
                return to_json(result)
            if fmt == "csv":
                return to_delimited(route_rows(result), ROUTE_COLUMNS)
            if fmt == "mermaid":
                return to_mermaid(first["steps"] if first else [], numbered=bool(first) and first["kind"] == "workflow")
            return format_process_routes(result)
        result = paths_between(kg, from_role, to_role, max_hops=max_hops, include_conditional=include_conditional)
        rows = [dict(row, path=n) for n, path in enumerate(result["paths"], start=1) for hop in path["hops"]
                for row in hop]
        if fmt == "json":
            return to_json(result)
        if fmt == "csv":
            return to_delimited(rows, ["path"] + HANDOFF_COLUMNS)
        if fmt == "mermaid":
            return to_mermaid(list({r["id"]: r for r in rows}.values()))
        return format_paths(result)
    if workflow and not (from_role or to_role):
        chain = workflow_chain(kg, workflow)
        if fmt == "json":
            return to_json(chain)
        if fmt == "csv":
            return to_delimited(chain_rows(chain), HANDOFF_COLUMNS)
        if fmt == "mermaid":
            return to_mermaid(chain_rows(chain), numbered=True)
        return format_chain(chain)
    rows = list_handoffs(kg, from_role=from_role, to_role=to_role, workflow=workflow,
                         include_conditional=include_conditional)
    conditional = conditional_handoffs(kg, include_conditional=include_conditional)
    if from_role or to_role:
        wanted = {r["from_id"] for r in rows} | {r["to_id"] for r in rows}
        conditional["facts"] = [f for f in conditional["facts"] if (f["from"] in wanted or f["to"] in wanted)]
    if fmt == "json":
        data = {"handoffs": rows, "conditional": conditional}
        if not (from_role or to_role):
            data["workflows"] = workflows(kg)
        return to_json(data)
    if fmt == "csv":
        return to_delimited(rows, HANDOFF_COLUMNS)
    if fmt == "mermaid":
        return to_mermaid(rows, numbered=bool(workflow))
    if from_role or to_role:
        what = " and ".join(x for x in (f"from {from_role}" if from_role else "",
                                        f"to {to_role}" if to_role else "") if x)
        return _with_notes(format_handoff_rows(rows, f"Handoffs {what} ({len(rows)})"),
                           format_conditional(conditional))
    text = "\n".join(format_chain(chain) for chain in workflows(kg))
    others = [r for r in rows if not r["workflow"]]
    return _with_notes(text + "\n" + format_handoff_rows(others, f"Other handoffs ({len(others)})"),
                       format_conditional(conditional))
