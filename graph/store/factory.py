"""Opening a knowledge graph: the one factory above the backends (memory, persistent, remote).

The CLI, the endpoint and notebooks call `open_knowledge_graph`; it picks the backend from the
options and merges the user's own files after checking them against the SHACL shapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import DatateamError
from .memory import KnowledgeGraph, load_shipped
from .rdf_files import ONTOLOGY_FILE, files_digest, knowledge_base_files, parse_file, user_graph_iri

# The backends below are imported where they are used, for start-up time only: validation pulls in
# pyshacl (about 0.3 s), the remote backend httpx, and most commands use neither.


def load_knowledge_graph(data_files: Iterable[Path] = (), *, validate: bool = True) -> KnowledgeGraph:
    """Build the embedded in-memory knowledge graph: ontology, shipped sources and user data.

    User files are checked against the SHACL shapes first (unless `validate` is False); a
    violation raises ValidationError and nothing is loaded.
    """
    kg = KnowledgeGraph()
    load_shipped(kg)
    data_files = [Path(p) for p in data_files]
    if data_files:
        user_quads = [q for p in data_files for q in parse_file(p, user_graph_iri(p))]
        if validate:
            from .validate import check_user_data  # lazy: start-up time (pyshacl)

            check_user_data(kg, user_quads, data_files)
        kg.add_quads(user_quads)
    kg.content_key = "files:" + files_digest([ONTOLOGY_FILE, *knowledge_base_files(), *data_files])
    return kg


def open_knowledge_graph(data_files: Iterable[Path] = (), *, store_path: str | Path | None = None,
                         endpoint: str | None = None, writable: bool = False, validate: bool = True):
    """Open the knowledge graph the user asked for.

    - `endpoint`: a remote SPARQL 1.1 endpoint (read-only; see graph/store/remote.py);
    - `store_path`: a persistent on-disk Oxigraph store (see graph/store/persistent.py);
    - neither: the embedded in-memory store with the shipped knowledge base.
    `data_files` are the user's own RDF files, checked against the SHACL shapes before merging.
    """
    data_files = [Path(p) for p in data_files]
    if endpoint and store_path:
        raise DatateamError("--store and --endpoint cannot be used together")
    if endpoint:
        if data_files:
            raise DatateamError("--data cannot be merged into a remote endpoint; upload it with `datateam push`")
        from .remote import RemoteKnowledgeGraph  # lazy: start-up time (httpx)

        return RemoteKnowledgeGraph(endpoint)
    if store_path:
        from .persistent import open_persistent

        return open_persistent(Path(store_path), data_files, writable=writable, validate=validate)
    return load_knowledge_graph(data_files, validate=validate)
