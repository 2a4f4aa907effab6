"""Handoffs: the listing-categorisation chain against the interview's walk-through (and the steps the
project infers), what the sources qualify, paths between roles against an independent search, Mermaid."""

from __future__ import annotations

import pytest

from datateam.graph.errors import DatateamError, NameNotFoundError
from datateam.graph.analysis.handoffs import chain_rows, conditional_handoffs, format_chain, format_handoff_rows, list_handoffs, paths_between, to_mermaid, workflow_chain, workflows
from datateam.graph.projection import build_projection
from test_analysis_oracle import catalogue, curation, handoffs, label_of, seed_sources

MODE_WORDS = {"sequential": "sequential", "side-by-side": "side by side"}


@pytest.fixture(scope="module")
def graph(kg):
    return build_projection(kg, relations=["hands_off_to"])


def walkthrough(workflow: str) -> list[tuple]:
    """(step, from, to, artifact, stage, mode, narrated?) of a workflow, read from the interview's YAML
    (narrated steps) and from curation.yaml (the steps the project infers)."""
    rows = []
    for source, narrated in ((seed_sources()["olx-interview"], True), (curation(), False)):
        for h in source.get("handoffs") or []:
            if h.get("workflow") == workflow:
                rows.append((h["step"], label_of("roles", h["from"]), label_of("roles", h["to"]),
                             label_of("artifacts", h["artifact"]), label_of("stages", h["stage"]),
                             MODE_WORDS[h["mode"]], narrated))
    return sorted(rows)


def test_listing_chain_matches_the_interview_walkthrough(kg, graph):
    chain = workflow_chain(kg, "listing categorisation", graph=graph)
    got = sorted((r["step"], r["from"], r["to"], r["artifact"], r["stage"], r["mode"], not r["placement_inferred"])
                 for r in chain_rows(chain))
    assert got == walkthrough("listing-categorisation")
    assert [s["step"] for s in chain["steps"]] == list(range(1, 12))
    # It starts where the interview does: someone's request reaches the product manager first.
    first, last = chain["steps"][0]["handoffs"][0], chain["steps"][-1]["handoffs"][0]
    assert (first["from"], first["to"], first["artifact"]) == ("business stakeholder", "product manager", "feature request")
    assert (last["from"], last["to"], last["artifact"]) == ("data analyst", "product manager", "experiment results")
    narrated = [(s["step"], r["from"], r["to"]) for s in chain["steps"] for r in s["handoffs"] if not r["placement_inferred"]]
    assert narrated == [(1, "business stakeholder", "product manager"), (2, "product manager", "data analyst"),
                        (3, "data engineer", "data analyst"), (4, "data analyst", "product manager"),
                        (6, "data engineer", "data scientist"), (7, "data scientist", "ML engineer")]
    assert all(r["sources"] == ["olx-interview"] for s in chain["steps"] for r in s["handoffs"] if not r["placement_inferred"])
    step8 = chain["steps"][7]["handoffs"]
    # the interview says in general that ML engineers work with these engineers; the project places it here
    assert {r["to"] for r in step8} == {"backend engineer", "frontend engineer", "mobile engineer"}
    assert all(r["sources"] == ["curation", "olx-interview"] and not r["inferred"] for r in step8)
    step9 = chain["steps"][8]["handoffs"]
    assert {r["to"] for r in step9} == {"DevOps engineer", "MLOps engineer", "site reliability engineer"}
    assert {r["stage"] for r in step9} == {"operations and monitoring"}
    assert all(r["inferred"] and r["sources"] == ["curation"] for r in step9)
    assert chain["workflow"]["label"] == catalogue()["workflows"]["listing-categorisation"]["label"]


def test_the_chain_holds_only_its_own_steps_and_marks_the_inferred_ones(kg, graph):
    chain = workflow_chain(kg, "listing categorisation", graph=graph)
    assert set(chain["steps"][0]) == {"step", "handoffs"}  # no other source's handoffs as "alternatives"
    assert chain["disagreements"] == []
    text = format_chain(chain)
    assert "alternative" not in text
    assert ("  5. product manager → data scientist: prioritised problem [problem framing; sequential]  (curation)"
            "  — inferred by the project (no source narrates this step)") in text
    assert ("  8. ML engineer → backend engineer: production ML service [productionisation and serving; side by side]"
            "  (curation, olx-interview)  — the source states it in general; the project places it at this step") in text


