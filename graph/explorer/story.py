"""The hats view: the roles laid out along the lifecycle, handoff arrows between them, the rest on demand.

Each role ("hat") gets a column of the lifecycle, from problem framing to operations: the column of
the stages its responsibilities sit at (plus the stages of the handoffs it gives and receives), the
most frequent one winning; a role with none takes its family's most frequent column. Inside a
column the hats are stacked, and their order and a small sideways stagger are chosen by a seeded
local search that first removes overlaps between the drawn labels (the hats' names under their dots
and the artifacts on the arrows, estimated from the label lengths), then shortens and uncrosses the
arrows. Everything else (skills, tools, responsibilities, ...) gets a position from a spring layout
with the hats pinned where they are, so expanding a hat shows its neighbourhood around it without
moving anything.

>>> story = hat_story(projection)
>>> story["columns"][0]["label"]
'Problem framing'
"""

from __future__ import annotations

import math
import random
import textwrap
from collections import Counter

import networkx as nx
import numpy as np

from ..importers import FRAMEWORKS
from .layout import compute_positions

# The lifecycle columns, left to right, and the lifecycle stages (IRI local names) in each.
LIFECYCLE = (
    ("Problem framing", ("problem-framing",)),
    ("Data", ("data-ingestion", "data-preparation")),
    ("Analysis", ("analysis", "evaluation-and-experimentation")),
    ("Modelling", ("modelling",)),
    ("Productionisation", ("productionisation-and-serving",)),
    ("Operations", ("operations-and-monitoring",)),
)
COLUMN_GAP = 245.0      # canvas pixels between column centres
ROW_GAP = 120.0         # between hats stacked in a column
STAGGER = 54.0          # sideways offset of alternate hats, so arrows inside a column are not vertical
ROLE_FONT = 20          # px: the hats' labels
EDGE_FONT = 16          # px: the artifacts on the arrows
CHAR_WIDTH = 0.6        # average glyph width as a fraction of the font size (sans-serif, generous)
LINE_HEIGHT = 1.2
LABEL_WRAP = 13         # characters per line of a hat's label
EDGE_WRAP = 16          # characters per line of an arrow's label
MAX_ARTIFACTS = 2       # artifacts named on an arrow; the rest are counted
PAD = 4.0               # px kept clear around each label
CURVE = 0.3             # roundness of the two arrows between a pair of hats that hand off both ways
CURVES = (-0.45, -0.3, -0.15, 0.0, 0.15, 0.3, 0.45)   # the bends an arrow may take to keep its label clear
FINE_CURVES = tuple(round(0.1 * i, 1) for i in range(-7, 8))
FINE_BOTH_WAYS = tuple(round(0.1 * i, 1) for i in range(1, 8))
NUDGES = (-8, 8, -16, 16, -24, 24, -32, 32, -40, 40, -48, 48)
LIFTS = (-1.0, -0.5, 0.0, 0.5, 1.0)    # a column may sit up to a row higher or lower
BOTH_WAYS = (0.2, 0.3, 0.4)            # a pair that hands off both ways: both bend clockwise, apart
SEARCH_STEPS = 2000      # per restart of the annealing
RESTARTS = 2
TEMPERATURE = 5000.0


def hat_size(items: int) -> float:
    """The radius (px) of a hat's dot: grows with the square root of its skills, tools and responsibilities.

    >>> hat_size(0), hat_size(100)
    (9.0, 29.0)
    """
    return round(9.0 + 2.0 * math.sqrt(items), 1)


def wrap(text: str, width: int) -> str:
    """Break a label into lines of at most `width` characters (long words are kept whole).

    >>> wrap("site reliability engineer", 17)
    'site reliability\\nengineer'
    """
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def _local(iri: str) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def hats(graph: nx.MultiDiGraph) -> list[str]:
    """The roles the hats view lays out: the project's own and the user's, not the occupations
    imported from ESCO or O*NET (thousands of them; the page shows those on demand).

    A role counts as imported when every source stating it is an imported framework ("esco",
    "onet", or a graph named "import/...").
    """
    def imported(attrs) -> bool:
        sources = attrs.get("sources") or []
        return bool(sources) and all(str(s) in FRAMEWORKS or str(s).startswith("import/") for s in sources)

    return sorted((n for n, attrs in graph.nodes(data=True) if attrs.get("type") == "role" and not imported(attrs)),
                  key=lambda r: (str(graph.nodes[r].get("label", r)).casefold(), r))


