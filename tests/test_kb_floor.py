"""The floor of issue 2: every role, tool, skill, responsibility, handoff and piece of team guidance the
five sources state is in the knowledge base, with its source. Expected sets are written out by hand
from the seed documents; a few counts are cross-checked two ways (SPARQL vs the YAML sources)."""

from collections import defaultdict
from pathlib import Path

import pytest
import yaml


SOURCES_DIR = Path(__file__).resolve().parent.parent / "ontology" / "sources"
SEED_GRAPHS = {"datamax-hats", "olx-interview", "hitchhiker-roles", "ds-vs-de-teams", "jetbrains-roles"}


def local(iri) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def labels_of(kg, cls: str) -> set[str]:
    return {str(r["l"]) for r in kg.select(f"SELECT DISTINCT ?l WHERE {{ ?s a dt:{cls} ; skos:prefLabel ?l }}")}


def ids_of(kg, cls: str) -> set[str]:
    return {local(r["s"]) for r in kg.select(f"SELECT DISTINCT ?s WHERE {{ ?s a dt:{cls} }}")}


def facts_by_source(kg, pattern: str, variables: str) -> dict[tuple, set[str]]:
    """Map each solution (as a tuple of local names) to the source graphs that state it."""
    rows = kg.select(f"SELECT {variables} ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}")
    names = variables.replace("?", "").split()
    out = defaultdict(set)
    for row in rows:
        out[tuple(local(row[n]) for n in names)].add(local(row["g"]))
    return out


# ---------------------------------------------------------------- roles

EXPECTED_ROLES = {
    "product manager", "data analyst", "business analyst", "analytics engineer", "data scientist",
    "full-stack data scientist", "data engineer", "data architect", "data governor", "database administrator",
    "ML engineer", "MLOps engineer", "DevOps engineer", "site reliability engineer", "cloud DevOps engineer",
    "backend engineer", "frontend engineer", "mobile engineer", "software engineer", "full-stack web developer",
    "business stakeholder",
}


def test_every_role_named_in_the_sources_is_a_role(kg):
    assert labels_of(kg, "Role") == EXPECTED_ROLES


def test_roles_are_counted_the_same_way_in_sparql_and_in_the_yaml_catalogue(kg):
    catalogue = yaml.safe_load((SOURCES_DIR / "entities.yaml").read_text(encoding="utf-8"))
    count = int(kg.select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a dt:Role }")[0]["n"])
    assert count == len(catalogue["roles"]) == len(EXPECTED_ROLES)


@pytest.mark.parametrize("alias,role", [
    ("DE", "data engineer"), ("SRE", "site reliability engineer"), ("mle", "ML engineer"),
    ("machine learning engineer", "ML engineer"), ("PM", "product manager"), ("product analyst", "business analyst"),
    ("MLOps", "MLOps engineer"), ("DBA", "database administrator"), ("cloud DevOps", "cloud DevOps engineer"),
    ("executive team", "business stakeholder"), ("data engineering hat", "data engineer"),
])
def test_role_aliases(kg, alias, role):
    from datateam.graph.lookup.names import resolve

    assert resolve(kg, alias, ["role"]).label == role


def test_only_the_business_stakeholder_is_outside_the_team(kg):
    assert ids_of(kg, "Stakeholder") == {"business-stakeholder"}


def test_role_hierarchy_from_the_sources(kg):
    broader = facts_by_source(kg, "?a skos:broader ?b . ?a a dt:Role", "?a ?b")
    assert broader[("mlops-engineer", "devops-engineer")] == {"olx-interview"}
    assert broader[("full-stack-data-scientist", "data-scientist")] == {"olx-interview"}
    assert broader[("data-architect", "data-engineer")] == {"jetbrains-roles"}
    assert broader[("data-governor", "data-engineer")] == {"jetbrains-roles"}
    related = facts_by_source(kg, "?a skos:related ?b", "?a ?b")
    assert related[("data-engineer", "database-administrator")] == {"jetbrains-roles"}
    assert related[("site-reliability-engineer", "devops-engineer")] == {"olx-interview"}


# ---------------------------------------------------------------- tools

