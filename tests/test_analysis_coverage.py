"""Team coverage and the next hire: covered and missing items against the YAML sources, greedy set
cover against brute force, team files with line-numbered errors, the sources' guidance."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict

import pytest

from datateam.graph.analysis.coverage import COVERAGE_RELATIONS, coverage, format_coverage, greedy_set_cover, read_team_file
from datateam.graph.errors import DatateamError
from datateam.graph.projection import build_projection
from test_analysis_oracle import (
    catalogue,
    described_roles,
    handoffs,
    iri,
    label_of,
    responsibility_links,
    role,
    skill_links,
    stakeholders,
    tool_categories,
    tool_links,
)


@pytest.fixture(scope="module")
def graph(kg):
    return build_projection(kg, relations=COVERAGE_RELATIONS)


def contributions() -> dict[str, dict[str, set]]:
    """role IRI -> {"responsibility", "skill", "category"} from the YAML sources."""
    out: dict = defaultdict(lambda: {"responsibility": set(), "skill": set(), "category": set()})
    for (r, resp) in responsibility_links():
        out[r]["responsibility"].add(resp)
    for (r, s) in skill_links():
        out[r]["skill"].add(s)
    general = defaultdict(set)
    for t, c in tool_categories():
        general[t].add(c)
    for (r, t), views in tool_links().items():
        used_as = {iri("category", c) for _, c in views.values() if c}
        out[r]["category"] |= used_as or general[t]
    return out


def hireable() -> list[str]:
    return [role(k) for k in catalogue()["roles"] if role(k) not in stakeholders()]


def expected_gaps(team: list[str]) -> dict[str, tuple[set, set]]:
    contrib = contributions()
    out = {}
    for kind in ("responsibility", "skill", "category"):
        everything = {i for r in hireable() for i in contrib[r][kind]}
        covered = {i for r in team for i in contrib[r][kind]}
        out[kind] = (covered, everything - covered)
    return out


@pytest.mark.parametrize("team", [["data-scientist", "data-engineer"], ["data-analyst"],
                                  ["ml-engineer", "product-manager", "analytics-engineer"]])
def test_covered_and_missing_match_the_sources(kg, graph, team):
    ids = [role(k) for k in team]
    result = coverage(kg, roles=",".join(label_of("roles", k) for k in team), graph=graph)
    gaps = expected_gaps(ids)
    responsibilities = [(e["id"], "covered") for s in result["stages"] for e in s["covered"]]
    responsibilities += [(e["id"], "missing") for s in result["stages"] for e in s["missing"]]
    assert {i for i, s in responsibilities if s == "covered"} == gaps["responsibility"][0]
    assert {i for i, s in responsibilities if s == "missing"} == gaps["responsibility"][1]
    assert {e["id"] for e in result["skills"]["covered"]} == gaps["skill"][0]
    assert {e["id"] for e in result["skills"]["missing"]} == gaps["skill"][1]
    assert {e["id"] for e in result["categories"]["covered"]} == gaps["category"][0]
    assert {e["id"] for e in result["categories"]["missing"]} == gaps["category"][1]
    # The totals count the same things a second way.
    assert result["totals"]["responsibilities"] == {"covered": len(gaps["responsibility"][0]),
                                                    "missing": len(gaps["responsibility"][1]),
                                                    "all": len(gaps["responsibility"][0] | gaps["responsibility"][1])}
    # Every responsibility sits under the stage the catalogue gives it, stages in lifecycle order.
    stage_of = {iri("responsibility", k): label_of("stages", e["stage"]) for k, e in catalogue()["responsibilities"].items()}
    for stage in result["stages"]:
        assert all(stage_of[e["id"]] == stage["stage"] for e in stage["covered"] + stage["missing"])
    orders = [s["order"] for s in result["stages"]]
    assert orders == sorted(orders)
    # Handoffs with a team role on exactly one end and a non-stakeholder on the other.
    expected_open = set()
    for (f, t, a) in handoffs():
        if (role(f) in ids) != (role(t) in ids):
            other = role(t) if role(f) in ids else role(f)
            if other not in stakeholders():
                expected_open.add((label_of("roles", f), label_of("roles", t), label_of("artifacts", a)))
    got = {(h["team_role"], h["missing_role"], h["artifact"]) if h["direction"] == "gives"
           else (h["missing_role"], h["team_role"], h["artifact"]) for h in result["open_handoffs"]}
    assert got == expected_open


def plain_greedy(universe: set, candidates: dict[str, set], limit: int) -> list[str]:
    left, picks = set(universe), []
    pool = dict(candidates)
    while left and pool and len(picks) < limit:
        gains = {name: len(items & left) for name, items in pool.items()}
        best = max(gains.values())
        if best == 0:
            break
        name = sorted(n for n, g in gains.items() if g == best)[0]
        picks.append(name)
        left -= pool.pop(name)
    return picks


def test_next_hire_is_the_greedy_cover_of_the_gaps(kg, graph):
    team = [role("data-scientist"), role("data-engineer")]
    result = coverage(kg, roles=["DS", "DE"], next_hire=True, top=6, graph=graph)
    contrib = contributions()
    gaps = expected_gaps(team)
    universe = {(k, i) for k, (_, missing) in gaps.items() for i in missing}
    label = {role(k): label_of("roles", k) for k in catalogue()["roles"]}
    # roles the sources give no skills or tools are not ranked: what they would bring cannot be weighed
    candidates = {label[r]: {(k, i) for k in ("responsibility", "skill", "category") for i in contrib[r][k]}
                  for r in hireable() if r not in team and r in described_roles()}
    expected = plain_greedy(universe, {n.casefold(): s for n, s in candidates.items()}, 6)
    assert [r["role"].casefold() for r in result["next_hire"]] == expected
    left = len(universe)
    for rank in result["next_hire"]:
        left -= rank["closes"]
        assert rank["remaining_after"] == left
        assert rank["closes"] == sum(rank["closes_by_kind"].values())
        assert f"closes {rank['closes']} of the" in rank["explanation"]
    ml = result["next_hire"][0]
    assert ml["role"] == "ML engineer"
    assert "first hire for a small team" in [g["label"] for g in ml["guidance"]]
    assert [r["label"] for r in result["unranked"]] == [
        "backend engineer", "cloud DevOps engineer", "data architect", "data governor", "database administrator",
        "frontend engineer", "mobile engineer", "software engineer"]
    assert not {r["id"] for r in result["unranked"]} & {r["id"] for r in result["next_hire"]}
    assert "Not ranked (8): backend engineer" in format_coverage(result)


def test_small_team_facts_count_for_a_small_team_only(kg):
    """The interview's data engineer with "a bit of machine learning" is advice for a small company."""
    ml = iri("skill", "machine-learning")
    anywhere = coverage(kg, roles="data engineer")
    assert ml not in {e["id"] for e in anywhere["skills"]["covered"]}
    assert "data engineer requires machine learning" in [f["text"] for f in anywhere["conditional"]["facts"]]
    small = coverage(kg, roles="data engineer", size="small")
    assert ml in {e["id"] for e in small["skills"]["covered"]}
    assert small["conditional"]["accepted"] == ["only in a small company or team"]
    # a fallback is never a fact, not even in a small team
    assert [f["text"] for f in small["conditional"]["facts"] if f["relation"] == "requires_skill"] == [
        "backend engineer requires machine learning"]
    text = format_coverage(small)
    assert "Counted because the organisation is small: facts the sources state only in a small company or team." in text
    everything = coverage(kg, roles="data engineer", include_conditional=True)
    assert ml in {e["id"] for e in everything["skills"]["covered"]} and everything["conditional"]["included"] is True


