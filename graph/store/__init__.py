"""The store: where the triples live, and the one way to open it.

    backend.py      the Backend protocol and the one triple count
    factory.py      open_knowledge_graph / load_knowledge_graph: picks the backend, merges user data
    memory.py       KnowledgeGraph: the embedded in-memory Oxigraph store (the default)
    persistent.py   the on-disk store (--store DIR): imports, graph records, a lock for writers
    remote.py       a remote SPARQL 1.1 endpoint (--endpoint URL), read-only
    http_client.py  the HTTP client the remote backend and push share (httpx)
    merge.py        the default graph kept as the RDF merge of the named graphs
    rdf_files.py    RDF file formats, the shipped files, parsing with one-line errors
    validate.py     SHACL validation of a user's files before they are merged
    xml_guard.py    RDF/XML entity declarations refused before parsing

Every backend offers the same read methods (`select`, `ask`, `construct`, `graph_names`,
`triple_count`); `Backend` in backend.py states them.
"""

from .factory import load_knowledge_graph, open_knowledge_graph
from .backend import Backend
from .memory import KnowledgeGraph

__all__ = ["Backend", "KnowledgeGraph", "load_knowledge_graph", "open_knowledge_graph"]