EXPECTED_TOOLS = {
    # Data Max hats, per hat and category
    "Apache Airflow", "Dagster", "Prefect", "pandas", "Apache Spark", "Dask", "Google BigQuery", "Amazon Redshift",
    "Apache Hive", "DVC", "Pachyderm", "Snowflake", "dbt", "Dataform", "Metabase", "Looker", "Microsoft Power BI",
    "Tableau", "SQL", "scikit-learn", "XGBoost", "TensorFlow", "PyTorch", "MLflow", "Kubeflow", "Aim", "Feast",
    "Hopsworks", "LIME", "SHAP", "Flyte", "Kubernetes", "Seldon Core", "BentoML", "TensorFlow Serving",
    "TorchServe", "Horovod", "Ray", "WhyLabs", "Evidently", "GitLab CI", "GitHub Actions", "Terraform", "Helm",
    # OLX interview
    "Amazon Web Services", "Google Cloud", "Apache Kafka", "RabbitMQ", "Python", "R", "Flask", "Docker",
    # Hitchhiker's guide (incl. the page keywords)
    "Jupyter Notebook", "SAS", "Microsoft Excel", "Java", "Jinja", "Snowpark", "AutoGluon", "pip", "Anaconda",
    # Data science vs data engineering teams
    "Microsoft Azure", "Amazon SageMaker Studio", "Amazon EMR", "Amazon ECS", "Azure Container Service", "Google GCS",
    # JetBrains roles
    "Scala", "MLWatcher", "PySyft",
}


def test_every_tool_any_source_lists(kg):
    assert labels_of(kg, "Tool") == EXPECTED_TOOLS


def test_every_tool_has_a_category(kg):
    uncategorised = kg.select("SELECT ?t WHERE { ?t a dt:Tool FILTER NOT EXISTS { ?t dt:inCategory ?c } }")
    assert uncategorised == []


EXPECTED_TOOLS_OF_DATA_ENGINEER = {
    "Apache Airflow", "Dagster", "Prefect", "pandas", "Apache Spark", "Dask", "Google BigQuery", "Amazon Redshift",
    "Apache Hive", "DVC", "Pachyderm", "Amazon Web Services", "Google Cloud", "Kubernetes", "Terraform",
    "Apache Kafka", "RabbitMQ", "SQL", "Amazon EMR", "Amazon ECS", "Azure Container Service", "Google GCS",
    "Python", "Scala",
}


def test_tools_of_the_data_engineer(kg):
    rows = kg.select("SELECT DISTINCT ?l WHERE { role:data-engineer dt:usesTool/skos:prefLabel ?l }")
    assert {str(r["l"]) for r in rows} == EXPECTED_TOOLS_OF_DATA_ENGINEER


def test_tool_category_claims_stay_with_their_source(kg):
    categories = facts_by_source(kg, "?t dt:inCategory ?c", "?t ?c")
    mlflow = {c: g for (t, c), g in categories.items() if t == "mlflow"}
    assert mlflow == {"experiment-tracking": {"datamax-hats"}, "orchestration": {"datamax-hats"},
                      "model-serving": {"jetbrains-roles"}}
    kubeflow = {c: g for (t, c), g in categories.items() if t == "kubeflow"}
    assert kubeflow == {"experiment-tracking": {"datamax-hats"}, "orchestration": {"datamax-hats"},
                        "deployment": {"jetbrains-roles"}}


def test_category_as_used_per_role(kg):
    rows = kg.select("""SELECT ?role ?cat WHERE { ?u dt:tool tool:mlflow ; dt:role ?role ; dt:asCategory ?cat }""")
    assert {(local(r["role"]), local(r["cat"])) for r in rows} == {
        ("data-scientist", "experiment-tracking"), ("ml-engineer", "orchestration"), ("ml-engineer", "model-serving")}


def test_issue_tool_categories_exist(kg):
    wanted = {"orchestration", "data processing", "data warehousing", "data versioning", "transformation",
              "visualization", "ML library", "deep learning", "experiment tracking", "feature store",
              "explainability", "model serving", "distributed training", "model monitoring", "CI/CD automation",
              "infrastructure as code", "cloud platform", "messaging and streaming", "programming language",
              "notebook", "web framework", "containerization", "privacy-preserving ML"}
    assert wanted <= labels_of(kg, "ToolCategory")


