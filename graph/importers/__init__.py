"""Importers for external occupation frameworks: ESCO (graph/import/esco) and O*NET (graph/import/onet).

Each importer reads the official release files and writes N-Quads text, checking every row (a bad
row stops the import with the file and line). Into a persistent store the text streams through a
pipe into Oxigraph's bulk loader, which fills a checkpoint copy of the database; the copy replaces
the live database only when everything succeeded. So re-importing replaces the framework's graph
and never duplicates it, and a failed import leaves the store exactly as it was.

Re-importing the same release files with the same version of datateam is recognised by a digest of
the inputs and skipped (pass force=True to import again).

From the repository's root, the committed slice of ESCO v1.1.1 (the full release,
../shared/data/esco-v1.1.1, is read the same way and counts 3,007 occupations):

>>> from datateam.graph.store.persistent import open_persistent
>>> with open_persistent(Path("kg"), writable=True) as kg:
...     report = import_esco(kg, ["tests/data/esco-v1.1.1-slice"])
>>> report.counts["occupations"]
69
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ... import __version__
from ..errors import DatateamError
from ..store.merge import drop_from_default
from ..store.persistent import GraphRecord
from ..text import printable
from .common import IMPORT_GRAPH_BASE, BadRowError, ImportReport, InputFile, Progress
from .esco import ESCO_ATTRIBUTION, ESCO_GRAPH, find_esco_files, write_esco_nquads
from .onet import ONET_GRAPH, find_onet_files, onet_attribution, write_onet_nquads

__all__ = ["import_esco", "import_onet", "import_framework", "attributions", "FRAMEWORKS", "ImportReport",
           "BadRowError", "ESCO_GRAPH", "ONET_GRAPH", "ESCO_ATTRIBUTION", "onet_attribution", "IMPORT_GRAPH_BASE",
           "format_import_report"]

# Bump when the mapping from a release's rows to triples changes, so re-imports are not skipped.
MAPPING_VERSION = 1


@dataclass(frozen=True)
class Framework:
    """An importable framework: its name, graph, how to find its files and how to write its N-Quads."""

    name: str
    title: str
    graph: str
    find: Callable[[Sequence[Path]], dict[str, InputFile]]
    write: Callable[..., ImportReport]


FRAMEWORKS: dict[str, Framework] = {
    "esco": Framework("esco", "ESCO", ESCO_GRAPH, find_esco_files, write_esco_nquads),
    "onet": Framework("onet", "O*NET", ONET_GRAPH, find_onet_files, write_onet_nquads),
}


def import_esco(kg, paths: Sequence[Path | str], *, progress: Progress | None = None,
                force: bool = False) -> ImportReport:
    """Import an ESCO CSV release (zips or unpacked folder) into `kg`, replacing any earlier ESCO import.

    `kg` is a writable persistent store (graph.persistent.open_persistent(..., writable=True)) or
    an embedded in-memory KnowledgeGraph. Returns an ImportReport (counts, warnings, triples,
    seconds; `skipped` when the same files were imported before). Raises BadRowError naming the
    file and line of a malformed row; the store is then unchanged.
    """
    return import_framework(kg, "esco", paths, progress=progress, force=force)


def import_onet(kg, paths: Sequence[Path | str], *, progress: Progress | None = None,
                force: bool = False) -> ImportReport:
    """Import an O*NET text release (folder or zip) into `kg`, replacing any earlier O*NET import.

    Same contract as import_esco.
    """
    return import_framework(kg, "onet", paths, progress=progress, force=force)


def import_framework(kg, name: str, paths: Sequence[Path | str], *, progress: Progress | None = None,
                     force: bool = False) -> ImportReport:
    """Import framework `name` ("esco" or "onet") from `paths` into `kg`; see import_esco."""
    framework = FRAMEWORKS[name]
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    if not paths:
        raise DatateamError("nothing to import: give the release's folder or zip files")
    store = getattr(kg, "store", None)
    if not isinstance(store, ox.Store):
        raise DatateamError("imports go into an embedded or persistent store, not a remote endpoint; "
                            "import into --store PATH, then `datateam push` it")
    if hasattr(kg, "replace_graphs"):
        report = _import_persistent(kg, framework, paths, progress, force)
    else:
        report = _import_in_memory(kg, framework, paths, progress)
    if report.skipped:
        report.triples = kg.triple_count(URIRef(report.graph))
    report.seconds = time.perf_counter() - started
    if progress:
        progress("done", 1.0)
    return report


def inputs_digest(files: dict[str, InputFile]) -> str:
    """A digest of the input files and of the importer: equal digests give equal graphs.

    Plain files are hashed whole; zip members by the name, size and CRC-32 the archive records.
    """
    digest = hashlib.sha256(f"datateam {__version__} mapping {MAPPING_VERSION}\0".encode())
    for name in sorted(files):
        f = files[name]
        digest.update(f"{name}\0{f.size}\0".encode())
        if f.member is None:
            with open(f.path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        else:
            with zipfile.ZipFile(f.path) as archive:
                digest.update(f"{archive.getinfo(f.member).CRC:08x}".encode())
    return "sha256:" + digest.hexdigest()


def _import_persistent(kg, framework: Framework, paths, progress, force: bool) -> ImportReport:
    """Stream the N-Quads through a pipe into Oxigraph's bulk loader, on a checkpoint of the store.

    Writing the text (Python) and loading it (Rust, without the GIL) run at the same time. The
    loader works on the copy that replace_graphs made, so a bad row found half-way leaves the live
    store untouched: the copy is thrown away. Each triple is written twice, in the framework's graph
    and in the default graph (the merge of the named graphs): the loader fills Oxigraph's three
    default-graph indexes with it far faster than a SPARQL INSERT copies the graph afterwards, and a
    triple the default graph holds already is not duplicated (a store's quads are a set).
    """
    files = framework.find(paths)
    digest = inputs_digest(files)
    record = kg.records().get(framework.graph)
    if record is not None and record.digest == digest and not force:
        report = ImportReport(source=framework.name, graph=framework.graph, release=record.version,
                              inputs=sorted(f.display for f in files.values()),
                              attribution=_attribution_of(kg, framework.graph))
        report.skipped = True
        return report

    fifo = Path(kg.store_path) / f"tmp-import-{uuid.uuid4().hex}.fifo"
    outcome: dict = {}

    def load(store: ox.Store) -> None:
        failure: list[BaseException] = []

        def run_loader() -> None:
            try:
                # Every IRI and literal was checked or escaped while writing, so skip re-validation.
                store.bulk_load(path=str(fifo), format=ox.RdfFormat.N_QUADS, lenient=True)
            except BaseException as exc:  # handed to the writing thread below
                failure.append(exc)

        os.mkfifo(fifo)
        loader = threading.Thread(target=run_loader, name="datateam-bulk-load", daemon=True)
        loader.start()
        try:
            fd = _open_for_writing(fifo, loader)
            if fd is None:
                raise DatateamError(f"the store's bulk loader stopped: {_first_line(failure)}")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
                    outcome["report"] = framework.write(paths, out, progress=progress, default_copies=True)
                    if progress:
                        progress("loading into the store", 0.6)
            except BrokenPipeError:
                loader.join()
                raise DatateamError(f"the store's bulk loader stopped: {_first_line(failure)}") from None
        finally:
            loader.join()   # the pipe is closed by now, so the loader has seen the end of the input
            fifo.unlink(missing_ok=True)
        if failure:
            raise DatateamError(f"the store's bulk loader stopped: {_first_line(failure)}") from failure[0]

    def records() -> list:
        report = outcome["report"]
        return [GraphRecord(framework.graph, loaded_from=", ".join(report.inputs), digest=digest,
                            version=report.release)]

    if progress and kg.store.contains_named_graph(ox.NamedNode(framework.graph)):
        progress(f"removing the earlier {framework.title} import", 0.0)
    # Named in `remove`, so that replace_graphs takes the earlier import's triples out of the merge
    # in the default graph; the stream wrote the new ones there itself.
    kg.replace_graphs([framework.graph], load=load, records=records, copied_to_default=[framework.graph])
    return outcome["report"]


def _open_for_writing(fifo: Path, loader: threading.Thread) -> int | None:
    """Open the pipe's writing end once the loader has opened its reading end (None if it died first)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:   # ENXIO: no reader yet
                raise
            if not loader.is_alive():
                return None
            time.sleep(0.005)
            continue
        os.set_blocking(fd, True)
        return fd


def _first_line(failure: list[BaseException]) -> str:
    if not failure:
        return "no error reported"
    return (str(failure[0]) or type(failure[0]).__name__).splitlines()[0]


def _import_in_memory(kg, framework: Framework, paths, progress) -> ImportReport:
    """Write the N-Quads to a temporary file first (every row checked), then replace the graph.

    The file holds each triple twice, in the framework's graph and in the default graph (see
    _import_persistent).
    """
    fd, tmp = tempfile.mkstemp(prefix="tmp-import-", suffix=".nq")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            report = framework.write(paths, out, progress=progress, default_copies=True)
        if progress:
            progress("loading into the store", 0.6)
        node = ox.NamedNode(report.graph)
        earlier: list[ox.Triple] = []
        if kg.store.contains_named_graph(node):
            earlier = [ox.Triple(q.subject, q.predicate, q.object)
                       for q in kg.store.quads_for_pattern(None, None, None, node)]
            kg.store.remove_graph(node)
        kg.store.bulk_load(path=tmp, format=ox.RdfFormat.N_QUADS, lenient=True)  # checked while written
        # The default graph is the merge of the named graphs: the file wrote the new triples there.
        drop_from_default(kg.store, earlier)
        kg._dataset = None
    finally:
        os.unlink(tmp)
    return report


def _attribution_of(kg, graph: str) -> str:
    rows = kg.select("SELECT ?g ?line WHERE { GRAPH ?g { ?g prov:wasDerivedFrom ?s . ?s dcterms:rights ?line } }",
                     {"g": URIRef(graph)})
    return str(rows[0]["line"]) if rows else ""


def attributions(kg) -> list[str]:
    """The attribution lines for the imported frameworks present in `kg` (ESCO, O*NET), sorted.

    Show them wherever data from those graphs is displayed. Works on any backend with `select`.

    >>> attributions(kg)                  # the shipped knowledge base holds no imported data
    []
    """
    rows = kg.select("""
        SELECT DISTINCT ?line WHERE {
          GRAPH ?g { ?g prov:wasDerivedFrom ?source . ?source dcterms:rights ?line }
          FILTER(STRSTARTS(STR(?g), "%s"))
        }""" % IMPORT_GRAPH_BASE)
    return sorted(str(row["line"]) for row in rows)


def format_import_report(report: ImportReport, store_path) -> str:
    """What `datateam import` prints: the graph written into `store_path`, its counts and notes, the attribution.

    A skipped import (the store already holds the same files) is one line saying so.
    """
    title = FRAMEWORKS[report.source].title if report.source in FRAMEWORKS else report.source
    title += f" {report.release}" if report.release else ""
    graph = report.graph.rsplit("/graph/", 1)[-1]
    if report.skipped:
        lines = [f"{title}: the store already holds this import of the same files (graph {graph}, "
                 f"{report.triples:,} triples); nothing to do (--force imports again)"]
    else:
        lines = [f"imported {title} into graph {graph} of store {store_path} in {report.seconds:.1f} s: "
                 f"{report.triples:,} triples"]
        lines += [f"  {kind}: {count:,}" for kind, count in report.counts.items()]
        lines += [f"note: {printable(w)}" for w in report.warnings]
    lines.append(report.attribution)
    return "\n".join(lines) + "\n"