def test_greedy_set_cover_against_brute_force():
    rnd = random.Random(11)
    for _ in range(40):
        universe = set(range(rnd.randint(1, 10)))
        candidates = {f"s{k}": set(rnd.sample(sorted(universe), rnd.randint(0, len(universe))))
                      for k in range(rnd.randint(1, 6))}
        picks = greedy_set_cover(universe, candidates)
        left = set(universe)
        chosen = []
        for name, gain in picks:
            # Each pick covers as many still-open elements as any other remaining set (checked exhaustively).
            assert gain == candidates[name] & left and gain
            assert all(len(candidates[o] & left) <= len(gain) for o in candidates if o not in chosen)
            chosen.append(name)
            left -= gain
        reachable = set().union(*candidates.values()) & universe
        assert universe - left == reachable
        # Greedy uses at most H(largest set) times the fewest sets that cover what can be covered.
        optimum = next(k for k in range(len(candidates) + 1)
                       if any(set().union(set(), *(candidates[n] for n in combo)) >= reachable
                              for combo in itertools.combinations(candidates, k)))
        largest = max(len(s) for s in candidates.values())
        harmonic = sum(1 / i for i in range(1, largest + 1)) if largest else 1
        assert len(picks) <= optimum * harmonic + 1e-9
    assert greedy_set_cover({1, 2, 3, 4}, {"a": {1, 2}, "b": {2, 3, 4}, "c": {4}}) == [("b", {2, 3, 4}), ("a", {1})]


