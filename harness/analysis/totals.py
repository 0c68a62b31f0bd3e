"""Per-adapter totals in one streaming pass over a run's records: the CLI's summary table.

Unlike ``summarize`` (which keeps a row per record for the reports), this keeps only counters
and an array of floats per adapter, so a 100,000-record run summarises in a few MB. What
counts is defined once, in ``counting``, for this and ``summarize``: a key (case_id, adapter,
repeat) found more than once counts once, with its latest record (the copies are reported in
``RunTotals.duplicates``); ``cases`` are distinct case ids, ``records`` the requests counted.
Lines are decoded as the reports decode them (``records.columns.iter_rows``: msgspec).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.analysis.counting import CaseIndex, CaseTally
from harness.percentiles import percentile
from harness.records.columns import RecordRow, iter_rows
from harness.records.store import DuplicateRecords, RecordKey, read_manifest

__all__ = ["AdapterTotals", "RunTotals", "adapter_totals", "run_totals"]


@dataclass
class AdapterTotals:
    """Counts and latency percentiles of one adapter's records.

    ``errored`` counts every errored record; ``judge_errored`` those among them whose judge,
    not the adapter, failed: the adapter answered (its times count), but the case was not
    graded, so the pass rate leaves it out instead of counting it as failed.
    """

    name: str
    records: int = 0
    passed: int = 0
    errored: int = 0
    judge_errored: int = 0
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))
    ttfts_ms: array[float] = field(default_factory=lambda: array("d"))
    ttft_emulated: bool = True
    tally: CaseTally = field(default_factory=CaseTally)  # per case: the cases and pass rate

    @property
    def cases(self) -> int:
        """Distinct case ids (a case repeated N times is one case and N ``records``)."""
        return self.tally.cases

    @property
    def graded(self) -> int:
        """Records with a verdict: all but those whose judge could not answer."""
        return self.records - self.judge_errored

    @property
    def pass_rate(self) -> float | None:
        """The mean of the cases' pass shares (``counting``), as the reports give it."""
        return self.tally.pass_rate

    @property
    def never_answered(self) -> bool:
        """Every request to this adapter failed: not a measurement of it, a broken adapter."""
        return self.records > 0 and self.errored - self.judge_errored == self.records

    def latency(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q)

    def ttft(self, q: float) -> float | None:
        return percentile(self.ttfts_ms, q)

    def add(self, record: _Counted) -> None:
        self.records += 1
        self.tally.add(record.case_id, passed=record.passed, graded=not record.judge_errored)
        self.passed += record.passed
        if record.errored:
            self.errored += 1
            if not record.judge_errored:
                return
            self.judge_errored += 1  # answered: its times are the adapter's
        if record.latency_ms is not None:
            self.latencies_ms.append(record.latency_ms)
        if record.ttft_ms is not None:
            self.ttfts_ms.append(record.ttft_ms)
            self.ttft_emulated = self.ttft_emulated and record.streaming_emulated


@dataclass(frozen=True)
class _Counted:
    """The part of a record the totals count (a duplicate key's copies keep only this)."""

    adapter: str
    case_id: str
    passed: bool
    errored: bool
    latency_ms: float | None
    ttft_ms: float | None
    streaming_emulated: bool
    judge_errored: bool = False

    @classmethod
    def of(cls, record: RecordRow) -> _Counted:
        return cls(
            record.adapter,
            record.case_id,
            record.passed,
            record.error is not None,
            record.latency_ms,
            record.ttft_ms,
            record.streaming_emulated,
            record.error is not None and record.error.origin == "judge",
        )


@dataclass
class RunTotals:
    """The totals of every adapter, and the records superseded by a later copy of their key."""

    adapters: list[AdapterTotals]
    duplicates: DuplicateRecords = field(default_factory=DuplicateRecords)

    @property
    def never_answered(self) -> list[AdapterTotals]:
        return [a for a in self.adapters if a.never_answered]


def _totals_of(totals: dict[str, AdapterTotals], name: str) -> AdapterTotals:
    """``totals[name]``, made on first use (not per record, as ``setdefault`` would)."""
    found = totals.get(name)
    if found is None:
        found = totals[name] = AdapterTotals(name)
    return found


def _count(
    records: Iterable[RecordRow], totals: dict[str, AdapterTotals], suspects: set[int]
) -> tuple[set[int], DuplicateRecords]:
    """Add ``records`` to ``totals``, the latest record per key for keys hashed in ``suspects``.

    Returns the hashes of keys seen more than once (when ``suspects`` is empty, a first pass
    that needs no memory per key beyond a hash) and the duplicates found among the suspects.
    """
    seen: set[int] = set()
    again: set[int] = set()
    latest: dict[RecordKey, _Counted] = {}
    copies: dict[RecordKey, int] = {}
    example: RecordKey | None = None
    for record in records:
        key = (record.case_id, record.adapter, record.repeat)  # the latest record of a key counts
        h = hash(key)
        if h in suspects:
            latest[key] = _Counted.of(record)
            copies[key] = copies.get(key, 0) + 1
            if copies[key] == 2 and example is None:
                example = key
            continue
        if h in seen:
            again.add(h)
        seen.add(h)
        name = record.adapter
        _totals_of(totals, name).add(_Counted.of(record))
    for counted in latest.values():
        _totals_of(totals, counted.adapter).add(counted)
    superseded = sum(copies.values()) - len(latest)
    keys = sum(1 for n in copies.values() if n > 1)
    return again, DuplicateRecords(superseded, keys, example)


def run_totals(run_dir: Path) -> RunTotals:
    """Totals per candidate adapter, in the manifest's order (judges left out).

    One pass over the records; a second one only when a key occurs more than once, which
    then counts the latest record of each such key (as ``summarize`` does).
    """
    manifest = read_manifest(run_dir)
    candidates = [a.name for a in manifest.adapters if a.role != "judge"]

    def fresh() -> dict[str, AdapterTotals]:
        index = CaseIndex()  # one copy of each case id for all adapters
        return {name: AdapterTotals(name, tally=CaseTally(index)) for name in candidates}

    totals = fresh()
    again, _ = _count(iter_rows(run_dir), totals, set())
    if not again:
        return RunTotals(list(totals.values()))
    totals = fresh()
    _, duplicates = _count(iter_rows(run_dir), totals, again)
    return RunTotals(list(totals.values()), duplicates)


def adapter_totals(run_dir: Path) -> list[AdapterTotals]:
    """Totals per candidate adapter, in the manifest's order (judges left out)."""
    return run_totals(run_dir).adapters
