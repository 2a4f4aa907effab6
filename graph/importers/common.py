"""What the importers share: finding input files, reading rows with line numbers, writing N-Quads.

The importers turn official CSV/TSV releases into N-Quads text written straight to a file (string
formatting is the fastest way to produce RDF in Python), and the store bulk-loads that file. Every
row is checked while it is read; a bad row raises `BadRowError` naming the file and the line, before
anything is written to the store.

Inputs can be plain files, folders (searched recursively) or zip archives (read in place, never
extracted), so `datateam import esco ../shared/data/esco-v1.1.1` and the unpacked CSVs both work.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ...ontology.namespaces import BASE
from ..errors import DataFileError

IMPORT_GRAPH_BASE = BASE + "graph/import/"

# progress(label, fraction) with 0 <= fraction <= 1; the CLI draws a bar from it.
Progress = Callable[[str, float], None]

csv.field_size_limit(16 * 1024 * 1024)


class BadRowError(DataFileError):
    """A row of an input file cannot be imported; the message names the file and the line."""


# ---------------------------------------------------------------------------------------------
# Finding the input files


@dataclass(frozen=True)
class InputFile:
    """One input file: a plain file, or a member of a zip archive (read without extracting)."""

    name: str            # the file name, e.g. "occupations_en.csv"
    path: Path           # the file, or the zip archive holding it
    member: str | None   # the member name inside the zip, or None for a plain file
    size: int            # uncompressed size in bytes

    @property
    def display(self) -> str:
        """How error messages name the file: `path` or `archive.zip:member`."""
        return f"{self.path}:{self.member}" if self.member else str(self.path)

    def open_binary(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        archive = zipfile.ZipFile(self.path)
        handle = archive.open(self.member)
        handle._datateam_archive = archive  # keep the archive open as long as the member is read
        return handle


def find_inputs(paths: Sequence[Path | str], wanted: Iterable[str]) -> dict[str, InputFile]:
    """Find the files named in `wanted` (case-insensitive base names) among `paths`.

    Each path may be a file, a zip archive or a folder (searched recursively, zip archives inside
    included). A plain file is preferred over a zip member of the same name, so a folder holding
    both the release zips and their unpacked CSVs reads the CSVs. Returns {wanted name: InputFile}
    for the names found; raises DataFileError for a path that does not exist or a broken archive.

    >>> find_inputs([Path("../shared/data/esco-v1.1.1")], ["occupations_en.csv"])["occupations_en.csv"].member
    'occupations_en.csv'
    """
    wanted_by_key = {name.casefold(): name for name in wanted}
    found: dict[str, InputFile] = {}

    def offer(candidate: InputFile) -> None:
        key = candidate.name.casefold()
        if key not in wanted_by_key:
            return
        name = wanted_by_key[key]
        current = found.get(name)
        if current is None or (current.member is not None and candidate.member is None):
            found[name] = candidate

    def scan_zip(path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        offer(InputFile(Path(info.filename).name, path, info.filename, info.file_size))
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataFileError(f"{path}: cannot read the zip archive ({exc})") from exc

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise DataFileError(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    if child.suffix.lower() == ".zip":
                        scan_zip(child)
                    else:
                        offer(InputFile(child.name, child, None, child.stat().st_size))
        elif path.suffix.lower() == ".zip":
            scan_zip(path)
        else:
            offer(InputFile(path.name, path, None, path.stat().st_size))
    return found


def release_name(paths: Sequence[Path | str], pattern: str) -> str | None:
    """The release named in the input paths (e.g. 'v1.1.1' from 'esco-v1.1.1'), or None."""
    for raw in paths:
        for part in reversed(Path(raw).resolve().parts):
            match = re.search(pattern, part, flags=re.IGNORECASE)
            if match:
                return match.group(1)
    return None


# ---------------------------------------------------------------------------------------------
# Reading rows


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        archive = getattr(self.raw, "_datateam_archive", None)
        if archive is not None:
            archive.close()
        super().close()


@dataclass
class ProgressTracker:
    """Turns bytes read from all input files into one fraction for a progress callback.

    Reading counts for `read_share` of the bar; the rest is for loading into the store.
    """

    progress: Progress | None
    total_bytes: int
    read_share: float = 0.6
    done_bytes: int = 0
    label: str = "reading"

    def update(self, current_file_bytes: int) -> None:
        if self.progress and self.total_bytes:
            fraction = (self.done_bytes + current_file_bytes) / self.total_bytes
            self.progress(self.label, min(1.0, fraction) * self.read_share)

    def finish_file(self, size: int) -> None:
        self.done_bytes += size
        self.update(0)

    def stage(self, label: str, fraction: float) -> None:
        if self.progress:
            self.progress(label, fraction)


def read_rows(source: InputFile, required: Sequence[str], *, delimiter: str = ",",
              tracker: ProgressTracker | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row as {column: value}) for each record of a CSV/TSV file.

    The line number is the line where the record starts (records may span lines). Raises
    BadRowError naming the file and line for a missing column, a record with the wrong number of
    fields, or text that is not UTF-8.
    """
    raw = _CountingReader(source.open_binary())
    text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8-sig", newline="")
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(text, delimiter=delimiter, quoting=quoting, strict=True)
    line = 1
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise BadRowError(f"{source.display}: the file is empty (expected a header line)") from None
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise BadRowError(f"{source.display}, line 1: missing column(s) {', '.join(map(repr, missing))} "
                              f"(found: {', '.join(header)})")
        width = len(header)
        next_line = reader.line_num + 1
        count = 0
        for record in reader:
            line = next_line
            next_line = reader.line_num + 1
            if not record:
                continue
            if len(record) != width:
                raise BadRowError(f"{source.display}, line {line}: {len(record)} field(s), expected {width} "
                                  f"({', '.join(header)})")
            yield line, dict(zip(header, record))
            count += 1
            if tracker is not None and count % 4096 == 0:
                tracker.update(raw.count)
    except UnicodeDecodeError as exc:
        # The decoder works on large blocks, so where it failed says little about the line.
        line, column, byte = first_undecodable(source)
        raise BadRowError(f"{source.display}, line {line}, column {column}: not UTF-8 text "
                          f"(byte 0x{byte:02x}: {exc.reason})") from exc
    except csv.Error as exc:
        raise BadRowError(f"{source.display}, line {reader.line_num}: {exc}") from exc
    finally:
        text.close()
    if tracker is not None:
        tracker.finish_file(source.size)


