"""What a comparison reads: a run folder's records, one table per adapter, and its manifest.

A source is a run folder (``reports/<run-id>``) today; :func:`load_source` is the one place
that decides what a path is, so a baseline file can be added beside it. Records are read
with the store's streaming reader (``iter_jsonl``, as ``read_records``) into a
:class:`RecordView`, and a (case_id, adapter, repeat) found twice counts once, with its
latest record, as ``harness report`` and ``harness merge`` count it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.paired.frame import FrameBuilder, RecordView, gc_paused
from harness.errors import HarnessError
from harness.records import CaseRecord, RunManifest
from harness.records.jsonl import iter_jsonl
from harness.records.store import MANIFEST_FILE, RESULTS_FILE, read_manifest

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AdapterRecords",
    "CaseDetail",
    "CompareInputError",
    "LoadedSource",
    "load_source",
]


class CompareInputError(HarnessError):
    """A comparison's input cannot be used (no folder, no records, unknown adapter): exit 4.

    ``param`` names the command-line argument at fault (``BASE``, ``CANDIDATE``, ``--pair``),
    so the CLI can print it the way click prints a usage error.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class CaseDetail:
    """What a reader of a flipped case needs from one record: the answer and why it failed."""

    output: str | None
    failing: tuple[tuple[str, str], ...]  # (expectation name, reason) of failed expectations
    error: str | None


def _detail(record: CaseRecord | RecordView) -> CaseDetail:
    failing = tuple((m.name, m.reason) for m in record.expectations if not m.passed and m.measured)
    error = None
    if record.error is not None:
        status = f" (HTTP {record.error.status})" if record.error.status is not None else ""
        error = f"{record.error.type}: {record.error.message}{status}"
    return CaseDetail(output=record.output, failing=failing, error=error)


@dataclass
class AdapterRecords:
    """One adapter's counted records: the engine's table and, per row, the record's details."""

    name: str
    builder: FrameBuilder = field(default_factory=FrameBuilder)
    details: list[CaseDetail] = field(default_factory=list)
    _frame: pd.DataFrame | None = None

    def add(self, record: CaseRecord | RecordView) -> None:
        row = self.builder.add(record)
        detail = _detail(record)
        if row == len(self.details):
            self.details.append(detail)
        else:
            self.details[row] = detail

    @property
    def frame(self) -> pd.DataFrame:
        """The table (built once, on first use)."""
        if self._frame is None:
            self._frame = self.builder.frame()
        return self._frame


@dataclass
class LoadedSource:
    """A run as a comparison sees it: its manifest and each adapter's records."""

    path: Path
    manifest: RunManifest
    adapters: dict[str, AdapterRecords]  # the manifest's order, then adapters only records name
    records_read: int = 0

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def counted(self) -> int:
        return sum(len(a.builder) for a in self.adapters.values())

    @property
    def superseded(self) -> int:
        """Records a later record of the same (case_id, adapter, repeat) replaced."""
        return self.records_read - self.counted

    def adapter(self, name: str, param: str) -> AdapterRecords:
        """The adapter's records, or an error naming the adapters this run has."""
        found = self.adapters.get(name)
        if found is None:
            raise CompareInputError(
                f"run {self.run_id} ({self.path}) has no adapter {name!r}; "
                f"it has: {', '.join(self.adapters) or 'none'}",
                param,
            )
        return found


def _group(
    manifest: RunManifest, records: Iterable[CaseRecord | RecordView]
) -> tuple[dict[str, AdapterRecords], int]:
    adapters = {a.name: AdapterRecords(a.name) for a in manifest.adapters if a.role != "judge"}
    read = 0
    for record in records:
        read += 1
        side = adapters.get(record.adapter)
        if side is None:
            side = adapters[record.adapter] = AdapterRecords(record.adapter)
        side.add(record)
    # an adapter the manifest names but no record does (a judge, or never run) is not a side
    return {name: a for name, a in adapters.items() if a.details}, read


def load_run_folder(path: Path, param: str) -> LoadedSource:
    """Read ``run.json`` and ``results.jsonl`` of a run folder (streamed, one pass)."""
    if not path.exists():
        raise CompareInputError(f"{path}: no such run folder", param)
    if not path.is_dir():
        raise CompareInputError(f"{path}: not a run folder (give a reports/<run-id> folder)", param)
    if not (path / MANIFEST_FILE).is_file():
        raise CompareInputError(f"{path}: not a run folder (no {MANIFEST_FILE})", param)
    manifest = read_manifest(path)
    # the store's streaming reader (a torn last line skipped, damage reported by line), parsing
    # only the fields a comparison reads; a key found twice keeps its latest record (_group)
    with gc_paused():
        adapters, read = _group(
            manifest, iter_jsonl(path / RESULTS_FILE, RecordView.model_validate_json)
        )
    if not adapters:
        raise CompareInputError(
            f"{path}: run {manifest.run_id} has no results ({RESULTS_FILE} holds no records)",
            param,
        )
    return LoadedSource(path=path, manifest=manifest, adapters=adapters, records_read=read)


def load_source(path: Path, param: str) -> LoadedSource:
    """What ``path`` holds, as a comparison's side: a run folder, or a baseline file.

    Raises:
        CompareInputError: no such path, not a run folder or baseline, or no records.
    """
    if path.is_file():  # a baseline file (harness baseline save): rebuilt records, same path on
        from harness.analysis.paired.baseline import BaselineError, read_baseline

        try:
            manifest, records = read_baseline(path)
        except BaselineError as exc:
            raise CompareInputError(str(exc), param) from None
        adapters, read = _group(manifest, records)
        return LoadedSource(path=path, manifest=manifest, adapters=adapters, records_read=read)
    return load_run_folder(path, param)
