"""Deterministic node positions for the explorer page, computed in Python.

vis-network's physics settles a few hundred nodes in a second or two but never settles thousands
(DESIGN.md measured 2,000 nodes still moving after 120 s). So the explorer computes positions here,
seeded and reproducible, and switches the browser's physics off: the page is drawn once and is
ready.

Two methods, chosen by the size of each connected component:

- small components (up to SMALL_COMPONENT nodes): networkx's Fruchterman-Reingold
  (`spring_layout`, exact all-pairs repulsion, seeded);
- larger ones: Pivot MDS (Brandes & Pich 2006: breadth-first distances from a few dozen pivot
  nodes, double-centred, two singular vectors give a layout that keeps the graph's global shape in
  one dense k x n problem) refined by Fruchterman-Reingold steps whose all-pairs repulsion is
  computed on a mesh (node density convolved with the force kernel by FFT, as in particle-mesh
  simulations) plus exact repulsion between close pairs found with a k-d tree. Everything is
  vectorised numpy/scipy: under a second for 10,000 nodes, and it spreads hub-and-spoke graphs
  more evenly than plain spring layouts do.

Connected components are laid out one by one and packed in rows, largest first, so a graph with
many small pieces neither collapses nor flies apart.

>>> import networkx as nx
>>> pos = compute_positions(nx.path_graph(4))
>>> sorted(pos) == [0, 1, 2, 3]
True
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..defaults import EXPLORER_SEED

SMALL_COMPONENT = 60       # components up to this size: exact spring layout; larger: Pivot MDS + mesh FR
SMALL_GRAPH = 2000         # graphs up to this size get more room per node
SPACING = 45.0             # room per node, in page pixels (graphs up to SMALL_GRAPH nodes)
LARGE_SPACING = 40.0       # the same for larger graphs, where the user zooms in anyway
SMALL_VIEW_NODES = 150     # graphs up to this size get even more room, their labels all show
ROOMY_SPACING = 60.0
PIVOTS = 40
REFINE_STEPS = 30


def compute_positions(graph: nx.Graph, *, seed: int = EXPLORER_SEED, spacing: float | None = None) -> dict:
    """Return {node: (x, y)} in page pixels for any networkx graph (directions and parallel edges ignored).

    graph: the graph to lay out; nodes are returned in the same identities.
    seed: the random seed; the same graph and seed always give the same positions.
    spacing: room per node in pixels (default: 60 up to 150 nodes, 45 up to SMALL_GRAPH, 40 above).

    >>> pos = compute_positions(nx.cycle_graph(5), seed=1)
    >>> pos == compute_positions(nx.cycle_graph(5), seed=1)
    True
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    rows, cols = [], []
    for u, v in graph.edges():
        if u != v:
            rows.append(index[u])
            cols.append(index[v])
    adjacency = _symmetric(rows, cols, n)
    large = n > SMALL_GRAPH
    spacing = spacing or (LARGE_SPACING if large else SPACING if n > SMALL_VIEW_NODES else ROOMY_SPACING)
    count, labels = connected_components(adjacency, directed=False)
    members = [np.flatnonzero(labels == c) for c in range(count)]
    # Largest component first; ties by the first member's index, so the order is stable.
    members.sort(key=lambda m: (-len(m), int(m[0])))
    rng = np.random.default_rng(seed)
    pieces = []
    singles = [int(m[0]) for m in members if len(m) == 1]
    for comp in members:
        if len(comp) > 1:
            coords = _layout_component(adjacency[comp][:, comp], rng)
            pieces.append((comp, coords * spacing))
    if singles:
        # Isolated nodes share one compact grid block instead of a row each.
        columns = max(1, math.ceil(math.sqrt(len(singles) * 1.6)))
        cells = np.arange(len(singles))
        block = np.column_stack([cells % columns, cells // columns]).astype(float) * spacing
        pieces.append((np.asarray(singles), block))
    coords = _pack(pieces, n, spacing)
    return {node: (float(coords[i, 0]), float(coords[i, 1])) for i, node in enumerate(nodes)}


def _symmetric(rows: list[int], cols: list[int], n: int) -> csr_matrix:
    r = np.asarray(rows + cols, dtype=np.int64)
    c = np.asarray(cols + rows, dtype=np.int64)
    matrix = csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(n, n))
    matrix.data[:] = 1.0  # duplicates summed above: back to a plain 0/1 adjacency
    return matrix


def _layout_component(adjacency: csr_matrix, rng: np.random.Generator) -> np.ndarray:
    """Positions of one connected component, in units of one edge length, centred on 0."""
    n = adjacency.shape[0]
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    if n <= SMALL_COMPONENT:
        graph = nx.from_scipy_sparse_array(adjacency)
        k = 1.0 / math.sqrt(n)
        pos = nx.spring_layout(graph, k=k, seed=int(rng.integers(2**31)), iterations=120)
        coords = np.array([pos[i] for i in range(n)])
        return _unit_edges(coords, adjacency)
    coords = _pivot_mds(adjacency, rng)
    coords += rng.normal(scale=0.05, size=coords.shape)  # separates nodes with identical distances
    coords = _refine(coords, adjacency, iterations=REFINE_STEPS)
    return coords - coords.mean(axis=0)  # already one unit of room per node


def _unit_edges(coords: np.ndarray, adjacency: csr_matrix) -> np.ndarray:
    """Centre the coordinates and scale them so the median edge is one unit long."""
    coords = coords - coords.mean(axis=0)
    coo = adjacency.tocoo()
    if coo.nnz:
        lengths = np.linalg.norm(coords[coo.row] - coords[coo.col], axis=1)
        median = float(np.median(lengths))
        if median > 1e-9:
            coords = coords / median
    return coords


def _pivot_mds(adjacency: csr_matrix, rng: np.random.Generator) -> np.ndarray:
    """Pivot MDS: distances from k far-apart pivots, double-centred, top two singular vectors."""
    n = adjacency.shape[0]
    k = min(PIVOTS, n)
    degrees = np.asarray(adjacency.sum(axis=1)).ravel()
    pivot = int(np.argmax(degrees))  # the best-connected node, lowest index on ties
    distances = np.empty((n, k))
    nearest = np.full(n, np.inf)
    for j in range(k):
        d = _bfs_distances(adjacency, pivot)
        distances[:, j] = d
        nearest = np.minimum(nearest, d)
        pivot = int(np.argmax(nearest))  # farthest from every pivot so far (max-min)
    squared = distances ** 2
    centred = (squared - squared.mean(axis=0, keepdims=True) - squared.mean(axis=1, keepdims=True)
               + squared.mean()) * -0.5
    # The top two eigenvectors of the small k x k matrix CᵀC give the projection (cheaper than an SVD of C).
    values, vectors = np.linalg.eigh(centred.T @ centred)
    coords = centred @ vectors[:, ::-1][:, :2]
    if coords.shape[1] < 2:
        coords = np.column_stack([coords, np.zeros(n)])
    # Fix the signs so the result does not depend on the SVD routine's choice.
    for axis in range(2):
        if coords[np.argmax(np.abs(coords[:, axis])), axis] < 0:
            coords[:, axis] *= -1
    return coords


def _bfs_distances(adjacency: csr_matrix, source: int) -> np.ndarray:
    """Hop distances from `source` (breadth-first, one sparse product per level)."""
    n = adjacency.shape[0]
    distances = np.full(n, np.inf)
    distances[source] = 0
    frontier = np.zeros(n)
    frontier[source] = 1.0
    visited = frontier > 0
    level = 0
    while True:
        level += 1
        reached = (adjacency @ frontier > 0) & ~visited
        if not reached.any():
            return distances
        distances[reached] = level
        visited |= reached
        frontier = reached.astype(np.float64)


def _refine(coords: np.ndarray, adjacency: csr_matrix, iterations: int) -> np.ndarray:
    """Fruchterman-Reingold steps from the Pivot MDS start, with repulsion computed on a mesh.

    Hub-dominated graphs have a small diameter, so many nodes share the same distances to every
    pivot and land on one point: the start is scaled to about one unit square per node and nodes
    sharing a spot are spread on a sunflower spiral. Then each step pulls along edges (d^2 / k) and
    pushes every node away from all others (k^2 / d) through a particle-mesh approximation: node
    density on a 128 x 128 grid convolved with the force kernel by FFT (O(n + G^2 log G) instead of
    O(n^2)), plus exact repulsion between nodes closer than one unit (k-d tree pairs) for what the
    mesh is too coarse to separate.
    """
    n = coords.shape[0]
    coords = coords - coords.mean(axis=0)
    rms = float(np.sqrt((coords ** 2).sum(axis=1).mean())) or 1.0
    coords = coords * (0.5 * math.sqrt(n) / rms)
    coords = _spread_shared_spots(coords)
    coo = adjacency.tocoo()
    keep = coo.row < coo.col
    src, dst = coo.row[keep], coo.col[keep]
    k = 1.0
    temperature = 0.1 * math.sqrt(n)
    final = 0.05
    cooling = (final / temperature) ** (1.0 / max(iterations - 1, 1))
    pairs = np.empty((0, 2), dtype=np.int64)
    for step in range(iterations):
        force = _mesh_repulsion(coords, k)
        # Close pairs change slowly: look them up every other step (and in the last five).
        if step % 2 == 0 or step >= iterations - 5:
            pairs = cKDTree(coords).query_pairs(k, output_type="ndarray")
        if len(pairs):
            i, j = pairs[:, 0], pairs[:, 1]
            delta = coords[i] - coords[j]
            dist2 = np.maximum((delta ** 2).sum(axis=1), 1e-4)
            push = delta * (k * k / dist2)[:, None]
            force += _accumulate(i, push, n) - _accumulate(j, push, n)
        delta = coords[src] - coords[dst]
        dist = np.maximum(np.linalg.norm(delta, axis=1), 1e-9)
        pull = delta * (dist / k)[:, None]
        force += _accumulate(dst, pull, n) - _accumulate(src, pull, n)
        length = np.maximum(np.linalg.norm(force, axis=1), 1e-9)
        coords = coords + force * (np.minimum(length, temperature) / length)[:, None]
        temperature *= cooling
    return coords


MESH = 128
_KERNELS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _mesh_kernel(size: int) -> tuple[np.ndarray, np.ndarray]:
    """FFTs of the repulsion kernel d / |d|^2 (in cell units) on a zero-padded 2G x 2G grid."""
    if size not in _KERNELS:
        offsets = np.fft.fftfreq(2 * size, d=1.0 / (2 * size))  # 0, 1, ..., G-1, -G, ..., -1
        dx, dy = np.meshgrid(offsets, offsets, indexing="ij")
        r2 = dx ** 2 + dy ** 2
        r2[0, 0] = np.inf
        _KERNELS[size] = (np.fft.rfft2(dx / r2), np.fft.rfft2(dy / r2))
    return _KERNELS[size]


def _mesh_repulsion(coords: np.ndarray, k: float, size: int = MESH) -> np.ndarray:
    """Approximate sum over all other nodes of k^2 (x_i - x_j) / |x_i - x_j|^2, by particle-mesh."""
    low = coords.min(axis=0)
    extent = float((coords.max(axis=0) - low).max()) or 1.0
    cell = extent / (size - 2)
    grid = (coords - low) / cell
    base = np.floor(grid).astype(np.int64)
    frac = grid - base
    weights = [((0, 0), (1 - frac[:, 0]) * (1 - frac[:, 1])), ((1, 0), frac[:, 0] * (1 - frac[:, 1])),
               ((0, 1), (1 - frac[:, 0]) * frac[:, 1]), ((1, 1), frac[:, 0] * frac[:, 1])]
    density = np.zeros((2 * size, 2 * size))
    for (ox, oy), w in weights:
        flat = (base[:, 0] + ox) * (2 * size) + (base[:, 1] + oy)
        density.ravel()[:] += np.bincount(flat, weights=w, minlength=4 * size * size)
    kx, ky = _mesh_kernel(size)
    spectrum = np.fft.rfft2(density)
    fx = np.fft.irfft2(spectrum * kx, s=density.shape)
    fy = np.fft.irfft2(spectrum * ky, s=density.shape)
    out = np.zeros_like(coords)
    for (ox, oy), w in weights:
        gx, gy = base[:, 0] + ox, base[:, 1] + oy
        out[:, 0] += w * fx[gx, gy]
        out[:, 1] += w * fy[gx, gy]
    return out * (k * k / cell)


def _spread_shared_spots(coords: np.ndarray) -> np.ndarray:
    """Move nodes that share a unit cell onto a sunflower spiral around the cell's first node."""
    cells = np.floor(coords).astype(np.int64)
    _, group, counts = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(coords), dtype=np.int64)
    rank[order] = np.arange(len(coords)) - np.repeat(starts, counts)
    golden = math.pi * (3.0 - math.sqrt(5.0))
    radius = 0.6 * np.sqrt(rank)
    angle = rank * golden
    anchor = np.empty_like(coords)
    anchor[order] = np.repeat(coords[order][starts], counts, axis=0)
    return anchor + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _accumulate(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum rows of `values` into n rows by `index` (a fast np.add.at for 2 columns)."""
    return np.column_stack([np.bincount(index, weights=values[:, 0], minlength=n),
                            np.bincount(index, weights=values[:, 1], minlength=n)])


def _pack(pieces: list[tuple[np.ndarray, np.ndarray]], n: int, spacing: float) -> np.ndarray:
    """Place components in rows (largest first) in a band about 1.6 times wider than tall."""
    out = np.zeros((n, 2))
    boxes = []
    for comp, coords in pieces:
        low, high = coords.min(axis=0), coords.max(axis=0)
        boxes.append((comp, coords - low, high - low + spacing))
    total_area = sum(float(size[0] * size[1]) for _, _, size in boxes)
    widest = max(float(size[0]) for _, _, size in boxes)
    row_width = max(widest, math.sqrt(total_area * 1.6))
    x = y = row_height = 0.0
    for comp, coords, size in boxes:
        if x > 0 and x + size[0] > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        out[comp] = coords + np.array([x, y])
        x += float(size[0])
        row_height = max(row_height, float(size[1]))
    return out - (out.min(axis=0) + out.max(axis=0)) / 2
