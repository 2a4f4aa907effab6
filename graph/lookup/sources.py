"""The source documents behind the named graphs: which graph is which source.

>>> source_index(kg)["https://w3id.org/datateam-kg/graph/olx-interview"]["id"]
'olx-interview'
"""

from __future__ import annotations

from collections import defaultdict

from ...ontology.namespaces import BASE, ONTOLOGY_GRAPH


def source_index(kg) -> dict[str, dict]:
    """Map each named graph IRI to its source as {"id", "title"}.

    A graph's source is the dt:Source it was derived from (prov:wasDerivedFrom); graphs without that
    metadata (a user's file) are named after the graph.
    """
    rows = kg.select("""
        SELECT ?g ?id ?title WHERE {
          GRAPH ?g { ?g prov:wasDerivedFrom ?src }
          ?src dcterms:identifier ?id .
          OPTIONAL { ?src dcterms:title ?title }
        }""")
    index = {}
    for row in rows:
        index[str(row["g"])] = {"id": str(row["id"]), "title": str(row.get("title", row["id"]))}
    # A user's file without provenance metadata: if it declares exactly one dt:Source, that is its source.
    declared = defaultdict(list)
    for row in kg.select("""
        SELECT ?g ?id ?title WHERE { GRAPH ?g { ?src a dt:Source ; dcterms:identifier ?id
                                                OPTIONAL { ?src dcterms:title ?title } } }"""):
        declared[str(row["g"])].append({"id": str(row["id"]), "title": str(row.get("title", row["id"]))})
    for graph, found in declared.items():
        if graph not in index and len(found) == 1:
            index[graph] = found[0]
    for graph in kg.graph_names():
        key = str(graph)
        if key not in index:
            local = key[len(BASE + "graph/"):] if key.startswith(BASE + "graph/") else key
            index[key] = {"id": local, "title": f"graph <{key}>"}
    return index


def graph_source_ids(kg) -> dict[str, str]:
    """Map every named graph IRI (str) to the id of the source it holds; the ontology graph is left out.

    A graph's source is the dt:Source it was derived from (prov:wasDerivedFrom), e.g.
    graph:olx-interview -> "olx-interview"; a graph without that metadata (a user's file, an import)
    is named by its path after .../graph/ ("user/my-team", "import/esco").

    >>> graph_source_ids(kg)["https://w3id.org/datateam-kg/graph/olx-interview"]
    'olx-interview'
    """
    out = {}
    for graph, source in source_index(kg).items():
        if graph != str(ONTOLOGY_GRAPH):
            out[graph] = source["id"]
    return out