def role_columns(graph: nx.MultiDiGraph, roles: list[str] | None = None) -> dict[str, int]:
    """The lifecycle column (index into LIFECYCLE) of each role (default: the hats)."""
    column_of_stage = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") == "stage":
            for i, (_, stages) in enumerate(LIFECYCLE):
                if _local(node) in stages:
                    column_of_stage[node] = i
    by_label = {graph.nodes[s].get("label"): c for s, c in column_of_stage.items()}
    roles = hats(graph) if roles is None else roles
    votes: dict[str, Counter] = {r: Counter() for r in roles}
    for u, v, d in graph.edges(data=True):
        relation = d.get("relation")
        if relation == "has_responsibility" and u in votes:
            for _, stage, e in graph.out_edges(v, data=True):
                if e.get("relation") == "at_stage" and stage in column_of_stage:
                    votes[u][column_of_stage[stage]] += 2
        elif relation == "hands_off_to":
            column = column_of_stage.get(d.get("stage"), by_label.get(d.get("stage_label")))
            if column is not None:
                if u in votes:
                    votes[u][column] += 1
                # A stakeholder sits where it asks for work, not everywhere it receives results.
                if v in votes and not graph.nodes[v].get("stakeholder"):
                    votes[v][column] += 1
    columns = {r: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for r, c in votes.items() if c}
    families: dict[str, Counter] = {}
    for r, c in columns.items():
        families.setdefault(graph.nodes[r].get("family"), Counter())[c] += 1
    for r in roles:
        if r not in columns:
            family = families.get(graph.nodes[r].get("family"))
            columns[r] = min(family.items(), key=lambda kv: (-kv[1], kv[0]))[0] if family else 0
    return columns


def role_items(graph: nx.MultiDiGraph) -> Counter:
    """How many skills, tools and responsibilities the sources give each role."""
    counts: Counter = Counter()
    for u, _, d in graph.edges(data=True):
        if d.get("relation") in ("requires_skill", "uses_tool", "has_responsibility"):
            counts[u] += 1
    return counts


def handoff_links(graph: nx.MultiDiGraph) -> dict[tuple[str, str], list[str]]:
    """(giver, receiver) -> the distinct artifacts handed over, in workflow-step order."""
    rows = sorted(((u, v, d) for u, v, d in graph.edges(data=True) if d.get("relation") == "hands_off_to"),
                  key=lambda e: (e[2].get("step") is None, e[2].get("step") or 0,
                                 str(e[2].get("artifact_label") or "").casefold()))
    links: dict[tuple[str, str], list[str]] = {}
    for u, v, d in rows:
        if u == v:
            continue
        artifacts = links.setdefault((u, v), [])
        artifact = d.get("artifact_label") or ""
        if artifact and artifact not in artifacts:
            artifacts.append(artifact)
    return links


def edge_label(artifacts: list[str]) -> str:
    """The label of a handoff arrow: the first artifacts, wrapped, and how many more.

    >>> edge_label(["data model", "data warehouse", "prepared dataset"])
    'data model, data\\nwarehouse +1\\nmore'
    """
    text = ", ".join(artifacts[:MAX_ARTIFACTS])
    if len(artifacts) > MAX_ARTIFACTS:
        text += f" +{len(artifacts) - MAX_ARTIFACTS} more"
    return wrap(text, EDGE_WRAP)


def _text_box(text: str, font: float, cx: float, top: float) -> tuple[float, float, float, float]:
    lines = text.split("\n")
    width = max(len(line) for line in lines) * font * CHAR_WIDTH
    height = len(lines) * font * LINE_HEIGHT
    return (cx - width / 2 - PAD, top - PAD, cx + width / 2 + PAD, top + height + PAD)


