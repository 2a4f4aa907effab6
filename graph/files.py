"""The one file writer: a temporary file in the target's folder, renamed over the target on success.

Readers see either the old content or the complete new one, never a part; a failed write leaves
the old file as it was. The new file gets the mode any newly created file gets (0666 less the
umask: 0644 under umask 022), not the 0600 of the temporary file. Every command that writes a
file the user named (`-o`, `--plot`, `--html`, the explorer page) goes through `write_atomically`.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> target = write_atomically(os.path.join(folder, "page.txt"), "hello\\n")
>>> target.read_text()
'hello\\n'
>>> oct(target.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
True
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import DatateamError

__all__ = ["current_umask", "new_temporary_file", "write_atomically"]


def current_umask() -> int:
    """The process's umask.

    Linux reports it in /proc/self/status, a read that is safe beside other threads; elsewhere it
    is read by setting it and putting it back (os.umask has no read-only form).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8, or bytes) to `path` atomically and return the path.

    Raises DatateamError when the folder does not exist; any other error (a full disk, no
    permission) is raised as it is, after the temporary file is removed.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise DatateamError(f"{path}: directory {folder} does not exist")
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def new_temporary_file(prefix: str = "datateam-", suffix: str = "") -> Path:
    """A new empty file in the system's temporary folder, kept after the process ends (e.g. a page to open)."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(name)
