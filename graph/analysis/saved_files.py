"""Files saved beside a persistent store (`<store>/cache/`): the similarity index, the requirements
table (arrays, .npz) and what `coverage` reads (JSON).

A file is named `<prefix><database folder>-<digest>.<suffix>` (`saved_file`): the database folder
changes with every write to the store, so a file made for an earlier state is never read, and
saving a new one deletes those older files; the digest is of the file's format, the package
version and the options the contents depend on.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ... import __version__

CACHE_FOLDER = "cache"


def saved_file(kg, prefix: str, key: list, suffix: str) -> Path | None:
    """Where a file made from `kg` with the options `key` is saved; None for a store that is not on disk."""
    store_path, location = getattr(kg, "store_path", None), getattr(kg, "location", None)
    if store_path is None or location is None:
        return None
    text = json.dumps([__version__, *key], sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Path(store_path) / CACHE_FOLDER / f"{prefix}{Path(location).name}-{digest}{suffix}"


def _save(path: Path, prefix: str, write) -> None:
    """Write the file with `write(handle)` to a temporary name, move it into place, prune older states."""
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
        with open(tmp, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
        same_state = path.name.rsplit("-", 1)[0] + "-"   # <prefix><database folder>-
        for other in path.parent.glob(f"{prefix}*{path.suffix}"):
            if not other.name.startswith(same_state):
                other.unlink(missing_ok=True)   # made for an earlier state of the store
    except OSError:
        pass


def save_arrays(path: Path, prefix: str, meta: dict, arrays: dict) -> None:
    """Write `meta` (as JSON) and `arrays` to `path` (.npz) atomically; drop the `prefix` files of earlier states.

    A store folder that cannot be written (read-only) is not an error: nothing is saved.
    """
    import numpy as np  # here, so that the JSON files are written and read without numpy

    _save(path, prefix, lambda handle: np.savez(
        handle, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), **arrays))


def save_json(path: Path, prefix: str, data) -> None:
    """Write `data` as JSON to `path` atomically; drop the `prefix` files of earlier states (as save_arrays)."""
    _save(path, prefix, lambda handle: handle.write(json.dumps(data, separators=(",", ":")).encode("utf-8")))


def read_meta(arrays) -> dict:
    """The JSON `meta` of a file written by save_arrays (`arrays` from np.load)."""
    return json.loads(arrays["meta"].tobytes().decode("utf-8"))


def drop_saved(store_path, prefix: str) -> int:
    """Delete the files saved with `prefix` in a store folder's cache; return how many were removed."""
    folder = Path(store_path) / CACHE_FOLDER
    removed = 0
    for path in sorted(folder.glob(f"{prefix}*")) if folder.is_dir() else ():
        path.unlink(missing_ok=True)
        removed += 1
    return removed
