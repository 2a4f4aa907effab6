"""Import O*NET (the U.S. Department of Labor's occupational database) from its text release.

Input: the tab-separated text files of an O*NET database release (`Occupation Data.txt`,
`Technology Skills.txt`, and optionally `Alternate Titles.txt`), in a folder or a zip archive.

Everything goes into the named graph `graph/import/onet`:
- occupations `a dt:Role` with IRIs https://w3id.org/datateam-kg/onet/occupation/<O*NET-SOC code>,
  the title as skos:prefLabel, alternate and short titles as skos:altLabel, the description as
  skos:definition and the code as skos:notation;
- the SOC groups above each occupation, derived from its code (the release has no file naming
  them): the broad group (the first five digits, 15-205), the minor group (the first three, 15-2)
  and the major group (the first two, 15), each a `skos:Concept` with the digits as skos:notation
  and IRI …/onet/soc-group/<digits>, linked occupation → broad → minor → major by skos:broader.
  They carry no title: the text release does not give one;
- technology skills as tools: one `dt:Tool` per distinct Example (…/onet/technology/<slug>), filed
  with `dt:inCategory` under its UNSPSC commodity (`dt:ToolCategory`, …/onet/commodity/<code>,
  labelled with the Commodity Title); a tool O*NET flags as a hot technology has
  `dt:hotTechnology true`;
- each occupation-technology row as `?occupation dt:usesTool ?tool` plus a `dt:ToolUse` node with
  dt:role, dt:tool, dt:asCategory, and the row's `dt:hotTechnology` and `dt:inDemand` flags;
- `dcterms:source <source/onet>` on every entity and tool-use node.

A malformed row (bad O*NET-SOC code, a flag other than Y/N, wrong number of fields) stops the
import with the file and line; rows about an occupation the release does not list are left out and
reported as warnings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ...ontology.namespaces import BASE
from .common import IMPORT_GRAPH_BASE, RDF_TYPE, BadRowError, DataFileError, ImportReport, InputFile, ProgressTracker, QuadWriter, boolean, dct, dt, find_inputs, literal, read_rows, release_name, skos, slug, write_source_record

ONET_GRAPH = IMPORT_GRAPH_BASE + "onet"
ONET_SOURCE = BASE + "source/onet"
ONET_BASE = BASE + "onet/"
ONET_LICENSE = "https://creativecommons.org/licenses/by/4.0/"

OCCUPATION_DATA = "Occupation Data.txt"
TECHNOLOGY_SKILLS = "Technology Skills.txt"
ALTERNATE_TITLES = "Alternate Titles.txt"
READ_ME = "Read Me.txt"

_SOC = re.compile(r"^\d{2}-\d{4}\.\d{2}$")
_COMMODITY = re.compile(r"^\d{1,10}$")
FLAGS = {"Y": True, "N": False}


def onet_attribution(release: str | None) -> str:
    """The attribution line O*NET's licence asks for, naming the release when known."""
    database = f"O*NET {release} Database" if release else "O*NET Database"
    return (f"This service includes information from the {database} by the U.S. Department of Labor, "
            "Employment and Training Administration (USDOL/ETA), used under the CC BY 4.0 license. "
            "O*NET® is a trademark of USDOL/ETA.")


def occupation_iri(code: str) -> str:
    """The IRI of an O*NET occupation, e.g. …/onet/occupation/15-2051.00."""
    return f"{ONET_BASE}occupation/{code}"


def find_onet_files(paths: Sequence[Path | str]) -> dict[str, InputFile]:
    """Locate the O*NET text files among `paths`; raise DataFileError if a required one is missing."""
    found = find_inputs(paths, (OCCUPATION_DATA, TECHNOLOGY_SKILLS, ALTERNATE_TITLES, READ_ME))
    missing = [n for n in (OCCUPATION_DATA, TECHNOLOGY_SKILLS) if n not in found]
    if missing:
        shown = ", ".join(str(p) for p in paths)
        raise DataFileError(f"{shown}: no {', '.join(repr(m) for m in missing)} found (expected the O*NET "
                            "database release as tab-separated text files, in a folder or a zip)")
    return found


def _release(files: dict[str, InputFile], paths) -> str | None:
    if READ_ME in files:
        with files[READ_ME].open_binary() as handle:
            head = handle.read(400).decode("utf-8", "replace")
        match = re.search(r"O\*NET\s+(\d+(?:\.\d+)*)\s+Database", head)
        if match:
            return match.group(1)
    return release_name(paths, r"(?:onet|db)[-_ ]?(\d+[._]\d+)")


def _code(source: InputFile, line: int, value: str) -> str:
    code = value.strip()
    if not _SOC.match(code):
        raise BadRowError(f"{source.display}, line {line}: O*NET-SOC Code {code!r} is not of the form 15-2051.00")
    return code


