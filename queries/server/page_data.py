"""What the query page asks beside queries: the vocabulary its editor completes, and `show` for an IRI.

`vocabulary(kg)` lists the classes and properties of the knowledge graph - those the ontology
declares and those the data uses - by one SPARQL query over the store, so the editor completes
what the store holds, imported frameworks included. `describe_iri(kg, iri, fmt)` is
`datateam show <IRI>`: the same description, as its JSON or its text table.

>>> [t for t in vocabulary(kg)["terms"] if t["iri"].endswith("#Role")]
[{'iri': 'https://w3id.org/datateam-kg/ontology#Role', 'kind': 'class', 'label': 'Role'}]
"""

from __future__ import annotations

import re

from ...graph.analysis.describe import describe, render_details
from ...graph.errors import DatateamError
from ...graph.lookup.names import resolve

# Declared or used: a class is declared as one or is the type of something; a property is
# declared as one or is the predicate of a triple.
VOCABULARY_QUERY = """
SELECT ?term ?kind (SAMPLE(?name) AS ?label) WHERE {
  {
    { VALUES ?declared { owl:Class rdfs:Class } ?term a ?declared } UNION { [] a ?term }
    BIND("class" AS ?kind)
  } UNION {
    { VALUES ?declared { rdf:Property owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
      ?term a ?declared } UNION { [] ?term [] }
    BIND("property" AS ?kind)
  }
  FILTER(isIRI(?term))
  OPTIONAL { ?term rdfs:label ?name FILTER(lang(?name) = "en" || lang(?name) = "") }
}
GROUP BY ?term ?kind
"""


def vocabulary(kg) -> dict:
    """{"terms": [{iri, kind: "class" | "property", label}]}: the store's classes and properties,
    sorted by kind then IRI (label "" when the store gives none)."""
    rows = kg.select(VOCABULARY_QUERY)
    terms = {(str(r["term"]), str(r["kind"])): str(r.get("label", "")) for r in rows}
    return {"terms": [{"iri": iri, "kind": kind, "label": terms[(iri, kind)]}
                      for kind, iri in sorted((k, i) for i, k in terms)]}


def describe_iri(kg, iri: str, fmt: str = "json") -> str:
    """`datateam show <iri>` as text: its JSON ("json") or its table ("table").

    Raises NameNotFoundError when the IRI names no entity the knowledge base describes, and
    DatateamError when it is not an absolute IRI.
    """
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", iri) or any(c in iri for c in "<>\"{}|^`\\"):
        raise DatateamError(f"iri={iri[:200]!r} is not an absolute IRI")
    return render_details(describe(kg, resolve(kg, f"<{iri}>")), fmt)
