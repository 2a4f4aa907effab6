"""Every fact as its source states it: the audit of the five documents, item by item, with the exact
expected facts written out by hand from the seed texts (../shared/seeds/).

Conditions and stances, levels only where a source uses a word of degree, the real disagreements,
the sources' own comparisons of roles, the audit's corrections, and what the sources do not say.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from datateam.cli import main
from datateam.graph.analysis.describe import describe, format_details, list_roles
from datateam.graph.errors import AmbiguousNameError
from datateam.graph.lookup.names import resolve
from datateam.graph.analysis.statements import disputed_questions, role_comparisons, source_counts

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "ontology" / "sources"
BASE = "https://w3id.org/datateam-kg/"
SEEDS = {"datamax-hats", "olx-interview", "hitchhiker-roles", "ds-vs-de-teams", "jetbrains-roles"}


def local(iri) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def by_graph(kg, pattern: str, variables: str) -> set[tuple]:
    rows = kg.select(f"SELECT DISTINCT ?g {variables} WHERE {{ GRAPH ?g {{ {pattern} }} }}")
    names = ["g"] + variables.replace("?", "").split()
    return {tuple(local(row[n]) for n in names) for row in rows}


# ---------------------------------------------------------------- conditions and stances

def test_the_four_qualified_statements_of_the_issue(kg):
    qualifiers = by_graph(kg, "?n dt:condition|dt:stance ?q . ?n dt:role ?r . "
                              "{ ?n dt:skill ?x } UNION { ?n dt:responsibility ?x }", "?r ?x ?q")
    # the data engineer's "bit of machine learning" is advice for a small company (001)
    assert ("olx-interview", "data-engineer", "machine-learning", "InSmallTeam") in qualifiers
    # the backend engineer could be taught the basics of ML to cover operations: a fallback (001)
    assert {q for g, r, x, q in qualifiers if (r, x) == ("backend-engineer", "machine-learning")} == {
        "InSmallTeam", "Fallback"}
    # what goes wrong without a data engineering team (003)
    assert ("ds-vs-de-teams", "data-scientist", "build-ml-deployment-pipelines", "ReportedProblem") in qualifiers
    assert ("ds-vs-de-teams", "data-scientist", "incorporate-models-in-product", "ReportedProblem") in qualifiers
    # ... which the interview states plainly: its graph holds the same fact with no qualifier
    plain = kg.ask("""ASK { GRAPH graph:olx-interview { assignment:data-scientist--incorporate-models-in-product
                             dt:role role:data-scientist FILTER NOT EXISTS {
                             assignment:data-scientist--incorporate-models-in-product dt:stance ?s } } }""")
    assert plain
    # Data Max's picture of the one-dimensional teams it argues against (000)
    handoffs = by_graph(kg, "?h a dt:Handoff ; dt:fromRole ?f ; dt:toRole ?t ; dt:stance ?q", "?f ?t ?q")
    assert {(f, t) for g, f, t, q in handoffs if g == "datamax-hats"} == {
        ("data-engineer", "data-scientist"), ("data-scientist", "devops-engineer")}
    assert {q for g, f, t, q in handoffs if g == "datamax-hats"} == {"AntiPatternDescription"}


def test_qualifiers_are_ontology_terms_with_labels_and_comments(kg):
    rows = kg.select("""SELECT ?term ?label ?comment WHERE { GRAPH graph:ontology {
        VALUES ?class { dt:Condition dt:Stance dt:ComparisonKind } ?term a ?class ; rdfs:label ?label ; rdfs:comment ?comment } }""")
    assert {local(r["term"]): str(r["label"]) for r in rows} == {
        "InSmallTeam": "only in a small company or team", "WithoutProductManager": "only in a team without a product manager",
        "Fallback": "fallback", "ReportedProblem": "reported problem", "AntiPatternDescription": "anti-pattern description",
        "Inference": "inferred by the project", "SimilarRoles": "similar roles", "SimilarSkills": "similar skills",
        "SometimesSamePerson": "sometimes the same person", "StrongCollaboration": "strong collaboration",
        "OneGroup": "one group", "DistinctRoles": "different jobs"}
    domains = kg.select("""SELECT ?p ?range WHERE { GRAPH graph:ontology { VALUES ?p { dt:condition dt:stance }
                            ?p rdfs:range ?range ; rdfs:domain ?d } }""")
    assert {local(r["p"]): local(r["range"]) for r in domains} == {"condition": "Condition", "stance": "Stance"}


def test_show_gives_the_condition_in_text_and_json(runner):
    text = runner.invoke(main, ["show", "data engineer"]).output
    assert ("  basic    machine learning  [olx-interview]  — conditional (olx-interview: only in a small company "
            "or team)") in text
    data = json.loads(runner.invoke(main, ["show", "data engineer", "--format", "json"]).output)
    ml = next(s for s in data["skills"] if s["label"] == "machine learning")
    assert ml["conditional"] is True and ml["level"] == "basic"
    assert [(q["source"], q["conditions"], q["stances"]) for q in ml["qualifiers"]] == [
        ("olx-interview", ["only in a small company or team"], [])]
    assert "small or new company" in ml["qualifiers"][0]["note"]
    ds = json.loads(runner.invoke(main, ["show", "data scientist", "--format", "json"]).output)
    product = next(r for r in ds["responsibilities"] if r["label"] == "incorporate models into the product")
    assert product["conditional"] is False and [s["id"] for s in product["sources"]] == ["olx-interview"]
    assert [(q["source"], q["stances"]) for q in product["qualifiers"]] == [("ds-vs-de-teams", ["reported problem"])]
    ds_text = runner.invoke(main, ["show", "data scientist"]).output
    assert ("incorporate models into the product  [productionisation and serving]  [olx-interview]  — also "
            "ds-vs-de-teams: reported problem, not counted") in ds_text
    assert ("DevOps engineer: trained model [productionisation and serving; sequential]  [datamax-hats]  — conditional "
            "(datamax-hats: anti-pattern description)") in ds_text


def test_the_explorer_marks_conditional_facts_and_shows_what_the_sources_say(kg):
    from datateam.graph.explorer import explorer_data

    data = explorer_data(kg, "role", focus="data engineer")
    nodes = {n["id"]: n for n in data["nodes"]}
    de = next(n for n in data["nodes"] if n["iri"] == BASE + "role/data-engineer")
    ml = next(e for e in data["edges"] if nodes[e["from"]] is de and nodes[e["to"]]["label"] == "machine learning")
    assert ml["conditional"] is True and ml["qualifiers"] == ["olx-interview: only in a small company or team"]
    assert {d["question"] for d in de["disputes"]} == {"how a small data team starts",
                                                      "one cross-functional team or separate teams",
                                                      "who builds and deploys models to production",
                                                      "who owns the data pipelines"}
    assert any(c.startswith("With ML engineer: similar skills [olx-interview].") for c in de["comparisons"])
    governor = explorer_data(kg, "role", focus="data governor")
    node = next(n for n in governor["nodes"] if n["label"] == "data governor")
    assert node["note"] == ("The sources give no skills or tools for this role; they describe only its "
                            "responsibility.")


# ---------------------------------------------------------------- levels only from words of degree

EXPECTED_LEVELS = {
    # Data Max: "strong skills in feature engineering", "deep knowledge of" ML, statistics, analytics,
    # "a thorough knowledge of software engineering best practices"
    ("datamax-hats", "data-scientist", "analytics", "Core"), ("datamax-hats", "data-scientist", "feature-engineering", "Core"),
    ("datamax-hats", "data-scientist", "machine-learning", "Core"), ("datamax-hats", "data-scientist", "statistics", "Core"),
    ("datamax-hats", "ml-engineer", "software-engineering-practices", "Core"),
    # the teams post: "strong knowledge" (core), "good" and "decent understanding" (working)
    ("ds-vs-de-teams", "data-engineer", "apache-spark", "Core"),
    ("ds-vs-de-teams", "data-engineer", "big-data-technologies", "Core"),
    ("ds-vs-de-teams", "data-engineer", "data-warehouse-design", "Core"),
    ("ds-vs-de-teams", "data-scientist", "business-domain-knowledge", "Working"),
    ("ds-vs-de-teams", "data-scientist", "machine-learning", "Working"),
    ("ds-vs-de-teams", "data-scientist", "mathematics", "Core"), ("ds-vs-de-teams", "data-scientist", "statistics", "Core"),
    # the guide: "strong communication skills"
    ("hitchhiker-roles", "data-scientist", "communication", "Core"),
    # the interview: "basics of", "a bit of", "the main tool", "comfortable using", "experts", "hardcore skills"
    ("olx-interview", "backend-engineer", "machine-learning", "Basic"),
    ("olx-interview", "data-analyst", "machine-learning", "Basic"), ("olx-interview", "data-analyst", "sql", "Core"),
    ("olx-interview", "data-analyst", "statistics", "Basic"), ("olx-interview", "data-analyst", "tableau", "Working"),
    ("olx-interview", "data-engineer", "machine-learning", "Basic"),
    ("olx-interview", "data-scientist", "machine-learning", "Core"),
    ("olx-interview", "devops-engineer", "unix-linux", "Core"),
    ("olx-interview", "full-stack-web-developer", "backend-development", "Basic"),
    ("olx-interview", "ml-engineer", "machine-learning", "Basic"),
    ("olx-interview", "mlops-engineer", "machine-learning", "Basic"),
    ("olx-interview", "product-manager", "communication", "Core"),
    ("olx-interview", "site-reliability-engineer", "networking", "Core"),
    ("olx-interview", "site-reliability-engineer", "unix-linux", "Core"),
}


def test_every_level_in_the_knowledge_base_and_nothing_else(kg):
    got = by_graph(kg, "?n dt:role ?r ; dt:level ?l . { ?n dt:skill ?x } UNION { ?n dt:tool ?x }", "?r ?x ?l")
    assert got == EXPECTED_LEVELS


def test_invented_levels_are_gone(kg):
    got = by_graph(kg, "?n dt:role ?r ; dt:level ?l . { ?n dt:skill ?x } UNION { ?n dt:tool ?x }", "?r ?x ?l")
    assert not {x for g, r, x, lv in got if r == "analytics-engineer"}      # no "working" for the analytics engineer
    assert not {x for g, r, x, lv in got if g == "jetbrains-roles"}          # "most popular language" is popularity
    assert not {(r, x) for g, r, x, lv in got if x == "python"}              # nobody gives Python a level
    skills = by_graph(kg, "?r dt:requiresSkill ?s", "?r ?s")
    assert ("hitchhiker-roles", "ml-engineer", "system-architecture") not in skills
    assert ("jetbrains-roles", "data-scientist", "data-mining") not in skills
    assert ("hitchhiker-roles", "data-scientist", "data-mining") in skills   # the guide does list it


# ---------------------------------------------------------------- the disagreements, in show

def test_show_lists_each_disputed_question_with_every_sources_answer(kg, runner):
    text = runner.invoke(main, ["show", "ML engineer"]).output
    for line in ("Where the sources disagree (5 questions)",
                 "  where the ML engineer works relative to the data scientist",
                 "    [hitchhiker-roles] before and beside the data scientist: ",
                 "    [olx-interview] after the data scientist, but beside them: ",
                 "    [jetbrains-roles] after the data scientist: ",
                 "  how much machine learning an ML engineer knows",
                 "    [olx-interview] a bit, enough for a simple model: ",
                 "    [hitchhiker-roles] enough to develop and implement ML algorithms: ",
                 "    [ds-vs-de-teams] data engineers, through the deployment pipelines: "):
        assert line in text, line
    questions = {q["label"]: {p["source"]["id"]: p["answer"] for p in q["positions"]}
                 for q in disputed_questions(kg, "data scientist")}
    assert questions["who owns the data pipelines"] == {
        "datamax-hats": "data engineers", "ds-vs-de-teams": "the data science team", "hitchhiker-roles": "data engineers",
        "jetbrains-roles": "data engineers", "olx-interview": "data engineers"}
    assert questions["how a small data team starts"] == {
        "ds-vs-de-teams": "one central data engineering team with sub-teams per product",
        "jetbrains-roles": "one person who is both data scientist and engineer",
        "olx-interview": "one end-to-end engineer (an ML engineer, or a data engineer who knows some ML)"}
    deploy = next(q for q in disputed_questions(kg) if q["label"] == "who builds and deploys models to production")
    assert len(deploy["disagreements"]) == 7
    assert {p["source"]["id"]: p["rests_on"] for p in deploy["positions"]}["ds-vs-de-teams"] == [
        BASE + "assignment/data-engineer--build-ml-deployment-pipelines",
        BASE + "handoff/data-engineer--data-scientist--deployment-pipeline",
        BASE + "requirement/data-engineer--model-deployment"]


# ---------------------------------------------------------------- the sources' own comparisons

EXPECTED_COMPARISONS = {
    ("datamax-hats", frozenset({"data-analyst", "analytics-engineer"}), frozenset({"StrongCollaboration", "SimilarSkills"})),
    ("olx-interview", frozenset({"data-analyst", "data-scientist"}), frozenset({"SimilarRoles", "SometimesSamePerson"})),
    ("olx-interview", frozenset({"ml-engineer", "data-engineer"}), frozenset({"SimilarSkills"})),
    ("olx-interview", frozenset({"ml-engineer", "data-engineer"}), frozenset({"SometimesSamePerson"})),
    ("olx-interview", frozenset({"devops-engineer", "ml-engineer"}), frozenset({"SimilarRoles", "SimilarSkills"})),
    ("olx-interview", frozenset({"site-reliability-engineer", "ml-engineer"}), frozenset({"SimilarRoles", "SimilarSkills"})),
    ("olx-interview", frozenset({"devops-engineer", "site-reliability-engineer"}), frozenset({"OneGroup"})),
    ("olx-interview", frozenset({"mlops-engineer", "devops-engineer"}), frozenset({"SimilarRoles"})),
    ("olx-interview", frozenset({"business-analyst", "data-analyst"}), frozenset({"SimilarRoles", "SometimesSamePerson"})),
    ("olx-interview", frozenset({"full-stack-data-scientist", "full-stack-web-developer"}), frozenset({"DistinctRoles"})),
    ("hitchhiker-roles", frozenset({"data-analyst", "analytics-engineer"}), frozenset({"DistinctRoles"})),
    ("jetbrains-roles", frozenset({"data-scientist", "data-engineer", "ml-engineer"}), frozenset({"SometimesSamePerson"})),
}


def test_every_comparison_the_sources_make(kg):
    rows = kg.select("""SELECT ?g ?c ?role ?kind WHERE { GRAPH ?g { ?c a dt:RoleComparison ; dt:comparesRole ?role ;
                         dt:comparisonKind ?kind ; skos:note ?note ; dcterms:source ?src } }""")
    grouped = defaultdict(lambda: (set(), set()))
    for r in rows:
        roles_, kinds = grouped[(local(r["g"]), str(r["c"]))]
        roles_.add(local(r["role"]))
        kinds.add(local(r["kind"]))
    got = {(g, frozenset(roles_), frozenset(kinds)) for (g, _), (roles_, kinds) in grouped.items()}
    assert got == EXPECTED_COMPARISONS and len(grouped) == len(EXPECTED_COMPARISONS)


def test_the_statements_about_a_pair_of_roles(kg):
    pair = role_comparisons(kg, "data analyst", "data scientist")
    assert [(c["source"]["id"], c["kinds"], [r["label"] for r in c["roles"]]) for c in pair] == [
        ("olx-interview", ["similar roles", "sometimes the same person"], ["data analyst", "data scientist"])]
    assert role_comparisons(kg, "data scientist", "data analyst") == pair
    assert "same person" in pair[0]["note"] or "one person" in pair[0]["note"]
    small = role_comparisons(kg, "data engineer", "data scientist")
    assert [(c["source"]["id"], c["condition"]) for c in small] == [("jetbrains-roles", "only in a small company or team")]
    assert role_comparisons(kg, "product manager", "data governor") == []


def test_devops_and_sre_are_one_group_in_the_interview():
    """"DevOps engineers or sometimes SREs": the facts are written once, for the group."""
    olx = yaml.safe_load((SOURCES / "001-olx-interview.yaml").read_text(encoding="utf-8"))
    assert olx["groups"] == {"devops-or-sre": {"roles": ["devops-engineer", "site-reliability-engineer"]}}
    for section in ("skills", "tools", "responsibilities"):
        assert "devops-or-sre" in olx[section]
        assert "site-reliability-engineer" not in olx[section] or section == "skills"
    # only what the interview says of SREs alone is stated apart: their "more hardcore" networking
    assert olx["skills"]["site-reliability-engineer"] == {"networking": "core"}


# ---------------------------------------------------------------- the rest of the audit

def test_sql_flask_and_docker_categories_come_only_from_who_gives_them(kg):
    categories = by_graph(kg, "?t dt:inCategory ?c FILTER(?t IN (tool:sql, tool:flask, tool:docker))", "?t ?c")
    assert categories == {("datamax-hats", "sql", "transformation"), ("hitchhiker-roles", "sql", "programming-language"),
                          ("hitchhiker-roles", "sql", "data-manipulation-tools"),
                          ("curation", "flask", "web-framework"), ("curation", "docker", "containerization")}
    as_category = by_graph(kg, "?u dt:tool tool:sql ; dt:role ?r ; dt:asCategory ?c", "?r ?c")
    assert not {row for row in as_category if row[0] == "olx-interview"}


def test_ml_ops_is_a_field_not_an_alias(kg):
    aliases = {str(r["a"]) for r in kg.select("SELECT ?a WHERE { role:ml-engineer skos:altLabel ?a }")}
    assert "ML Ops" not in aliases


def test_the_listing_example_starts_with_the_request_and_marks_what_is_inferred(kg):
    steps = by_graph(kg, "?h dt:partOfWorkflow workflow:listing-categorisation ; dt:stepNumber ?n ; dt:fromRole ?f ; "
                         "dt:toRole ?t", "?n ?f ?t")
    narrated = sorted((int(n), f, t) for g, n, f, t in steps if g == "olx-interview")
    assert narrated == [(1, "business-stakeholder", "product-manager"), (2, "product-manager", "data-analyst"),
                        (3, "data-engineer", "data-analyst"), (4, "data-analyst", "product-manager"),
                        (6, "data-engineer", "data-scientist"), (7, "data-scientist", "ml-engineer")]
    inferred = by_graph(kg, "?h dt:partOfWorkflow workflow:listing-categorisation ; dt:stance dt:Inference ; "
                            "dt:fromRole ?f ; dt:toRole ?t", "?f ?t")
    assert inferred == {("curation", "product-manager", "data-scientist"), ("curation", "ml-engineer", "backend-engineer"),
                        ("curation", "ml-engineer", "frontend-engineer"), ("curation", "ml-engineer", "mobile-engineer"),
                        ("curation", "ml-engineer", "devops-engineer"),
                        ("curation", "ml-engineer", "site-reliability-engineer"),
                        ("curation", "ml-engineer", "mlops-engineer"), ("curation", "ml-engineer", "data-analyst"),
                        ("curation", "data-analyst", "product-manager")}
    assert {g for g, *_ in steps} == {"olx-interview", "curation"}


def test_the_data_science_vs_engineering_post(kg):
    roles_ = {r for (g, r) in by_graph(kg, "?r a dt:Role", "?r") if g == "ds-vs-de-teams"}
    assert roles_ == {"data-scientist", "data-engineer", "data-architect"}  # product teams are not a product manager
    sizes = by_graph(kg, "pattern:separate-data-engineering-team dt:organisationSize ?s", "?s")
    assert sizes == {("ds-vs-de-teams", "AnyOrganisation")}
    assert ("ds-vs-de-teams", "data-engineer", "model-deployment") in by_graph(kg, "?r dt:requiresSkill ?s", "?r ?s")
    handoffs = by_graph(kg, "?h a dt:Handoff ; dt:fromRole ?f ; dt:toRole ?t ; dt:artifact ?a", "?f ?t ?a")
    assert {(f, t, a) for g, f, t, a in handoffs if g == "ds-vs-de-teams"} == {
        ("data-engineer", "data-scientist", "data-model"), ("data-engineer", "data-scientist", "data-warehouse"),
        ("data-engineer", "data-scientist", "deployment-pipeline")}


def test_the_interviews_batch_predictions_and_business_analyst(kg):
    handoffs = by_graph(kg, "?h a dt:Handoff ; dt:fromRole ?f ; dt:toRole ?t ; dt:artifact ?a", "?f ?t ?a")
    assert not {h for h in handoffs if h[3] == "batch-predictions"}          # "other services", not a role
    assert not {h for h in handoffs if h[1] == "business-analyst" and h[2] == "data-scientist"}
    translate = by_graph(kg, "assignment:business-analyst--translate-user-requirements dt:condition ?c", "?c")
    assert translate == {("olx-interview", "WithoutProductManager")}
    definition = kg.select("SELECT ?d WHERE { resp:translate-user-requirements skos:definition ?d }")
    assert "team" in str(definition[0]["d"])


def test_ml_engineers_need_the_data_collected_and_prepared(kg):
    assert ("jetbrains-roles", "ml-engineer", "prepare-data-for-ml-code") in by_graph(
        kg, "?r dt:hasResponsibility ?x", "?r ?x")


def test_the_data_engineer_bridges_to_the_infrastructure_team(kg):
    works = by_graph(kg, "?a dt:worksWith ?b", "?a ?b")
    assert not {w for w in works if w[0] == "datamax-hats" and "devops-engineer" in w[1:]}
    assert ("datamax-hats", "data-engineer", "bridge-to-infrastructure-team") in by_graph(
        kg, "?r dt:hasResponsibility ?x", "?r ?x")


def test_the_projects_definitions_live_in_the_curation_graph_only(kg):
    rows = kg.select("""SELECT DISTINCT ?g WHERE { GRAPH ?g { ?x skos:definition ?d }
        ?x a ?c . VALUES ?c { dt:Role dt:Skill dt:Tool dt:ToolCategory dt:Responsibility dt:Artifact dt:LifecycleStage
                              dt:Workflow dt:DeploymentPattern dt:RoleFamily dt:Question } }""")
    assert {local(r["g"]) for r in rows} == {"curation"}
    # the source graphs still name what they speak of
    assert kg.ask("ASK { GRAPH graph:jetbrains-roles { role:data-governor a dt:Role ; skos:prefLabel ?l } }")


def test_analyst_alone_is_ambiguous(kg, runner):
    with pytest.raises(AmbiguousNameError) as info:
        resolve(kg, "analyst", ["role"])
    assert {c["label"] for c in info.value.candidates} == {"business analyst", "data analyst"}
    assert resolve(kg, "product analyst", ["role"]).label == "business analyst"
    result = runner.invoke(main, ["show", "analyst"])
    assert result.exit_code != 0 and "'analyst' is ambiguous: business analyst" in result.stderr


def test_no_definition_reuses_the_sources_phrase(kg):
    rows = kg.select("SELECT ?d WHERE { ?x skos:definition ?d }")
    assert not any("the best way to model the data" in str(r["d"]).lower() for r in rows)


# ---------------------------------------------------------------- what the sources do not say

EXPECTED_BARE_ROLES = ["backend engineer", "business stakeholder", "cloud DevOps engineer", "data architect",
                       "data governor", "database administrator", "frontend engineer", "mobile engineer",
                       "software engineer"]


def test_roles_without_skills_or_tools_are_said_to_be_so(kg, runner):
    assert [r["label"] for r in list_roles(kg) if r["note"]] == EXPECTED_BARE_ROLES
    text = format_details(describe(kg, resolve(kg, "cloud DevOps engineer")))
    assert ("Note: The sources give no skills or tools for this role; they describe only its responsibility."
            in " ".join(text.split()))
    overview = runner.invoke(main, ["overview"]).output
    assert "— 9 of the 21 roles have no skills or tools in the sources" in overview
    assert "Not ranked: 8 roles the sources give no skills or tools" in " ".join(overview.split())
    assert "4 conditional facts left out" in overview


# ---------------------------------------------------------------- counts per source, two ways

def _yaml_counts() -> dict[str, dict]:
    out = {}
    for path in sorted(SOURCES.glob("0*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups = {k: g["roles"] for k, g in (doc.get("groups") or {}).items()}

        def members(key):
            return groups.get(key, [key])

        facts, qualified = set(), set()

        def note(fact, value):
            facts.add(fact)
            if isinstance(value, dict) and (value.get("condition") or value.get("stance")):
                qualified.add(fact)

        for key, skills in (doc.get("skills") or {}).items():
            for r in members(key):
                for s, v in (skills or {}).items():
                    note(("req", r, s), v)
        for key, by_cat in (doc.get("tools") or {}).items():
            for r in members(key):
                for items in by_cat.values():
                    for item in items:
                        name, v = next(iter(item.items())) if isinstance(item, dict) else (item, None)
                        note(("tool", r, name), v)
        for key, items in (doc.get("responsibilities") or {}).items():
            for r in members(key):
                for item in items:
                    name, v = next(iter(item.items())) if isinstance(item, dict) else (item, None)
                    note(("resp", r, name), v)
        for h in doc.get("handoffs") or []:
            for f in members(h["from"]):
                for t in members(h["to"]):
                    note(("handoff", f, t, h["artifact"]), h)
        facts |= {("pattern", k) for k in doc.get("team_patterns") or {}}
        comparisons = 0
        for c in (doc.get("comparisons") or {}).values():
            grouped = [r for r in c["roles"] if r in groups]
            comparisons += len(groups[grouped[0]]) if grouped and len(c["roles"]) > 1 else 1
        out[doc["source"]["id"]] = {"facts": len(facts), "qualified_facts": len(qualified), "comparisons": comparisons,
                                    "positions": len(doc.get("positions") or {})}
    return out


EXPECTED_COUNTS = {
    "datamax-hats": {"facts": 100, "qualified_facts": 2, "conditional_facts": 1, "comparisons": 1, "positions": 4,
                     "statements": 5, "disagreements": 11},
    "ds-vs-de-teams": {"facts": 58, "qualified_facts": 2, "conditional_facts": 1, "comparisons": 0, "positions": 5,
                       "statements": 5, "disagreements": 16},
    "hitchhiker-roles": {"facts": 95, "qualified_facts": 0, "conditional_facts": 0, "comparisons": 1, "positions": 4,
                         "statements": 5, "disagreements": 10},
    "jetbrains-roles": {"facts": 50, "qualified_facts": 0, "conditional_facts": 0, "comparisons": 1, "positions": 5,
                        "statements": 6, "disagreements": 14},
    "olx-interview": {"facts": 175, "qualified_facts": 4, "conditional_facts": 4, "comparisons": 9, "positions": 6,
                      "statements": 15, "disagreements": 15},
}


def test_counts_per_source_agree_with_the_yaml(kg):
    counts = source_counts(kg)
    assert counts == EXPECTED_COUNTS
    for sid, expected in _yaml_counts().items():
        assert {k: counts[sid][k] for k in expected} == expected, sid
    # disagreements counted a second way: every row of source-disagreements names two sources
    from datateam.queries.named.library import load_named_query

    rows = kg.select(load_named_query("source-disagreements").text)
    assert sum(c["disagreements"] for c in counts.values()) == 2 * len(rows) == 2 * 33


def test_the_shapes_check_conditions_stances_and_comparisons(tmp_path):
    from datateam.graph.store.validate import validate_files

    path = tmp_path / "bad.ttl"
    path.write_text("""
        @prefix dt: <https://w3id.org/datateam-kg/ontology#> .
        @prefix role: <https://w3id.org/datateam-kg/role/> .
        @prefix skill: <https://w3id.org/datateam-kg/skill/> .
        @prefix ex: <https://example.org/> .
        ex:c a dt:RoleComparison ; dt:comparesRole role:data-engineer ; dt:comparisonKind dt:Twins .
        ex:r a dt:SkillRequirement ; dt:role role:data-engineer ; dt:skill skill:statistics ; dt:stance dt:Vibes .
    """, encoding="utf-8")
    report = validate_files([path])
    assert report["conforms"] is False
    messages = sorted(v["message"].split(": ", 1)[1] for v in report["violations"])
    assert messages == [
        'role comparison <https://example.org/c>: needs a comparison kind from the allowed set (dt:comparisonKind) '
        '[value: dt:Twins]',
        "role comparison <https://example.org/c>: needs a note saying in the project's words what the source says "
        "(skos:note)",
        "role comparison <https://example.org/c>: needs at least one source (dcterms:source pointing to a dt:Source)",
        "role comparison <https://example.org/c>: needs at least two roles it compares (dt:comparesRole, each a dt:Role)",
        "skill requirement <https://example.org/r>: has a stance that is not one the ontology defines (dt:stance "
        "must be dt:Fallback, dt:ReportedProblem, dt:AntiPatternDescription or dt:Inference) [value: dt:Vibes]"]
