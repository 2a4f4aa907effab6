"""Files saved beside a persistent store (`<store>/cache/`): the similarity index, the requirements
table (arrays, .npz) and what `coverage` reads (JSON).

A file is named `<prefix><database folder>-<digest>.<suffix>`: the database folder changes with
every write to the store, so a file made for an earlier state is never read, and saving a new one
deletes those older files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


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
    folder = Path(store_path) / "cache"
    removed = 0
    for path in sorted(folder.glob(f"{prefix}*")) if folder.is_dir() else ():
        path.unlink(missing_ok=True)
        removed += 1
    return removed