# ---------------------------------------------------------------- skills and levels

EXPECTED_SKILLS = {
    "machine learning", "deep learning", "statistics", "mathematics", "analytics", "business domain knowledge",
    "cloud computing", "big data technologies", "distributed systems", "databases", "networking",
    "ML model lifecycle", "feature engineering", "hyperparameter tuning", "statistical analysis",
    "regression analysis", "hypothesis testing", "time series forecasting", "experiment design and analysis",
    "data mining", "data visualization", "data manipulation", "programming", "software engineering best practices",
    "version control", "automated testing", "CI/CD", "automated deployment", "DevOps practices", "automation",
    "model monitoring", "infrastructure management", "Unix/Linux", "model web service development",
    "data modeling", "ETL design", "system architecture", "data architecture", "database design",
    "data warehouse design", "data pipeline development", "data quality assurance", "anomaly detection",
    "data security", "data versioning", "performance optimization", "communication", "presenting findings",
    "data storytelling", "documentation writing", "prioritization", "planning", "backend development", "frontend development",
    "ML model build and deployment",
}


def test_every_skill(kg):
    assert labels_of(kg, "Skill") == EXPECTED_SKILLS


def test_every_skill_has_a_kind(kg):
    rows = kg.select("""SELECT ?s WHERE { ?s a dt:Skill
        FILTER NOT EXISTS { ?s a ?k FILTER(?k IN (dt:TechnicalSkill, dt:SoftSkill, dt:KnowledgeArea)) } }""")
    assert rows == []


def levels(kg, role: str) -> dict[str, dict[str, str]]:
    """skill or tool -> {source: level} for one role."""
    rows = kg.select(f"""SELECT ?x ?level ?g WHERE {{ GRAPH ?g {{ ?n dt:role role:{role} ; dt:level ?level .
                          {{ ?n dt:skill ?x }} UNION {{ ?n dt:tool ?x }} }} }}""")
    out = defaultdict(dict)
    for r in rows:
        out[local(r["x"])][local(r["g"])] = str(r["level"]).rsplit("#", 1)[-1]
    return out


def test_levels_of_the_data_analyst_follow_the_interview(kg):
    lv = levels(kg, "data-analyst")
    # only the interview's words of degree give levels; the guide's "skilled in" gives none
    assert lv == {"sql": {"olx-interview": "Core"},             # "the main tool"
                  "tableau": {"olx-interview": "Working"},      # "comfortable using"
                  "statistics": {"olx-interview": "Basic"},     # "basics of statistics"
                  "machine-learning": {"olx-interview": "Basic"}}  # "a bit of machine learning"


def test_levels_from_the_interview_wording(kg):
    # "basics of statistics to ... experiments": the degree is the statistics', not the experiments'
    assert "experiment-analysis" not in levels(kg, "data-analyst")
    assert levels(kg, "data-engineer")["machine-learning"] == {"olx-interview": "Basic"}     # "knows a bit of machine learning"
    # the interview: web developers do mostly frontend with "a bit of" backend; full-stack data
    # scientists do data science plus backend
    assert levels(kg, "full-stack-web-developer") == {"backend-development": {"olx-interview": "Basic"}}
    skills = facts_by_source(kg, "?role dt:requiresSkill ?s FILTER(?role IN (role:full-stack-web-developer, "
                                 "role:full-stack-data-scientist))", "?role ?s")
    assert skills == {("full-stack-web-developer", "frontend-development"): {"olx-interview"},
                      ("full-stack-web-developer", "backend-development"): {"olx-interview"},
                      ("full-stack-data-scientist", "machine-learning"): {"olx-interview"},
                      ("full-stack-data-scientist", "backend-development"): {"olx-interview"}}