def test_a_handoff_every_source_qualifies_is_left_out_and_said_so(kg, graph):
    """Data Max's data scientist -> operations handoff is its picture of single-discipline teams."""
    rows = list_handoffs(kg, from_role="data scientist", graph=graph)
    assert "DevOps engineer" not in {r["to"] for r in rows}
    info = conditional_handoffs(kg, graph=graph)
    assert [(f["text"], [q["text"] for q in f["qualifiers"]]) for f in info["facts"]] == [
        ("data scientist hands off trained model to DevOps engineer", ["anti-pattern description"])]
    included = list_handoffs(kg, from_role="data scientist", include_conditional=True)
    ops = next(r for r in included if r["to"] == "DevOps engineer")
    assert ops["conditional"] is True and ops["sources"] == ["datamax-hats"]
    assert "conditional: datamax-hats: anti-pattern description" in format_handoff_rows([ops])
    # beside plain claims, the anti-pattern view is kept but does not vote on the mode
    prepared = next(r for r in list_handoffs(kg, from_role="DE", graph=graph)
                    if r["artifact"] == "prepared dataset" and r["to"] == "data scientist")
    assert prepared["modes"] == [{"mode": "sequential", "sources": ["jetbrains-roles"]},
                                 {"mode": "side by side", "sources": ["hitchhiker-roles", "olx-interview"]}]
    assert [q["source"] for q in prepared["qualifiers"]] == ["datamax-hats"]


def test_ad_targeting_chain_and_all_workflows(kg, graph):
    chain = workflow_chain(kg, "daily scoring of users for advertising emails", graph=graph)
    got = sorted((r["step"], r["from"], r["to"], r["artifact"], r["stage"], r["mode"], not r["placement_inferred"])
                 for r in chain_rows(chain))
    assert got == walkthrough("ad-targeting")
    # the predictions go to "other services", not to a role: the chain ends with the data engineer
    assert got == [(1, "data scientist", "data engineer", "trained model", "productionisation and serving",
                    "side by side", True)]
    assert [c["workflow"]["id"].rsplit("/", 1)[-1] for c in workflows(kg, graph=graph)] == [
        "listing-categorisation", "ad-targeting"]


def test_listing_filters_match_the_sources(kg, graph):
    rows = list_handoffs(kg, from_role="DE", graph=graph)
    assert {(r["to"], r["artifact"]) for r in rows} == {
        (label_of("roles", t), label_of("artifacts", a)) for (f, t, a) in handoffs() if f == "data-engineer"}
    rows = list_handoffs(kg, to_role="business stakeholder", graph=graph)
    assert {r["from"] for r in rows} == {label_of("roles", f) for (f, t, _) in handoffs() if t == "business-stakeholder"}
    everything = list_handoffs(kg, graph=graph)
    assert len(everything) == len(handoffs())
    report = next(r for r in everything if r["artifact"] == "report")
    assert report["sources"] == sorted(handoffs()[("data-analyst", "business-stakeholder", "report")])


def _simple_paths(edges: set[tuple[str, str]], src: str, dst: str, max_hops: int) -> list[list[str]]:
    found, stack = [], [[src]]
    while stack:
        path = stack.pop()
        if path[-1] == dst:
            found.append(path)
            continue
        if len(path) > max_hops:
            continue
        for a, b in edges:
            if a == path[-1] and b not in path:
                stack.append(path + [b])
    return found


@pytest.mark.parametrize("a,b", [("product-manager", "ml-engineer"), ("data-engineer", "product-manager"),
                                 ("business-analyst", "devops-engineer"), ("data-governor", "data-scientist")])
def test_paths_between_match_an_independent_search(kg, graph, a, b):
    edges = {(f, t) for (f, t, _) in handoffs()}
    expected = sorted(tuple(label_of("roles", k) for k in p) for p in _simple_paths(edges, a, b, 4))
    result = paths_between(kg, f"role:{a}", f"role:{b}", graph=graph)
    assert sorted(tuple(p["roles"]) for p in result["paths"]) == expected
    lengths = [len(p["roles"]) for p in result["paths"]]
    assert lengths == sorted(lengths)
    for path in result["paths"]:
        for hop, (u, v) in zip(path["hops"], zip(path["roles"], path["roles"][1:])):
            assert {(r["from"], r["to"]) for r in hop} == {(u, v)}


def test_literal_path_from_product_manager_to_ml_engineer(kg, graph):
    result = paths_between(kg, "product manager", "ML engineer", graph=graph)
    assert [p["roles"] for p in result["paths"]] == [["product manager", "data scientist", "ML engineer"]]
    assert {r["artifact"] for r in result["paths"][0]["hops"][1]} == {"model web service", "trained model"}


def test_errors(kg, graph):
    with pytest.raises(NameNotFoundError):
        workflow_chain(kg, "world domination", graph=graph)
    with pytest.raises(DatateamError, match="same role"):
        paths_between(kg, "DS", "data scientist", graph=graph)


def test_mermaid(kg, graph):
    rows = chain_rows(workflow_chain(kg, "listing categorisation", graph=graph))
    text = to_mermaid(rows, numbered=True)
    lines = text.splitlines()
    roles = {r["from_id"] for r in rows} | {r["to_id"] for r in rows}
    assert lines[0] == "flowchart LR"
    assert len(lines) == 1 + len(roles) + len(rows)
    assert '    product_manager -.->|"2. feature request"| data_analyst' in lines
    assert '    ml_engineer -->|"9. production ML service"| devops_engineer' in lines
    disputed = to_mermaid(list_handoffs(kg, from_role="DE", to_role=None, graph=graph))
    assert 'data_engineer ==>|"prepared dataset"| data_scientist' in disputed


