"""Handoffs: the listing-categorisation chain against the interview's walk-through, alternatives where
sources disagree, paths between roles against an independent search, Mermaid output."""

from __future__ import annotations

import pytest

from datateam.graph.errors import DatateamError, NameNotFoundError
from datateam.graph.handoffs import chain_rows, list_handoffs, paths_between, to_mermaid, workflow_chain, workflows
from datateam.graph.projection import build_projection
from test_analysis_oracle import catalogue, handoffs, label_of, seed_sources

MODE_WORDS = {"sequential": "sequential", "side-by-side": "side by side"}


@pytest.fixture(scope="module")
def graph(kg):
    return build_projection(kg, relations=["hands_off_to"])


def walkthrough(workflow: str) -> list[tuple]:
    """(step, from, to, artifact, stage, mode) of a workflow, read from the interview's YAML."""
    rows = []
    for h in seed_sources()["olx-interview"]["handoffs"]:
        if h.get("workflow") == workflow:
            rows.append((h["step"], label_of("roles", h["from"]), label_of("roles", h["to"]),
                         label_of("artifacts", h["artifact"]), label_of("stages", h["stage"]), MODE_WORDS[h["mode"]]))
    return sorted(rows)


def test_listing_chain_matches_the_interview_walkthrough(kg, graph):
    chain = workflow_chain(kg, "listing categorisation", graph=graph)
    got = sorted((r["step"], r["from"], r["to"], r["artifact"], r["stage"], r["mode"]) for r in chain_rows(chain))
    assert got == walkthrough("listing-categorisation")
    assert [s["step"] for s in chain["steps"]] == list(range(1, 11))
    # From the product manager to production, literally.
    first, last = chain["steps"][0]["handoffs"][0], chain["steps"][-1]["handoffs"][0]
    assert (first["from"], first["to"], first["artifact"]) == ("product manager", "data analyst", "feature request")
    assert (last["from"], last["to"], last["artifact"]) == ("data analyst", "product manager", "experiment results")
    step7 = {r["to"] for r in chain["steps"][6]["handoffs"]}
    assert step7 == {"backend engineer", "frontend engineer", "mobile engineer"}
    step8 = chain["steps"][7]["handoffs"]
    assert {r["to"] for r in step8} == {"DevOps engineer", "MLOps engineer", "site reliability engineer"}
    assert {r["stage"] for r in step8} == {"operations and monitoring"}
    assert chain["workflow"]["label"] == catalogue()["workflows"]["listing-categorisation"]["label"]
    assert all(r["sources"] == ["olx-interview"] for r in chain_rows(chain))


def test_alternatives_come_from_the_other_statements_between_the_same_roles(kg, graph):
    chain = workflow_chain(kg, "listing categorisation", graph=graph)
    in_flow = {(h["from"], h["to"], h["artifact"]) for h in seed_sources()["olx-interview"]["handoffs"]
               if h.get("workflow") == "listing-categorisation"}
    for step in chain["steps"]:
        pairs = {(r["from_id"].rsplit("/", 1)[-1], r["to_id"].rsplit("/", 1)[-1]) for r in step["handoffs"]}
        expected = {(label_of("roles", f), label_of("roles", t), label_of("artifacts", a))
                    for (f, t, a) in handoffs() if (f, t) in pairs and (f, t, a) not in in_flow}
        assert {(r["from"], r["to"], r["artifact"]) for r in step["alternatives"]} == expected
    step5 = next(s for s in chain["steps"] if s["step"] == 5)
    prepared = next(a for a in step5["alternatives"] if a["artifact"] == "prepared dataset")
    statements = handoffs()[("data-engineer", "data-scientist", "prepared-dataset")]
    assert prepared["mode"] == "disputed"
    assert prepared["modes"] == [
        {"mode": word, "sources": sorted(s for s, h in statements.items() if MODE_WORDS[h["mode"]] == word)}
        for word in ("sequential", "side by side")]
    assert any("prepared dataset" in d and "datamax-hats" in d for d in chain["disagreements"])


def test_ad_targeting_chain_and_all_workflows(kg, graph):
    chain = workflow_chain(kg, "daily scoring of users for advertising emails", graph=graph)
    got = sorted((r["step"], r["from"], r["to"], r["artifact"], r["stage"], r["mode"]) for r in chain_rows(chain))
    assert got == walkthrough("ad-targeting")
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
    assert '    product_manager -.->|"1. feature request"| data_analyst' in lines
    assert '    ml_engineer -->|"8. production ML service"| devops_engineer' in lines
    disputed = to_mermaid(list_handoffs(kg, from_role="DE", to_role=None, graph=graph))
    assert 'data_engineer ==>|"prepared dataset"| data_scientist' in disputed