def test_team_file_with_people_wearing_hats(kg, graph, tmp_path):
    path = tmp_path / "team.yaml"
    path.write_text("team: marketplace data team\nsize: small\npeople:\n"
                    "  - name: Ana\n    hats: [data scientist, DE]\n"
                    "  - name: Ben\n    hats: data analyst\n", encoding="utf-8")
    result = coverage(kg, team=str(path), next_hire=True, graph=graph)
    assert result["team"]["name"] == "marketplace data team" and result["team"]["size"] == "small"
    assert [p["name"] for p in result["team"]["people"]] == ["Ana", "Ben"]
    assert {r["id"] for r in result["team"]["roles"]} == {role("data-scientist"), role("data-engineer"), role("data-analyst")}
    direct = coverage(kg, roles="DS,DE,DA", size="small", graph=graph)
    assert direct["totals"] == result["totals"]
    # Guidance for a small organisation: hiring advice that fits small (or any) organisations only.
    labels = {g["label"] for g in result["guidance"]}
    assert "first hire for a small team" in labels
    assert "specialise as the team grows" not in labels
    assert all("small" in g["sizes"] or "any" in g["sizes"] for g in result["guidance"])


@pytest.mark.parametrize("text,line,message", [
    ("people:\n  - name: Ana\n    hats: [data scientist\n  - name: Ben\n", 4, "not valid YAML"),
    ("people:\n  - name: Ana\n    hats: [data wizard]\n", 3, "no role named 'data wizard'"),
    ("people:\n  - name: Ana\n    hat: [DS]\n", 3, "unknown key 'hat'"),
    ("team: x\nsize: huge\npeople:\n  - name: A\n    hats: DS\n", 2, "size 'huge'"),
    ("team: x\npeople:\n  - name: Ana\n  - name: Ben\n    hats: [DS]\n", 3, "Ana has no 'hats'"),
    ("people:\n  - name: Ana\n    hats: [DS, business stakeholder]\n", None, "stakeholder is not a hat"),
])
def test_bad_team_files_name_the_line(kg, graph, tmp_path, text, line, message):
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatateamError) as info:
        coverage(kg, team=path, graph=graph)
    assert message in str(info.value)
    if line is not None:
        assert str(info.value).startswith(f"{path}:{line}:")
    assert "\n" not in str(info.value)


