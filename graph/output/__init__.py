"""Outputs: files and pictures made from the analyses and the store.

    overview.py  the main job: sources, roles, overlap summary and the explorer page
    export.py    RDF serialisations of the store and graph formats of the projection
    heatmap.py   the overlap heatmap (matplotlib)
    push.py      the store's graphs sent to a remote store (Graph Store Protocol)
"""