def test_levels_of_other_roles(kg):
    assert levels(kg, "data-scientist")["machine-learning"] == {"olx-interview": "Core", "datamax-hats": "Core",
                                                                "ds-vs-de-teams": "Working"}
    assert levels(kg, "data-scientist")["feature-engineering"] == {"datamax-hats": "Core"}
    assert levels(kg, "product-manager")["communication"] == {"olx-interview": "Core"}
    assert levels(kg, "site-reliability-engineer")["unix-linux"] == {"olx-interview": "Core"}
    assert levels(kg, "mlops-engineer")["machine-learning"] == {"olx-interview": "Basic"}
    assert levels(kg, "data-engineer")["apache-spark"] == {"ds-vs-de-teams": "Core"}


def test_levels_come_from_the_allowed_set(kg):
    rows = kg.select("SELECT DISTINCT ?l WHERE { ?n dt:level ?l }")
    assert {local(r["l"]).rsplit("#", 1)[-1] for r in rows} == {"Core", "Working", "Basic"}


# ---------------------------------------------------------------- responsibilities

def test_every_responsibility_has_a_role_a_stage_and_a_source(kg):
    orphans = kg.select("""SELECT ?r WHERE { ?r a dt:Responsibility
        FILTER NOT EXISTS { ?role dt:hasResponsibility ?r } }""")
    assert orphans == []
    no_stage = kg.select("SELECT ?r WHERE { ?r a dt:Responsibility FILTER NOT EXISTS { ?r dt:atStage ?s } }")
    assert no_stage == []


def test_data_engineer_key_tasks_from_the_hitchhiker_guide(kg):
    facts = facts_by_source(kg, "?role dt:hasResponsibility ?r", "?role ?r")
    key_tasks = {"ingest-data", "compute-metrics", "detect-anomalies", "manage-metadata", "support-experimentation",
                 "instrument-data-collection", "sessionize-events"}
    for task in key_tasks:
        assert "hitchhiker-roles" in facts[("data-engineer", task)], task


def test_analytics_engineer_key_tasks(kg):
    facts = facts_by_source(kg, "role:analytics-engineer dt:hasResponsibility ?r", "?r")
    assert {k[0] for k, g in facts.items() if "hitchhiker-roles" in g} == {
        "provide-clean-datasets", "clean-and-transform-data", "apply-engineering-to-analytics", "own-core-datasets",
        "set-data-modeling-practices", "set-coding-standards", "build-reusable-components", "manage-metadata",
        "run-data-operations"}


def test_data_science_team_tasks_with_sub_tasks(kg):
    rows = kg.select("SELECT ?sub WHERE { ?sub skos:broader resp:train-and-test-models }")
    assert {local(r["sub"]) for r in rows} == {"prepare-data-for-modelling", "test-hypotheses", "explore-data",
                                               "engineer-features", "train-models", "select-models",
                                               "tune-hyperparameters"}


def test_responsibilities_each_source_adds_after_the_audit(kg):
    facts = facts_by_source(kg, "?role dt:hasResponsibility ?r", "?role ?r")
    # ds-vs-de-teams: the data science team owns pipelines, integrates with products, builds and deploys models
    for task in ("build-data-pipelines", "incorporate-models-in-product", "build-ml-deployment-pipelines"):
        assert "ds-vs-de-teams" in facts[("data-scientist", task)], task
    assert facts[("data-scientist", "co-select-production-tools")] == {"jetbrains-roles"}
    assert "olx-interview" in facts[("data-analyst", "present-findings")]


def test_responsibility_count_is_the_same_in_sparql_and_yaml(kg):
    catalogue = yaml.safe_load((SOURCES_DIR / "entities.yaml").read_text(encoding="utf-8"))
    assert len(ids_of(kg, "Responsibility")) == len(catalogue["responsibilities"]) >= 60


# ---------------------------------------------------------------- handoffs

