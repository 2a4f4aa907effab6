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


def skill_links() -> dict[tuple[str, str], dict[str, str | None]]:
    """(role IRI, skill IRI) -> {source id: level or None}."""
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for r, skills in (data.get("skills") or {}).items():
            for s, level in (skills or {}).items():
                out[(role(r), skill(s))][sid] = level
    return dict(out)


def tool_links() -> dict[tuple[str, str], dict[str, tuple]]:
    """(role IRI, tool IRI) -> {source id: (level or None, category key or None)}."""
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for r, by_category in (data.get("tools") or {}).items():
            for category, tools in (by_category or {}).items():
                for item in tools or []:
                    key, level = next(iter(item.items())) if isinstance(item, dict) else (item, None)
                    out[(role(r), tool(key))][sid] = (level, None if category == "uncategorised" else category)
    return dict(out)


def responsibility_links() -> dict[tuple[str, str], set]:
    out: dict = defaultdict(set)
    for sid, data in seed_sources().items():
        for r, resps in (data.get("responsibilities") or {}).items():
            for resp in resps or []:
                out[(role(r), iri("responsibility", resp))].add(sid)
    return dict(out)


def handoffs() -> dict[tuple[str, str, str], dict[str, dict]]:
    """(from key, to key, artifact key) -> {source id: the YAML entry}."""
    out: dict = defaultdict(dict)
    for sid, data in seed_sources().items():
        for h in data.get("handoffs") or []:
            out[(h["from"], h["to"], h["artifact"])][sid] = h
    return dict(out)


def works_with() -> set[tuple[str, str]]:
    return {(role(a), role(b)) for data in seed_sources().values() for a, b in data.get("works_with") or []}


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
    assert skill_links()[(role("devops-engineer"), skill("unix-linux"))] == {"olx-interview": "core"}
    assert tool_links()[(role("data-analyst"), tool("sql"))]["olx-interview"] == ("core", "programming-language")
    assert role_weights("skills")[role("data-scientist")][skill("machine-learning")] == 3
    assert (role("data-scientist"), role("data-engineer")) in works_with()
    assert role("business-stakeholder") in stakeholders()
