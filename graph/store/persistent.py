"""The persistent store: an on-disk Oxigraph database that later commands open without reparsing.

`--store PATH` (or $DATATEAM_STORE) names a folder that datateam manages:

    PATH/datateam-store.json   which database folder is live (replaced atomically on every write)
    PATH/lock                  a lock file: readers share it, a writer needs it alone
    PATH/.reasoning-cache/     the reasoning closures of the live database, computed on first use
    PATH/db-<stamp>/           the Oxigraph (RocksDB) database itself

On first use the folder is created and the ontology and the shipped knowledge base are loaded. The
metadata graph `graph/store-metadata` records, for every named graph, when it was loaded, from
where, and (for the shipped knowledge base and user files) a SHA-256 digest of what was loaded; when
a later release of datateam ships a different knowledge base, the next command replaces the shipped
graphs and keeps everything else (imports, user data).

All or nothing: every write (an import, --data, a knowledge-base upgrade) works on a checkpoint of
the live database in a new folder (RocksDB hard-links the files, so this is instant), applies the
change there and then switches `datateam-store.json` to the new folder with one atomic rename. An
error or a crash at any point before that rename leaves the live database untouched; the half-built
folder is deleted then, or at the next write.

Concurrency: reading commands open the database read-only under a shared lock, so any number run at
once; a writer takes the lock exclusively and fails at once with a one-line message (exit status
75, "try again later") while anyone else reads or writes, and a reader likewise while a writer
works. $DATATEAM_STORE_WAIT=SECONDS makes both wait up to that long instead.

>>> kg = open_persistent(Path("kg"))          # created and filled on first use
>>> kg.triple_count() > 0
True
>>> kg.close()
"""

from __future__ import annotations

import errno
import fcntl
import gc
import hashlib
import json
import os
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, XSD

from ... import __version__
from ...ontology.namespaces import BASE, DT, ONTOLOGY_GRAPH
from ..errors import DatateamError
from ..text import one_line, to_table
from .memory import KnowledgeGraph
from .merge import (
    DEFAULT,
    copy_graphs_to_default,
    drop_from_default,
    drop_orphans_from_default,
    rebuild_default_graph,
    with_default_copies,
)
from .rdf_files import ONTOLOGY_FILE, knowledge_base_files, parse_file, user_graph_iri

MANIFEST = "datateam-store.json"
LOCK_FILE = "lock"
REASONING_CACHE = ".reasoning-cache"   # closures of the live database (queries/engine/reasoning.py)
STORE_FORMAT = "datateam-kg store"
# 2: the default graph holds the merge of the named graphs (graph/store/merge.py); a store of
# format 1 is given it by the next command that has the store to itself.
STORE_FORMAT_VERSION = 2
METADATA_GRAPH = URIRef(BASE + "graph/store-metadata")
SHIPPED = "shipped knowledge base"
EXIT_BUSY = 75  # EX_TEMPFAIL: try again later
# Removing more triples than this, the default graph is swept in one pass rather than triple by triple.
_SWEEP_ABOVE = 100_000

_META = ox.NamedNode(str(METADATA_GRAPH))
_LOADED_FROM = ox.NamedNode(str(DT.loadedFrom))
_DIGEST = ox.NamedNode(str(DT.contentDigest))
_GENERATED = ox.NamedNode(str(PROV.generatedAtTime))
_VERSION = ox.NamedNode(str(OWL.versionInfo))
_CREATED = ox.NamedNode(str(DCTERMS.created))


class StoreBusyError(DatateamError):
    """Another process holds the store in a way that conflicts with this one (exit status 75)."""

    exit_code = EXIT_BUSY


class NotAStoreError(DatateamError):
    """The --store folder exists but is not a datateam store."""


# ---------------------------------------------------------------------------------------------
# Digests and records


def kb_digest() -> str:
    """SHA-256 over the ontology and the shipped knowledge-base files (names and bytes): the KB version."""
    digest = hashlib.sha256()
    for path in [ONTOLOGY_FILE, *knowledge_base_files()]:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, as 'sha256:<hex>'."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def shipped_graphs() -> list[URIRef]:
    """The named graphs of the ontology and the shipped knowledge base."""
    return [ONTOLOGY_GRAPH] + [URIRef(BASE + "graph/" + p.stem) for p in knowledge_base_files()]


