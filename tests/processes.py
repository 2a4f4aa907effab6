"""Helpers the tests share for the server processes they start on loopback."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen, grace: float = 15) -> None:
    """Stop a process the test started: SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
