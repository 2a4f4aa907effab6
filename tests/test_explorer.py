"""The explorer page without a browser: what each view contains (checked against the YAML sources and
SPARQL), the page data, escaping, self-containment, layout, the CLI and the installed command.

The browser tests are in test_explorer_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
import yaml

from datateam.cli import main
from datateam.graph.errors import DatateamError, NameNotFoundError
from datateam.graph.explorer import (
    build_page_data,
    explorer_data,
    explorer_html,
    graph_explorer_html,
    script_json,
    select_view,
    write_explorer,
    write_graph_explorer,
)
from datateam.graph.explorer.layout import compute_positions
from datateam.graph.explorer.page import network_options, vis_network_script
from datateam.graph.explorer.views import handoff_levels
from datateam.graph.projection import build_projection
from datateam.graph.store.factory import load_knowledge_graph

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "ontology" / "sources"
XSS_FILE = Path(__file__).resolve().parent / "data" / "explorer-xss.ttl"
BASE = "https://w3id.org/datateam-kg/"
XSS_LABEL = '<img src=x onerror="window.__xss=1">'
XSS_ALIAS = "</script><script>window.__xss=2</script>"
XSS_SOURCE_TITLE = "Mallory's <b onmouseover=\"window.__xss=5\">guide</b>"


# ---------------------------------------------------------------------------------------------
# An independent oracle: the facts as the YAML authoring files state them


def iri(kind: str, key: str) -> str:
    return f"{BASE}{kind}/{key}"


def yaml_items(role_key: str, conditional: bool = True) -> dict[str, set[str]]:
    """The skills, tools and responsibilities the seed sources give a role (IRIs): every claim the page
    shows (conditional facts included), or with conditional=False only the facts analyses count."""
    from test_analysis_oracle import (_all_responsibility_claims, _all_skill_claims, _all_tool_claims,
                                      responsibility_links, skill_links, tool_links)

    role = iri("role", role_key)
    if conditional:
        sources = (("skill", _all_skill_claims()), ("tool", _all_tool_claims()),
                   ("responsibility", _all_responsibility_claims()))
    else:
        sources = (("skill", skill_links()), ("tool", tool_links()), ("responsibility", responsibility_links()))
    return {kind: {x for (r, x) in links if r == role} for kind, links in sources}


def yaml_works_with() -> set[tuple[str, str]]:
    from test_analysis_oracle import works_with

    return {(a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]) for a, b in works_with()}


def yaml_handoffs() -> list[dict]:
    """Every handoff the page draws: the sources' (qualified ones included) and the project's inferred steps."""
    from test_analysis_oracle import _all_handoff_claims

    return [{"from": f, "to": t, "artifact": a} for (f, t, a) in _all_handoff_claims()]


def artifact_labels() -> dict[str, str]:
    entities = yaml.safe_load((SOURCES / "entities.yaml").read_text(encoding="utf-8"))
    return {key: value["label"] for key, value in entities["artifacts"].items()}


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def projection(kg):
    return build_projection(kg)


@pytest.fixture(scope="module")
def xss_kg():
    return load_knowledge_graph([XSS_FILE])


def _by_type(data: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node in data["nodes"]:
        found.setdefault(node["type"], set()).add(node["iri"])
    return found


def _json_block(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', html, re.S)
    assert match, "the data block is missing"
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------
# Views


def test_role_view_holds_what_the_sources_say_about_the_data_engineer(kg):
    data = explorer_data(kg, "role", focus="data engineer")
    shown = _by_type(data)
    expected = yaml_items("data-engineer")
    assert shown["skill"] == expected["skill"]
    assert shown["tool"] == expected["tool"]
    assert shown["responsibility"] == expected["responsibility"]
    partners = {h["to"] for h in yaml_handoffs() if h["from"] == "data-engineer"}
    partners |= {h["from"] for h in yaml_handoffs() if h["to"] == "data-engineer"}
    partners |= {b for a, b in yaml_works_with() if a == "data-engineer"} | {a for a, b in yaml_works_with() if b == "data-engineer"}
    assert shown["role"] == {iri("role", r) for r in partners | {"data-engineer"}}
    # Stable facts, written out.
    assert {iri("tool", "apache-airflow"), iri("tool", "apache-kafka"), iri("tool", "kubernetes")} <= shown["tool"]
    assert iri("role", "data-scientist") in shown["role"]
    assert data["view"]["focus"] == next(n["id"] for n in data["nodes"] if n["iri"] == iri("role", "data-engineer"))


def test_role_view_adds_categories_stages_and_artifacts_of_its_own_items(kg):
    data = explorer_data(kg, "role", focus="DE")
    shown = _by_type(data)
    de = f"<{iri('role', 'data-engineer')}>"
    cats = {str(r["c"]) for r in kg.select(f"SELECT DISTINCT ?c WHERE {{ {de} dt:usesTool ?t . ?t dt:inCategory ?c }}")}
    stages = {str(r["s"]) for r in kg.select(f"SELECT DISTINCT ?s WHERE {{ {de} dt:hasResponsibility ?r . ?r dt:atStage ?s }}")}
    arts = {str(r["a"]) for r in kg.select(f"SELECT DISTINCT ?a WHERE {{ {de} dt:hasResponsibility ?r . ?r dt:produces ?a }}")}
    assert shown["category"] == cats and cats
    assert shown["stage"] == stages and stages
    assert shown["artifact"] == arts and arts


def test_depth_two_reaches_further_than_depth_one(kg, projection):
    focus = iri("role", "data engineer".replace(" ", "-"))
    one = select_view(projection, "role", focus=focus, depth=1).graph
    two = select_view(projection, "role", focus=focus, depth=2).graph
    assert set(one) < set(two)
    # Depth 2 reaches every role that shares a skill with the data engineer.
    sharing = {u for s in yaml_items("data-engineer", conditional=False)["skill"]
               for u, _, r in projection.in_edges(s, data="relation") if r == "requires_skill"}
    assert sharing <= set(two)


def test_overlap_view_marks_shared_and_own_items_like_the_sources(kg):
    data = explorer_data(kg, compare=("data engineer", "ML engineer"))
    assert data["view"]["name"] == "overlap"
    de, mle = yaml_items("data-engineer"), yaml_items("ml-engineer")
    a = set().union(*de.values())
    b = set().union(*mle.values())
    sides = {n["iri"]: n.get("side") for n in data["nodes"]}
    assert {i for i, s in sides.items() if s == "shared"} == a & b
    assert {i for i, s in sides.items() if s == "a"} == (a - b) | {iri("role", "data-engineer")}
    assert {i for i, s in sides.items() if s == "b"} == (b - a) | {iri("role", "ml-engineer")}
    assert data["view"]["summary"]["jaccard"] == pytest.approx(len(a & b) / len(a | b), abs=1e-6)
    legend = {s["key"]: s for s in data["sides"]}
    assert legend["shared"]["count"] == len(a & b)
    assert legend["a"]["label"] == "only data engineer" and legend["a"]["count"] == len(a - b)
    assert legend["b"]["count"] == len(b - a)
    # Every link starts or ends at one of the two roles.
    compared = set(data["view"]["compare"])
    assert all(e["from"] in compared or e["to"] in compared for e in data["edges"])


def test_handoff_view_has_one_arrow_per_pair_labelled_with_the_artifacts(kg):
    data = explorer_data(kg, "handoffs")
    handoffs = yaml_handoffs()
    pairs = {(h["from"], h["to"]) for h in handoffs}
    ids = {n["id"]: n["iri"] for n in data["nodes"]}
    links = {(ids[e["from"]], ids[e["to"]]): e for e in data["edges"]}
    assert set(links) == {(iri("role", f), iri("role", t)) for f, t in pairs}
    assert {n["iri"] for n in data["nodes"]} == {iri("role", r) for pair in pairs for r in pair}
    labels = artifact_labels()
    for (f, t) in pairs:
        link = links[(iri("role", f), iri("role", t))]
        artifacts = {labels[h["artifact"]] for h in handoffs if (h["from"], h["to"]) == (f, t)}
        assert {item["artifact"] for item in link["items"]} == artifacts
        shown = link["label"].split(" +")[0].split(", ")
        assert set(shown) <= artifacts and len(shown) == min(2, len(artifacts))
    assert all(e["relation"] == "hands_off_to" for e in data["edges"])
    assert data["view"]["hierarchical"] is True
    # Literal: the data scientist hands the trained model to the ML engineer.
    assert "trained model" in {i["artifact"] for i in links[(iri("role", "data-scientist"), iri("role", "ml-engineer"))]["items"]}


def test_handoff_columns_follow_the_listing_categorisation_chain(kg):
    data = explorer_data(kg, "handoffs")
    level = {n["iri"]: n["level"] for n in data["nodes"]}
    chain = ["product-manager", "data-scientist", "ml-engineer"]
    assert [level[iri("role", r)] for r in chain] == sorted(level[iri("role", r)] for r in chain)
    assert len({level[iri("role", r)] for r in chain}) == 3


def test_handoff_levels_break_cycles_deterministically():
    graph = nx.MultiDiGraph([("a", "b", {"step": 1}), ("b", "c", {"step": 2}), ("c", "a", {"step": 3}), ("a", "d", {})])
    assert handoff_levels(graph) == {"a": 0, "b": 1, "d": 1, "c": 2}


def test_tools_view_has_roles_tools_and_categories_only(kg, projection):
    data = explorer_data(kg, "tools")
    types = Counter(n["type"] for n in data["nodes"])
    assert set(types) == {"role", "tool", "category"}
    assert types["tool"] == sum(1 for _, t in projection.nodes(data="type") if t == "tool")
    assert types["category"] == sum(1 for _, t in projection.nodes(data="type") if t == "category")
    users = {r["r"] for r in kg.select("SELECT DISTINCT ?r WHERE { ?r dt:usesTool ?t . ?r a dt:Role . ?t a dt:Tool }")}
    assert types["role"] == len(users)
    assert {e["relation"] for e in data["edges"]} == {"uses_tool", "in_category"}


def test_all_view_counts_agree_with_sparql(kg, projection):
    data = explorer_data(kg, "all")
    assert len(data["nodes"]) == projection.number_of_nodes()
    typed = kg.select("""SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {
        VALUES ?c { dt:Role dt:Stakeholder dt:Skill dt:TechnicalSkill dt:SoftSkill dt:KnowledgeArea dt:Tool
                    dt:ToolCategory dt:Responsibility dt:Artifact dt:LifecycleStage } ?x a ?c FILTER(isIRI(?x)) }""")
    assert len(data["nodes"]) == int(typed[0]["n"])
    # Links: one per (from, to, relation); counted again with SPARQL, relation by relation.
    total = 0
    for prop, s_cls, o_cls in [("dt:requiresSkill", "dt:Role", "dt:Skill"), ("dt:usesTool", "dt:Role", "dt:Tool"),
                               ("dt:inCategory", "dt:Tool", "dt:ToolCategory"),
                               ("dt:hasResponsibility", "dt:Role", "dt:Responsibility"),
                               ("dt:atStage", "dt:Responsibility", "dt:LifecycleStage"),
                               ("dt:produces", "dt:Responsibility", "dt:Artifact"), ("dt:worksWith", "dt:Role", "dt:Role")]:
        rows = kg.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s {prop} ?o . ?s a {s_cls} . ?o a {o_cls} }} }}")
        total += int(rows[0]["n"])
    rows = kg.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE { ?h a dt:Handoff ; dt:fromRole ?a ; dt:toRole ?b } }")
    total += int(rows[0]["n"])
    assert len(data["edges"]) == total
    assert Counter(e["relation"] for e in data["edges"])["hands_off_to"] == len({(h["from"], h["to"]) for h in yaml_handoffs()})


def test_node_value_is_the_square_root_of_its_links(kg):
    data = explorer_data(kg, "tools")
    degree = Counter()
    for e in data["edges"]:
        degree[e["from"]] += 1
        degree[e["to"]] += 1
    for node in data["nodes"]:
        assert node["value"] == pytest.approx(math.sqrt(degree[node["id"]]), abs=1e-3)


def test_sources_filter_lists_each_source_with_its_node_count(kg):
    data = explorer_data(kg, "all")
    titles = {s["id"]: s["title"] for s in data["sources"]}
    assert {"olx-interview", "datamax-hats", "hitchhiker-roles", "ds-vs-de-teams", "jetbrains-roles"} <= set(titles)
    assert titles["olx-interview"].startswith("Roles in data teams")
    for source in data["sources"]:
        assert source["count"] == sum(1 for n in data["nodes"] if source["index"] in n["sources"])


def test_errors_name_what_is_wrong(kg):
    with pytest.raises(DatateamError, match="needs a role"):
        explorer_data(kg, "role")
    with pytest.raises(DatateamError, match="is a tool, not a role|no role named"):
        explorer_data(kg, "role", focus="airflow")
    with pytest.raises(NameNotFoundError, match="did you mean"):
        explorer_data(kg, "all", focus="data enginer")
    with pytest.raises(DatateamError, match="not part of the handoffs view"):
        explorer_data(kg, "handoffs", focus="airflow")
    with pytest.raises(DatateamError, match="two different roles"):
        explorer_data(kg, compare=("DE", "data engineer"))
    with pytest.raises(DatateamError, match="--compare is for the overlap view"):
        explorer_data(kg, "tools", compare=("DE", "DS"))
    with pytest.raises(DatateamError, match="--depth needs --focus"):
        explorer_data(kg, "all", depth=2)


def test_focus_with_depth_keeps_the_neighbourhood_only(kg, projection):
    data = explorer_data(kg, "tools", focus="airflow", depth=1)
    airflow = iri("tool", "apache-airflow")
    expected = {airflow} | set(projection.predecessors(airflow)) | {
        v for _, v, r in projection.out_edges(airflow, data="relation") if r == "in_category"}
    expected = {n for n in expected if projection.nodes[n]["type"] in ("role", "tool", "category")}
    assert {n["iri"] for n in data["nodes"]} == expected


# ---------------------------------------------------------------------------------------------
# The page: self-contained, escaped, deterministic


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_page_loads_nothing_from_any_host(kg):
    html = explorer_html(kg, "all")
    parser = _Tags()
    parser.feed(html)
    urls = [v for _, attrs in parser.tags for k, v in attrs.items() if k in ("src", "href", "action", "data", "poster")]
    assert not [u for u in urls if u and re.match(r"^(https?:)?//", u.strip(), re.I)]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html.split('<script type="application/json"')[0], re.I)
    tags = Counter(tag for tag, _ in parser.tags)
    assert tags["link"] == 0 and tags["iframe"] == 0 and tags["img"] == 0
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert len(scripts) == 3 and not any("src" in s for s in scripts)
    csp = next(attrs["content"] for tag, attrs in parser.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]


def test_page_inlines_the_vis_network_script_pyvis_ships(kg):
    import pyvis

    shipped = sorted(Path(pyvis.__file__).parent.glob("templates/lib/vis-*/vis-network.min.js"))[-1].read_text(encoding="utf-8")
    html = explorer_html(kg, "handoffs")
    assert f"<script>{shipped}</script>" in html
    assert vis_network_script() == shipped
    # The Content-Security-Policy allows exactly that script and ours, by their hashes.
    parser = _Tags()
    parser.feed(html)
    csp = next(a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    allowed = re.search(r"script-src ([^;]+);", csp).group(1).split()
    ours = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(ours) == 2 and ours[0] == shipped
    assert allowed == [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in ours]


def test_network_options_come_from_pyvis_with_physics_off(kg, projection):
    handoffs = select_view(projection, "handoffs")
    options = network_options(handoffs, large=False)
    assert options["physics"]["enabled"] is False
    assert options["layout"]["hierarchical"]["enabled"] is True
    assert options["layout"]["hierarchical"]["direction"] == "LR"
    everything = network_options(select_view(projection, "all"), large=True)
    assert everything["physics"]["enabled"] is False
    assert "hierarchical" not in everything["layout"]
    assert everything["edges"]["smooth"]["enabled"] is False
    assert set(everything["groups"]) >= {"role", "skill", "tool", "category", "responsibility", "artifact", "stage"}


def test_script_json_cannot_end_its_script_element():
    text = script_json({"label": "</script><!-- & \u2028", "n": 1})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"label": "</script><!-- & \u2028", "n": 1}


def test_user_markup_is_data_in_the_json_and_text_in_the_html(xss_kg):
    html = explorer_html(xss_kg, "all")
    data = _json_block(html)
    mallory = next(n for n in data["nodes"] if n["iri"] == "https://example.org/xss/mallory")
    assert mallory["label"] == XSS_LABEL
    assert mallory["aliases"] == [XSS_ALIAS]
    assert "<script>window.__xss=3</script>" in mallory["definition"]
    assert XSS_SOURCE_TITLE in {s["title"] for s in data["sources"]}
    # Nowhere in the page does the markup appear as markup.
    assert "<img src=x" not in html
    assert "<script>window.__xss" not in html
    assert "<b onmouseover" not in html
    assert "Mallory&#39;s &lt;b onmouseover=&#34;window.__xss=5&#34;&gt;guide&lt;/b&gt;" in html
    parser = _Tags()
    parser.feed(html)
    assert not [t for t, a in parser.tags if t in ("img", "b", "a") or any(k.startswith("on") for k in a)]


def test_the_page_is_the_same_every_time(kg):
    assert explorer_html(kg, "tools") == explorer_html(kg, "tools")
    assert explorer_html(kg, "tools", seed=1) != explorer_html(kg, "tools", seed=2)


def test_write_explorer_writes_one_file_and_nothing_else(kg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary = write_explorer(kg, "page.html", view="overlap", compare=("data scientist", "ML engineer"))
    assert os.listdir(tmp_path) == ["page.html"]
    html = (tmp_path / "page.html").read_text(encoding="utf-8")
    data = _json_block(html)
    assert summary == {"path": "page.html", "view": "overlap", "title": "data scientist and ML engineer",
                       "nodes": len(data["nodes"]), "edges": len(data["edges"]), "bytes": len(html.encode()),
                       "layout": "precomputed"}


def test_a_failed_write_keeps_the_old_page(kg, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("old page", encoding="utf-8")
    with pytest.raises(NameNotFoundError):
        write_explorer(kg, page, view="role", focus="no such role at all")
    with pytest.raises(DatateamError, match="does not exist"):
        write_explorer(kg, tmp_path / "missing" / "page.html")
    assert page.read_text(encoding="utf-8") == "old page"
    assert sorted(os.listdir(tmp_path)) == ["page.html"]


def test_any_networkx_graph_can_be_drawn(tmp_path):
    graph = nx.MultiDiGraph()
    graph.add_node("a", type="role", label="A <role>", aliases=["alpha"], sources=["s1"])
    graph.add_node("b", type="widget", label="B")
    graph.add_edge("a", "b", relation="uses", sources=["s1"])
    summary = write_graph_explorer(graph, tmp_path / "g.html", title="Tiny & small", source_titles={"s1": "Source one"})
    html = (tmp_path / "g.html").read_text(encoding="utf-8")
    data = _json_block(html)
    assert summary["nodes"] == 2 and summary["edges"] == 1
    assert {t["key"] for t in data["types"]} == {"role", "widget"}
    assert data["sources"] == [{"index": 0, "id": "s1", "title": "Source one", "count": 1}]
    assert "<title>Tiny &amp; small · datateam explorer</title>" in html
    assert graph_explorer_html(graph, title="Tiny & small", source_titles={"s1": "Source one"}) == html


# ---------------------------------------------------------------------------------------------
# Layout


def _synthetic(n_roles: int, n_items: int, seed: int = 3) -> nx.MultiDiGraph:
    import random

    rng = random.Random(seed)
    graph = nx.MultiDiGraph()
    roles = [f"r{i}" for i in range(n_roles)]
    items = [f"i{i}" for i in range(n_items)]
    graph.add_nodes_from((r, {"type": "role", "label": f"role {r}"}) for r in roles)
    graph.add_nodes_from((i, {"type": "skill", "label": f"skill {i}"}) for i in items)
    for k, item in enumerate(items):
        graph.add_edge(roles[k % n_roles], item, relation="requires_skill")
        graph.add_edge(rng.choice(roles), item, relation="requires_skill")
    graph.add_nodes_from((f"lonely{i}", {"type": "tool", "label": "lonely"}) for i in range(7))
    return graph


def test_large_layout_is_deterministic_and_gives_every_node_its_own_spot():
    graph = _synthetic(60, 2500)
    first = compute_positions(graph, seed=5)
    assert first == compute_positions(graph, seed=5)
    assert set(first) == set(graph)
    points = [first[n] for n in graph]
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in points)
    assert len({(round(x, 1), round(y, 1)) for x, y in points}) == len(points)
    # Isolated nodes sit apart from the big component.
    xs_big = [first[n][0] for n in graph if not n.startswith("lonely")]
    ys_big = [first[n][1] for n in graph if not n.startswith("lonely")]
    for i in range(7):
        x, y = first[f"lonely{i}"]
        assert not (min(xs_big) <= x <= max(xs_big) and min(ys_big) <= y <= max(ys_big))


def test_large_page_has_positions_and_straight_edges(tmp_path):
    graph = _synthetic(80, 2200)
    data = build_page_data(select_view(graph, "all"))
    assert data["view"]["large"] is True
    assert all("x" in n and "y" in n for n in data["nodes"])
    options = network_options(select_view(graph, "all"), large=True)
    assert options["interaction"]["hideEdgesOnDrag"] is True and options["physics"]["enabled"] is False


# ---------------------------------------------------------------------------------------------
# The command line


def test_explore_command_writes_the_page(runner, tmp_path):
    out = tmp_path / "de.html"
    result = runner.invoke(main, ["explore", "--view", "role", "--focus", "data engineer", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = _json_block(out.read_text(encoding="utf-8"))
    assert data["view"]["name"] == "role" and data["view"]["title"] == "data engineer"
    assert f"wrote {out}: role view, {len(data['nodes'])} nodes, {len(data['edges'])} links" in result.output


def test_explore_json_format_prints_the_page_data(runner, kg):
    result = runner.invoke(main, ["explore", "--view", "handoffs", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["nodes"] == explorer_data(kg, "handoffs")["nodes"]


def test_explore_errors_are_one_line(runner, tmp_path):
    result = runner.invoke(main, ["explore", "--view", "role", "--focus", "data enginer", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert result.output.startswith("error: no role named 'data enginer'; did you mean: data engineer")
    assert "Traceback" not in result.output
    result = runner.invoke(main, ["explore", "--view", "overlap", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and result.output == "error: the overlap view needs two roles: give --compare A B\n"
    assert not (tmp_path / "x.html").exists()


def test_explore_opens_on_the_hats_and_takes_a_team_file(runner, tmp_path, kg):
    from datateam.graph.analysis.coverage import coverage

    out = tmp_path / "hats.html"
    result = runner.invoke(main, ["explore", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = _json_block(out.read_text(encoding="utf-8"))
    assert data["view"]["name"] == "hats" and data["team"] is None and data["api"] is False
    assert "connect-src &#39;none&#39;;" in out.read_text(encoding="utf-8")  # the meta CSP, escaped
    assert [c["label"] for c in data["view"]["story"]["columns"]] == [
        "Problem framing", "Data", "Analysis", "Modelling", "Productionisation", "Operations"]
    team = tmp_path / "team.yaml"
    team.write_text("team: us\npeople:\n  - name: Ana\n    hats: [data scientist, DE]\n", encoding="utf-8")
    out = tmp_path / "team.html"
    result = runner.invoke(main, ["explore", "--team", str(team), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = _json_block(out.read_text(encoding="utf-8"))
    expected = coverage(kg, team=team, next_hire=True)
    ids = {n["id"]: n["iri"] for n in data["nodes"]}
    assert data["team"]["name"] == "us"
    assert sorted(ids[i] for i in data["team"]["worn"]) == sorted(r["id"] for r in expected["team"]["roles"])
    assert [ids[h["id"]] for h in data["team"]["next_hire"]] == [h["id"] for h in expected["next_hire"]]
    assert data["team"]["totals"] == expected["totals"]
    # Errors stay one line, and nothing is written.
    result = runner.invoke(main, ["explore", "--team", str(team), "--view", "tools", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and result.output == "error: --team is for the hats view (the default), not --view tools\n"
    missing = tmp_path / "nobody.yaml"
    result = runner.invoke(main, ["explore", "--team", str(missing), "-o", str(tmp_path / "x.html")])
    assert result.exit_code != 0 and str(missing) in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_explore_with_user_data(runner, tmp_path):
    out = tmp_path / "mine.html"
    result = runner.invoke(main, ["--data", str(XSS_FILE), "explore", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = _json_block(out.read_text(encoding="utf-8"))
    assert XSS_LABEL in {n["label"] for n in data["nodes"]}


def test_installed_console_command_writes_the_page(tmp_path):
    command = Path(sys.executable).parent / "datateam"
    assert command.exists(), f"the console command is not installed at {command}"
    proc = subprocess.run([str(command), "explore", "--view", "handoffs", "-o", "h.html"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("wrote h.html: handoffs view, ")
    assert sorted(os.listdir(tmp_path)) == ["h.html"]
    html = (tmp_path / "h.html").read_text(encoding="utf-8")
    assert _json_block(html)["view"]["hierarchical"] is True