EXPECTED_HANDOFFS = {
    ("business-stakeholder", "product-manager", "feature-request"),
    ("product-manager", "data-analyst", "feature-request"),
    ("data-engineer", "data-analyst", "prepared-dataset"),
    ("data-analyst", "product-manager", "problem-sizing"),
    ("product-manager", "data-scientist", "prioritised-problem"),
    ("data-engineer", "data-scientist", "training-data"),
    ("data-scientist", "ml-engineer", "model-web-service"),
    ("ml-engineer", "backend-engineer", "production-ml-service"),
    ("ml-engineer", "frontend-engineer", "production-ml-service"),
    ("ml-engineer", "mobile-engineer", "production-ml-service"),
    ("ml-engineer", "devops-engineer", "production-ml-service"),
    ("ml-engineer", "site-reliability-engineer", "production-ml-service"),
    ("ml-engineer", "mlops-engineer", "production-ml-service"),
    ("ml-engineer", "data-analyst", "production-ml-service"),
    ("data-analyst", "product-manager", "experiment-results"),
    ("data-scientist", "data-engineer", "trained-model"),
    ("data-scientist", "ml-engineer", "trained-model"),
    ("data-engineer", "data-scientist", "prepared-dataset"),
    ("data-analyst", "business-stakeholder", "report"),
    ("business-analyst", "product-manager", "problem-sizing"),
    ("devops-engineer", "software-engineer", "incident"),
    ("site-reliability-engineer", "software-engineer", "incident"),
    ("data-scientist", "devops-engineer", "trained-model"),
    ("data-scientist", "data-engineer", "data-requirements"),
    ("analytics-engineer", "business-stakeholder", "clean-dataset"),
    ("data-scientist", "business-stakeholder", "insights"),
    ("data-engineer", "data-scientist", "data-model"),
    ("data-engineer", "data-scientist", "data-warehouse"),
    ("data-engineer", "data-scientist", "deployment-pipeline"),
}


def test_every_handoff(kg):
    rows = kg.select("SELECT ?f ?t ?a WHERE { ?h a dt:Handoff ; dt:fromRole ?f ; dt:toRole ?t ; dt:artifact ?a }")
    assert {(local(r["f"]), local(r["t"]), local(r["a"])) for r in rows} == EXPECTED_HANDOFFS


def test_each_handoff_has_a_shortcut_triple_in_the_same_graph(kg):
    missing = kg.select("""SELECT ?h ?g WHERE { GRAPH ?g { ?h dt:fromRole ?f ; dt:toRole ?t }
                            FILTER NOT EXISTS { GRAPH ?g { ?f dt:handsOffTo ?t } } }""")
    assert missing == []


EXPECTED_WORKS_WITH = {
    "datamax-hats": {("data-analyst", "analytics-engineer"), ("analytics-engineer", "data-engineer")},
    "olx-interview": {("data-scientist", "backend-engineer"), ("data-scientist", "mobile-engineer"),
                      ("data-scientist", "software-engineer")},
    "hitchhiker-roles": {("ml-engineer", "data-scientist"), ("ml-engineer", "business-stakeholder")},
    "ds-vs-de-teams": {("data-scientist", "data-engineer")},
    "jetbrains-roles": {("data-scientist", "data-engineer")},
}


def test_collaborations_stated_by_each_source(kg):
    rows = kg.select("SELECT DISTINCT ?g ?a ?b WHERE { GRAPH ?g { ?a dt:worksWith ?b } }")
    stated = defaultdict(set)
    for r in rows:
        if local(r["g"]) in SEED_GRAPHS:
            stated[local(r["g"])].add(tuple(sorted((local(r["a"]), local(r["b"])))))
    assert stated == {g: {tuple(sorted(p)) for p in ps} for g, ps in EXPECTED_WORKS_WITH.items()}


def test_listing_categorisation_walk_through_in_order(kg):
    rows = kg.select("""SELECT ?step ?f ?t WHERE { ?h dt:partOfWorkflow workflow:listing-categorisation ;
                         dt:stepNumber ?step ; dt:fromRole ?f ; dt:toRole ?t }""")
    steps = sorted((int(r["step"]), local(r["f"]), local(r["t"])) for r in rows)
    assert [s[1] for s in steps][:7] == ["business-stakeholder", "product-manager", "data-engineer", "data-analyst",
                                        "product-manager", "data-engineer", "data-scientist"]
    assert {s[2] for s in steps if s[0] == 9} == {"devops-engineer", "site-reliability-engineer", "mlops-engineer"}
    assert steps[-1] == (11, "data-analyst", "product-manager")


