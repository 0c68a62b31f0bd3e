"""A run's folder on disk: append-only ``results.jsonl`` flushed per record, and ``run.json``.

Records are written the moment they exist, so a crash or Ctrl-C loses only requests in
flight; readers tolerate a torn last line (a write cut short by a kill).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from harness.records import CaseRecord, RunManifest

__all__ = [
    "MANIFEST_FILE",
    "RESULTS_FILE",
    "RecordWriter",
    "read_manifest",
    "read_records",
    "write_manifest",
]

RESULTS_FILE = "results.jsonl"
MANIFEST_FILE = "run.json"


class RecordWriter:
    """Appends CaseRecords to ``results.jsonl``, one line each, flushed to the OS per record."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / RESULTS_FILE
        self._file: IO[str] = self.path.open("a", encoding="utf-8")

    def write(self, record: CaseRecord) -> None:
        self._file.write(record.model_dump_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(run_dir: Path) -> Iterator[CaseRecord]:
    """Yield the records of a run; a torn (incomplete) last line is skipped."""
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break  # torn write from an interrupted run
            if line.strip():
                yield CaseRecord.model_validate_json(line)


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    """Write ``run.json`` atomically (temp file + rename), so readers never see half of it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    tmp.replace(run_dir / MANIFEST_FILE)


def read_manifest(run_dir: Path) -> RunManifest:
    return RunManifest.model_validate_json((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
