"""The graph side, in the order data flows through it (docs/architecture.md draws it).

    store/      the triples: in memory, on disk, or a remote endpoint; opened by store.factory
    importers/  ESCO and O*NET into the persistent store
    lookup/     names to entities, qualifiers of facts, sources of graphs
    projection.py  the store as a networkx graph
    analysis/   describe, overlap, transition, coverage, handoffs, bridges: plain data out
    output/     the overview, exports, the heatmap, push to a remote store
    explorer/   the interactive HTML page (pyvis)
    text.py     text tables, CSV cells and JSON shared by every layer; errors.py the errors users see
    files.py    the one atomic file writer (every layer writes through it: the explorer sits below output/)
    defaults.py the numbers the CLI and the library share (imports nothing, so --help needs no rdflib)
"""