def _flag(source: InputFile, line: int, row: dict, column: str) -> bool:
    value = row[column].strip()
    if value not in FLAGS:
        raise BadRowError(f"{source.display}, line {line}: {column} {value!r} is not Y or N")
    return FLAGS[value]


def write_onet_nquads(paths: Sequence[Path | str], out: IO[str], *, progress=None,
                      default_copies: bool = False) -> ImportReport:
    """Read an O*NET text release and write its N-Quads (graph `graph/import/onet`) to `out`.

    Returns an ImportReport with counts (occupations, alternate titles, tools, categories,
    occupation-tool links, hot technologies). Raises BadRowError (file and line) for a malformed row.
    `default_copies` writes each triple a second time in the default graph (QuadWriter).

    >>> with open("onet.nq", "w") as out:
    ...     report = write_onet_nquads(["../shared/data/onet-29.2"], out)
    >>> report.counts["occupations"]
    1016
    """
    files = find_onet_files(paths)
    release = _release(files, paths)
    inputs = [f for name, f in files.items() if name != READ_ME]
    tracker = ProgressTracker(progress, sum(f.size for f in inputs))
    report = ImportReport(source="onet", graph=ONET_GRAPH, release=release,
                          inputs=sorted(f.display for f in inputs), attribution=onet_attribution(release))
    w = QuadWriter(out, ONET_GRAPH, default_copies)
    src = f"<{ONET_SOURCE}>"
    counts = report.counts
    _write_source(w, release, report.attribution)

    # Occupations.
    f = files[OCCUPATION_DATA]
    tracker.label = f"reading {f.name}"
    titles: dict[str, str] = {}
    for line, row in read_rows(f, ["O*NET-SOC Code", "Title", "Description"], delimiter="\t", tracker=tracker):
        code = _code(f, line, row["O*NET-SOC Code"])
        if code in titles:
            raise BadRowError(f"{f.display}, line {line}: occupation {code} is listed twice")
        title = row["Title"].strip()
        if not title:
            raise BadRowError(f"{f.display}, line {line}: empty Title")
        titles[code] = title
        node = f"<{occupation_iri(code)}>"
        w.add(node, RDF_TYPE, dt("Role"))
        w.add(node, skos("prefLabel"), literal(title))
        w.add(node, skos("notation"), literal(code, None))
        if row["Description"].strip():
            w.add(node, skos("definition"), literal(row["Description"].strip()))
        w.add(node, dct("source"), src)
    counts["occupations"] = len(titles)
    counts["SOC groups"] = _write_soc_groups(w, titles, src)

    # Alternate titles (optional file) as aliases.
    left_out: dict[str, int] = {}
    if ALTERNATE_TITLES in files:
        f = files[ALTERNATE_TITLES]
        tracker.label = f"reading {f.name}"
        aliases: set[tuple[str, str]] = set()
        for line, row in read_rows(f, ["O*NET-SOC Code", "Alternate Title", "Short Title"], delimiter="\t",
                                   tracker=tracker):
            code = _code(f, line, row["O*NET-SOC Code"])
            if code not in titles:
                left_out[code] = left_out.get(code, 0) + 1
                continue
            for column in ("Alternate Title", "Short Title"):
                alias = row[column].strip()
                if alias and alias != titles[code] and (code, alias) not in aliases:
                    aliases.add((code, alias))
                    w.add(f"<{occupation_iri(code)}>", skos("altLabel"), literal(alias))
        counts["alternate titles"] = len(aliases)

    # Technology skills: tools, categories and tool-use nodes.
    f = files[TECHNOLOGY_SKILLS]
    tracker.label = f"reading {f.name}"
    tools: dict[str, str] = {}            # example -> IRI
    slugs: dict[str, str] = {}            # slug -> example
    hot_tools: set[str] = set()
    tool_categories: set[tuple[str, str]] = set()
    categories: dict[str, str] = {}       # commodity code -> title
    uses: set[tuple[str, str, str]] = set()
    links: set[tuple[str, str]] = set()
    for line, row in read_rows(f, ["O*NET-SOC Code", "Example", "Commodity Code", "Commodity Title",
                                   "Hot Technology", "In Demand"], delimiter="\t", tracker=tracker):
        code = _code(f, line, row["O*NET-SOC Code"])
        example = row["Example"].strip()
        if not example:
            raise BadRowError(f"{f.display}, line {line}: empty Example")
        commodity = row["Commodity Code"].strip()
        if not _COMMODITY.match(commodity):
            raise BadRowError(f"{f.display}, line {line}: Commodity Code {commodity!r} is not a number")
        commodity_title = row["Commodity Title"].strip()
        if not commodity_title:
            raise BadRowError(f"{f.display}, line {line}: empty Commodity Title")
        hot = _flag(f, line, row, "Hot Technology")
        in_demand = _flag(f, line, row, "In Demand")
        if code not in titles:
            left_out[code] = left_out.get(code, 0) + 1
            continue
        tool = tools.get(example)
        if tool is None:
            tool = _tool_iri(example, slugs)
            tools[example] = tool
            w.add(f"<{tool}>", RDF_TYPE, dt("Tool"))
            w.add(f"<{tool}>", skos("prefLabel"), literal(example))
            w.add(f"<{tool}>", dct("source"), src)
        category = f"{ONET_BASE}commodity/{commodity}"
        if commodity not in categories:
            categories[commodity] = commodity_title
            w.add(f"<{category}>", RDF_TYPE, dt("ToolCategory"))
            w.add(f"<{category}>", skos("prefLabel"), literal(commodity_title))
            w.add(f"<{category}>", skos("notation"), literal(commodity, None))
            w.add(f"<{category}>", dct("source"), src)
        elif categories[commodity] != commodity_title:
            raise BadRowError(f"{f.display}, line {line}: Commodity Code {commodity} is titled {commodity_title!r} "
                              f"here but {categories[commodity]!r} earlier")
        if (tool, category) not in tool_categories:
            tool_categories.add((tool, category))
            w.add(f"<{tool}>", dt("inCategory"), f"<{category}>")
        if hot and tool not in hot_tools:
            hot_tools.add(tool)
            w.add(f"<{tool}>", dt("hotTechnology"), boolean(True))
        key = (code, tool, commodity)
        if key in uses:
            continue
        uses.add(key)
        occupation = f"<{occupation_iri(code)}>"
        use = f"<{ONET_BASE}tool-use/{code}/{tool.rsplit('/', 1)[1]}--{commodity}>"
        if (code, tool) not in links:
            links.add((code, tool))
            w.add(occupation, dt("usesTool"), f"<{tool}>")
        w.add(use, RDF_TYPE, dt("ToolUse"))
        w.add(use, dt("role"), occupation)
        w.add(use, dt("tool"), f"<{tool}>")
        w.add(use, dt("asCategory"), f"<{category}>")
        w.add(use, dt("hotTechnology"), boolean(hot))
        w.add(use, dt("inDemand"), boolean(in_demand))
        w.add(use, dct("source"), src)
    counts["tools"] = len(tools)
    counts["tool categories"] = len(categories)
    counts["occupation-tool links"] = len(links)
    counts["tool uses"] = len(uses)
    counts["hot technologies"] = len(hot_tools)
    for code, n in sorted(left_out.items()):
        report.warnings.append(f"{n} row(s) name occupation {code}, which {OCCUPATION_DATA} does not list; left out")
    w.flush()
    report.triples = w.count   # every line written is a distinct triple (duplicates are skipped above)
    return report