def test_read_team_file_keeps_lines(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("- name: A\n  hats: [DS, DE]\n- name: B\n  hats: DA\n", encoding="utf-8")
    team = read_team_file(path)
    assert team["people"] == [{"name": "A", "hats": [("DS", 2), ("DE", 2)], "line": 1},
                              {"name": "B", "hats": [("DA", 4)], "line": 3}]
    with pytest.raises(DatateamError, match="no such file"):
        read_team_file(tmp_path / "missing.yaml")


def test_roles_or_team_not_both(kg, graph):
    with pytest.raises(DatateamError, match="either"):
        coverage(kg, graph=graph)
    with pytest.raises(DatateamError, match="unknown size"):
        coverage(kg, roles="DS", size="gigantic", graph=graph)


# ---------------------------------------------------------------------------------------------
# The next hire from the team's situation


def _pattern(pid, kind, sizes, recommends=(), concerns=(), sources=("s1",), events=None):
    return {"id": pid, "label": pid, "kind": kind, "sizes": list(sizes), "sources": list(sources),
            "recommends": [{"id": r, "label": r} for r in recommends],
            "concerns": [{"id": r, "label": r} for r in concerns], "min_events_per_day": events}


def test_decide_hire_by_hand():
    from datateam.graph.analysis.coverage import decide_hire

    patterns = [_pattern("threshold", "staffing threshold", ["any"], ["de"], ["ds"], events=2_000_000),
                _pattern("first", "hiring order", ["small"], ["mle", "de"]),
                _pattern("grow", "hiring order", ["medium", "large"], ["de", "ds"], sources=("s2",)),
                _pattern("fallback", "fallback owner", ["small"], ["backend"], ["ops"]),
                _pattern("lone", "anti-pattern", ["any"], ["de", "mle", "da"], ["ds"], sources=("s3",)),
                _pattern("structure", "team structure", ["any"], ["de"], sources=("s4",))]
    deployments = {"online-serving": {"id": "online", "label": "online serving",
                                      "owners": [{"id": "mle", "label": "mle", "sources": ["s1"]}]},
                   "batch-scoring": {"id": "batch", "label": "batch scoring",
                                     "owners": [{"id": "de", "label": "de", "sources": ["s1"]}]}}
    candidates = {r: r for r in ("de", "mle", "da", "ds", "ops", "backend")}
    gaps = {"de": 9, "mle": 5, "da": 7, "ops": 1, "ds": 0, "backend": 0}

    def run(team, **situation):
        return decide_hire({"size": None, "events_per_day": None, "serving": None, **situation}, set(team),
                           candidates, patterns, deployments, gaps)

    small_low = run(["ds"], size="small", events_per_day=100_000)
    # mle: first + lone (sources s1, s3); da: lone (s3); de held back by the volume
    assert [(r["role"], r["sources"]) for r in small_low["recommend"]] == [("mle", ["s1", "s3"]), ("da", ["s3"])]
    [held] = small_low["held_back"]
    assert held["role"] == "de" and held["because"][0]["id"] == "threshold"
    assert held["because"][0]["until"] == "from 2,000,000 events a day"
    assert [b["id"] for b in held["also_for"]] == ["first", "lone"] and [b["id"] for b in held["context"]] == ["structure"]
    small_high = run(["ds"], size="small", events_per_day=2_000_000)
    # de: threshold, first, lone (s1, s3; 3 reasons) before mle (s1, s3; 2 reasons)
    assert [r["role"] for r in small_high["recommend"]] == ["de", "mle", "da"]
    # a tie on sources and reasons goes to the gaps closed, then the label
    tie = run(["x"], size="small", serving="online")
    assert [(r["role"], len(r["because"]), r["closes"]) for r in tie["recommend"]] == [("mle", 2, 5), ("de", 1, 9)]
    tie_batch = run(["x"], size="small", serving="both")
    assert [(r["role"], len(r["because"]), r["closes"]) for r in tie_batch["recommend"]] == [("de", 2, 9), ("mle", 2, 5)]
    # the fallback holds operations back only when the team has the backend engineer, in a small team
    assert [r["role"] for r in run(["backend"], size="small")["held_back"]] == ["ops"]
    assert run(["ds"], size="small")["held_back"] == []
    assert "backend" in [n["reads"] for n in run(["ds"], size="small")["not_applied"] if n["id"] == "fallback"][0]
    # without inputs, the guidance that needs them is listed, not applied
    bare = run(["ds", "de"])
    assert bare["recommend"] == []
    assert [n["id"] for n in bare["not_applied"]] == ["threshold", "first", "grow", "fallback", None]
    assert [r["role"] for r in run(["ds"], size="large")["recommend"]] == ["de", "da", "mle"]


def test_next_hire_from_the_situation_on_the_shipped_kb(kg, graph):
    low = coverage(kg, roles="data scientist", next_hire=True, size="small", events_per_day=100_000, graph=graph)
    advice = low["advice"]
    assert [r["role"] for r in advice["recommend"]] == ["ML engineer", "data analyst"]
    [held] = advice["held_back"]
    assert held["role"] == "data engineer"
    threshold = held["because"][0]
    assert (threshold["label"], threshold["kind"], threshold["sources"]) == (
        "when a dedicated data engineer pays off", "staffing threshold", ["olx-interview"])
    # what changes the answer: from a few million events a day the data engineer comes first
    [change] = [c for c in advice["changes"] if c["option"] == "--events-per-day"]
    assert change["value"] == "2,000,000 or more" and change["recommend"][0] == "data engineer"
    # counts only break ties: the data engineer closes the most gaps and is still held back
    gaps = {r["role"]: r["closes"] for r in advice["recommend"]}
    assert max(gaps.values()) < coverage(kg, roles="data scientist", next_hire=True, graph=graph)["next_hire"][0]["closes"]
    high = coverage(kg, roles="data scientist", next_hire=True, size="small", events_per_day=50_000_000,
                    serving="batch", graph=graph)["advice"]
    de = high["recommend"][0]
    assert de["role"] == "data engineer"
    assert [b["label"] for b in de["because"]] == ["one data scientist will not solve everything",
                                                    "first hire for a small team",
                                                    "when a dedicated data engineer pays off",
                                                    "batch scoring is owned by the data engineer"]
    fallback = coverage(kg, roles="data scientist,backend engineer", next_hire=True, size="small", serving="online",
                        graph=graph)["advice"]
    assert fallback["recommend"][0]["role"] == "ML engineer"
    assert [(r["role"], r["because"][0]["label"]) for r in fallback["held_back"]] == [
        ("DevOps engineer", "who covers MLOps and DevOps when nobody is hired for it"),
        ("MLOps engineer", "who covers MLOps and DevOps when nobody is hired for it")]
    text = format_coverage(coverage(kg, roles="data scientist", next_hire=True, size="small", events_per_day=100_000))
    assert "Next hire from the team's situation (size small, 100,000 events a day, serving not given)\n" \
           "  1. ML engineer: 2 pieces of guidance from 1 source (olx-interview); closes 34 gaps (ties only)\n" in text
    assert "  not yet: data engineer\n       follows: when a dedicated data engineer pays off [staffing threshold; " \
           "olx-interview]: 100,000 events a day is below 2,000,000" in text
    with pytest.raises(DatateamError, match="serving"):
        coverage(kg, roles="DS", next_hire=True, serving="streaming", graph=graph)
    with pytest.raises(DatateamError, match="events per day"):
        coverage(kg, roles="DS", next_hire=True, events_per_day=-5, graph=graph)


def test_the_volume_threshold_is_the_one_the_source_file_gives(kg, graph):
    """The threshold read from the interview's YAML decides, to the event."""
    from test_analysis_oracle import seed_sources

    threshold = seed_sources()["olx-interview"]["team_patterns"]["dedicated-data-engineer-threshold"]["min_events_per_day"]
    assert threshold == 2_000_000
    below = coverage(kg, roles="DS", next_hire=True, events_per_day=threshold - 1, graph=graph)["advice"]
    at = coverage(kg, roles="DS", next_hire=True, events_per_day=threshold, graph=graph)["advice"]
    assert [r["role"] for r in below["held_back"]] == ["data engineer"]
    assert "data engineer" not in [r["role"] for r in below["recommend"]]
    assert at["held_back"] == [] and at["recommend"][0]["role"] == "data engineer"
    assert [b["reads"] for b in at["recommend"][0]["because"] if b["kind"] == "staffing threshold"] == [
        "2,000,000 events a day is at or above 2,000,000"]


def _plain_greedy(universe, candidates, limit=None, tie_key=lambda name: name):
    """The textbook scan: every round, the candidate with the largest gain (ties: smallest key)."""
    left, picks, remaining = set(universe), [], dict(candidates)
    while left and remaining and (limit is None or len(picks) < limit):
        best = min(remaining, key=lambda name: (-len(remaining[name] & left), tie_key(name)))
        gain = remaining.pop(best) & left
        if not gain:
            break
        picks.append((best, gain))
        left -= gain
    return picks


@pytest.mark.parametrize("seed", range(40))
def test_the_lazy_greedy_cover_picks_what_the_plain_scan_picks(seed):
    import random

    rng = random.Random(seed)
    universe = set(range(rng.randint(1, 40)))
    candidates = {f"c{k:02d}": set(rng.sample(range(50), rng.randint(0, 12))) for k in range(rng.randint(1, 30))}
    for limit in (None, 1, 3):
        assert greedy_set_cover(universe, candidates, limit=limit) == _plain_greedy(universe, candidates, limit)
        reverse = lambda name: -int(name[1:])  # noqa: E731
        assert (greedy_set_cover(universe, candidates, limit=limit, tie_key=reverse)
                == _plain_greedy(universe, candidates, limit, reverse))
