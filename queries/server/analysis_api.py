"""The analyses as JSON, for the served explorer and for scripts: the same functions as the CLI.

Routes (GET, answered by `AnalysisApi.handle`; names resolve like everywhere else: "DE",
"data engineer", "role:data-engineer"):

  /api/similar?role=NAME[&top=N][&by=all|skills|tools|responsibilities]
        `datateam similar NAME --format json`: the roles most similar to NAME (graph/analysis/similar.py)
  /api/overlap?a=NAME&b=NAME[&by=...]       `datateam overlap A B --format json`
  /api/transition?a=NAME&b=NAME             `datateam transition A B --format json`
  /api/coverage?roles=A,B,...[&next_hire=1][&size=small|medium|large][&top=N]
                                            `datateam coverage --roles ... --format json`
  /api/handoffs[?from=NAME][&to=NAME][&workflow=NAME]
                                            `datateam handoffs --format json` (the rows)

They pass the same walls as a query (queries/server/application.py): the Host check, the
cross-origin refusal (an analysis is work done for the caller, like a query), the parameter cap,
and a turn per client on a query thread. On top, each parameter is bounded here: a name at most
MAX_NAME characters, at most MAX_TEAM_ROLES roles in a team, `top` at most MAX_TOP. A bad or
unknown name is a 400 with the same one-line message as the CLI. Each analysis reads its own
projection, built once per server (the server is read-only).
"""

from __future__ import annotations

import json
import threading

from ...graph.errors import DatateamError

ROUTES = ("/api/similar", "/api/overlap", "/api/transition", "/api/coverage", "/api/handoffs")
MAX_NAME = 200
MAX_TEAM_ROLES = 50
MAX_TOP = 50
DEFAULT_TOP = 10
BY_CHOICES = ("all", "skills", "tools", "responsibilities")
SIZES = ("small", "medium", "large")


class AnalysisApi:
    """Answers the analysis routes for one knowledge graph; thread-safe (projections built once, under a lock)."""

    def __init__(self, kg):
        self.kg = kg
        self._lock = threading.Lock()
        self._projections: dict[str, object] = {}
        self._matrices: dict[str, object] = {}   # the similarity index per `by`, built once

    def handles(self, path: str) -> bool:
        """True for the paths this API answers."""
        return path in ROUTES

    def handle(self, path: str, params: list[tuple[str, str]]) -> tuple[int, bytes]:
        """(status, JSON body) for one request; DatateamError propagates (the endpoint answers 400)."""
        given = _single(params)
        route = {"/api/similar": self.similar, "/api/overlap": self.overlap, "/api/transition": self.transition,
                 "/api/coverage": self.coverage, "/api/handoffs": self.handoffs}[path]
        data = route(given)
        return 200, (json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")

    # -- the projections, built once ----------------------------------------------------------
    def _projection(self, name: str):
        with self._lock:
            graph = self._projections.get(name)
            if graph is None:
                graph = self._projections[name] = self._build(name)
            return graph

    def _build(self, name: str):
        from ...graph.analysis.coverage import COVERAGE_RELATIONS  # lazy: start-up time (networkx, scipy, rdflib)
        from ...graph.analysis.overlap import projection_for_overlap  # lazy: start-up time (networkx, scipy, rdflib)
        from ...graph.analysis.transition import TRANSITION_RELATIONS  # lazy: start-up time (networkx, scipy, rdflib)
        from ...graph.projection import build_projection  # lazy: start-up time (networkx, rdflib)

        if name == "overlap":
            return projection_for_overlap(self.kg)
        if name == "transition":
            return build_projection(self.kg, relations=TRANSITION_RELATIONS)
        if name == "coverage":
            return build_projection(self.kg, relations=COVERAGE_RELATIONS)
        return build_projection(self.kg)

    # -- the routes ---------------------------------------------------------------------------
    def similar(self, given: dict) -> dict:
        """`datateam similar NAME --format json`: the roles most similar to NAME, with what drove each score."""
        from ...graph.analysis.similar import similar, similarity_index  # lazy: start-up time (scipy, rdflib, numpy)

        name = _name(given, "role")
        by = _choice(given, "by", BY_CHOICES, "all")
        top = _count(given, "top", DEFAULT_TOP, MAX_TOP)
        with self._lock:
            index = self._matrices.get(by)
            if index is None:
                index = self._matrices[by] = similarity_index(self.kg, by)
        return similar(self.kg, name, top=top, by=by, index=index)

    def overlap(self, given: dict) -> dict:
        """`datateam overlap A B`: shared, only A, only B, the Jaccard and weighted scores."""
        from ...graph.analysis.overlap import overlap  # lazy: start-up time (networkx, scipy, rdflib)

        return overlap(self.kg, _name(given, "a"), _name(given, "b"), _choice(given, "by", BY_CHOICES, "all"),
                       graph=self._projection("overlap"))

    def transition(self, given: dict) -> dict:
        """`datateam transition A B`: what carries over, what to learn, the best route."""
        from ...graph.analysis.transition import transition  # lazy: start-up time (networkx, scipy, rdflib)

        return transition(self.kg, _name(given, "a"), _name(given, "b"), graph=self._projection("transition"))

    def coverage(self, given: dict) -> dict:
        """`datateam coverage --roles`: what a team covers and misses, and the next hires."""
        from ...graph.analysis.coverage import coverage  # lazy: start-up time (networkx, scipy, rdflib)

        roles = [r.strip() for r in _name(given, "roles", MAX_NAME * MAX_TEAM_ROLES).split(",") if r.strip()]
        if len(roles) > MAX_TEAM_ROLES:
            raise DatateamError(f"roles: at most {MAX_TEAM_ROLES} roles in a team, not {len(roles)}")
        if any(len(r) > MAX_NAME for r in roles):
            raise DatateamError(f"roles: a name is at most {MAX_NAME} characters")
        size = _choice(given, "size", SIZES, None)
        # A small organisation accepts the facts the sources limit to small teams: its own projection.
        graph = None if size == "small" else self._projection("coverage")
        return coverage(self.kg, roles=roles, next_hire=given.get("next_hire") in ("1", "true", "yes"), size=size,
                        top=_count(given, "top", 5, MAX_TOP), graph=graph)

    def handoffs(self, given: dict) -> dict:
        """`datateam handoffs`: who hands what to whom, optionally from or to a role, or in a workflow."""
        from ...graph.analysis.handoffs import list_handoffs  # lazy: start-up time (networkx, scipy, rdflib)

        names = {key: _name(given, key) if key in given else None for key in ("from", "to", "workflow")}
        rows = list_handoffs(self.kg, names["from"], names["to"], names["workflow"], graph=self._projection("all"))
        return {"handoffs": rows}


def _single(params: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params:
        if key in out:
            raise DatateamError(f"{key}: given more than once")
        out[key] = value
    return out


def _name(given: dict, key: str, limit: int = MAX_NAME) -> str:
    value = (given.get(key) or "").strip()
    if not value:
        raise DatateamError(f"{key}: missing (give ?{key}=NAME)")
    if len(value) > limit:
        raise DatateamError(f"{key}: at most {limit} characters, not {len(value)}")
    return value


def _choice(given: dict, key: str, choices: tuple, default):
    value = given.get(key)
    if value is None or value == "":
        return default
    if value not in choices:
        raise DatateamError(f"{key}: {value[:MAX_NAME]!r} is not one of {', '.join(choices)}")
    return value


def _count(given: dict, key: str, default: int, limit: int) -> int:
    value = given.get(key)
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise DatateamError(f"{key}: a whole number from 1 to {limit}, not {value[:20]!r}")
    return int(value)
