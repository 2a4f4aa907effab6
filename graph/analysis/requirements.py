"""Every role's skills and tools with their level weights, for the analyses that need all roles at once
(the learning distances behind a transition's route), kept beside a persistent store.

The table holds, for every role of the projection (stakeholders and roles without items too), its
label, whether it is a stakeholder and {item: weight} over its skills and tools (the overlap
weights, items.py). On the embedded store it is read from the projection each time; a persistent
store keeps it under <store>/cache/, keyed like the similarity index (similar.py) by the database
folder's name (a new folder for every change of the store), the options and the version, so that a
second `transition` does not project 124,000 links again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from .items import MAX_WEIGHT, role_items
from .saved_files import drop_saved, read_meta, save_arrays, saved_file

TABLE_FORMAT = 1
PREFIX = "requirements-"
REQUIREMENT_RELATIONS = ("requires_skill", "uses_tool")


@dataclass
class RoleRequirements:
    """roles (IRIs, the projection's node order), labels and stakeholder flags in the same order, and
    weights: the roles × items matrix (CSR; columns `item_ids`) of each role's skills and tools, in
    the projection's order within a row."""

    roles: list[str]
    labels: list[str]
    stakeholder: list[bool]
    item_ids: list[str]
    weights: sparse.csr_matrix

    def _row(self, role: str) -> int:
        if not hasattr(self, "_rows"):
            self._rows = {r: i for i, r in enumerate(self.roles)}
        return self._rows[role]

    def label(self, role: str) -> str:
        """The label of one role of the table."""
        return self.labels[self._row(role)]

    def is_stakeholder(self, role: str) -> bool:
        """Whether one role of the table is a dt:Stakeholder."""
        return self.stakeholder[self._row(role)]

    def has_items(self, role: str) -> bool:
        """Whether the sources give the role any skill or tool."""
        i = self._row(role)
        return bool(self.weights.indptr[i + 1] > self.weights.indptr[i])

    def items_of(self, role: str) -> dict[str, int]:
        """{skill or tool: weight} of one role."""
        i = self._row(role)
        lo, hi = self.weights.indptr[i], self.weights.indptr[i + 1]
        return {self.item_ids[k]: int(w) for k, w in zip(self.weights.indices[lo:hi].tolist(),
                                                          self.weights.data[lo:hi].tolist())}

    def threshold_blocks(self, role_ids: list[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """(L, weight sums) of the given roles, as graph/analysis/overlap.py incidence_matrices makes them:
        L = [w ≥ 1 | w ≥ 2 | w ≥ 3] side by side; the products of L's rows are the same integers."""
        rows = self.weights[[self._row(r) for r in role_ids]]
        blocks = [(rows >= t).astype(np.int64) for t in range(1, MAX_WEIGHT + 1)]
        sums = np.asarray(rows.sum(axis=1), dtype=np.int64).ravel()
        return sparse.hstack(blocks, format="csr"), sums


def _table(roles: list[str], labels: list[str], stakeholder: list[bool], items: list[dict[str, int]]) -> RoleRequirements:
    item_ids = sorted({i for its in items for i in its})
    column = {item: k for k, item in enumerate(item_ids)}
    indptr, indices, weights = [0], [], []
    for its in items:
        for item, w in its.items():
            indices.append(column[item])
            weights.append(w)
        indptr.append(len(indices))
    matrix = sparse.csr_matrix((np.asarray(weights, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                                np.asarray(indptr, dtype=np.int64)), shape=(len(roles), len(item_ids)))
    return RoleRequirements(roles, labels, stakeholder, item_ids, matrix)


def requirements_of(graph) -> RoleRequirements:
    """The table of a projection with the requires_skill and uses_tool relations."""
    skills, tools = role_items(graph, "skills"), role_items(graph, "tools")
    roles = list(skills)
    return _table(roles, [graph.nodes[r]["label"] for r in roles],
                  [bool(graph.nodes[r].get("stakeholder")) for r in roles],
                  [{**skills[r], **tools[r]} for r in roles])


def role_requirements(kg, include_conditional: bool = False) -> RoleRequirements:
    """The table of every role of the knowledge graph: saved beside a persistent store, else projected.

    >>> table = role_requirements(kg)
    >>> table.items_of("https://w3id.org/datateam-kg/role/data-scientist")["https://w3id.org/datateam-kg/skill/machine-learning"]
    3
    """
    path = _cache_file(kg, include_conditional)
    if path is not None:
        found = _read(path)
        if found is not None:
            return found
    from ..projection import build_projection   # networkx: not needed to read a saved table

    table = requirements_of(build_projection(kg, relations=REQUIREMENT_RELATIONS,
                                             include_conditional=include_conditional))
    if path is not None:
        _write(path, table)
    return table


def _cache_file(kg, include_conditional: bool) -> Path | None:
    return saved_file(kg, PREFIX, [TABLE_FORMAT, bool(include_conditional)], ".npz")


def _write(path: Path, table: RoleRequirements) -> None:
    meta = {"roles": table.roles, "labels": table.labels, "stakeholder": table.stakeholder, "items": table.item_ids}
    save_arrays(path, PREFIX, meta, {"indptr": table.weights.indptr, "indices": table.weights.indices,
                                     "weights": table.weights.data.astype(np.int8)})


def _read(path: Path) -> RoleRequirements | None:
    try:
        with np.load(path) as arrays:
            meta = read_meta(arrays)
            weights = sparse.csr_matrix((arrays["weights"].astype(np.int64), arrays["indices"], arrays["indptr"]),
                                        shape=(len(meta["roles"]), len(meta["items"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return RoleRequirements(roles=meta["roles"], labels=meta["labels"], stakeholder=meta["stakeholder"],
                            item_ids=meta["items"], weights=weights)


def drop_saved_tables(store_path) -> int:
    """Delete the saved tables of a persistent store folder; return how many were removed."""
    return drop_saved(store_path, PREFIX)


__all__ = ["REQUIREMENT_RELATIONS", "RoleRequirements", "drop_saved_tables", "requirements_of", "role_requirements"]
