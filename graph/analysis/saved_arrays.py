"""Arrays saved beside a persistent store (`<store>/cache/`): the similarity index, the requirements table.

A file is named `<prefix><database folder>-<digest>.npz`: the database folder changes with every
write to the store, so a file made for an earlier state is never read, and saving a new one
deletes those older files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


def save_arrays(path: Path, prefix: str, meta: dict, arrays: dict) -> None:
    """Write `meta` (as JSON) and `arrays` to `path` atomically; drop the `prefix` files of earlier states.

    A store folder that cannot be written (read-only) is not an error: nothing is saved.
    """
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
        with open(tmp, "wb") as handle:
            np.savez(handle, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), **arrays)
        os.replace(tmp, path)
        same_state = path.name.rsplit("-", 1)[0] + "-"   # <prefix><database folder>-
        for other in path.parent.glob(f"{prefix}*.npz"):
            if not other.name.startswith(same_state):
                other.unlink(missing_ok=True)   # made for an earlier state of the store
    except OSError:
        pass


def read_meta(arrays) -> dict:
    """The JSON `meta` of a file written by save_arrays (`arrays` from np.load)."""
    return json.loads(arrays["meta"].tobytes().decode("utf-8"))