# ---------------------------------------------------------------------------------------------
# Process routes


def test_process_route_from_product_manager_to_ml_engineer(kg):
    from datateam.graph.analysis.handoffs import format_process_routes, process_routes

    result = process_routes(kg, "product manager", "ML engineer")
    first = result["routes"][0]
    # the interview's walk-through with every hat on the way, not the shortest path
    assert first["roles"] == ["product manager", "data analyst", "data engineer", "data scientist", "ML engineer"]
    assert first["kind"] == "workflow" and first["workflow"]["sources"] == ["olx-interview"]
    assert [(r["step"], r["from"], r["to"], r["artifact"]) for r in first["steps"]] == [
        (2, "product manager", "data analyst", "feature request"),
        (3, "data engineer", "data analyst", "prepared dataset"),
        (4, "data analyst", "product manager", "problem sizing"),
        (5, "product manager", "data scientist", "prioritised problem"),
        (6, "data engineer", "data scientist", "training data"),
        (7, "data scientist", "ML engineer", "model web service")]
    # support per step: the source documents stating that handoff (the project's step 5 has none)
    expected = [sorted(s for s in handoffs().get((f, t, a), {}) if s != "curation") for f, t, a in [
        ("product-manager", "data-analyst", "feature-request"), ("data-engineer", "data-analyst", "prepared-dataset"),
        ("data-analyst", "product-manager", "problem-sizing"), ("product-manager", "data-scientist", "prioritised-problem"),
        ("data-engineer", "data-scientist", "training-data"), ("data-scientist", "ml-engineer", "model-web-service")]]
    assert [r["support"] for r in first["steps"]] == expected
    assert expected == [["olx-interview"]] * 3 + [[]] + [["olx-interview"]] * 2
    assert first["support"] == {"steps": 6, "backed_steps": 5, "share": round(5 / 6, 6), "mean_sources": round(5 / 6, 6),
                                "sources": ["olx-interview"]}
    hats = {h["label"]: [d["label"] for d in h["does"]] for h in first["hats"]}
    assert hats["data analyst"] == ["quantify the size of a problem"]
    assert hats["data engineer"] == ["make data available in a consumable form"]
    # one step goes back: the analyst hands the sizing back to the product manager after the data arrives
    assert len(first["lifecycle"]["steps_back"]) == 1
    second = result["routes"][1]
    assert second["roles"] == ["product manager", "data scientist", "ML engineer"] and second["kind"] == "handoff chain"
    assert second["support"]["share"] == 0.5
    assert result["shortest"] == {"roles": ["product manager", "data scientist", "ML engineer"],
                                  "ids": second["ids"], "hops": 2, "rank": 2}
    text = format_process_routes(result)
    assert "1. product manager → data analyst → data engineer → data scientist → ML engineer\n" in text
    assert "Shortest chain of handoffs (fewest hops, not the process): product manager → data scientist → ML engineer" in text


def test_process_routes_rank_by_support_then_lifecycle_then_hops():
    from datateam.graph.analysis.handoffs import route_rank_key

    def route(share, back, mean, hops, roles):
        return {"support": {"share": share, "mean_sources": mean}, "lifecycle": {"steps_back": ["x"] * back},
                "steps": [None] * hops, "roles": roles}

    routes = [route(0.5, 0, 2.0, 2, ["a", "c"]), route(1.0, 1, 1.0, 5, ["a", "b"]), route(1.0, 0, 1.0, 6, ["a", "d"]),
              route(1.0, 0, 1.5, 7, ["a", "e"])]
    assert [r["roles"][1] for r in sorted(routes, key=route_rank_key)] == ["e", "d", "b", "c"]


def test_a_side_branch_is_not_on_the_route(kg):
    from datateam.graph.analysis.handoffs import format_process_routes, process_routes

    result = process_routes(kg, "ML engineer", "DevOps engineer")
    first = result["routes"][0]
    # step 8 (work with backend, frontend, mobile engineers) leads nowhere near operations
    assert [(r["step"], r["to"]) for r in first["steps"]] == [(9, "DevOps engineer")]
    assert len(result["routes"]) == 1  # the same handoff as a plain chain is listed once
    none = process_routes(kg, "data governor", "data scientist")
    assert none["routes"] == [] and none["shortest"] is None
    assert format_process_routes(none) == ("No route the sources describe leads from data governor to data scientist "
                                           "(within 4 handoffs).\n")
    with pytest.raises(DatateamError, match="same role"):
        process_routes(kg, "DS", "data scientist")
