"""The IRIs of the project: ontology terms, instance namespaces, named graphs and prefixes."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD

BASE = "https://w3id.org/datateam-kg/"

DT = Namespace(BASE + "ontology#")
ESCO = Namespace("http://data.europa.eu/esco/model#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# One namespace per kind of instance, so IRIs read like .../role/data-engineer.
ROLE = Namespace(BASE + "role/")
SKILL = Namespace(BASE + "skill/")
TOOL = Namespace(BASE + "tool/")
CATEGORY = Namespace(BASE + "category/")
RESPONSIBILITY = Namespace(BASE + "responsibility/")
ARTIFACT = Namespace(BASE + "artifact/")
STAGE = Namespace(BASE + "stage/")
HANDOFF = Namespace(BASE + "handoff/")
REQUIREMENT = Namespace(BASE + "requirement/")
TOOL_USE = Namespace(BASE + "tool-use/")
ASSIGNMENT = Namespace(BASE + "assignment/")
COMPARISON = Namespace(BASE + "comparison/")
QUESTION = Namespace(BASE + "question/")
POSITION = Namespace(BASE + "position/")
ANSWER = Namespace(BASE + "answer/")
PATTERN = Namespace(BASE + "team-pattern/")
DEPLOYMENT = Namespace(BASE + "deployment/")
WORKFLOW = Namespace(BASE + "workflow/")
SOURCE = Namespace(BASE + "source/")
FAMILY = Namespace(BASE + "role-family/")
GRAPH = Namespace(BASE + "graph/")

ONTOLOGY_GRAPH = URIRef(BASE + "graph/ontology")

PREFIXES: dict[str, str] = {
    "dt": str(DT),
    "role": str(ROLE),
    "skill": str(SKILL),
    "tool": str(TOOL),
    "category": str(CATEGORY),
    "resp": str(RESPONSIBILITY),
    "artifact": str(ARTIFACT),
    "stage": str(STAGE),
    "handoff": str(HANDOFF),
    "req": str(REQUIREMENT),
    "tooluse": str(TOOL_USE),
    "assignment": str(ASSIGNMENT),
    "comparison": str(COMPARISON),
    "question": str(QUESTION),
    "position": str(POSITION),
    "answer": str(ANSWER),
    "pattern": str(PATTERN),
    "deploy": str(DEPLOYMENT),
    "workflow": str(WORKFLOW),
    "source": str(SOURCE),
    "family": str(FAMILY),
    "graph": str(GRAPH),
    "esco": str(ESCO),
    "skos": str(SKOS),
    "schema": str(SDO),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
}


def sparql_prologue() -> str:
    """Return the project's PREFIX declarations as SPARQL text."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib Graph or Dataset (for readable serializations)."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
