"""The main job: what is in the knowledge graph, how the roles overlap, and the explorer page."""

from __future__ import annotations

from pathlib import Path

from ..analysis.describe import _count_cell, list_roles, roles_without_skills_note
from ..defaults import OVERVIEW_MIN_SHARED, OVERVIEW_TOP
from ..lookup.sources import source_index
from ..text import to_table


def build_overview(kg, *, html: Path | None = None, by: str = "all", top: int = OVERVIEW_TOP,
                   min_shared: int = OVERVIEW_MIN_SHARED, include_conditional: bool = False,
                   rank_by: str = "similarity") -> dict:
    """Summarise the knowledge graph and (optionally) write the full explorer page.

    Returns {"graphs": [{"id", "title", "triples"}], "triples", "roles": [role rows from list_roles],
    "overlap": overlap_summary(...), "explorer": write_explorer summary or None}. The overlap counts
    no conditional fact unless include_conditional; the explorer page shows them all, marked.
    rank_by: "similarity" (the similarity score, graph/analysis/similar.py) or "jaccard" (the earlier
    ranking by Jaccard, then level-weighted).

    >>> build_overview(kg)["roles"][0]["label"]
    'analytics engineer'
    """
    from ..analysis.overlap import overlap_summary  # lazy: start-up time (networkx, scipy, numpy)
    from ..explorer import write_explorer  # lazy: start-up time (networkx, scipy, jinja2)
    from ..projection import build_projection  # lazy: start-up time (networkx)

    sources = source_index(kg)
    graphs = [{"id": sources[str(g)]["id"], "title": sources[str(g)]["title"], "triples": kg.triple_count(g)}
              for g in kg.graph_names()]
    projection = build_projection(kg, include_conditional=include_conditional)
    summary = overlap_summary(kg, by=by, top=top, min_shared=min_shared, graph=projection, rank_by=rank_by)
    explorer = write_explorer(kg, Path(html), view="hats") if html else None
    return {"graphs": graphs, "triples": kg.triple_count(), "roles": list_roles(kg), "overlap": summary,
            "explorer": explorer}


def format_overview(overview: dict) -> str:
    """The overview as text for a terminal."""
    from ..analysis.overlap import format_matrix_notes  # lazy: start-up time (networkx, scipy, numpy)

    lines = [f"Knowledge graph: {overview['triples']:,} distinct triples in {len(overview['graphs'])} named graphs"]
    for g in overview["graphs"]:
        lines.append(f"  {g['id']:<18} {g['triples']:>7,}  {g['title']}")
    roles = overview["roles"]
    lines += ["", f"Roles ({len(roles)})"]
    rows = [{"label": r["label"], "family": r["family"] or "",
             "skills": _count_cell(r["skills"], r.get("conditional_skills", 0), bool(r.get("note"))),
             "tools": _count_cell(r["tools"], r.get("conditional_tools", 0), bool(r.get("note"))),
             "aliases": ", ".join(r["aliases"][:3])} for r in roles]
    lines.append(to_table(rows, ["label", "family", "skills", "tools", "aliases"],
                          ["role", "family", "skills", "tools", "aliases"]).rstrip())
    bare = roles_without_skills_note(roles)
    if bare:
        lines.append(bare.rstrip("\n"))
    summary = overview["overlap"]
    at_least = f", pairs sharing at least {summary['min_shared']}" if summary["min_shared"] > 1 else ""
    if summary.get("rank_by") == "similarity":
        lines += _similarity_lines(summary, at_least)
    else:
        lines += ["", f"Most overlapping roles (by {summary['by']}{at_least}: shared items, Jaccard, level-weighted)"]
        for pair in summary["most_overlapping"]:
            said = "; ".join(f"{', '.join(c['kinds'])} [{c['source']}]" for c in pair.get("comparisons", []))
            lines.append(f"  {pair['a']} ↔ {pair['b']}: {pair['shared']} shared, "
                         f"{pair['jaccard']:.2f}, {pair['weighted']:.2f}" + (f"  (the sources: {said})" if said else ""))
    lines += ["", "Role clusters (communities of the overlap graph)"]
    for number, cluster in enumerate(summary["clusters"], start=1):
        lines.append(f"  {number}. " + ", ".join(r["label"] for r in cluster))
    notes = format_matrix_notes(summary)
    if notes:
        lines += ["", notes.rstrip("\n")]
    if overview["explorer"]:
        e = overview["explorer"]
        lines += ["", f"Explorer page: {e['path']} ({e['nodes']} nodes, {e['edges']} links); open it in a browser."]
    return "\n".join(lines) + "\n"


def _similarity_lines(summary: dict, at_least: str) -> list[str]:
    """The pairs ranked by the similarity score, what drove each, and the sources' comparisons beside the score."""
    import textwrap

    lines = ["", f"Most similar roles (by {summary['by']}{at_least}: similarity, shared items, Jaccard, "
                 "level-weighted; what drove the score)"]
    for pair in summary["most_overlapping"]:
        said = "; ".join(f"{', '.join(c['kinds'])} [{c['source']}]" for c in pair.get("comparisons", []))
        lines.append(f"  {pair['a']} ↔ {pair['b']}: {pair['similarity']:.3f}, {pair['shared']} shared, "
                     f"{pair['jaccard']:.2f}, {pair['weighted']:.2f}" + (f"  (the sources: {said})" if said else ""))
        drivers = ", ".join(f"{d['label']} {d['weight']:.3f}" for d in pair.get("drivers", []))
        if drivers:
            lines += textwrap.wrap(f"driven by {drivers}", 100, initial_indent="      ", subsequent_indent="      ")
    if summary.get("statements"):
        lines += ["", "The sources' comparisons beside the score (rank among all pairs; near = one is among the "
                      "other's 3 most similar)"]
        for entry in summary["statements"]:
            lines.append(f"  {entry['a']} ↔ {entry['b']}: {entry['similarity']:.3f}, rank {entry['rank']} of "
                         f"{entry['pairs']}{', near' if entry['near'] else ''}")
            for c in entry["comparisons"]:
                condition = f", {c['condition']}" if c.get("condition") else ""
                verdict = f": the score {c['verdict']} it" if c.get("verdict") else ""
                lines.append(f"      {', '.join(c['kinds'])} [{c['source']}{condition}]{verdict}")
    return lines
