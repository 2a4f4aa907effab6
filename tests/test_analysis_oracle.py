"""An independent oracle for the analysis tests: the facts read straight from ontology/sources/*.yaml.

Nothing here goes through the store, SPARQL or the projection; the analysis tests compare their
results with what these plain-Python readings of the authoring files say. The few tests at the end
check the oracle itself against literal facts of the interview, so a broken reader cannot make the
analysis tests pass vacuously.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "ontology" / "sources"
BASE = "https://w3id.org/datateam-kg/"
NOT_SEEDS = {"entities.yaml", "curation.yaml", "esco-alignment.yaml"}
WEIGHT = {"core": 3, "working": 2, "basic": 1, None: 2}
RANK = {"core": 3, "working": 2, "basic": 1}


def iri(kind: str, key: str) -> str:
    return f"{BASE}{kind}/{key}"


def role(key):
    return iri("role", key)


def skill(key):
    return iri("skill", key)


def tool(key):
    return iri("tool", key)


@lru_cache(maxsize=1)
def catalogue() -> dict:
    return yaml.safe_load((SOURCES / "entities.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def seed_sources() -> dict[str, dict]:
    out = {}
    for path in sorted(SOURCES.glob("*.yaml")):
        if path.name in NOT_SEEDS:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["source"]["id"]] = data
    return out


def _members(data: dict, key: str) -> list[str]:
    """A role key, or the members of one of the file's groups."""
    group = (data.get("groups") or {}).get(key)
    return list(group["roles"]) if group else [key]


def _claim(value) -> tuple:
    """(level or None, limited?) of a skill or tool entry: `null`, `core` or {level, condition, stance, note}."""
    if isinstance(value, dict):
        return value.get("level"), bool(value.get("condition") or value.get("stance"))
    return value, False


def _counting(claims: dict[str, tuple]) -> dict[str, tuple]:
    """The claims that count: the plain ones; none when every source limits the fact (conditional)."""
    return {sid: c for sid, c in claims.items() if not c[-1]}


def _all_skill_claims() -> dict:
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for key, skills in (data.get("skills") or {}).items():
            for r in _members(data, key):
                for s, value in (skills or {}).items():
                    out[(role(r), skill(s))][sid] = _claim(value)
    return out


def skill_links() -> dict[tuple[str, str], dict[str, str | None]]:
    """(role IRI, skill IRI) -> {source id: level or None}, for the claims that count (conditional facts left out)."""
    out = {}
    for pair, claims in _all_skill_claims().items():
        counting = _counting(claims)
        if counting:
            out[pair] = {sid: c[0] for sid, c in counting.items()}
    return out


def _all_tool_claims() -> dict:
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for key, by_category in (data.get("tools") or {}).items():
            for r in _members(data, key):
                for category, tools in (by_category or {}).items():
                    for item in tools or []:
                        name, value = next(iter(item.items())) if isinstance(item, dict) else (item, None)
                        level, limited = _claim(value)
                        out[(role(r), tool(name))][sid] = (level, None if category == "uncategorised" else category,
                                                           limited)
    return out


def tool_links() -> dict[tuple[str, str], dict[str, tuple]]:
    """(role IRI, tool IRI) -> {source id: (level or None, category key or None)}, claims that count."""
    out = {}
    for pair, claims in _all_tool_claims().items():
        counting = _counting(claims)
        if counting:
            out[pair] = {sid: c[:2] for sid, c in counting.items()}
    return out


def _all_responsibility_claims() -> dict:
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for key, resps in (data.get("responsibilities") or {}).items():
            for r in _members(data, key):
                for item in resps or []:
                    name, value = next(iter(item.items())) if isinstance(item, dict) else (item, None)
                    limited = bool(value and (value.get("condition") or value.get("stance")))
                    out[(role(r), iri("responsibility", name))][sid] = (limited,)
    return out


def responsibility_links() -> dict[tuple[str, str], set]:
    out = {}
    for pair, claims in _all_responsibility_claims().items():
        counting = _counting(claims)
        if counting:
            out[pair] = set(counting)
    return out


def curation() -> dict:
    return yaml.safe_load((SOURCES / "curation.yaml").read_text(encoding="utf-8"))


def _all_handoff_claims() -> dict:
    out: dict = defaultdict(dict)
    for sid, data in list(seed_sources().items()) + [("curation", curation())]:
        for h in data.get("handoffs") or []:
            for f in _members(data, h["from"]):
                for t in _members(data, h["to"]):
                    out[(f, t, h["artifact"])][sid] = dict(h, **{"from": f, "to": t})
    return out


def handoffs() -> dict[tuple[str, str, str], dict[str, dict]]:
    """(from key, to key, artifact key) -> {source id: the YAML entry}, for the claims that count
    (curation's inferred steps included; a handoff every source qualifies left out)."""
    out = {}
    for key, claims in _all_handoff_claims().items():
        counting = {sid: h for sid, h in claims.items() if not (h.get("condition") or h.get("stance"))}
        if counting:
            out[key] = counting
    return out