def soc_groups(code: str) -> list[str]:
    """The SOC groups of an O*NET-SOC code from the narrowest up: broad, minor, major.

    SOC numbers its groups by digits: an occupation's broad group shares its first five digits, the
    minor group its first three, the major group its first two.

    >>> soc_groups("15-2051.01")
    ['15-205', '15-2', '15']
    """
    return [code[:6], code[:4], code[:2]]


def _write_soc_groups(w: QuadWriter, titles: dict[str, str], src: str) -> int:
    """Write the SOC groups of the occupations and their skos:broader chain; return how many groups."""
    written: set[str] = set()
    for code in sorted(titles):
        chain = soc_groups(code)
        w.add(f"<{occupation_iri(code)}>", skos("broader"), f"<{soc_group_iri(chain[0])}>")
        for narrower, broader in zip(chain, chain[1:] + [None]):
            if narrower in written:
                break
            written.add(narrower)
            node = f"<{soc_group_iri(narrower)}>"
            w.add(node, RDF_TYPE, skos("Concept"))
            w.add(node, skos("notation"), literal(narrower, None))
            w.add(node, dct("source"), src)
            if broader is not None:
                w.add(node, skos("broader"), f"<{soc_group_iri(broader)}>")
    return len(written)


def soc_group_iri(digits: str) -> str:
    """The IRI of a SOC group named by its leading digits, e.g. …/onet/soc-group/15-205."""
    return f"{ONET_BASE}soc-group/{digits}"


def _tool_iri(example: str, slugs: dict[str, str]) -> str:
    key = slug(example)
    if key in slugs and slugs[key] != example:   # two names with one slug: keep both apart
        key = f"{key}-{hashlib.sha1(example.encode('utf-8')).hexdigest()[:8]}"
    slugs[key] = example
    return f"{ONET_BASE}technology/{key}"


def _write_source(w: QuadWriter, release: str | None, attribution: str) -> None:
    write_source_record(
        w, ONET_SOURCE, identifier="onet", title=f"O*NET {release} Database" if release else "O*NET Database",
        publisher="U.S. Department of Labor, Employment and Training Administration", rights=attribution,
        license=ONET_LICENSE, release=release, description=(
            "The Occupational Information Network database: U.S. occupations with their titles, descriptions and "
            "the software and technology used in them, imported from its tab-separated text release."))
