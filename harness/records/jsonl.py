"""Append-only JSON-lines files that survive a kill: append per line, skip or cut a torn tail.

The low layer under ``store`` (results), ``cassette`` (requests and answers) and ``merge``:
it knows lines and JSON objects, not records. A kill can cut the last write short; such a
*torn* last line is skipped by :func:`scan_lines` and removed by :func:`repair_jsonl` (and by
:class:`JsonlAppender` before it appends). An invalid line with lines after it is damage,
reported with its line number.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError

__all__ = [
    "FsyncPolicy",
    "JsonlAppender",
    "ResultsCorruptError",
    "describe_problem",
    "is_json_object",
    "iter_jsonl",
    "json_object",
    "repair_jsonl",
    "scan_lines",
    "write_json_atomic",
]

#: When the appended file is fsynced: ``never``; on ``close`` (default); every ``interval``
#: seconds at most (checked on write); or after every record (``always``: durable against
#: power loss, but costs a disk flush per record, milliseconds on most disks).
FsyncPolicy = Literal["never", "close", "interval", "always"]

_T = TypeVar("_T")
_O_BINARY: int = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_TAIL_BLOCK = 64 * 1024


class ResultsCorruptError(HarnessError):
    """A JSON-lines file has a damaged line that is not a torn last write (``path:line``)."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}")


# -- reading ---------------------------------------------------------------------------------


def json_object(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def is_json_object(raw: bytes) -> bool:
    try:
        json_object(raw)
    except ValueError:
        return False
    return True


def _preview(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def describe_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        return f"{where}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class _Bad:
    line: int
    offset: int
    raw: bytes
    reason: str


def scan_lines(path: Path, parse: Callable[[bytes], _T]) -> Iterator[tuple[int, int, bytes, _T]]:
    """(1-based line number, byte offset, raw line, parsed) of each complete line of ``path``.

    Blank lines are skipped. A last non-blank line that is not a JSON object is a torn write
    and is skipped; the same line with anything after it raises ResultsCorruptError, as does
    a complete JSON object that ``parse`` rejects (a damaged or foreign record). A last line
    that is a whole JSON object but lost its newline is complete and is yielded.
    """
    pending: _Bad | None = None
    offset = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            start = offset
            offset += len(raw)
            if not raw.strip():
                continue
            if pending is not None:
                raise ResultsCorruptError(
                    path,
                    pending.line,
                    f"not a complete JSON record ({pending.reason}): {_preview(pending.raw)}; "
                    "more records follow it, so it is damage, not a torn last write",
                )
            try:
                value = parse(raw)
            except ValueError as exc:
                if parse is not json_object and is_json_object(raw):
                    raise ResultsCorruptError(
                        path, number, f"not a valid record: {describe_problem(exc)}"
                    ) from None
                pending = _Bad(number, start, raw, describe_problem(exc))
                continue
            yield number, start, raw, value


def iter_jsonl(path: Path, parse: Callable[[bytes], _T]) -> Iterator[_T]:
    """Stream the parsed lines of any append-only JSON-lines file (torn last line skipped).

    Memory stays flat in the number of lines. ``parse`` raises ValueError (pydantic's
    ValidationError is one) for a line it rejects.
    """
    if not path.exists():
        return
    for _, _, _, value in scan_lines(path, parse):
        yield value


# -- repairing -------------------------------------------------------------------------------


def _truncate(path: Path, size: int) -> None:
    with path.open("r+b") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


def _append_newline(path: Path) -> None:
    with path.open("ab") as f:
        f.write(b"\n")
        f.flush()
        os.fsync(f.fileno())


def repair_jsonl(path: Path) -> int:
    """Cut a torn last line off a JSON-lines file; return the number of bytes removed.

    Reads the whole file (streaming) so that damage anywhere is found. A last line that is
    a complete JSON object without its newline keeps its record and gets the newline (0 bytes
    removed). Must not run while a writer appends to the same file.

    Raises:
        ResultsCorruptError: a damaged line with records after it (not a torn write; the
            file is left as it is, for a person to look at).
    """
    if not path.exists():
        return 0
    size = path.stat().st_size
    end_of_records = 0
    needs_newline = False
    for _, start, raw, _ in scan_lines(path, json_object):
        end_of_records = start + len(raw)
        needs_newline = not raw.endswith(b"\n")
    # after the last valid record there are only blank lines and at most one torn line
    with path.open("rb") as f:
        f.seek(end_of_records)
        rest = f.read()
    if not rest.strip():
        if needs_newline:
            _append_newline(path)
        return 0
    _truncate(path, end_of_records)  # the record before a torn line ends with its newline
    return size - end_of_records


def _repair_tail(path: Path) -> int:
    """Cheap tail-only version of :func:`repair_jsonl`: reads only the last line."""
    with path.open("r+b") as f:
        size = f.seek(0, os.SEEK_END)
        pos, buf = size, b""
        while True:
            step = min(_TAIL_BLOCK, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
            body = buf.rstrip()
            cut = body.rfind(b"\n")
            if (body and cut >= 0) or pos == 0:
                break
        if not body:
            return 0
        line = body[cut + 1 :]
        if is_json_object(line):
            if not buf.endswith(b"\n"):
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
            return 0
        start = pos + cut + 1
        f.truncate(start)
        f.flush()
        os.fsync(f.fileno())
        return size - start


# -- writing ---------------------------------------------------------------------------------


class JsonlAppender:
    """Appends JSON lines to a file: one ``write`` system call per line, no user-space buffer.

    The OS has each line as soon as :meth:`write_line` returns, so a killed process loses
    nothing it wrote; ``fsync`` decides how often the OS is made to put it on disk. A torn
    last line left by an earlier process is cut off before appending.
    """

    def __init__(
        self, path: Path, *, fsync: FsyncPolicy = "close", fsync_interval_s: float = 1.0
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fsync = fsync
        self.fsync_interval_s = fsync_interval_s
        #: bytes of a torn last line removed when the file was opened
        self.repaired_bytes = _repair_tail(path) if path.exists() else 0
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _O_BINARY, 0o644)
        self._last_sync = time.monotonic()

    def write_line(self, data: bytes) -> None:
        """Append ``data`` (one JSON document, no newline) and a newline."""
        if self._fd < 0:
            raise ValueError(f"write to closed {self.path}")
        data += b"\n"
        written = os.write(self._fd, data)
        while written < len(data):  # short writes are rare on regular files, but legal
            written += os.write(self._fd, data[written:])
        if self.fsync == "always":
            os.fsync(self._fd)
        elif self.fsync == "interval":
            now = time.monotonic()
            if now - self._last_sync >= self.fsync_interval_s:
                os.fsync(self._fd)
                self._last_sync = now

    def write_model(self, model: BaseModel) -> None:
        """Append a pydantic model as one line (serialised straight to bytes)."""
        self.write_line(model.__pydantic_serializer__.to_json(model))

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            try:
                if self.fsync != "never":
                    os.fsync(fd)
            finally:
                os.close(fd)

    @property
    def closed(self) -> bool:
        return self._fd < 0


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON to ``path`` through a temp file and a rename: readers never see half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