def first_undecodable(source: InputFile) -> tuple[int, int, int]:
    """(line, column, byte) of the first byte of `source` that is not UTF-8; column counts characters."""
    handle = source.open_binary()
    number = 0
    try:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
                return number, column, raw[exc.start]
    finally:
        handle.close()
        archive = getattr(handle, "_datateam_archive", None)
        if archive is not None:
            archive.close()
    return max(number, 1), 1, 0


def split_labels(value: str, separator: str = "\n") -> list[str]:
    """Split a multi-valued cell into distinct, stripped, non-empty labels (order kept)."""
    seen: dict[str, None] = {}
    for part in value.split(separator):
        part = part.strip()
        if part and part not in seen:
            seen[part] = None
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Writing N-Quads

def literal(text: str, lang: str | None = "en") -> str:
    """An N-Quads literal: the text escaped, with a language tag (default @en) or as a plain string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(text: str, datatype: str) -> str:
    """An N-Quads literal with a datatype IRI (e.g. xsd:boolean)."""
    return f'"{text}"^^<{datatype}>'


@dataclass
class QuadWriter:
    """Writes N-Quads lines for one named graph to a text stream, counting them.

    `add(s, p, o)` takes terms already in N-Quads syntax (`<iri>` or a literal()). With
    `default_copies`, each quad is followed by the same triple in the default graph (a line without
    a graph term), so that one bulk load fills both the named graph and the store's default graph,
    the merge of the named graphs (graph/store/merge.py); `count` counts the named quads only.
    """

    out: IO[str]
    graph: str
    default_copies: bool = False
    count: int = 0
    _buffer: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._suffix = f" <{self.graph}> .\n"
        if self.default_copies:
            self.add = self._add_with_copy

    def add(self, s: str, p: str, o: str) -> None:
        self._buffer.append(f"{s} {p} {o}{self._suffix}")
        if len(self._buffer) >= 65536:
            self.flush()

    def _add_with_copy(self, s: str, p: str, o: str) -> None:
        # Both lines in one string: "s p o <g> .\n" then "s p o .\n".
        triple = f"{s} {p} {o}"
        self._buffer.append(f"{triple}{self._suffix}{triple} .\n")
        if len(self._buffer) >= 65536:
            self.flush()

    def flush(self) -> None:
        self.count += len(self._buffer)
        self.out.write("".join(self._buffer))
        self._buffer.clear()


# Frequently used terms, in N-Quads syntax.
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
DT = BASE + "ontology#"


def dt(name: str) -> str:
    return f"<{DT}{name}>"


def skos(name: str) -> str:
    return f"<{SKOS}{name}>"


def dct(name: str) -> str:
    return f"<{DCT}{name}>"


def prov(name: str) -> str:
    return f"<{PROV}{name}>"


def boolean(value: bool) -> str:
    return typed("true" if value else "false", XSD + "boolean")


def slug(text: str) -> str:
    """A readable IRI segment: lower case, C++ -> cpp, C# -> csharp, other runs of symbols -> '-'."""
    text = text.casefold().replace("++", "pp").replace("+", "plus").replace("#", "sharp")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def write_source_record(w: QuadWriter, source: str, *, identifier: str, title: str, publisher: str, rights: str,
                        license: str, description: str, release: str | None) -> None:
    """Write the provenance of an imported framework into its graph `w.graph`.

    The source node `source` (an IRI) becomes a dt:Source with its identifier, title, publisher,
    attribution line (dcterms:rights, which `attributions()` shows), licence, description and
    release (dcterms:hasVersion, when known); the graph itself is prov:wasDerivedFrom it.
    """
    src = f"<{source}>"
    w.add(src, RDF_TYPE, dt("Source"))
    w.add(src, dct("identifier"), literal(identifier, None))
    w.add(src, dct("title"), literal(title))
    w.add(src, dct("publisher"), literal(publisher, None))
    w.add(src, dct("rights"), literal(rights))
    w.add(src, dct("license"), f"<{license}>")
    w.add(src, dct("description"), literal(description))
    w.add(src, dt("sourceKind"), literal("imported classification", None))
    if release:
        w.add(src, dct("hasVersion"), literal(release, None))
    w.add(f"<{w.graph}>", prov("wasDerivedFrom"), src)


@dataclass
class ImportReport:
    """What an import did: the graph written, counts per kind, rows skipped (with why), triples.

    `counts` maps a kind ("occupations", "skills", "essential links", ...) to a number;
    `warnings` are one-line notes about rows left out on purpose (e.g. a relation to an
    occupation missing from the occupations file).
    """

    source: str
    graph: str
    release: str | None
    inputs: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    attribution: str = ""
    skipped: bool = False   # the same release files were imported before; nothing was done

    def as_dict(self) -> dict:
        return {"source": self.source, "graph": self.graph, "release": self.release, "inputs": self.inputs,
                "counts": dict(self.counts), "warnings": list(self.warnings), "triples": self.triples,
                "seconds": round(self.seconds, 3), "attribution": self.attribution, "skipped": self.skipped}