def test_sources_disagree_on_how_ml_engineers_follow_data_scientists(kg):
    rows = kg.select("""SELECT ?mode ?g WHERE { GRAPH ?g { handoff:data-scientist--ml-engineer--trained-model dt:mode ?mode } }""")
    modes = {local(r["g"]): str(r["mode"]).rsplit("#", 1)[-1] for r in rows}
    assert modes == {"olx-interview": "SideBySide", "jetbrains-roles": "Sequential"}


# ---------------------------------------------------------------- team guidance and deployment

def test_team_guidance(kg):
    assert ids_of(kg, "TeamPattern") == {
        "single-discipline-teams", "cross-functional-teams", "hats-not-headcount",
        "lone-data-scientist-myth", "first-hire-small-team", "grow-by-specialising",
        "dedicated-data-engineer-threshold", "operations-fallback", "analyst-instead-of-product-manager",
        "full-stack-roles-diverge", "ml-vs-data-engineer-split", "one-team-same-problem", "shared-language",
        "separate-data-engineering-team", "centralised-data-science-team", "product-teams-own-data",
        "use-cases-from-product-teams",
        "data-engineering-in-large-organisations", "data-engineering-in-smaller-organisations",
        "one-person-in-a-small-company", "specialisation-in-large-companies"}


def test_who_to_hire_first_and_who_covers_operations(kg):
    def recommended(pattern):
        rows = kg.select(f"SELECT ?r WHERE {{ pattern:{pattern} dt:recommendsRole ?r }}")
        return {local(r["r"]) for r in rows}

    assert recommended("first-hire-small-team") == {"ml-engineer", "data-engineer"}
    assert recommended("operations-fallback") == {"backend-engineer"}
    assert recommended("dedicated-data-engineer-threshold") == {"data-engineer"}
    assert recommended("analyst-instead-of-product-manager") == {"business-analyst"}
    sizes = kg.select("SELECT ?s WHERE { pattern:data-engineering-in-large-organisations dt:organisationSize ?s }")
    assert {str(r["s"]).rsplit("#", 1)[-1] for r in sizes} == {"LargeOrganisation"}


def test_online_and_batch_serving_owners(kg):
    rows = kg.select("SELECT ?d ?p ?r WHERE { VALUES ?p { dt:ownedBy dt:supportedBy } ?d a dt:DeploymentPattern ; ?p ?r }")
    facts = {(local(r["d"]), str(r["p"]).rsplit("#", 1)[-1], local(r["r"])) for r in rows}
    # the data scientist wraps the model in a web service, the ML engineer serves it; the data engineer
    # runs the daily batch with the data scientist (operations roles are not said to take part)
    assert facts == {
        ("online-serving", "ownedBy", "ml-engineer"), ("online-serving", "supportedBy", "data-scientist"),
        ("batch-scoring", "ownedBy", "data-engineer"), ("batch-scoring", "supportedBy", "data-scientist")}


# ---------------------------------------------------------------- provenance and alignment

def test_one_named_graph_per_source(kg):
    graphs = {local(g) for g in kg.graph_names()}
    assert graphs == SEED_GRAPHS | {"curation", "esco-alignment", "ontology"}
    rows = kg.select("""SELECT ?g ?file WHERE { GRAPH ?g { ?g prov:wasDerivedFrom ?s . ?s dt:seedFile ?file } }""")
    assert {local(r["g"]): str(r["file"]) for r in rows} == {
        "datamax-hats": "000_00cc7e4523575d67.txt", "olx-interview": "001_66288270a8fac3b5.txt",
        "hitchhiker-roles": "002_05f874c2676dbdf7.txt", "ds-vs-de-teams": "003_8f18872aeb75603b.txt",
        "jetbrains-roles": "004_06db16c3922f7032.txt"}


def test_every_fact_bearing_entity_cites_a_source(kg):
    rows = kg.select("""SELECT ?s WHERE { VALUES ?c { dt:Role dt:Skill dt:Tool dt:Responsibility dt:Handoff
                          dt:TeamPattern dt:SkillRequirement dt:ToolUse } ?s a ?c FILTER NOT EXISTS { ?s dcterms:source ?src } }""")
    assert rows == []


