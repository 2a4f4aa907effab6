"""Read-only snapshots of an on-disk store that this process also holds open for writing.

A query worker opens an on-disk store with `pyoxigraph.Store.read_only`. That is only safe while no
one writes to the database: RocksDB documents a read-only view next to a live writer as undefined,
and right after a write the view can miss files the writer is compacting (measured here: such opens
fail with "No such file" for a while). For a store opened writable in this very process, workers
therefore read a checkpoint (`Store.backup`, hard links: about 50 ms for the shipped knowledge
base), made after the last change and reused until the store changes again. `run_update` and a
change of database folder renew it; code that writes to `kg.store` directly calls
`forget_snapshot(kg)` afterwards.

>>> location = worker_location(kg)   # kg.location, or a snapshot folder when kg is writable
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

_snapshots: "weakref.WeakKeyDictionary[object, tuple]" = weakref.WeakKeyDictionary()
_folders: list[str] = []
_lock = threading.Lock()


def _is_writable(kg) -> bool:
    writable = getattr(kg, "writable", None)
    if writable is not None:
        return bool(writable)
    return True  # a store someone opened with pyoxigraph.Store(path): assume it may be written to


def worker_location(kg) -> Path | None:
    """The folder a worker process should open read-only, or None for an in-memory store."""
    location = getattr(kg, "location", None)
    if location is None:
        return None
    if not _is_writable(kg):
        return Path(location)
    key = str(location)
    with _lock:
        cached = _snapshots.get(kg)
        if cached is not None and cached[0] == key:
            return Path(cached[1])
        folder = tempfile.mkdtemp(prefix="datateam-snapshot-")
        shutil.rmtree(folder)  # backup() wants to create the folder itself
        kg.store.backup(folder)
        _folders.append(folder)
        if cached is not None:
            _remove(cached[1])
        _snapshots[kg] = (key, folder)
        weakref.finalize(kg, _remove, folder)
        return Path(folder)


def forget_snapshot(kg) -> None:
    """Drop the snapshot of `kg` (after a write)."""
    with _lock:
        try:
            cached = _snapshots.pop(kg, None)
        except TypeError:  # cannot be weakly referenced, so no snapshot was kept for it
            cached = None
    if cached is not None:
        _remove(cached[1])


def _remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder in _folders:
        _folders.remove(folder)


@atexit.register
def _remove_all() -> None:
    for folder in list(_folders):
        _remove(folder)