def shipped_quads() -> list[ox.Quad]:
    """The quads of the ontology and the shipped knowledge base (one named graph per source)."""
    quads = parse_file(ONTOLOGY_FILE, ONTOLOGY_GRAPH)
    for path in knowledge_base_files():
        quads.extend(parse_file(path, URIRef(BASE + "graph/" + path.stem)))
    return quads


@dataclass(frozen=True)
class GraphRecord:
    """What the metadata graph says about one named graph: loaded when, from where, digest, version."""

    graph: str
    loaded_from: str
    loaded_at: str | None = None
    digest: str | None = None
    version: str | None = None

    def quads(self) -> list[ox.Quad]:
        g = ox.NamedNode(self.graph)
        at = self.loaded_at or now()
        out = [ox.Quad(g, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(PROV.Entity)), _META),
               ox.Quad(g, _LOADED_FROM, ox.Literal(self.loaded_from), _META),
               ox.Quad(g, _GENERATED, ox.Literal(at, datatype=ox.NamedNode(str(XSD.dateTime))), _META)]
        if self.digest:
            out.append(ox.Quad(g, _DIGEST, ox.Literal(self.digest), _META))
        if self.version:
            out.append(ox.Quad(g, _VERSION, ox.Literal(self.version), _META))
        return out


def now() -> str:
    """The current UTC time as an xsd:dateTime lexical form (seconds precision)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_records(store: ox.Store) -> dict[str, GraphRecord]:
    """The metadata graph's records, by graph IRI."""
    fields: dict[str, dict] = {}
    names = {_LOADED_FROM.value: "loaded_from", _DIGEST.value: "digest", _GENERATED.value: "loaded_at",
             _VERSION.value: "version"}
    for quad in store.quads_for_pattern(None, None, None, _META):
        key = names.get(quad.predicate.value)
        if key and isinstance(quad.subject, ox.NamedNode):
            fields.setdefault(quad.subject.value, {})[key] = quad.object.value
    return {g: GraphRecord(graph=g, loaded_from=f.get("loaded_from", ""), loaded_at=f.get("loaded_at"),
                           digest=f.get("digest"), version=f.get("version"))
            for g, f in fields.items()}


# ---------------------------------------------------------------------------------------------
# The lock