def test_role_tool_agreement_counts_match_the_yaml_sources(kg):
    """How many sources back each role–tool link: SPARQL over named graphs vs the YAML files."""
    expected = defaultdict(set)
    for path in SOURCES_DIR.glob("00*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups = {k: g["roles"] for k, g in (data.get("groups") or {}).items()}
        for key, by_cat in (data.get("tools") or {}).items():
            for role in groups.get(key, [key]):
                for items in by_cat.values():
                    for item in items:
                        tool = next(iter(item)) if isinstance(item, dict) else item
                        expected[(role, tool)].add(data["source"]["id"])
    got = facts_by_source(kg, "?r dt:usesTool ?t", "?r ?t")
    assert dict(got) == dict(expected)
    assert got[("data-engineer", "apache-airflow")] == {"datamax-hats", "olx-interview"}


def test_esco_alignment(kg):
    rows = kg.select("SELECT ?r WHERE { ?r dt:noEscoEquivalent true }")
    assert {local(r["r"]) for r in rows} == {"mlops-engineer", "analytics-engineer", "site-reliability-engineer",
                                             "data-governor", "business-stakeholder"}
    close = kg.select("SELECT ?c WHERE { role:data-scientist skos:closeMatch ?c }")
    assert [str(r["c"]) for r in close] == [
        "http://data.europa.eu/esco/occupation/258e46f9-0075-4a2e-adae-1ff0477e0f30"]
    assert kg.select("SELECT ?x WHERE { ?x owl:sameAs ?y }") == []


@pytest.mark.full_data
def test_esco_alignment_uris_exist_in_esco(kg):
    import csv
    import io
    import zipfile

    from conftest import SHARED_DATA

    archive = SHARED_DATA / "esco-v1.1.1" / "esco-v1.1.1-classification-en-csv.zip"
    if not archive.exists():
        pytest.skip(f"ESCO data not found at {archive}")
    with zipfile.ZipFile(archive) as z:
        text = z.read("occupations_en.csv").decode("utf-8")
    labels = {r["conceptUri"]: r["preferredLabel"] for r in csv.DictReader(io.StringIO(text))}
    rows = kg.select("""SELECT ?c ?label WHERE { ?r skos:closeMatch|skos:broadMatch ?c . ?c skos:prefLabel ?label
                          FILTER NOT EXISTS { ?c skos:editorialNote ?note } }""")
    assert rows
    for row in rows:
        assert labels.get(str(row["c"])) == str(row["label"]), row["c"]


# ---------------------------------------------------------------- the shapes, the build, own words

def test_shipped_knowledge_base_conforms_to_the_shapes():
    from datateam.graph.store.validate import validate_files

    report = validate_files([])
    assert report["violations"] == []
    assert report["conforms"] is True


def test_compiled_trig_is_up_to_date():
    from datateam.ontology.compile import main

    assert main(["--check"]) == 0


def test_no_sentence_copied_from_the_sources():
    import subprocess
    import sys

    from conftest import ROOT, SHARED

    tool = SHARED / "tools" / "own-words.py"
    if not tool.exists():
        pytest.skip(f"{tool} not found")
    result = subprocess.run([sys.executable, str(tool), str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.strip().endswith("0 passage(s) of 10+ words repeated from the source documents")


def test_ontology_terms_are_fully_documented(kg):
    rows = kg.select("""SELECT ?t WHERE { GRAPH graph:ontology {
        VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty } ?t a ?kind
        FILTER(isIRI(?t))
        FILTER NOT EXISTS { ?t rdfs:label ?l . ?t rdfs:comment ?c . ?t rdfs:isDefinedBy ?d } } }""")
    assert rows == []
    props = kg.select("""SELECT ?p WHERE { GRAPH graph:ontology { VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
        ?p a ?kind FILTER NOT EXISTS { ?p rdfs:range ?r } } }""")
    assert props == []
    header = kg.select("SELECT ?v WHERE { ?o a owl:Ontology ; owl:versionInfo ?v }")
    assert [str(r["v"]) for r in header] == ["0.2.0"]
