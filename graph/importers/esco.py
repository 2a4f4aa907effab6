"""Import ESCO (the European Commission's classification of occupations and skills) from its CSV release.

Input: the English CSV download (`esco-v1.1.1-classification-en-csv.zip` and
`esco-v1.1.1-relations-csv.zip`), as zips or unpacked, in one or more folders or files.

Everything goes into the named graph `graph/import/esco`, in two layers:

1. ESCO's own model, with ESCO's URIs: occupations `a esco:Occupation`, skills `a esco:Skill` with
   `esco:skillType` and `esco:skillReuseLevel`, `esco:relatedEssentialSkill` /
   `esco:relatedOptionalSkill` (occupation -> skill, and skill -> skill), `esco:memberOfISCOGroup`,
   the skill and occupation hierarchies as `skos:broader`, SKOS labels (`prefLabel`, `altLabel`,
   `hiddenLabel`, all @en), ESCO's description as `skos:definition`, codes as `skos:notation`.
2. This project's model, so every command works on ESCO data: occupations `a dt:Role`; skills
   `a dt:Skill` plus a kind (knowledge -> dt:KnowledgeArea; skill/competence with reuse level
   "transversal" -> dt:SoftSkill; other skill/competence -> dt:TechnicalSkill; the six DigComp
   skills without a skill type stay plain dt:Skill); each occupation-skill link becomes
   `?occupation dt:requiresSkill ?skill` plus a dt:SkillRequirement node with dt:level dt:Core
   (essential) or dt:Working (optional); the occupation's ISCO unit group is its dt:roleFamily.
   Every entity and requirement node has `dcterms:source <source/esco>`.

Rows that point to a concept the release does not define (ESCO v1.1.1 has 67 relations to one
occupation missing from occupations_en.csv) are left out and reported as warnings; a malformed row
(bad URI, unknown relation type, wrong number of fields) stops the import with the file and line.

>>> from datateam.graph.importers.esco import write_esco_nquads
>>> with open("esco.nq", "w") as out:
...     report = write_esco_nquads(["../shared/data/esco-v1.1.1"], out)
>>> report.counts["occupations"]
3007
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ...ontology.namespaces import BASE
from .common import IMPORT_GRAPH_BASE, RDF_TYPE, BadRowError, DataFileError, ImportReport, InputFile, ProgressTracker, QuadWriter, dct, dt, find_inputs, literal, read_rows, release_name, skos, split_labels, write_source_record

ESCO_GRAPH = IMPORT_GRAPH_BASE + "esco"
ESCO_SOURCE = BASE + "source/esco"
ESCO_MODEL = "http://data.europa.eu/esco/model#"
ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
# Commission Decision 2011/833/EU on the reuse of Commission documents, under which ESCO is published.
ESCO_LICENSE = "http://data.europa.eu/eli/dec/2011/833/oj"

OCCUPATIONS = "occupations_en.csv"
SKILLS = "skills_en.csv"
RELATIONS = "occupationSkillRelations.csv"
ISCO_GROUPS = "ISCOGroups_en.csv"
SKILL_GROUPS = "skillGroups_en.csv"
BROADER_OCCUPATIONS = "broaderRelationsOccPillar.csv"
BROADER_SKILLS = "broaderRelationsSkillPillar.csv"
SKILL_RELATIONS = "skillSkillRelations.csv"
REQUIRED_FILES = (OCCUPATIONS, SKILLS, RELATIONS)
OPTIONAL_FILES = (ISCO_GROUPS, SKILL_GROUPS, BROADER_OCCUPATIONS, BROADER_SKILLS, SKILL_RELATIONS)

_ESCO_URI = re.compile(r"^http://data\.europa\.eu/esco/([a-z-]+)/([A-Za-z0-9._-]+)$")

SKILL_TYPES = {"knowledge": "knowledge", "skill/competence": "skill"}
REUSE_LEVELS = ("transversal", "cross-sector", "sector-specific", "occupation-specific")
RELATION_TYPES = {"essential": "relatedEssentialSkill", "optional": "relatedOptionalSkill"}
LEVELS = {"essential": dt("Core"), "optional": dt("Working")}


def esco(name: str) -> str:
    return f"<{ESCO_MODEL}{name}>"


def _check_uri(source: InputFile, line: int, column: str, value: str, kinds: tuple[str, ...]) -> str:
    value = value.strip()
    match = _ESCO_URI.match(value)
    if not match or match.group(1) not in kinds:
        what = " or ".join(kinds)
        raise BadRowError(f"{source.display}, line {line}: {column} {value!r} is not an ESCO {what} URI "
                          f"(http://data.europa.eu/esco/{kinds[0]}/...)")
    return value


def _label(source: InputFile, line: int, row: dict, column: str = "preferredLabel") -> str:
    label = row[column].strip()
    if not label:
        raise BadRowError(f"{source.display}, line {line}: empty {column}")
    return label


def _labels(w: QuadWriter, node: str, label: str, row: dict, separator: str = "\n") -> None:
    w.add(node, skos("prefLabel"), literal(label))
    for alt in split_labels(row.get("altLabels", ""), separator):
        if alt != label:
            w.add(node, skos("altLabel"), literal(alt))
    for hidden in split_labels(row.get("hiddenLabels", "") or "", separator):
        w.add(node, skos("hiddenLabel"), literal(hidden))
    description = (row.get("description") or "").strip()
    if description:
        w.add(node, skos("definition"), literal(description))
    if (row.get("definition") or "").strip():
        w.add(node, skos("note"), literal(row["definition"].strip()))
    if (row.get("scopeNote") or "").strip():
        w.add(node, skos("scopeNote"), literal(row["scopeNote"].strip()))


def find_esco_files(paths: Sequence[Path | str]) -> dict[str, InputFile]:
    """Locate the ESCO CSV files among `paths`; raise DataFileError if a required one is missing."""
    found = find_inputs(paths, REQUIRED_FILES + OPTIONAL_FILES)
    missing = [name for name in REQUIRED_FILES if name not in found]
    if missing:
        other_language = find_inputs(paths, [f"occupations_{code}.csv" for code in
                                             ("de", "fr", "es", "it", "nl", "pl", "pt", "sv")])
        hint = (" (only the English CSV download is supported)" if other_language else
                " (expected the ESCO CSV download: esco-*-classification-en-csv.zip and esco-*-relations-csv.zip,"
                " zipped or unpacked)")
        shown = ", ".join(str(p) for p in paths)
        raise DataFileError(f"{shown}: no {', '.join(missing)} found{hint}")
    return found


def write_esco_nquads(paths: Sequence[Path | str], out: IO[str], *, progress=None,
                      default_copies: bool = False) -> ImportReport:
    """Read an ESCO CSV release and write its N-Quads (graph `graph/import/esco`) to `out`.

    Inputs: folders, zip archives or CSV files; `progress(label, fraction)` is called as files are
    read; `default_copies` writes each triple a second time in the default graph (QuadWriter).
    Returns an ImportReport with counts (occupations, skills, essential/optional links, ...) and
    warnings for rows left out. Raises BadRowError (file and line) for a malformed row.
    """
    files = find_esco_files(paths)
    tracker = ProgressTracker(progress, sum(f.size for f in files.values()))
    report = ImportReport(source="esco", graph=ESCO_GRAPH, release=release_name(paths, r"esco[-_ ]?(v\d[\w.]*)"),
                          inputs=sorted(f.display for f in files.values()), attribution=ESCO_ATTRIBUTION)
    w = QuadWriter(out, ESCO_GRAPH, default_copies)
    src = f"<{ESCO_SOURCE}>"
    counts = report.counts

    _write_source(w, report.release)

    # ISCO groups (optional file): labels for the groups occupations belong to.
    isco_groups: dict[str, str] = {}
    if ISCO_GROUPS in files:
        f = files[ISCO_GROUPS]
        tracker.label = f"reading {f.name}"
        seen_groups: dict[str, int] = {}
        for line, row in read_rows(f, ["conceptUri", "code", "preferredLabel"], tracker=tracker):
            uri = _check_uri(f, line, "conceptUri", row["conceptUri"], ("isco",))
            if uri in seen_groups:
                raise BadRowError(f"{f.display}, line {line}: ISCO group {uri} is listed twice "
                                  f"(first on line {seen_groups[uri]})")
            seen_groups[uri] = line
            node = f"<{uri}>"
            isco_groups[row["code"].strip()] = uri
            w.add(node, RDF_TYPE, dt("IscoGroup"))
            w.add(node, RDF_TYPE, skos("Concept"))
            w.add(node, skos("notation"), literal(row["code"].strip(), None))
            w.add(node, dct("source"), src)
            _labels(w, node, _label(f, line, row), row)
        counts["ISCO groups"] = len(isco_groups)

    # Occupations.
    f = files[OCCUPATIONS]
    tracker.label = f"reading {f.name}"
    occupations: dict[str, int] = {}
    families: set[str] = set()
    for line, row in read_rows(f, ["conceptUri", "iscoGroup", "preferredLabel", "altLabels", "description"],
                               tracker=tracker):
        uri = _check_uri(f, line, "conceptUri", row["conceptUri"], ("occupation",))
        if uri in occupations:
            raise BadRowError(f"{f.display}, line {line}: occupation {uri} is listed twice "
                              f"(first on line {occupations[uri]})")
        occupations[uri] = line
        node = f"<{uri}>"
        label = _label(f, line, row)
        w.add(node, RDF_TYPE, esco("Occupation"))
        w.add(node, RDF_TYPE, skos("Concept"))
        w.add(node, RDF_TYPE, dt("Role"))
        w.add(node, dct("source"), src)
        _labels(w, node, label, row)
        code = (row.get("code") or "").strip()
        if code:
            w.add(node, skos("notation"), literal(code, None))
        isco = row["iscoGroup"].strip()
        if isco:
            if not isco.isdigit():
                raise BadRowError(f"{f.display}, line {line}: iscoGroup {isco!r} is not an ISCO code")
            group = isco_groups.get(isco, f"http://data.europa.eu/esco/isco/C{isco}")
            w.add(node, esco("memberOfISCOGroup"), f"<{group}>")
            if isco in isco_groups:
                w.add(node, dt("roleFamily"), f"<{group}>")
                families.add(group)
    for group in sorted(families):
        w.add(f"<{group}>", RDF_TYPE, dt("RoleFamily"))
    counts["occupations"] = len(occupations)

    # Skill groups (optional file): the upper levels of the skill hierarchy.
    skill_groups: set[str] = set()
    if SKILL_GROUPS in files:
        f = files[SKILL_GROUPS]
        tracker.label = f"reading {f.name}"
        for line, row in read_rows(f, ["conceptUri", "preferredLabel"], tracker=tracker):
            uri = _check_uri(f, line, "conceptUri", row["conceptUri"], ("skill", "isced-f"))
            if uri in skill_groups:
                raise BadRowError(f"{f.display}, line {line}: skill group {uri} is listed twice")
            skill_groups.add(uri)
            node = f"<{uri}>"
            w.add(node, RDF_TYPE, dt("SkillGroup"))
            w.add(node, RDF_TYPE, skos("Concept"))
            w.add(node, dct("source"), src)
            _labels(w, node, _label(f, line, row), row)
            code = (row.get("code") or "").strip()
            if code:
                w.add(node, skos("notation"), literal(code, None))
        counts["skill groups"] = len(skill_groups)

    # Skills.
    f = files[SKILLS]
    tracker.label = f"reading {f.name}"
    skills: dict[str, int] = {}
    kinds = {"knowledge": 0, "soft": 0, "technical": 0, "untyped": 0}
    for line, row in read_rows(f, ["conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels",
                                   "description"], tracker=tracker):
        uri = _check_uri(f, line, "conceptUri", row["conceptUri"], ("skill",))
        if uri in skills:
            raise BadRowError(f"{f.display}, line {line}: skill {uri} is listed twice (first on line {skills[uri]})")
        if uri in skill_groups:
            raise BadRowError(f"{f.display}, line {line}: {uri} is both a skill and a skill group")
        skills[uri] = line
        node = f"<{uri}>"
        skill_type = row["skillType"].strip()
        reuse = row["reuseLevel"].strip()
        if skill_type and skill_type not in SKILL_TYPES:
            raise BadRowError(f"{f.display}, line {line}: skillType {skill_type!r} is not one of "
                              f"{', '.join(SKILL_TYPES)}")
        if reuse and reuse not in REUSE_LEVELS:
            raise BadRowError(f"{f.display}, line {line}: reuseLevel {reuse!r} is not one of {', '.join(REUSE_LEVELS)}")
        w.add(node, RDF_TYPE, esco("Skill"))
        w.add(node, RDF_TYPE, skos("Concept"))
        w.add(node, RDF_TYPE, dt("Skill"))
        kind = skill_kind(skill_type, reuse)
        if kind is not None:
            w.add(node, RDF_TYPE, dt(kind))
        kinds[{"KnowledgeArea": "knowledge", "SoftSkill": "soft", "TechnicalSkill": "technical", None: "untyped"}[kind]] += 1
        if skill_type:
            w.add(node, esco("skillType"), f"<http://data.europa.eu/esco/skill-type/{SKILL_TYPES[skill_type]}>")
        if reuse:
            w.add(node, esco("skillReuseLevel"), f"<http://data.europa.eu/esco/skill-reuse-level/{reuse}>")
        w.add(node, dct("source"), src)
        _labels(w, node, _label(f, line, row), row)
    counts["skills"] = len(skills)
    counts.update({f"{k} skills": v for k, v in kinds.items()})
    _write_skill_vocabularies(w)

    # Occupation-skill relations: ESCO's properties, the shortcut and a requirement node per link.
    f = files[RELATIONS]
    tracker.label = f"reading {f.name}"
    links: dict[tuple[str, str], str] = {}
    skipped: dict[str, int] = {}
    for line, row in read_rows(f, ["occupationUri", "relationType", "skillUri"], tracker=tracker):
        occ = _check_uri(f, line, "occupationUri", row["occupationUri"], ("occupation",))
        skill = _check_uri(f, line, "skillUri", row["skillUri"], ("skill",))
        relation = row["relationType"].strip()
        if relation not in RELATION_TYPES:
            raise BadRowError(f"{f.display}, line {line}: relationType {relation!r} is not essential or optional")
        if occ not in occupations:
            skipped[occ] = skipped.get(occ, 0) + 1
            continue
        if skill not in skills:
            skipped[skill] = skipped.get(skill, 0) + 1
            continue
        key = (occ, skill)
        if links.get(key) != "essential":  # listed as both: essential wins, as in ESCO's own inheritance rule
            links[key] = relation
    for (occ, skill), relation in links.items():
        o, s = f"<{occ}>", f"<{skill}>"
        req = f"<{BASE}requirement/esco/{occ.rsplit('/', 1)[1]}--{skill.rsplit('/', 1)[1]}>"
        w.add(o, esco(RELATION_TYPES[relation]), s)
        w.add(o, dt("requiresSkill"), s)
        w.add(req, RDF_TYPE, dt("SkillRequirement"))
        w.add(req, dt("role"), o)
        w.add(req, dt("skill"), s)
        w.add(req, dt("level"), LEVELS[relation])
        w.add(req, dct("source"), src)
    counts["essential links"] = sum(1 for r in links.values() if r == "essential")
    counts["optional links"] = sum(1 for r in links.values() if r == "optional")
    for uri, n in sorted(skipped.items()):
        report.warnings.append(f"{f.name}: {n} row(s) name {uri}, which the release does not define; left out")
    counts["relation rows left out"] = sum(skipped.values())

    # Hierarchies and skill-skill relations (optional files).
    known_skill_concepts = skills.keys() | skill_groups
    known_occupation_concepts = occupations.keys() | set(isco_groups.values())
    for name, known, kinds_allowed in ((BROADER_SKILLS, known_skill_concepts, ("skill", "isced-f")),
                                       (BROADER_OCCUPATIONS, known_occupation_concepts, ("occupation", "isco"))):
        if name not in files:
            continue
        f = files[name]
        tracker.label = f"reading {f.name}"
        left_out = 0
        pairs: set[tuple[str, str]] = set()
        for line, row in read_rows(f, ["conceptUri", "broaderUri"], tracker=tracker):
            narrower = _check_uri(f, line, "conceptUri", row["conceptUri"], kinds_allowed)
            broader = _check_uri(f, line, "broaderUri", row["broaderUri"], kinds_allowed)
            if narrower not in known or broader not in known:
                left_out += 1
                continue
            if (narrower, broader) not in pairs:
                pairs.add((narrower, broader))
                w.add(f"<{narrower}>", skos("broader"), f"<{broader}>")
        counts[f"broader links ({'skills' if name == BROADER_SKILLS else 'occupations'})"] = len(pairs)
        if left_out:
            report.warnings.append(f"{f.name}: {left_out} row(s) name concepts the release does not define; left out")
    if SKILL_RELATIONS in files:
        f = files[SKILL_RELATIONS]
        tracker.label = f"reading {f.name}"
        left_out = 0
        related: set[tuple[str, str, str]] = set()
        for line, row in read_rows(f, ["originalSkillUri", "relationType", "relatedSkillUri"], tracker=tracker):
            a = _check_uri(f, line, "originalSkillUri", row["originalSkillUri"], ("skill",))
            b = _check_uri(f, line, "relatedSkillUri", row["relatedSkillUri"], ("skill",))
            relation = row["relationType"].strip()
            if relation not in RELATION_TYPES:
                raise BadRowError(f"{f.display}, line {line}: relationType {relation!r} is not essential or optional")
            if a not in skills or b not in skills:
                left_out += 1
                continue
            if (a, relation, b) not in related:
                related.add((a, relation, b))
                w.add(f"<{a}>", esco(RELATION_TYPES[relation]), f"<{b}>")
        counts["skill-skill links"] = len(related)
        if left_out:
            report.warnings.append(f"{f.name}: {left_out} row(s) name skills the release does not define; left out")

    w.flush()
    report.triples = w.count   # every line written is a distinct triple (duplicates are skipped above)
    return report


def skill_kind(skill_type: str, reuse_level: str) -> str | None:
    """The project's skill class for an ESCO skill type and reuse level (None: plain dt:Skill).

    knowledge -> KnowledgeArea; transversal skill/competence (communication, languages, thinking,
    self-management) -> SoftSkill; any other skill/competence -> TechnicalSkill.
    """
    if skill_type == "knowledge":
        return "KnowledgeArea"
    if skill_type == "skill/competence":
        return "SoftSkill" if reuse_level == "transversal" else "TechnicalSkill"
    return None


def _write_source(w: QuadWriter, release: str | None) -> None:
    title = f"ESCO {release} classification of occupations and skills" if release else \
        "ESCO classification of occupations and skills"
    write_source_record(
        w, ESCO_SOURCE, identifier="esco", title=title, publisher="European Commission", rights=ESCO_ATTRIBUTION,
        license=ESCO_LICENSE, release=release, description=(
            "European Skills, Competences, Qualifications and Occupations: the European Commission's multilingual "
            "classification, imported from its English CSV release."))


def _write_skill_vocabularies(w: QuadWriter) -> None:
    for value, label in (("knowledge", "knowledge"), ("skill", "skill/competence")):
        node = f"<http://data.europa.eu/esco/skill-type/{value}>"
        w.add(node, RDF_TYPE, skos("Concept"))
        w.add(node, skos("prefLabel"), literal(label))
        w.add(node, dct("source"), f"<{ESCO_SOURCE}>")
    for value in REUSE_LEVELS:
        node = f"<http://data.europa.eu/esco/skill-reuse-level/{value}>"
        w.add(node, RDF_TYPE, skos("Concept"))
        w.add(node, skos("prefLabel"), literal(value))
        w.add(node, dct("source"), f"<{ESCO_SOURCE}>")
