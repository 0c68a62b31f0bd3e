"""What a comparison reads: a run folder's records, one table per adapter, and its manifest.

A source is a run folder (``reports/<run-id>``) or a baseline file; :func:`load_source` is
the one place that decides what a path is. A run folder's records are read once into columns
(:func:`~harness.records.columns.read_columns`, as ``harness report`` reads them: msgspec, only
the fields a report or comparison reads), and a (case_id, adapter, repeat) found twice counts
once, with its latest record, as ``harness report`` and ``harness merge`` count it. The
answers and failed expectations of a side are made only for the rows that are shown (the
flipped cases).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

from harness.analysis.paired.frame import FrameBuilder, RecordView, column_frames
from harness.errors import HarnessError
from harness.records import CaseRecord, RunManifest
from harness.records.columns import RecordColumns, read_columns
from harness.records.store import MANIFEST_FILE, RESULTS_FILE, read_manifest

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AdapterRecords",
    "CaseDetail",
    "ColumnDetails",
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


class ColumnDetails(Sequence[CaseDetail]):
    """The details of one adapter's rows, made from a run's columns when asked for: a
    comparison shows those of its flipped cases only."""

    def __init__(self, records: RecordColumns, rows: list[int]) -> None:
        self._records = records
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> CaseDetail: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CaseDetail]: ...
    def __getitem__(self, index: int | slice) -> CaseDetail | Sequence[CaseDetail]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        row = self._rows[index]
        r = self._records
        error = r.error[row]
        failing = tuple(
            (m.name, m.reason) for m in r.expectations[row] if not m.passed and m.measured
        )
        return CaseDetail(
            output=r.output[row], failing=failing, error=None if error is None else error.text
        )


@dataclass
class AdapterRecords:
    """One adapter's counted records: the engine's table and, per row, the record's details."""

    name: str
    builder: FrameBuilder = field(default_factory=FrameBuilder)
    details: Sequence[CaseDetail] = field(default_factory=list)
    _frame: pd.DataFrame | None = None

    @classmethod
    def of_columns(
        cls, name: str, records: RecordColumns, rows: list[int], frame: pd.DataFrame
    ) -> AdapterRecords:
        """The adapter's ``rows`` of a run's columns; ``frame``: their :func:`column_frames`."""
        return cls(name, FrameBuilder.of_frame(frame), ColumnDetails(records, rows), frame)

    def add(self, record: CaseRecord | RecordView) -> None:
        details = self.details
        if not isinstance(details, list):
            raise ValueError(f"{self.name}: these records were read as columns; add none")
        row = self.builder.add(record)
        detail = _detail(record)
        if row == len(details):
            details.append(detail)
        else:
            details[row] = detail

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
    # the reports' one read (a torn last line skipped, damage reported by line); a key found
    # twice keeps its latest record
    records = read_columns(path)
    frames = column_frames(records)
    rows: dict[int, list[int]] = {}
    for row, a in enumerate(records.adapter):
        rows.setdefault(a, []).append(row)
    # the manifest's order (judges left out), then adapters only the records name
    order = [a.name for a in manifest.adapters if a.role != "judge"]
    order += [name for name in records.adapters if name not in order]
    adapters = {
        name: AdapterRecords.of_columns(
            name, records, rows[records.adapters.index(name)], frames[name]
        )
        for name in order
        if name in frames
    }
    read = records.records_read
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
