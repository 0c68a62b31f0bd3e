"""Writing report files: whole or not at all, and scrubbed of the run's secrets."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_file", "write_text"]


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` via a temporary file and rename, so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text report (UTF-8) as :func:`write_file` does, scrubbed of the secrets of a
    run in effect in this process: reports are built from files already scrubbed, this is
    the last line of defence for a report written in the run's own process."""
    from harness.records.redaction import current

    return write_file(path, current().text(text).encode("utf-8"))