def curve_midpoint(a: tuple[float, float], b: tuple[float, float], curve: float = 0.0) -> tuple[float, float]:
    """Where vis-network draws the label of an edge from a to b: the quadratic Bézier at t = 0.5 of a
    `curvedCW` edge of roundness `curve` (> 0), a `curvedCCW` one of roundness -curve (< 0), or the
    midpoint of a straight one (0).

    >>> curve_midpoint((0, 0), (100, 0))
    (50.0, 0.0)
    """
    if curve == 0:
        return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    roundness = abs(curve)
    dx, dy = b[0] - a[0], a[1] - b[1]
    radius = math.hypot(dx, dy)
    turn = roundness * 0.5 + 0.5 if curve > 0 else -roundness * 0.5 + 0.5
    angle = (math.atan2(dy, dx) + turn * math.pi) % (2 * math.pi)
    via = (a[0] + (roundness * 0.5 + 0.5) * radius * math.sin(angle),
           a[1] + (roundness * 0.5 + 0.5) * radius * math.cos(angle))
    return (0.25 * a[0] + 0.5 * via[0] + 0.25 * b[0], 0.25 * a[1] + 0.5 * via[1] + 0.25 * b[1])


class _Layout:
    """The hats' positions for one arrangement (column orders and staggers) and its cost."""

    def __init__(self, columns, sizes, labels, links):
        self.columns = columns          # [ [role, ...] per column ]
        self.sizes = sizes
        self.labels = labels            # role -> wrapped label
        self.links = links              # [(u, v, label, curved)]
        self._ignore = None
        ends = [{u, v} for u, v, _, _ in links]
        self.adjacent = np.array([[bool(a & b) for b in ends] for a in ends], dtype=bool).reshape(len(ends), len(ends))

    def positions(self, orders, staggers):
        pos = {}
        for c, order in enumerate(orders):
            n = len(order)
            for i, role in enumerate(order):
                side, lift = staggers[c]
                shift = 0.0 if side == 0 else STAGGER * (1 if (i % 2 == 0) == (side > 0) else -1)
                pos[role] = (c * COLUMN_GAP + (shift if n > 1 else 0.0), (i - (n - 1) / 2 + lift) * ROW_GAP)
        return pos

    def boxes(self, pos, curves):
        """[(kind, name, (x0, y0, x1, y1))]: the hats' labels ("n") and dots ("d"), the arrows' labels ("e")."""
        boxes = []
        for role, (x, y) in pos.items():
            size = self.sizes[role]
            boxes.append(("n", role, _text_box(self.labels[role], ROLE_FONT, x, y + size + 2)))
            boxes.append(("d", role, (x - size, y - size, x + size, y + size)))
        for (u, v, label, _), curve in zip(self.links, curves):
            if not label:
                continue
            mid = curve_midpoint(pos[u], pos[v], curve)
            lines = label.count("\n") + 1
            boxes.append(("e", (u, v), _text_box(label, EDGE_FONT, mid[0], mid[1] - lines * EDGE_FONT * LINE_HEIGHT / 2)))
        return boxes

    @staticmethod
    def _same(boxes):
        owners = [name if kind != "e" else None for kind, name, _ in boxes]
        return np.array([[a is not None and a == b for b in owners] for a in owners], dtype=bool)

    def cost(self, pos, curves):
        boxes = self.boxes(pos, curves)
        b = np.array([box for _, _, box in boxes])
        if self._ignore is None:
            dots = np.array([kind == "d" for kind, _, _ in boxes])
            self._ignore = (dots[:, None] & dots[None, :]) | self._same(boxes)
            # Two labels on top of each other are worse than a label over a dot.
            self._weight = np.where(dots[:, None] | dots[None, :], 1.0, 10.0)
        w = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
        h = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
        area = np.clip(w, 0, None) * np.clip(h, 0, None)
        area[self._ignore] = 0.0
        area *= self._weight
        overlap = float(np.triu(area, 1).sum())
        if self.links:
            p = np.array([pos[u] for u, _, _, _ in self.links])
            q = np.array([pos[v] for _, v, _, _ in self.links])
            length = float(np.hypot(*(q - p).T).sum())
            crossings = int(np.triu(_crossings(p, q) & ~self.adjacent, 1).sum())
        else:
            length, crossings = 0.0, 0
        return overlap * 100.0 + crossings * 400.0 + length


