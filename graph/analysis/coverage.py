"""Team coverage and the next hire: which hats a team wears, what it lacks, and who closes the gap.

A team is a set of roles ("hats"): given directly (`--roles "data scientist,data engineer"`) or
as people who each wear one or more hats (a team file, the sources' idea that one person can wear
several hats). What a team covers is the union of its hats' responsibilities, skills and tool
categories (a tool counts under the categories the role uses it as, else the tool's categories).
What it misses is everything the other, non-stakeholder roles of the knowledge graph bring.
Responsibilities are grouped by lifecycle stage (the stage each responsibility sits at); skills and
tool categories have no stage in the knowledge base, so they are listed by kind and category.

The next hire is chosen by greedy set cover: repeatedly take the role that closes the most
remaining gaps (responsibilities, skills and tool categories count one each; ties go to the
label first alphabetically). Greedy set cover is the classic approximation (within a factor
H(n) ≈ ln n of the fewest hires that close everything). Stakeholders (dt:Stakeholder) are never
hires, and neither are roles the sources give no skills or tools (only responsibilities): their
gaps stay listed, but the ranking cannot weigh what they would bring. Beside the ranking the
sources' team guidance is shown (dt:TeamPattern).

Conditional facts (graph/lookup/qualifiers.py) are left out unless `include_conditional=True`; for a
small organisation (`size="small"`) the facts a source limits to small teams count, since that
condition holds. Fallbacks, reported problems and anti-pattern descriptions never count by default.

Team file (YAML):

    team: marketplace data team      # optional name
    size: small                      # optional: small, medium or large (filters the guidance)
    people:
      - name: Ana
        hats: [data scientist, data engineer]
      - name: Ben
        hats: data analyst           # one hat may be written without brackets

A team file is bounded: at most MAX_TEAM_FILE_BYTES bytes (1 MiB), MAX_PEOPLE people (10,000) and
MAX_HATS_PER_PERSON hats per person (30); past a bound it is refused on one line naming the file
(and the line). Each distinct hat is resolved once, so a team of 10,000 people reads in seconds.

>>> c = coverage(kg, roles=["data scientist", "data engineer"])
>>> c["team"]["roles"][0]["label"]
'data engineer'
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from pathlib import Path

import yaml

from ...ontology.namespaces import DT
from ..defaults import COVERAGE_TOP
from ..errors import AmbiguousNameError, DatateamError, NameNotFoundError
from ..lookup.names import resolve
from ..lookup.qualifiers import conditional_summary
from ..lookup.sources import graph_source_ids
from ..text import to_json
from .coverage_table import COVERAGE_RELATIONS, coverage_projection
from .items import conditional_facts, described_roles, links_of, unranked_roles

ITEM_KINDS = ("responsibility", "skill", "category")
KIND_WORDS = {"responsibility": "responsibilities", "skill": "skills", "category": "tool categories"}
SINGULAR = {"responsibilities": "responsibility", "skills": "skill", "tool categories": "tool category"}
SIZES = ("small", "medium", "large")
SIZE_IRIS = {str(DT.SmallOrganisation): "small", str(DT.MediumOrganisation): "medium",
             str(DT.LargeOrganisation): "large", str(DT.AnyOrganisation): "any"}
GUIDANCE_WORDS = {str(DT.HiringOrder): "hiring order", str(DT.StaffingThreshold): "staffing threshold",
                  str(DT.FallbackOwner): "fallback owner", str(DT.TeamStructure): "team structure",
                  str(DT.CollaborationPractice): "collaboration", str(DT.AntiPattern): "anti-pattern"}
HIRING_KINDS = ("hiring order", "staffing threshold", "fallback owner")
MAX_TEAM_FILE_BYTES = 1024 * 1024
MAX_PEOPLE = 10_000
MAX_HATS_PER_PERSON = 30
# libyaml's loader when PyYAML has it (about ten times faster); both keep line numbers.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TeamFileError(DatateamError):
    """A team file that cannot be read; the message names the file and line."""


# ---------------------------------------------------------------------------------------------
# The team file


def _where(path, node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _scalar_text(path, node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise TeamFileError(f"{_where(path, node)}: {what} must be a non-empty text")
    return str(node.value).strip()


def read_team_file(path: str | Path) -> dict:
    """Read a team file into {"name", "size", "people": [{"name", "hats": [str], "line"}]}.

    Uses PyYAML's node tree (yaml.compose), which keeps line numbers, so every problem is reported
    as `file:line: what is wrong`. Raises TeamFileError. Hats are not resolved here.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TEAM_FILE_BYTES + 1)
    except FileNotFoundError:
        raise TeamFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise TeamFileError(f"{path}: cannot read the team file ({exc.strerror or exc})") from None
    if len(data) > MAX_TEAM_FILE_BYTES:
        raise TeamFileError(f"{path}: the team file is larger than {MAX_TEAM_FILE_BYTES // 1024:,} KiB; "
                            f"a team file lists at most {MAX_PEOPLE:,} people")
    if b"\x00" in data:
        raise TeamFileError(f"{path}: not a YAML text file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TeamFileError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None
    try:
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise TeamFileError(f"{path}{line}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise TeamFileError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if root is None:
        raise TeamFileError(f"{path}: the team file is empty; list people with their hats under 'people:'")
    name, size, people_node = None, None, None
    if isinstance(root, yaml.SequenceNode):
        people_node = root
    elif isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            key = _scalar_text(path, key_node, "a key")
            if key == "team":
                name = _scalar_text(path, value_node, "'team'")
            elif key == "size":
                size = _scalar_text(path, value_node, "'size'").lower()
                if size not in SIZES:
                    raise TeamFileError(f"{_where(path, value_node)}: size {size!r} is not one of {', '.join(SIZES)}")
            elif key == "people":
                people_node = value_node
            else:
                raise TeamFileError(f"{_where(path, key_node)}: unknown key {key!r} (expected team, size, people)")
    else:
        raise TeamFileError(f"{_where(path, root)}: a team file is a mapping with 'people:' (or a list of people)")
    if people_node is None:
        raise TeamFileError(f"{path}: no 'people:' list")
    if not isinstance(people_node, yaml.SequenceNode) or not people_node.value:
        raise TeamFileError(f"{_where(path, people_node)}: 'people' must be a non-empty list of people")
    if len(people_node.value) > MAX_PEOPLE:
        raise TeamFileError(f"{_where(path, people_node)}: the team lists {len(people_node.value):,} people; "
                            f"a team file holds at most {MAX_PEOPLE:,}")
    people = []
    for number, person in enumerate(people_node.value, start=1):
        if not isinstance(person, yaml.MappingNode):
            raise TeamFileError(f"{_where(path, person)}: each person is a mapping with 'name' and 'hats'")
        entry = {"name": f"person {number}", "hats": [], "line": person.start_mark.line + 1}
        hats_node = None
        for key_node, value_node in person.value:
            key = _scalar_text(path, key_node, "a key")
            if key == "name":
                entry["name"] = _scalar_text(path, value_node, "'name'")
            elif key in ("hats", "roles"):
                hats_node = value_node
            else:
                raise TeamFileError(f"{_where(path, key_node)}: unknown key {key!r} for a person (expected name, hats)")
        if hats_node is None:
            raise TeamFileError(f"{_where(path, person)}: {entry['name']} has no 'hats'")
        hat_nodes = hats_node.value if isinstance(hats_node, yaml.SequenceNode) else [hats_node]
        if not hat_nodes:
            raise TeamFileError(f"{_where(path, hats_node)}: {entry['name']} has an empty list of hats")
        if len(hat_nodes) > MAX_HATS_PER_PERSON:
            raise TeamFileError(f"{_where(path, hats_node)}: {entry['name']} wears {len(hat_nodes):,} hats; "
                                f"at most {MAX_HATS_PER_PERSON} per person")
        for hat in hat_nodes:
            entry["hats"].append((_scalar_text(path, hat, "a hat"), hat.start_mark.line + 1))
        people.append(entry)
    return {"name": name, "size": size, "people": people, "file": str(path)}


def resolve_team(kg, team: dict) -> dict:
    """Resolve the hats of a team read by `read_team_file` to roles; errors name the file and line."""
    people = []
    resolved: dict[str, dict] = {}  # each distinct hat is looked up once
    for person in team["people"]:
        hats = []
        for hat, line in person["hats"]:
            if hat not in resolved:
                try:
                    entity = resolve(kg, hat, ["role"])
                except (NameNotFoundError, AmbiguousNameError) as exc:
                    where = f"{team['file']}:{line}: " if team.get("file") else ""
                    raise TeamFileError(f"{where}{person['name']}: {exc}", exc.exit_code) from None
                resolved[hat] = {"id": str(entity.iri), "label": entity.label}
            hats.append(dict(resolved[hat]))
        people.append({"name": person["name"], "hats": hats})
    return dict(team, people=people)


# ---------------------------------------------------------------------------------------------
# What each role brings


def role_contributions(graph) -> dict[str, dict[str, set]]:
    """role IRI -> {"responsibility": {...}, "skill": {...}, "category": {...}} from the projection."""
    out: dict[str, dict[str, set]] = {n: {k: set() for k in ITEM_KINDS}
                                      for n, t in graph.nodes(data="type") if t == "role"}
    tool_categories: dict[str, set] = defaultdict(set)
    for u, v, _ in links_of(graph, ("in_category",)):
        tool_categories[u].add(v)
    for kind, relation in (("responsibility", "has_responsibility"), ("skill", "requires_skill")):
        for u, v, _ in links_of(graph, (relation,)):
            if u in out:
                out[u][kind].add(v)
    for u, v, d in links_of(graph, ("uses_tool",)):
        if u in out:
            out[u]["category"].update(d.get("categories") or tool_categories.get(v, set()))
    return out


def hireable_roles(graph) -> list[str]:
    """Roles that can be hired: every role that is not a dt:Stakeholder."""
    return sorted(n for n, d in graph.nodes(data=True) if d["type"] == "role" and not d.get("stakeholder"))


# ---------------------------------------------------------------------------------------------
# Greedy set cover


def greedy_set_cover(universe: set, candidates: dict[str, set], limit: int | None = None,
                     tie_key=None) -> list[tuple[str, set]]:
    """Greedy set cover: repeatedly pick the candidate covering the most still-uncovered elements.

    universe: the elements to cover; candidates: name -> the elements it covers. Returns
    [(name, newly covered elements)] in pick order; stops when everything is covered, nothing adds
    anything, or `limit` picks were made. Ties go to the smallest `tie_key(name)` (default: name).

    >>> greedy_set_cover({1, 2, 3, 4}, {"a": {1, 2}, "b": {2, 3, 4}, "c": {4}})
    [('b', {2, 3, 4}), ('a', {1})]
    """
    tie_key = tie_key or (lambda name: name)
    left = set(universe)
    picks: list[tuple[str, set]] = []
    # Lazy greedy: a candidate's gain only shrinks as elements get covered, so a candidate whose
    # gain, recomputed, still heads the queue is the one the plain greedy scan would pick.
    queue = [(-len(elements & left), tie_key(name), k, name) for k, (name, elements) in enumerate(candidates.items())]
    heapq.heapify(queue)
    while left and queue and (limit is None or len(picks) < limit):
        _, tie, k, name = heapq.heappop(queue)
        entry = (-len(candidates[name] & left), tie, k, name)
        if queue and entry > queue[0]:
            heapq.heappush(queue, entry)
            continue
        gain = candidates[name] & left
        if not gain:
            break
        picks.append((name, gain))
        left -= gain
    return picks


# ---------------------------------------------------------------------------------------------
# Team guidance


def team_guidance(kg) -> list[dict]:
    """Every dt:TeamPattern: id, label, definition, kind, sizes, condition, min_events_per_day, recommends, concerns, sources.

    >>> any(p["kind"] == "hiring order" for p in team_guidance(kg))
    True
    """
    sources = graph_source_ids(kg)
    patterns: dict[str, dict] = {}
    for row in kg.select("""
        SELECT ?p ?label ?definition ?condition ?g WHERE {
          GRAPH ?g { ?p a dt:TeamPattern }
          OPTIONAL { ?p skos:prefLabel ?label FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
          OPTIONAL { ?p skos:definition ?definition }
          OPTIONAL { ?p dt:appliesWhen ?condition }
        }"""):
        key = str(row["p"])
        entry = patterns.setdefault(key, {"id": key, "label": str(row.get("label", key.rsplit("/", 1)[-1])),
                                          "definition": str(row.get("definition", "")), "kind": None, "sizes": [],
                                          "condition": str(row["condition"]) if "condition" in row else None,
                                          "recommends": [], "concerns": [], "sources": [],
                                          "min_events_per_day": None})
        if str(row["g"]) in sources and sources[str(row["g"])] not in entry["sources"]:
            entry["sources"].append(sources[str(row["g"])])
    for row in kg.select("""
        SELECT DISTINCT ?p ?prop ?value ?label WHERE {
          VALUES ?prop { dt:guidanceKind dt:organisationSize dt:recommendsRole dt:concernsRole dt:minEventsPerDay }
          ?p a dt:TeamPattern ; ?prop ?value .
          OPTIONAL { ?value skos:prefLabel ?label FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
        }"""):
        entry = patterns.get(str(row["p"]))
        if entry is None:
            continue
        prop, value = str(row["prop"]), str(row["value"])
        if prop == str(DT.guidanceKind):
            entry["kind"] = GUIDANCE_WORDS.get(value, value.rsplit("#", 1)[-1])
        elif prop == str(DT.minEventsPerDay):
            entry["min_events_per_day"] = int(value)
        elif prop == str(DT.organisationSize):
            entry["sizes"].append(SIZE_IRIS.get(value, value.rsplit("#", 1)[-1]))
        else:
            target = entry["recommends"] if prop == str(DT.recommendsRole) else entry["concerns"]
            target.append({"id": value, "label": str(row.get("label", value.rsplit("/", 1)[-1]))})
    for entry in patterns.values():
        entry["sizes"].sort(key=lambda s: (SIZES + ("any",)).index(s) if s in SIZES + ("any",) else 9)
        entry["recommends"].sort(key=lambda r: r["label"].casefold())
        entry["concerns"].sort(key=lambda r: r["label"].casefold())
        entry["sources"].sort()
    return sorted(patterns.values(), key=lambda p: (p["kind"] or "", p["label"].casefold()))


def _text_order(text: str) -> tuple[str, str]:
    """Alphabetical, ignoring case; texts equal but for case in a fixed order."""
    return text.casefold(), text


def _entry_order(entry: dict) -> tuple[str, str]:
    """By label ignoring case, then id: entries with the same label (a skill named alike in ESCO and in
    the knowledge base) in the same order on every run."""
    return entry["label"].casefold(), entry["id"]


def _fits_size(pattern: dict, size: str | None) -> bool:
    return size is None or not pattern["sizes"] or size in pattern["sizes"] or "any" in pattern["sizes"]


# ---------------------------------------------------------------------------------------------
# Coverage


def _team_roles(kg, roles, team) -> tuple[list[str], dict]:
    if (roles is None) == (team is None):
        raise DatateamError("give either roles or a team (not both)")
    if roles is not None:
        names = [r.strip() for r in (roles.split(",") if isinstance(roles, str) else roles) if r and r.strip()]
        if not names:
            raise DatateamError("no roles given; name them separated by commas, e.g. \"data scientist,data engineer\"")
        ids = []
        for name in names:
            iri = str(resolve(kg, name, ["role"]).iri)
            if iri not in ids:
                ids.append(iri)
        return ids, {"name": None, "size": None, "people": []}
    if isinstance(team, (str, Path)):
        team = read_team_file(team)
    team = resolve_team(kg, team)
    ids = []
    for person in team["people"]:
        for hat in person["hats"]:
            if hat["id"] not in ids:
                ids.append(hat["id"])
    return ids, team


def coverage(kg, roles=None, team=None, next_hire: bool = False, size: str | None = None, top: int = COVERAGE_TOP,
             *, events_per_day: int | None = None, serving: str | None = None, graph=None,
             include_conditional: bool = False) -> dict:
    """What a team covers and misses, and (with next_hire) which roles to add, in order.

    roles: role names (a list or one comma-separated string); or team: a team file path or a dict
    from `read_team_file`. size: small/medium/large filters the guidance (default: the team file's).
    Returns {"team": {name, size, people, roles}, "stages": [{stage, order, covered, missing}],
    "skills": {covered, missing}, "categories": {covered, missing}, "totals": {...},
    "open_handoffs": [...], "next_hire": [...] and "advice" (only with next_hire), "guidance": [...]}.
    `advice` (see `hiring_advice`) is the recommendation from the team's situation: size,
    events_per_day (the data volume) and serving ("online", "batch" or "both"); `next_hire` is the
    greedy cover of the gaps, which only breaks ties in the advice.
    Items are {id, label, by: [team roles that bring it]} when covered and {id, label, roles: [roles
    that could bring it]} when missing. Stakeholders are neither counted nor suggested. Also
    "unranked" (roles left out of the next-hire ranking, with the reason) and "conditional"
    ({included, accepted, facts}: the conditional facts left out, or included as asked).

    >>> "skills" in coverage(kg, roles="data analyst")
    True
    """
    if size is not None and size not in SIZES:
        raise DatateamError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    if serving is not None and serving not in SERVING:
        raise DatateamError(f"unknown serving {serving!r}; choose one of {', '.join(SERVING)}")
    if events_per_day is not None and (isinstance(events_per_day, bool) or not isinstance(events_per_day, int)
                                       or events_per_day < 0):
        raise DatateamError(f"events per day must be a whole number of 0 or more, not {events_per_day!r}")
    team_ids, team_info = _team_roles(kg, roles, team)
    size = size or team_info.get("size")
    accepted = [DT.InSmallTeam] if size == "small" else []
    graph = graph if graph is not None else coverage_projection(kg, include_conditional, accepted)
    stakeholders = [r for r in team_ids if graph.nodes[r].get("stakeholder")]
    if stakeholders:
        names = ", ".join(graph.nodes[r]["label"] for r in stakeholders)
        raise DatateamError(f"{names}: a stakeholder is not a hat a team member wears")
    contributions = role_contributions(graph)
    hireable = hireable_roles(graph)
    label = lambda n: graph.nodes[n]["label"]  # noqa: E731

    brings: dict[str, dict[str, list]] = {k: defaultdict(list) for k in ITEM_KINDS}
    for role in hireable:
        for kind in ITEM_KINDS:
            for item in contributions[role][kind]:
                brings[kind][item].append(role)
    covered = {k: {i for r in team_ids for i in contributions[r][k]} for k in ITEM_KINDS}
    universe = {k: set(brings[k]) | covered[k] for k in ITEM_KINDS}
    missing = {k: universe[k] - covered[k] for k in ITEM_KINDS}

    def covered_entry(item, kind):
        return {"id": item, "label": label(item),
                "by": sorted((label(r) for r in team_ids if item in contributions[r][kind]), key=_text_order)}

    def missing_entry(item, kind):
        return {"id": item, "label": label(item), "roles": sorted((label(r) for r in brings[kind][item]), key=_text_order)}

    def listing(kind):
        key = _entry_order
        return {"covered": sorted((covered_entry(i, kind) for i in covered[kind]), key=key),
                "missing": sorted((missing_entry(i, kind) for i in missing[kind]), key=key)}

    stages_out = _by_stage(graph, covered["responsibility"], missing["responsibility"], covered_entry, missing_entry)
    result = {
        "team": {"name": team_info.get("name"), "size": size, "people": team_info.get("people", []),
                 "roles": sorted(({"id": r, "label": label(r)} for r in team_ids), key=_entry_order)},
        "stages": stages_out,
        "skills": listing("skill"),
        "categories": listing("category"),
        "totals": {KIND_WORDS[k]: {"covered": len(covered[k]), "missing": len(missing[k]), "all": len(universe[k])}
                   for k in ITEM_KINDS},
        "open_handoffs": open_handoffs(graph, team_ids),
        "unranked": [r for r in unranked_roles(graph) if r["id"] not in team_ids] if next_hire else [],
        "conditional": dict(conditional_facts(graph),
                            accepted=["only in a small company or team"] if graph.graph.get("accept_conditions") else []),
    }
    patterns = [p for p in team_guidance(kg) if _fits_size(p, size)]
    if next_hire:
        result["next_hire"] = rank_next_hires(graph, team_ids, contributions, missing, patterns, top)
        open_gaps = {(k, i) for k in ITEM_KINDS for i in missing[k]}
        gaps = {r: len({(k, i) for k in ITEM_KINDS for i in contributions[r][k]} & open_gaps) for r in hireable}
        result["advice"] = hiring_advice(kg, graph, team_ids,
                                         {"size": size, "events_per_day": events_per_day, "serving": serving},
                                         team_guidance(kg), gaps)
    result["guidance"] = [p for p in patterns if p["kind"] in HIRING_KINDS]
    return result


def _by_stage(graph, covered: set, missing: set, covered_entry, missing_entry) -> list[dict]:
    stage_of: dict[str, list] = defaultdict(list)
    for u, v, _ in links_of(graph, ("at_stage",)):
        stage_of[u].append(v)
    groups: dict[str | None, dict] = {}
    for item in covered | missing:
        for stage in stage_of.get(item) or [None]:
            group = groups.setdefault(stage, {"covered": [], "missing": []})
            if item in covered:
                group["covered"].append(covered_entry(item, "responsibility"))
            else:
                group["missing"].append(missing_entry(item, "responsibility"))
    out = []
    for stage, group in groups.items():
        order = graph.nodes[stage].get("order") if stage else None
        out.append({"stage": graph.nodes[stage]["label"] if stage else "no stage", "stage_id": stage,
                    "order": order if order is not None else 99,
                    "covered": sorted(group["covered"], key=_entry_order),
                    "missing": sorted(group["missing"], key=_entry_order)})
    return sorted(out, key=lambda s: (s["order"], s["stage"]))


def open_handoffs(graph, team_ids: list[str]) -> list[dict]:
    """Handoffs with a team role on one end and nobody on the other (stakeholders are outside the team by design).

    Each: {direction: "gives"/"receives", team_role, missing_role, artifact, stage, mode, sources}.
    """
    team = set(team_ids)
    rows = []
    for u, v, d in links_of(graph, ("hands_off_to",)):
        if (u in team) == (v in team):
            continue
        other = v if u in team else u
        if graph.nodes[other].get("stakeholder"):
            continue
        rows.append({
            "direction": "gives" if u in team else "receives",
            "team_role": graph.nodes[u if u in team else v]["label"],
            "missing_role": graph.nodes[other]["label"],
            "missing_role_id": other,
            "artifact": d["artifact_label"],
            "stage": d["stage_label"],
            "mode": d["mode"],
            "workflow": d["workflow_label"],
            "step": d["step"],
            "sources": list(d["sources"]),
        })
    return sorted(rows, key=lambda r: (r["missing_role"].casefold(), r["direction"], r["team_role"].casefold(),
                                       (r["artifact"] or "").casefold()))


def rank_next_hires(graph, team_ids, contributions, missing, patterns, top: int = 5) -> list[dict]:
    """Rank hireable roles by the gap they close (greedy set cover over the missing items).

    Each rank: {rank, role, id, closes, closes_by_kind, items: {kind: [labels]}, remaining_after,
    explanation, guidance: [patterns recommending the role]}.
    """
    universe = {(k, i) for k in ITEM_KINDS for i in missing[k]}
    described = described_roles(graph)
    candidates = {r: {(k, i) for k in ITEM_KINDS for i in contributions[r][k]}
                  for r in hireable_roles(graph) if r not in team_ids and r in described}
    picks = greedy_set_cover(universe, candidates, limit=top,
                             tie_key=lambda r: (graph.nodes[r]["label"].casefold(), r))
    left = len(universe)
    ranked = []
    for rank, (role, gain) in enumerate(picks, start=1):
        left -= len(gain)
        per_kind = {KIND_WORDS[k]: sorted((graph.nodes[i]["label"] for kk, i in gain if kk == k), key=_text_order)
                    for k in ITEM_KINDS}
        counts = {k: len(v) for k, v in per_kind.items()}
        parts = ", ".join(f"{n} {k if n != 1 else SINGULAR[k]}" for k, n in counts.items() if n)
        before = left + len(gain)
        explanation = (f"closes {len(gain)} of the {before} gaps still open ({parts})"
                       + (" after the hires above" if rank > 1 else ""))
        recommended = [{"label": p["label"], "kind": p["kind"], "sizes": p["sizes"], "sources": p["sources"]}
                       for p in patterns if any(r["id"] == role for r in p["recommends"])]
        ranked.append({"rank": rank, "role": graph.nodes[role]["label"], "id": role, "closes": len(gain),
                       "closes_by_kind": counts, "items": per_kind, "remaining_after": left,
                       "explanation": explanation, "guidance": recommended})
    return ranked


# ---------------------------------------------------------------------------------------------
# The next hire from the team's situation

SERVING = ("online", "batch", "both")
SERVING_DEPLOYMENTS = {"online": ("online-serving",), "batch": ("batch-scoring",),
                       "both": ("online-serving", "batch-scoring")}
SERVING_WORDS = {"online": "models are served online", "batch": "models are scored in batch",
                 "both": "models are served online and scored in batch"}
# The kinds of guidance that decide a hire; team structures and collaboration practices are context.
DECIDING_KINDS = ("staffing threshold", "hiring order", "fallback owner", "anti-pattern")


def deployment_owners(kg) -> dict[str, dict]:
    """Each deployment pattern with the roles that own it and the sources saying so:
    {key: {"id", "label", "owners": [{"id", "label", "sources"}]}} (key: the id's last part, e.g. "online-serving")."""
    sources = graph_source_ids(kg)
    out: dict[str, dict] = {}
    for row in kg.select("""
        SELECT ?d ?label ?role ?roleLabel ?g WHERE {
          ?d a dt:DeploymentPattern ; skos:prefLabel ?label .
          GRAPH ?g { ?d dt:ownedBy ?role }
          ?role skos:prefLabel ?roleLabel .
        }"""):
        key = str(row["d"]).rsplit("/", 1)[-1]
        entry = out.setdefault(key, {"id": str(row["d"]), "label": str(row["label"]), "owners": {}})
        owner = entry["owners"].setdefault(str(row["role"]), {"id": str(row["role"]), "label": str(row["roleLabel"]),
                                                              "sources": []})
        sid = sources.get(str(row["g"]))
        if sid and sid not in owner["sources"]:
            owner["sources"].append(sid)
    for entry in out.values():
        entry["owners"] = sorted(entry["owners"].values(), key=lambda o: o["label"].casefold())
        for owner in entry["owners"]:
            owner["sources"].sort()
    return out


def _reason(pattern: dict, reads: str) -> dict:
    return {"id": pattern["id"], "label": pattern["label"], "kind": pattern["kind"], "sources": list(pattern["sources"]),
            "reads": reads}


def _size_fits(pattern: dict, size: str | None) -> bool:
    return "any" in pattern["sizes"] or (size is not None and size in pattern["sizes"])


def decide_hire(situation: dict, team: set[str], candidates: dict[str, str], patterns: list[dict],
                deployments: dict[str, dict], gaps: dict[str, int]) -> dict:
    """Apply the sources' team guidance to a situation; plain data, no store access.

    situation: {"size", "events_per_day", "serving"} (each may be None); team: the role IRIs on the
    team; candidates: {role IRI: label} that could be hired; gaps: {role IRI: gaps it would close}.
    Each guidance statement that applies gives reasons *for* the roles it recommends, or holds roles
    back (a volume below a staffing threshold; a fallback already on the team). Recommended roles
    are ranked by the number of sources behind their reasons, then the number of reasons; the gaps
    a role closes only break ties, then the label. Returns {"recommend": [...], "held_back": [...],
    "not_applied": [...]}.
    """
    size, events, serving = situation.get("size"), situation.get("events_per_day"), situation.get("serving")
    fors: dict[str, list] = defaultdict(list)
    holds: dict[str, list] = defaultdict(list)
    not_applied = []
    for p in patterns:
        if p["kind"] not in DECIDING_KINDS:
            continue
        recommends = [r["id"] for r in p["recommends"]]
        if p["kind"] == "staffing threshold" and p.get("min_events_per_day"):
            threshold = p["min_events_per_day"]
            if events is None:
                not_applied.append(_reason(p, f"needs the data volume (--events-per-day); it applies from "
                                              f"{threshold:,} events a day"))
            elif events >= threshold:
                for r in recommends:
                    fors[r].append(_reason(p, f"{events:,} events a day is at or above {threshold:,}"))
            else:
                for r in recommends:
                    holds[r].append(dict(_reason(p, f"{events:,} events a day is below {threshold:,}: no dedicated "
                                                    "hire yet; a data scientist can build the first prototype"),
                                         until=f"from {threshold:,} events a day"))
            continue
        if not _size_fits(p, size):
            if size is None:
                not_applied.append(_reason(p, f"needs the organisation size (--size); it holds for "
                                              f"{', '.join(p['sizes'])} organisations"))
            continue
        if p["kind"] == "fallback owner":
            standing_in = [r["id"] for r in p["concerns"]]
            present = [r for r in p["recommends"] if r["id"] in team]
            if present:
                who = ", ".join(r["label"] for r in present)
                for r in standing_in:
                    holds[r].append(dict(_reason(p, f"the team's {who} can cover it"),
                                         until=f"when the {who} can no longer cover it"))
            else:
                not_applied.append(_reason(p, "the team has no " + " or ".join(r["label"] for r in p["recommends"])
                                              + " to fall back on"))
            continue
        if p["kind"] == "anti-pattern":
            concerns = {r["id"] for r in p["concerns"]}
            if team and team <= concerns and recommends:
                for r in recommends:
                    fors[r].append(_reason(p, "the team has no hat but " + ", ".join(
                        sorted(candidates.get(t, t) for t in team))))
            continue
        for r in recommends:  # hiring order for this size
            fors[r].append(_reason(p, f"for a {size} organisation" if size else "for any organisation"))
    if serving is None:
        not_applied.append({"id": None, "label": "who owns online serving and batch scoring", "kind": "deployment",
                            "sources": sorted({s for d in deployments.values() for o in d["owners"] for s in o["sources"]}),
                            "reads": "needs how models are served (--serving online|batch|both)"})
    else:
        for key in SERVING_DEPLOYMENTS[serving]:
            dep = deployments.get(key)
            for owner in (dep or {}).get("owners", []):
                fors[owner["id"]].append({"id": dep["id"], "label": f"{dep['label']} is owned by the {owner['label']}",
                                          "kind": "deployment", "sources": owner["sources"],
                                          "reads": SERVING_WORDS[serving]})
    # Team structures are context, not a decision; they are shown where they speak for a role.
    context: dict[str, list] = defaultdict(list)
    for p in patterns:
        if p["kind"] == "team structure" and _size_fits(p, size):
            for r in p["recommends"]:
                context[r["id"]].append(_reason(p, "a team structure the source recommends (context, not counted)"))
    recommend, held = [], []
    for role, label in candidates.items():
        if role in team:
            continue
        if holds.get(role):
            held.append({"role": label, "id": role, "because": holds[role], "also_for": fors.get(role, []),
                         "context": context.get(role, [])})
        elif fors.get(role):
            reasons = fors[role]
            sources = sorted({s for r in reasons for s in r["sources"]})
            recommend.append({"role": label, "id": role, "because": reasons, "sources": sources,
                              "closes": gaps.get(role, 0), "context": context.get(role, [])})
    recommend.sort(key=lambda r: (-len(r["sources"]), -len(r["because"]), -r["closes"], r["role"].casefold()))
    for rank, entry in enumerate(recommend, start=1):
        entry["rank"] = rank
        entry["explanation"] = (f"{len(entry['because'])} piece{'s' if len(entry['because']) != 1 else ''} of guidance "
                                f"from {len(entry['sources'])} source{'s' if len(entry['sources']) != 1 else ''} "
                                f"({', '.join(entry['sources'])}); closes {entry['closes']} gaps (ties only)")
    held.sort(key=lambda r: r["role"].casefold())
    return {"recommend": recommend, "held_back": held, "not_applied": not_applied}


def _alternatives(situation: dict, patterns: list[dict]) -> list[tuple[str, str, dict]]:
    """The other values of each input worth trying: (option, value as text, changed situation)."""
    out = []
    for size in SIZES:
        if size != situation.get("size"):
            out.append(("--size", size, dict(situation, size=size)))
    thresholds = sorted({p["min_events_per_day"] for p in patterns if p.get("min_events_per_day")})
    events = situation.get("events_per_day")
    for t in thresholds:
        if events is None or events >= t:
            out.append(("--events-per-day", f"below {t:,}", dict(situation, events_per_day=t - 1)))
        if events is None or events < t:
            out.append(("--events-per-day", f"{t:,} or more", dict(situation, events_per_day=t)))
    for serving in SERVING:
        if serving != situation.get("serving"):
            out.append(("--serving", serving, dict(situation, serving=serving)))
    return out


def hiring_advice(kg, graph, team_ids: list[str], situation: dict, patterns: list[dict], gaps: dict[str, int]) -> dict:
    """The next hire from the team's situation, the guidance it follows, and what would change the answer.

    Returns {"situation", "recommend", "held_back", "not_applied", "changes"}; `changes` lists each
    other value of an input (size, volume, serving) that changes the recommended roles or their
    order: {"option", "value", "recommend": [labels], "held_back": [labels], "guidance": [labels]}.
    """
    team = set(team_ids)
    candidates = {r: graph.nodes[r]["label"] for r in hireable_roles(graph)}
    deployments = deployment_owners(kg)
    decided = decide_hire(situation, team, candidates, patterns, deployments, gaps)
    top = [r["role"] for r in decided["recommend"]]
    changes = []
    for option, value, other in _alternatives(situation, patterns):
        alt = decide_hire(other, team, candidates, patterns, deployments, gaps)
        alt_top = [r["role"] for r in alt["recommend"]]
        if alt_top[:1] != top[:1] or set(alt_top) != set(top):
            used = sorted({b["label"] for r in alt["recommend"] for b in r["because"]}
                          | {b["label"] for r in alt["held_back"] for b in r["because"]}, key=_text_order)
            changes.append({"option": option, "value": value, "recommend": alt_top,
                            "held_back": [r["role"] for r in alt["held_back"]], "guidance": used})
    return dict(decided, situation=dict(situation), changes=changes)


__all__ = [
    "COVERAGE_RELATIONS", "SERVING", "TeamFileError", "coverage", "decide_hire", "deployment_owners", "format_advice", "greedy_set_cover", "hiring_advice", "open_handoffs", "rank_next_hires", "read_team_file",
    "resolve_team", "role_contributions", "team_guidance",
]


# ---------------------------------------------------------------------------------------------
# Text


def _names(entries, key) -> str:
    return "; ".join(f"{e['label']} ({', '.join(e[key])})" if e[key] else e["label"] for e in entries)


def format_coverage(result: dict) -> str:
    """The result of `coverage` as readable text: totals, stages, skills, categories, open handoffs, next hires."""
    team = result["team"]
    who = ", ".join(r["label"] for r in team["roles"])
    lines = [f"Team{' ' + repr(team['name']) if team['name'] else ''}: {who}"]
    for person in team["people"]:
        lines.append(f"  {person['name']}: {', '.join(h['label'] for h in person['hats'])}")
    for kind, counts in result["totals"].items():
        lines.append(f"{kind}: {counts['covered']} of {counts['all']} covered, {counts['missing']} missing")
    lines += ["", "Responsibilities by lifecycle stage"]
    for stage in result["stages"]:
        lines.append(f"  {stage['stage']}: {len(stage['covered'])} covered, {len(stage['missing'])} missing")
        if stage["covered"]:
            lines.append(f"    covered: {_names(stage['covered'], 'by')}")
        if stage["missing"]:
            lines.append(f"    missing: {_names(stage['missing'], 'roles')}")
    for key, title in (("skills", "Skills"), ("categories", "Tool categories")):
        lines += ["", f"{title}: {len(result[key]['covered'])} covered, {len(result[key]['missing'])} missing"]
        if result[key]["missing"]:
            lines.append(f"  missing: {_names(result[key]['missing'], 'roles')}")
    lines += ["", f"Handoffs with nobody on one end ({len(result['open_handoffs'])})"]
    for h in result["open_handoffs"]:
        arrow = (f"{h['team_role']} → [{h['missing_role']}]" if h["direction"] == "gives"
                 else f"[{h['missing_role']}] → {h['team_role']}")
        lines.append(f"  {arrow}: {h['artifact']} ({h['stage']}; {', '.join(h['sources'])})")
    if "advice" in result:
        lines += ["", format_advice(result["advice"]).rstrip("\n")]
    if "next_hire" in result:
        lines += ["", "Gaps each hire would close (greedy set cover; the counts only break ties in the advice above)"]
        for r in result["next_hire"]:
            lines.append(f"  {r['rank']}. {r['role']}: {r['explanation']}")
            for kind, items in r["items"].items():
                if items:
                    lines.append(f"       {kind}: {', '.join(items)}")
            for g in r["guidance"]:
                lines.append(f"       guidance: {g['label']} ({g['kind']}; {', '.join(g['sources'])})")
        if not result["next_hire"]:
            lines.append("  (the team already covers everything the other roles bring)")
        if result.get("unranked"):
            names = ", ".join(r["label"] for r in result["unranked"])
            lines.append(f"  Not ranked ({len(result['unranked'])}): {names}: the sources give them no skills or "
                         "tools, only responsibilities, so what a hire would bring cannot be weighed.")
    info = result.get("conditional") or {}
    if info.get("accepted"):
        lines += ["", f"Counted because the organisation is small: facts the sources state {info['accepted'][0]}."]

    note = conditional_summary(info.get("facts", []), info.get("included", False))
    if note:
        lines += ["", note]
    if result.get("guidance"):
        size = f" for a {team['size']} organisation" if team.get("size") else ""
        lines += ["", f"Team guidance from the sources{size}"]
        for p in result["guidance"]:
            rec = ", ".join(r["label"] for r in p["recommends"]) or "-"
            lines.append(f"  {p['label']} [{p['kind']}; {', '.join(p['sizes'])}; {', '.join(p['sources'])}]")
            lines.append(f"    recommends: {rec}")
            lines.append(f"    {p['definition']}")
    return "\n".join(lines) + "\n"


def _situation_text(situation: dict) -> str:
    parts = [f"size {situation['size']}" if situation.get("size") else "size not given",
             f"{situation['events_per_day']:,} events a day" if situation.get("events_per_day") is not None
             else "data volume not given",
             f"serving {situation['serving']}" if situation.get("serving") else "serving not given"]
    return ", ".join(parts)


def format_advice(advice: dict) -> str:
    """The advice of `hiring_advice` as text: recommended hires with the guidance they follow, roles
    held back, guidance that needs more inputs, and what would change the answer."""
    lines = [f"Next hire from the team's situation ({_situation_text(advice['situation'])})"]
    for r in advice["recommend"]:
        lines.append(f"  {r['rank']}. {r['role']}: {r['explanation']}")
        for b in r["because"]:
            lines.append(f"       follows: {b['label']} [{b['kind']}; {', '.join(b['sources'])}]: {b['reads']}")
        for b in r.get("context", []):
            lines.append(f"       also: {b['label']} [{b['kind']}; {', '.join(b['sources'])}]")
    if not advice["recommend"]:
        lines.append("  (no guidance the sources give speaks for a hire in this situation; see below what would)")
    for r in advice["held_back"]:
        lines.append(f"  not yet: {r['role']}")
        for b in r["because"]:
            lines.append(f"       follows: {b['label']} [{b['kind']}; {', '.join(b['sources'])}]: {b['reads']}"
                         + (f"; changes {b['until']}" if b.get("until") else ""))
        for b in r.get("also_for", []):
            lines.append(f"       outweighed: {b['label']} [{b['kind']}; {', '.join(b['sources'])}]: {b['reads']}")
        for b in r.get("context", []):
            lines.append(f"       the sources differ: {b['label']} [{b['kind']}; {', '.join(b['sources'])}]")
    if advice["not_applied"]:
        lines.append("  Guidance not applied")
        for b in advice["not_applied"]:
            lines.append(f"    {b['label']} [{b['kind']}; {', '.join(b['sources'])}]: {b['reads']}")
    if advice["changes"]:
        lines.append("  What changes the answer")
        for c in advice["changes"]:
            rec = ", ".join(c["recommend"]) or "nobody"
            held = f"; not yet: {', '.join(c['held_back'])}" if c["held_back"] else ""
            lines.append(f"    {c['option']} {c['value']}: {rec}{held}")
    return "\n".join(lines) + "\n"


def render_coverage(result: dict, fmt: str = "table") -> str:
    """A coverage(...) result as "table" (format_coverage) or "json" text."""
    return to_json(result) if fmt == "json" else format_coverage(result)
