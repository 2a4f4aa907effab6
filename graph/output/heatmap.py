"""The overlap heatmap: a PNG or SVG picture of an OverlapMatrix, roles ordered by cluster.

Drawn with matplotlib's Agg backend (no display needed). Every role is labelled on both axes,
every cell carries its value when there is room (up to MAX_ANNOTATED roles), cluster borders are
outlined, and SVG text stays text (svg.fonttype "none") so the labels can be searched and parsed.

>>> from datateam.graph.analysis.overlap import overlap_matrix
>>> png = heatmap_bytes(overlap_matrix(kg, by="skills"), "png")
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import DatateamError

FORMATS = ("png", "svg")
MAX_ROLES = 80       # beyond this the labels cannot be read; ask for --roles instead
MAX_ANNOTATED = 40   # beyond this the cells are too small for numbers
SCORES = {"jaccard": "Jaccard index", "weighted": "level-weighted overlap", "similarity": "similarity score"}
BY_WORDS = {"all": "skills, tools and responsibilities", "skills": "skills", "tools": "tools",
            "responsibilities": "responsibilities"}


def format_for(path: str | Path) -> str:
    """The picture format from a file name (.png or .svg), or DatateamError naming the file."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise DatateamError(f"{path}: the heatmap is written as .png or .svg, not {suffix or 'no extension'!r}")
    return suffix


def heatmap_bytes(matrix, fmt: str = "png", score: str = "jaccard", title: str | None = None) -> bytes:
    """Draw the heatmap of one score ("jaccard", "weighted", or "similarity" for a matrix made with
    overlap_matrix(..., similarity=True)) and return the PNG or SVG bytes.

    Roles are ordered by cluster (matrix.ordered()); clusters are outlined. Raises DatateamError
    when there are more than MAX_ROLES roles (the picture would be unreadable) or fewer than two.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if fmt not in FORMATS:
        raise DatateamError(f"unknown picture format {fmt!r}; choose png or svg")
    if score not in SCORES:
        raise DatateamError(f"unknown score {score!r}; choose {', '.join(SCORES)}")
    n = len(matrix.roles)
    if n < 2:
        raise DatateamError("a heatmap needs at least two roles")
    if n > MAX_ROLES:
        raise DatateamError(f"{n} roles are too many for a readable heatmap (at most {MAX_ROLES}); "
                            "choose some with --roles")
    order = matrix.ordered()
    values = matrix.dense(score)[order][:, order]
    labels = [matrix.labels[i] for i in order]

    cell = 0.42 if n <= MAX_ANNOTATED else 0.2
    longest = max(len(label) for label in labels)
    margin = 0.5 + 0.075 * longest
    side = n * cell
    width, height = side + margin + 1.6, side + margin + 0.9
    with plt.rc_context({"svg.fonttype": "none", "font.size": 9, "font.family": "DejaVu Sans"}):
        fig = plt.figure(figsize=(width, height), dpi=110)
        ax = fig.add_axes((margin / width, margin / height, side / width, side / height))
        cax = fig.add_axes(((margin + side + 0.25) / width, margin / height, 0.2 / width, side / height))
        image = ax.imshow(values, cmap="YlGnBu", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels(labels, rotation=55, ha="right", rotation_mode="anchor")
        ax.set_yticklabels(labels)
        ax.tick_params(which="both", length=0)
        ax.set_xticks([x - 0.5 for x in range(1, n)], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, n)], minor=True)
        ax.grid(which="minor", color="white", linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if n <= MAX_ANNOTATED:
            for i in range(n):
                for j in range(n):
                    value = values[i, j]
                    text = "1" if value >= 0.9995 else ("0" if value == 0 else f"{value:.2f}".lstrip("0"))
                    ax.text(j, i, text, ha="center", va="center", fontsize=7,
                            color="white" if value > 0.55 else "#333333")
        start = 0
        index_of = {r: k for k, r in enumerate(matrix.roles)}
        position = {idx: pos for pos, idx in enumerate(order)}
        for cluster in matrix.clusters:
            members = [position[index_of[r]] for r in cluster if r in index_of]
            if not members:
                continue
            size = len(members)
            start = min(members)
            ax.add_patch(Rectangle((start - 0.5, start - 0.5), size, size, fill=False, edgecolor="#d62728",
                                   linewidth=1.6))
        bar = fig.colorbar(image, cax=cax)
        bar.set_label(SCORES[score])
        what = BY_WORDS.get(matrix.by, matrix.by)
        heading = title or f"Role overlap in {what}: {SCORES[score]}"
        fig.text(0.5, 1 - 0.35 / height, heading, ha="center", va="center", fontsize=11, weight="bold")
        if matrix.clusters:
            fig.text(0.5, 1 - 0.62 / height, "roles ordered by cluster; clusters outlined in red",
                     ha="center", va="center", fontsize=8, color="#555555")
        out = io.BytesIO()
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return out.getvalue()


__all__ = ["FORMATS", "MAX_ROLES", "format_for", "heatmap_bytes"]