def _crossings(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """crosses[i, j]: segment p[i]-q[i] properly crosses segment p[j]-q[j]."""
    def orient(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    P, Q = p[:, None, :], q[:, None, :]
    R, S = p[None, :, :], q[None, :, :]
    d1, d2 = orient(R, S, P), orient(R, S, Q)
    d3, d4 = orient(P, Q, R), orient(P, Q, S)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def hat_story(graph: nx.MultiDiGraph, *, seed: int = 7, steps: int = SEARCH_STEPS) -> dict:
    """Lay the roles of a projection out along the lifecycle.

    Returns {"columns": [{"label", "x"}], "positions": {role: (x, y)}, "column": {role: index},
    "sizes": {role: radius}, "labels": {role: wrapped label}, "links": {(u, v): wrapped artifact label},
    "curves": {(u, v): signed roundness (see curve_midpoint)}, "nudges": {(u, v): px an arrow's label
    is moved up or down to clear another label}, "cost"}. Deterministic for a graph and seed.
    """
    roles = hats(graph)
    column = role_columns(graph, roles)
    items = role_items(graph)
    sizes = {r: hat_size(items[r]) for r in roles}
    labels = {r: wrap(str(graph.nodes[r].get("label", r)), LABEL_WRAP) for r in roles}
    artifacts = handoff_links(graph)
    role_set = set(roles)
    links = [(u, v, edge_label(a), (v, u) in artifacts) for (u, v), a in artifacts.items()
             if u in role_set and v in role_set]
    columns = [[r for r in roles if column[r] == c] for c in range(len(LIFECYCLE))]
    layout = _Layout(columns, sizes, labels, links)
    # Start from the hats with most handoffs in the middle of their column.
    degree = Counter()
    for u, v, *_ in links:
        degree[u] += 1
        degree[v] += 1
    orders = []
    for col in columns:
        ranked = sorted(col, key=lambda r: (-degree[r], labels[r]))
        middle_out = []
        for i, r in enumerate(ranked):
            if i % 2:
                middle_out.append(r)
            else:
                middle_out.insert(0, r)
        orders.append(middle_out)
    staggers = [(1 if len(col) > 2 else 0, 0.0) for col in columns]
    curves = [CURVE if curved else 0.0 for *_, curved in links]
    rng = random.Random(seed)
    start = (orders, staggers, curves)
    best, kept = layout.cost(layout.positions(orders, staggers), curves), start
    for _ in range(RESTARTS):
        cost, found = _anneal(layout, columns, links, start, rng, steps)
        if cost < best:
            best, kept = cost, found
    orders, staggers, curves = kept
    positions = layout.positions(orders, staggers)
    best, curves = _settle_curves(layout, positions, list(curves), links, best)
    nudges = _nudge_labels(layout, positions, curves)
    return {
        "columns": [{"label": label, "x": c * COLUMN_GAP} for c, (label, _) in enumerate(LIFECYCLE)],
        "positions": positions,
        "column": column,
        "sizes": sizes,
        "labels": labels,
        "links": {(u, v): label for u, v, label, _ in links},
        "curves": {(u, v): curve for (u, v, _, _), curve in zip(links, curves)},
        "nudges": nudges,
        "cost": best,
    }


def _anneal(layout: _Layout, columns, links, start, rng: random.Random, steps: int):
    """Simulated annealing over the column orders, the columns' stagger and lift, and the arrows' bends."""
    orders, staggers, curves = start
    best = current = layout.cost(layout.positions(orders, staggers), curves)
    kept = start
    movable = [c for c, col in enumerate(columns) if col]
    for step in range(steps if movable else 0):
        trial, trial_staggers, trial_curves = orders, staggers, curves
        move = rng.random()
        if move < 0.35 and links:
            k = rng.randrange(len(links))
            trial_curves = list(curves)
            trial_curves[k] = rng.choice(BOTH_WAYS if links[k][3] else CURVES)
        else:
            c = rng.choice(movable)
            if move < 0.55 or len(orders[c]) < 2:
                trial_staggers = list(staggers)
                trial_staggers[c] = (rng.choice((-1, 0, 1)), rng.choice(LIFTS))
            else:
                trial = [list(o) for o in orders]
                i, j = rng.sample(range(len(trial[c])), 2)
                trial[c][i], trial[c][j] = trial[c][j], trial[c][i]
        cost = layout.cost(layout.positions(trial, trial_staggers), trial_curves)
        temperature = TEMPERATURE * (1 - step / steps)
        if cost < current or (temperature > 0 and rng.random() < math.exp((current - cost) / temperature)):
            current, orders, staggers, curves = cost, trial, trial_staggers, trial_curves
            if cost < best:
                best, kept = cost, (orders, staggers, curves)
    return best, kept


def _settle_curves(layout: _Layout, positions, curves, links, best):
    """Coordinate descent over each arrow's bend, on a finer scale, with the hats fixed."""
    for _ in range(4):
        improved = False
        for k in range(len(links)):
            for bend in FINE_BOTH_WAYS if links[k][3] else FINE_CURVES:
                if bend == curves[k]:
                    continue
                trial = curves[:k] + [bend] + curves[k + 1:]
                cost = layout.cost(positions, trial)
                if cost < best - 1e-9:
                    best, curves, improved = cost, trial, True
        if not improved:
            break
    return best, curves


def _nudge_labels(layout: _Layout, positions, curves) -> dict:
    """Move an arrow's label that still overlaps another label up or down (vis's font.vadjust), a few px at a time."""
    boxes = layout.boxes(positions, curves)
    nudges = {}

    def hits(box, owner):
        return sum(_area(box, other) for kind, name, other in boxes if name != owner and kind != "d")

    for k, (kind, name, box) in enumerate(boxes):
        if kind != "e" or not hits(box, name):
            continue
        for dy in NUDGES:
            moved = (box[0], box[1] + dy, box[2], box[3] + dy)
            if not hits(moved, name):
                boxes[k] = (kind, name, moved)
                nudges[name] = dy
                break
    return nudges


def _area(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


SPRING_LIMIT = 600


def _fitted_positions(graph: nx.MultiDiGraph, pinned: dict, seed: int) -> dict:
    free = compute_positions(graph, seed=seed)
    keys = [n for n in pinned if n in free]
    a = np.array([free[n] for n in keys], dtype=float)
    b = np.array([pinned[n] for n in keys], dtype=float)
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    spread = float(((a - ca) ** 2).sum())
    scale = float(((a - ca) * (b - cb)).sum() / spread) if spread > 0 else 1.0
    scale = max(scale, 0.05)
    out = {n: (float((x - ca[0]) * scale + cb[0]), float((y - ca[1]) * scale + cb[1])) for n, (x, y) in free.items()}
    out.update({n: (float(x), float(y)) for n, (x, y) in pinned.items()})
    return out


def expansion_positions(graph: nx.MultiDiGraph, pinned: dict, *, seed: int = 7) -> dict:
    """Positions for every node, the pinned ones (the hats) kept where they are.

    A seeded spring layout of the whole projection with the hats fixed, so that each item settles
    near the hats it belongs to (an item of several hats between them). Above SPRING_LIMIT nodes
    (an ESCO or O*NET import) the spring layout is too slow: layout.compute_positions (Pivot MDS)
    lays out everything, and a least-squares scale and shift maps it onto the hats' places.
    """
    if graph.number_of_nodes() > SPRING_LIMIT and pinned:
        return _fitted_positions(graph, pinned, seed)
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    simple.add_edges_from((u, v) for u, v, d in graph.edges(data=True)
                          if d.get("relation") not in ("hands_off_to", "works_with") and u != v)
    if not pinned:
        return {}
    scale = COLUMN_GAP
    start = {n: (x / scale, y / scale) for n, (x, y) in pinned.items()}
    rng = random.Random(seed)
    xs = [p[0] for p in start.values()]
    ys = [p[1] for p in start.values()]
    for n in simple.nodes:
        if n not in start:
            start[n] = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys) - 1, max(ys) + 1))
    pos = nx.spring_layout(simple, pos=start, fixed=list(pinned), k=0.25, iterations=80, seed=seed)
    return {n: (float(p[0]) * scale, float(p[1]) * scale) for n, p in pos.items()}
