"""The SPARQL 1.1 Service Description of `datateam serve` (returned by GET /sparql without a query).

It says what the endpoint is and does, in RDF: the endpoint IRI, SPARQL 1.1 Query (no Update), the
result formats, `sd:UnionDefaultGraph` (the default graph is the RDF merge of the named graphs, which
`RemoteKnowledgeGraph` reads to skip dataset parameters), and the default dataset with each named
graph and its triple count (VoID).

>>> graph = service_description(kg, "http://127.0.0.1:8000/sparql")      # doctest: +SKIP
>>> (None, SD.feature, SD.UnionDefaultGraph) in graph                      # doctest: +SKIP
True
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ... import __version__

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
VOID = Namespace("http://rdfs.org/ns/void#")

RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


def service_description(kg, endpoint_url: str, graph_counts: dict[str, int] | None = None,
                        total: int | None = None) -> Graph:
    """Build the service description of an endpoint serving `kg` at `endpoint_url`.

    graph_counts: named graph IRI -> triple count (default: asked from `kg`); total: distinct
    triples of the default graph, the merge (default: asked from `kg`). Returns an rdflib Graph.
    """
    if graph_counts is None:
        graph_counts = {str(g): kg.triple_count(g) for g in kg.graph_names()}
    if total is None:
        total = kg.triple_count()
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    service = BNode("service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint_url)))
    g.add((service, DCTERMS.title, Literal("datateam-kg SPARQL endpoint", lang="en")))
    g.add((service, DCTERMS.description, Literal(
        f"Read-only SPARQL 1.1 Query endpoint of datateam-kg {__version__}: who does what in a data team. "
        "The default graph is the RDF merge of the named graphs (one per source document): each "
        "distinct triple once. Relative IRIs resolve against this endpoint's URL.", lang="en")))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for name in RESULT_FORMATS:
        g.add((service, SD.resultFormat, FORMATS[name]))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode("default-graph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(total, datatype=XSD.integer)))
    for index, (iri, count) in enumerate(sorted(graph_counts.items())):
        named = BNode(f"named-{index}")
        described = BNode(f"graph-{index}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(iri)))
        g.add((named, SD.graph, described))
        g.add((described, RDF.type, SD.Graph))
        g.add((described, VOID.triples, Literal(count, datatype=XSD.integer)))
    return g