def conditional_facts() -> set[tuple[str, str, str]]:
    """(relation, from key, to key) of every fact that no source states plainly (what analyses leave out)."""
    out = set()
    for name, claims in (("requires_skill", _all_skill_claims()), ("uses_tool", _all_tool_claims()),
                         ("has_responsibility", _all_responsibility_claims())):
        for (r, x), by_source in claims.items():
            if not _counting(by_source):
                out.add((name, r.rsplit("/", 1)[-1], x.rsplit("/", 1)[-1]))
    for (f, t, a), by_source in _all_handoff_claims().items():
        if all(h.get("condition") or h.get("stance") for h in by_source.values()):
            out.add(("hands_off_to", f, t))
    return out


def works_with() -> set[tuple[str, str]]:
    return {(role(x), role(y)) for data in seed_sources().values() for a, b in data.get("works_with") or []
            for x in _members(data, a) for y in _members(data, b)}


def tool_categories() -> set[tuple[str, str]]:
    """(tool IRI, category IRI) from the sources' role listings, tool_categories and the catalogue."""
    out = set()
    for data in seed_sources().values():
        for by_category in (data.get("tools") or {}).values():
            for category, tools in (by_category or {}).items():
                if category == "uncategorised":
                    continue
                for item in tools or []:
                    key = next(iter(item)) if isinstance(item, dict) else item
                    out.add((tool(key), iri("category", category)))
        for category, tools in (data.get("tool_categories") or {}).items():
            out |= {(tool(t), iri("category", category)) for t in tools}
    for key, entry in catalogue()["tools"].items():
        out |= {(tool(key), iri("category", c)) for c in entry.get("categories", []) or []}
    return out


def stakeholders() -> set[str]:
    return {role(k) for k, e in catalogue()["roles"].items() if e.get("stakeholder")}


def described_roles() -> set[str]:
    """Roles with at least one skill or tool that counts."""
    return {r for r, _ in skill_links()} | {r for r, _ in tool_links()}


def role_weights(by: str) -> dict[str, dict[str, int]]:
    """role IRI -> {item IRI: weight} (strongest level any source gives; unstated = working = 2)."""
    out: dict = defaultdict(dict)
    if by in ("skills", "all"):
        for (r, s), levels in skill_links().items():
            stated = [lv for lv in levels.values() if lv]
            out[r][s] = WEIGHT[max(stated, key=RANK.get)] if stated else 2
    if by in ("tools", "all"):
        for (r, t), views in tool_links().items():
            stated = [lv for lv, _ in views.values() if lv]
            out[r][t] = WEIGHT[max(stated, key=RANK.get)] if stated else 2
    if by in ("responsibilities", "all"):
        for (r, resp) in responsibility_links():
            out[r][resp] = 2
    return dict(out)


def label_of(kind: str, key: str) -> str:
    return catalogue()[kind][key]["label"]


# ---------------------------------------------------------------------------------------------
# The oracle's own checks (literal facts of the interview, ontology/sources/001-olx-interview.yaml)


def test_oracle_reads_the_five_seed_sources():
    assert sorted(seed_sources()) == ["datamax-hats", "ds-vs-de-teams", "hitchhiker-roles", "jetbrains-roles",
                                      "olx-interview"]


def test_oracle_reads_levels_and_tools_literally():
    # the interview's group "DevOps engineers or sometimes SREs": stated once, read for both
    assert skill_links()[(role("devops-engineer"), skill("unix-linux"))] == {"olx-interview": "core"}
    assert skill_links()[(role("site-reliability-engineer"), skill("unix-linux"))] == {"olx-interview": "core"}
    assert skill_links()[(role("site-reliability-engineer"), skill("networking"))] == {"olx-interview": "core"}
    assert skill_links()[(role("devops-engineer"), skill("networking"))] == {"olx-interview": None}
    # SQL is the analyst's "main tool", named apart from the programming languages
    assert tool_links()[(role("data-analyst"), tool("sql"))]["olx-interview"] == ("core", None)
    assert role_weights("skills")[role("data-scientist")][skill("machine-learning")] == 3
    assert (role("data-scientist"), role("data-engineer")) in works_with()
    assert role("business-stakeholder") in stakeholders()


def test_oracle_leaves_out_what_every_source_qualifies():
    # "a bit of machine learning" for a data engineer holds only in a small company
    assert (role("data-engineer"), skill("machine-learning")) not in skill_links()
    assert (role("backend-engineer"), skill("machine-learning")) not in skill_links()
    assert conditional_facts() == {
        ("requires_skill", "data-engineer", "machine-learning"),
        ("requires_skill", "ml-engineer", "data-pipeline-development"),
        ("requires_skill", "backend-engineer", "machine-learning"),
        ("has_responsibility", "business-analyst", "translate-user-requirements"),
        ("has_responsibility", "data-scientist", "build-ml-deployment-pipelines"),
        ("hands_off_to", "data-scientist", "devops-engineer"),
    }
    # the interview states the product integration plainly; the data science vs engineering post
    # reports it as a problem, and that claim does not count
    assert responsibility_links()[(role("data-scientist"), iri("responsibility", "incorporate-models-in-product"))] \
        == {"olx-interview"}