class StoreLock:
    """An advisory lock on PATH/lock: shared for readers, exclusive for a writer (fcntl.flock).

    The operating system releases it when the process ends, so a crashed command never leaves the
    store locked.
    """

    def __init__(self, store_path: Path):
        self.store_path = Path(store_path)
        self.fd: int | None = None
        self.exclusive = False

    def acquire(self, exclusive: bool, wait: float = 0.0) -> None:
        """Take the lock, waiting up to `wait` seconds; raise StoreBusyError if it stays taken."""
        if self.fd is not None:
            self.release()
        fd = os.open(self.store_path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusyError(self._busy_message(exclusive)) from None
                time.sleep(0.1)
        self.fd, self.exclusive = fd, exclusive

    def __del__(self):
        self.release()

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def _busy_message(self, exclusive: bool) -> str:
        if exclusive:
            return (f"store {self.store_path} is in use by another datateam process; writing to it (import, --data, "
                    "an upgrade) needs it to itself: try again when the other command has finished "
                    "(or set DATATEAM_STORE_WAIT=SECONDS to wait)")
        return (f"store {self.store_path} is being written by another datateam process (an import or an update); "
                "try again when it has finished (or set DATATEAM_STORE_WAIT=SECONDS to wait)")


def _wait_seconds() -> float:
    raw = os.environ.get("DATATEAM_STORE_WAIT", "").strip()
    if not raw:
        return 0.0
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise DatateamError(f"DATATEAM_STORE_WAIT={raw!r} is not a number of seconds") from None


# ---------------------------------------------------------------------------------------------
# Layout


def read_manifest(store_path: Path) -> dict | None:
    """The store's manifest (format, live database folder), or None if the folder has none."""
    path = Path(store_path) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise NotAStoreError(f"{path}: unreadable store manifest ({exc})") from exc
    if manifest.get("format") != STORE_FORMAT or not isinstance(manifest.get("database"), str):
        raise NotAStoreError(f"{path}: not a datateam store manifest")
    if manifest.get("format_version", 0) > STORE_FORMAT_VERSION:
        raise NotAStoreError(f"{store_path}: made by a newer datateam (store format {manifest['format_version']}); "
                             "upgrade datateam to use it")
    return manifest


def _write_manifest(store_path: Path, database: str) -> None:
    content = json.dumps({"format": STORE_FORMAT, "format_version": STORE_FORMAT_VERSION, "database": database,
                          "written_by": f"datateam {__version__}", "written_at": now()}, indent=2) + "\n"
    tmp = store_path / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, store_path / MANIFEST)
    _fsync_dir(store_path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _new_database_name() -> str:
    return f"db-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


def _prepare_folder(store_path: Path) -> None:
    """Create the store folder if needed; refuse a folder that holds something else."""
    if store_path.exists() and not store_path.is_dir():
        raise NotAStoreError(f"{store_path}: not a folder (--store needs a folder for the database)")
    if not store_path.exists():
        parent = store_path.parent if str(store_path.parent) else Path(".")
        if not parent.is_dir():
            raise NotAStoreError(f"{store_path}: the folder {parent} does not exist")
        try:
            store_path.mkdir()
        except FileExistsError:
            pass
        except OSError as exc:
            raise NotAStoreError(f"{store_path}: cannot create the store folder ({exc.strerror})") from exc
        return
    if (store_path / MANIFEST).exists():
        return
    entries = [p.name for p in store_path.iterdir() if p.name != LOCK_FILE and not p.name.startswith(".")]
    if {"CURRENT", "IDENTITY"} <= set(entries) or any(n.startswith("OPTIONS-") for n in entries):
        raise NotAStoreError(f"{store_path}: an Oxigraph database not made by datateam; serve it with "
                             "`oxigraph serve --location` and use --endpoint, or pick a new folder for --store")
    if any(not n.startswith("db-") for n in entries):
        raise NotAStoreError(f"{store_path}: the folder is not empty and is not a datateam store; "
                             "pick a new or empty folder for --store")


def _cleanup(store_path: Path, live: str | None) -> None:
    """Delete database folders and temporary files that no manifest points to (left by a crash)."""
    for entry in store_path.iterdir():
        if entry.name == live:
            continue
        if entry.is_dir() and entry.name.startswith("db-"):
            shutil.rmtree(entry, ignore_errors=True)
        elif not entry.is_dir() and (entry.name.startswith("tmp-") or entry.name.startswith(f".{MANIFEST}.")):
            entry.unlink(missing_ok=True)


def _create(store_path: Path) -> None:
    """Make a new database with the ontology and the shipped knowledge base (exclusive lock held)."""
    name = _new_database_name()
    folder = store_path / name
    try:
        store = ox.Store(str(folder))
        digest = kb_digest()
        at = now()
        quads = shipped_quads()
        for graph in shipped_graphs():
            quads.extend(GraphRecord(str(graph), SHIPPED, at, digest, __version__).quads())
        quads.append(ox.Quad(_META, _CREATED, ox.Literal(at, datatype=ox.NamedNode(str(XSD.dateTime))), _META))
        store.extend(with_default_copies(quads))
        store.flush()
        del store
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _write_manifest(store_path, name)


# ---------------------------------------------------------------------------------------------
# The knowledge graph over a persistent store


class PersistentKnowledgeGraph(KnowledgeGraph):
    """A KnowledgeGraph over an on-disk store, holding the store's lock until `close()`.

    `location` is the live Oxigraph database folder (open it with pyoxigraph.Store.read_only in a
    worker process); `store_path` is the folder the user named with --store. Use as a context
    manager, or call close(), to release the lock before the process ends.
    """

    def __init__(self, store_path: Path, lock: StoreLock, *, writable: bool):
        manifest = read_manifest(store_path)
        if manifest is None:
            raise NotAStoreError(f"{store_path}: not a datateam store (no {MANIFEST})")
        folder = store_path / manifest["database"]
        try:
            store = ox.Store(str(folder)) if writable else ox.Store.read_only(str(folder))
        except OSError as exc:
            raise DatateamError(f"{store_path}: cannot open the database {folder.name} ({_first_line(exc)})") from exc
        super().__init__(store, location=folder, description=f"persistent store {store_path}", derive_default=False)
        self.store_path = Path(store_path)
        self.writable = writable
        self.format_version = int(manifest.get("format_version", 1))
        self._lock = lock

    @property
    def content_key(self) -> str:
        """The live database's folder name: every import, drop or --data load writes a new one."""
        return "store:" + self.location.name

    @property
    def reasoning_cache_dir(self) -> Path:
        return self.store_path / REASONING_CACHE

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release the database and the lock. The object cannot be queried afterwards."""
        self._dataset = None
        self.store = None
        self._lock.release()

    @property
    def closed(self) -> bool:
        return self.store is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- metadata ----------------------------------------------------------------------------
    def records(self) -> dict[str, GraphRecord]:
        """What the metadata graph says about each named graph (loaded when, from where, digest)."""
        return read_records(self.store)

    def recorded_kb_digest(self) -> str | None:
        record = self.records().get(str(ONTOLOGY_GRAPH))
        return record.digest if record else None

    # -- writing, all or nothing -------------------------------------------------------------
    def replace_graphs(self, remove: Iterable[str], *, nquads_path: Path | None = None,
                       quads: Sequence[ox.Quad] = (), load: Callable[[ox.Store], None] | None = None,
                       records: Iterable[GraphRecord] | Callable[[], Iterable[GraphRecord]] = (),
                       copied_to_default: Iterable[str] = (),
                       progress: Callable[[str, float], None] | None = None) -> None:
        """Atomically drop the named graphs `remove`, then add an N-Quads file, quads, and/or
        whatever `load(store)` writes into the store it is given.

        Works on a checkpoint of the live database and switches to it only when everything
        succeeded; on any error the store is exactly as it was. `records` (or a function returning
        them, called after loading) replace the metadata of their graphs; the metadata of removed
        graphs is dropped. The default graph, the merge of the named graphs, is kept up to date
        graph by graph: what was removed leaves it unless another graph still holds it, and the
        graphs written are copied into it (a store of an older format gets it in full); so `load`
        may write new graphs and graphs named in `remove`, not add to others. `copied_to_default`
        names the graphs whose every triple the N-Quads file or `load` also wrote into the default
        graph itself (as the importers' bulk-load stream does): they are not copied again, which
        on disk costs about 12 s per million triples (graph/store/merge.py). `progress(label,
        fraction)` hears of each step of the removals (a large graph takes seconds: Oxigraph deletes
        each quad from six indexes). Needs a writable store.
        """
        if not self.writable:
            raise DatateamError(f"store {self.store_path} is open read-only")
        remove = [str(g) for g in remove]
        name = _new_database_name()
        folder = self.store_path / name
        self.store.flush()
        self.store.backup(str(folder))
        new = None
        try:
            new = ox.Store(str(folder))
            before = {g.value for g in new.named_graphs() if isinstance(g, ox.NamedNode)}
            removed: list[ox.Triple] = []
            sweep = False  # a large graph removed: sweep the default graph once instead
            for i, graph in enumerate(remove):
                node = ox.NamedNode(graph)
                if new.contains_named_graph(node):
                    if progress:
                        progress(f"removing {graph.rsplit('/graph/', 1)[-1]}", 0.5 * i / len(remove))
                    if not sweep:
                        sweep = _holds_more_than(new, node, _SWEEP_ABOVE - len(removed))
                    if not sweep:
                        removed.extend(ox.Triple(q.subject, q.predicate, q.object)
                                       for q in new.quads_for_pattern(None, None, None, node))
                    new.remove_graph(node)
            if nquads_path is not None:
                new.bulk_load(path=str(nquads_path), format=ox.RdfFormat.N_QUADS)
            if load is not None:
                load(new)
            records = list(records() if callable(records) else records)
            for graph in set(remove) | {r.graph for r in records}:
                for quad in list(new.quads_for_pattern(ox.NamedNode(graph), None, None, _META)):
                    removed.append(ox.Triple(quad.subject, quad.predicate, quad.object))
                    new.remove(quad)
            extra = list(quads)
            for record in records:
                extra.extend(record.quads())
            if extra:
                new.extend(extra)
            if progress and remove:
                progress("updating the default graph (the merge)", 0.5)
            if self.format_version < STORE_FORMAT_VERSION:
                rebuild_default_graph(new)
            else:
                # The graphs the loaders wrote (new ones, and those removed first to be
                # replaced), then the quads given here (metadata records among them).
                after = {g.value for g in new.named_graphs() if isinstance(g, ox.NamedNode)}
                written = sorted(((after - before) | (set(remove) & after)) - {str(METADATA_GRAPH)}
                                 - set(copied_to_default))
                if sweep:
                    drop_orphans_from_default(new)
                else:
                    drop_from_default(new, removed)
                copy_graphs_to_default(new, written)
                new.extend(ox.Quad(q.subject, q.predicate, q.object, DEFAULT) for q in extra)
            if progress and remove:
                progress("writing the database", 0.9)
            new.flush()
        except BaseException as exc:
            # Close the half-built database before deleting it: the traceback's frames may still hold it.
            if exc.__traceback__ is not None:
                traceback.clear_frames(exc.__traceback__)
            del new
            gc.collect()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        old = self.location
        _write_manifest(self.store_path, name)    # the commit point
        self.format_version = STORE_FORMAT_VERSION
        self._dataset = None
        self.store = new
        self.location = folder
        shutil.rmtree(old, ignore_errors=True)
        if progress and remove:
            progress("done", 1.0)

    def reload_shipped(self) -> None:
        """Replace the shipped graphs with this release's knowledge base (imports and user data stay)."""
        old = [g for g, r in self.records().items() if r.loaded_from == SHIPPED]
        digest, at = kb_digest(), now()
        graphs = shipped_graphs()
        self.replace_graphs(set(old) | {str(g) for g in graphs}, quads=shipped_quads(),
                            records=[GraphRecord(str(g), SHIPPED, at, digest, __version__) for g in graphs])

    def load_user_files(self, files: Sequence[Path], *, validate: bool = True) -> list[str]:
        """Load the user's RDF files as graph/user/<stem>, replacing earlier versions of the same files.

        Each file is checked against the SHACL shapes first (with the shipped knowledge base) unless
        `validate` is False; a violation raises ValidationError and nothing is written. Returns the
        graphs written.
        """
        files = [Path(f) for f in files]
        records = self.records()
        user_quads: list[ox.Quad] = []
        remove: set[str] = set()
        new_records: list[GraphRecord] = []
        at = now()
        for path in files:
            quads = parse_file(path, user_graph_iri(path))
            user_quads.extend(quads)
            origin = str(path.resolve())
            graphs = {q.graph_name.value for q in quads} | {str(user_graph_iri(path))}
            remove |= graphs | {g for g, r in records.items() if r.loaded_from == origin}
            digest = file_digest(path)
            new_records.extend(GraphRecord(g, origin, at, digest) for g in sorted(graphs))
        protected = {str(g) for g in shipped_graphs()} | {str(METADATA_GRAPH)}
        clash = sorted(remove & protected)
        if clash:
            raise DatateamError(f"{', '.join(map(str, files))}: writes to the graph(s) {', '.join(clash)}, which "
                                "belong to the shipped knowledge base; put your triples in your own graph")
        if validate:
            from .validate import check_user_data  # lazy: start-up time (pyshacl)

            check_user_data(self, user_quads, files)
        self.replace_graphs(sorted(remove), quads=user_quads, records=new_records)
        return sorted({r.graph for r in new_records})

    def drop_graphs(self, graphs: Iterable[str], *,
                    progress: Callable[[str, float], None] | None = None) -> list[str]:
        """Remove imported or user graphs (and their metadata); the shipped graphs cannot be dropped.

        progress(label, fraction) hears of each step (see replace_graphs).
        """
        graphs = [str(g) for g in graphs]
        protected = {str(g) for g in shipped_graphs()} | {str(METADATA_GRAPH)}
        refused = [g for g in graphs if g in protected]
        if refused:
            raise DatateamError(f"{', '.join(refused)}: part of the shipped knowledge base; it cannot be dropped")
        present = {str(g) for g in self.graph_names()} | set(self.records())
        unknown = [g for g in graphs if g not in present]
        if unknown:
            raise DatateamError(f"store {self.store_path} has no graph {', '.join(unknown)}")
        self.replace_graphs(graphs, progress=progress)
        return graphs


def _holds_more_than(store: ox.Store, graph: ox.NamedNode, n: int) -> bool:
    """Whether the named graph `graph` holds more than `n` quads (counted inside the engine, which
    is much faster than reading them into Python)."""
    rows = store.query(f"SELECT ?s WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} OFFSET {n} LIMIT 1")
    return next(iter(rows), None) is not None


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def user_files_pending(kg: PersistentKnowledgeGraph, files: Sequence[Path]) -> list[Path]:
    """The user files whose current content is not what the store last loaded from them."""
    records = kg.records()
    pending = []
    for path in files:
        path = Path(path)
        if not path.is_file():
            raise DatateamError(f"{path}: no such file")
        origin = str(path.resolve())
        digests = {r.digest for r in records.values() if r.loaded_from == origin}
        if digests != {file_digest(path)}:
            pending.append(path)
    return pending


# ---------------------------------------------------------------------------------------------
# Opening


def open_persistent(path: Path, data_files: Iterable[Path] = (), *, writable: bool = False,
                    validate: bool = True) -> PersistentKnowledgeGraph:
    """Open (creating on first use) the persistent store at `path`.

    - First use: the folder is created and the ontology and shipped knowledge base are loaded.
    - When this release's knowledge base differs from the one in the store (digest in the metadata
      graph), the shipped graphs are replaced; imports and user graphs stay.
    - `data_files` are loaded into the store as graph/user/<stem> after SHACL validation (unless
      `validate` is False), replacing what earlier runs loaded from the same files; a file whose
      content has not changed since is not loaded again.
    - `writable=False` opens the database read-only under a shared lock (many readers at once);
      `writable=True` holds the lock alone. A conflicting process gives StoreBusyError.

    Returns a PersistentKnowledgeGraph (a KnowledgeGraph); call close() to release the lock early.

    >>> with open_persistent(Path("kg")) as kg:
    ...     int(kg.select("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a dt:Role }")[0]["n"])
    21
    """
    store_path = Path(path)
    data_files = [Path(p) for p in data_files]
    wait = _wait_seconds()
    _prepare_folder(store_path)
    lock = StoreLock(store_path)
    if read_manifest(store_path) is None:
        lock.acquire(exclusive=True, wait=wait)
        try:
            if read_manifest(store_path) is None:
                _cleanup(store_path, None)
                _create(store_path)
        finally:
            lock.release()

    lock.acquire(exclusive=writable, wait=wait)
    try:
        kg = PersistentKnowledgeGraph(store_path, lock, writable=writable)
    except BaseException:
        lock.release()
        raise
    try:
        stale = kg.recorded_kb_digest() != kb_digest() or kg.format_version < STORE_FORMAT_VERSION
        pending = user_files_pending(kg, data_files) if data_files else []
        if not (stale or pending):
            if writable:
                _cleanup(store_path, kg.location.name)
            return kg
        if not writable:
            old_format = kg.format_version < STORE_FORMAT_VERSION
            kg.close()
            try:
                lock.acquire(exclusive=True, wait=wait)
            except StoreBusyError:
                if pending or old_format:  # an older format has no merged default graph to query
                    raise
                # Someone else reads the store: use the knowledge base it has, and upgrade next time.
                print(f"warning: store {store_path} holds an older knowledge base; it will be upgraded by the next "
                      "command that has the store to itself", file=sys.stderr)
                lock.acquire(exclusive=False, wait=wait)
                return PersistentKnowledgeGraph(store_path, lock, writable=False)
            kg = PersistentKnowledgeGraph(store_path, lock, writable=True)
        _cleanup(store_path, kg.location.name)
        if kg.recorded_kb_digest() != kb_digest():
            kg.reload_shipped()
        if kg.format_version < STORE_FORMAT_VERSION:
            kg.replace_graphs(())   # gives an older store its default graph, the merge
        if pending:
            kg.load_user_files(pending, validate=validate)
        if not writable:
            kg.close()
            lock.acquire(exclusive=False, wait=wait)
            kg = PersistentKnowledgeGraph(store_path, lock, writable=False)
        return kg
    except BaseException:
        kg.close()
        raise


# ---------------------------------------------------------------------------------------------
# Information


def store_info(kg: PersistentKnowledgeGraph) -> dict:
    """What a persistent store holds, as plain data.

    Returns {"store", "database", "size_bytes", "kb_version", "kb_digest", "kb_current", "created",
    "quads" (the sum of the graphs' triples), "graphs": [{"graph", "triples", "loaded_at",
    "loaded_from", "version", "kind"}]} with graphs sorted by name. `kind` is "shipped", "import",
    "user" or "other".

    >>> info = store_info(open_persistent(Path("kg")))
    >>> [g["graph"] for g in info["graphs"]][:1]
    ['https://w3id.org/datateam-kg/graph/curation']
    """
    records = kg.records()
    counts = {str(row["g"]): int(row["n"]) for row in kg.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    graphs = []
    for graph in sorted(set(counts) | set(records)):
        if graph == str(METADATA_GRAPH):
            continue
        record = records.get(graph)
        graphs.append({
            "graph": graph,
            "triples": counts.get(graph, 0),
            "loaded_at": record.loaded_at if record else None,
            "loaded_from": record.loaded_from if record else None,
            "version": record.version if record else None,
            "kind": _kind(graph, record),
        })
    created = [q.object.value for q in kg.store.quads_for_pattern(_META, _CREATED, None, _META)]
    ontology = records.get(str(ONTOLOGY_GRAPH))
    size = sum(f.stat().st_size for f in kg.location.rglob("*") if f.is_file())
    return {
        "store": str(kg.store_path),
        "database": kg.location.name,
        "size_bytes": size,
        "kb_version": ontology.version if ontology else None,
        "kb_digest": ontology.digest if ontology else None,
        "kb_current": bool(ontology and ontology.digest == kb_digest()),
        "created": created[0] if created else None,
        "quads": sum(g["triples"] for g in graphs),
        "graphs": graphs,
    }


def _kind(graph: str, record: GraphRecord | None) -> str:
    if record and record.loaded_from == SHIPPED:
        return "shipped"
    if graph.startswith(BASE + "graph/import/"):
        return "import"
    if graph.startswith(BASE + "graph/user/"):
        return "user"
    return "other"


__all__ = ["open_persistent", "PersistentKnowledgeGraph", "StoreBusyError", "NotAStoreError", "store_info",
           "format_store_info", "graph_iri", "graph_name",
           "kb_digest", "GraphRecord", "METADATA_GRAPH", "read_manifest"]


def format_store_info(info: dict, notes=()) -> str:
    """store_info(...) as text: the store's header lines, a table of its graphs, then `notes` (attribution lines)."""
    state = "current" if info["kb_current"] else "older than this datateam; upgraded by the next command that writes"
    head = [f"store:          {info['store']} (database {info['database']}, {info['size_bytes'] / 1e6:.1f} MB on disk)",
            f"created:        {info['created'] or 'unknown'}",
            f"knowledge base: {info['kb_version'] or 'unknown'} ({(info['kb_digest'] or '')[:19]}…, {state})",
            f"quads:          {info['quads']:,} in {len(info['graphs'])} graphs", ""]
    rows = [dict(g, graph=g["graph"].rsplit("/graph/", 1)[-1], loaded_from=one_line(g["loaded_from"] or "", 60))
            for g in info["graphs"]]
    table = to_table(rows, ["graph", "kind", "triples", "loaded_at", "version", "loaded_from"],
                     ["graph", "kind", "triples", "loaded at", "version", "from"])
    notes = list(notes)
    return "\n".join(head) + table + ("\n" + "\n".join(notes) + "\n" if notes else "")


def graph_iri(name: str) -> str:
    """A graph's IRI from its IRI or its name after graph/ ("import/onet", "graph:user/my-roles")."""
    if name.startswith(("http://", "https://")):
        return name
    return BASE + "graph/" + name.removeprefix("graph:").lstrip("/")


def graph_name(iri: str) -> str:
    """A graph's short name: its IRI after /graph/ ("import/onet")."""
    return iri.rsplit("/graph/", 1)[-1]
