"""Cut the small slices of ESCO v1.1.1 and O*NET 29.2 that the importer tests run on.

The slices are real rows of the official releases, unchanged, selected so that every reference
inside a slice resolves (except the rows kept on purpose to exercise the importer's "left out"
warning; see README.md):

- ESCO: the 69 ICT-professional occupations (ISCO unit groups 25xx), all their occupation-skill
  relations, the skills those relations name, the ancestors of those skills in the skill hierarchy,
  the ISCO groups above the occupations, and the hierarchy and skill-skill rows among them; plus the
  first three relation rows of the one occupation URI that the release's relations file names but
  its occupations file lacks.
- O*NET: every row of the chosen occupations in Occupation Data, Technology Skills and Alternate
  Titles, and the release's Read Me (its licence statement).

Run from the repository root (needs the full releases, e.g. ../shared/data):

    .venv/bin/python tests/data/make_slices.py ../shared/data tests/data
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from pathlib import Path

csv.field_size_limit(16 * 1024 * 1024)

ESCO_RELEASE = "esco-v1.1.1"
ONET_RELEASE = "onet-29.2"
ISCO_PREFIX = "25"
MISSING_OCCUPATION = "http://data.europa.eu/esco/occupation/a9e54177-a185-404d-b6e6-15663d31137e"
ONET_CODES = ("15-2051.00", "15-2051.01", "15-2041.00", "15-1243.00", "15-1243.01", "15-1252.00",
              "15-1299.08", "15-1221.00")
# Fixed zip timestamps, so re-running the script reproduces the same bytes.
ZIP_DATE = (2022, 9, 13, 0, 0, 0)


def _read_zip_csv(archive: zipfile.ZipFile, name: str) -> tuple[list[str], list[list[str]]]:
    with archive.open(name) as handle:
        rows = list(csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")))
    return rows[0], rows[1:]


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])


def slice_esco(source: Path, target: Path) -> dict[str, int]:
    classification = zipfile.ZipFile(source / f"{ESCO_RELEASE}-classification-en-csv.zip")
    relations = zipfile.ZipFile(source / f"{ESCO_RELEASE}-relations-csv.zip")

    occ_header, occ_rows = _read_zip_csv(classification, "occupations_en.csv")
    i_uri, i_isco = occ_header.index("conceptUri"), occ_header.index("iscoGroup")
    occ_rows = [r for r in occ_rows if r[i_isco].startswith(ISCO_PREFIX)]
    occupations = {r[i_uri] for r in occ_rows}

    rel_header, rel_rows = _read_zip_csv(relations, "occupationSkillRelations.csv")
    j_occ, j_skill = rel_header.index("occupationUri"), rel_header.index("skillUri")
    missing = [r for r in rel_rows if r[j_occ] == MISSING_OCCUPATION][:3]
    rel_rows = [r for r in rel_rows if r[j_occ] in occupations] + missing
    skills = {r[j_skill] for r in rel_rows}

    # Ancestors of the skills in the skill pillar.
    bs_header, bs_rows = _read_zip_csv(relations, "broaderRelationsSkillPillar.csv")
    k_narrow, k_broad = bs_header.index("conceptUri"), bs_header.index("broaderUri")
    parents: dict[str, set[str]] = {}
    for r in bs_rows:
        parents.setdefault(r[k_narrow], set()).add(r[k_broad])
    concepts, frontier = set(skills), list(skills)
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent not in concepts:
                concepts.add(parent)
                frontier.append(parent)

    skill_header, skill_rows = _read_zip_csv(classification, "skills_en.csv")
    s_uri = skill_header.index("conceptUri")
    skill_rows = [r for r in skill_rows if r[s_uri] in concepts]
    skill_uris = {r[s_uri] for r in skill_rows}
    group_header, group_rows = _read_zip_csv(classification, "skillGroups_en.csv")
    g_uri = group_header.index("conceptUri")
    group_rows = [r for r in group_rows if r[g_uri] in concepts]
    kept_concepts = skill_uris | {r[g_uri] for r in group_rows}
    bs_rows = [r for r in bs_rows if r[k_narrow] in kept_concepts and r[k_broad] in kept_concepts]

    ss_header, ss_rows = _read_zip_csv(relations, "skillSkillRelations.csv")
    ss_rows = [r for r in ss_rows if r[ss_header.index("originalSkillUri")] in skill_uris
               and r[ss_header.index("relatedSkillUri")] in skill_uris]

    isco_header, isco_rows = _read_zip_csv(classification, "ISCOGroups_en.csv")
    c_code = isco_header.index("code")
    isco_rows = [r for r in isco_rows if r[c_code] == "2" or r[c_code].startswith(ISCO_PREFIX)]
    isco_uris = {r[isco_header.index("conceptUri")] for r in isco_rows}
    bo_header, bo_rows = _read_zip_csv(relations, "broaderRelationsOccPillar.csv")
    keep_occ = occupations | isco_uris
    bo_rows = [r for r in bo_rows if r[bo_header.index("conceptUri")] in keep_occ
               and r[bo_header.index("broaderUri")] in keep_occ]

    folder = target / f"{ESCO_RELEASE}-slice"
    folder.mkdir(parents=True, exist_ok=True)
    _write_zip(folder / f"{ESCO_RELEASE}-classification-en-csv.zip", {
        "occupations_en.csv": _csv_bytes(occ_header, occ_rows),
        "skills_en.csv": _csv_bytes(skill_header, skill_rows),
        "skillGroups_en.csv": _csv_bytes(group_header, group_rows),
        "ISCOGroups_en.csv": _csv_bytes(isco_header, isco_rows),
    })
    _write_zip(folder / f"{ESCO_RELEASE}-relations-csv.zip", {
        "occupationSkillRelations.csv": _csv_bytes(rel_header, rel_rows),
        "broaderRelationsSkillPillar.csv": _csv_bytes(bs_header, bs_rows),
        "broaderRelationsOccPillar.csv": _csv_bytes(bo_header, bo_rows),
        "skillSkillRelations.csv": _csv_bytes(ss_header, ss_rows),
    })
    return {"occupations": len(occ_rows), "relations": len(rel_rows), "skills": len(skill_rows),
            "skill groups": len(group_rows), "ISCO groups": len(isco_rows)}


def slice_onet(source: Path, target: Path) -> dict[str, int]:
    folder = target / f"{ONET_RELEASE}-slice"
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in ("Occupation Data.txt", "Technology Skills.txt", "Alternate Titles.txt"):
        lines = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]] + [line for line in lines[1:] if line.split("\t", 1)[0] in ONET_CODES]
        (folder / name).write_text("".join(kept), encoding="utf-8", newline="")
        counts[name] = len(kept) - 1
    (folder / "Read Me.txt").write_bytes((source / "Read Me.txt").read_bytes())
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the folder holding esco-v1.1.1/ and onet-29.2/")
    parser.add_argument("target", type=Path, help="where to write the slices (tests/data)")
    args = parser.parse_args(argv)
    print("ESCO slice:", slice_esco(args.data / ESCO_RELEASE, args.target))
    print("O*NET slice:", slice_onet(args.data / ONET_RELEASE, args.target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
