"""A run's counted records as columns, read from ``results.jsonl`` in one pass.

Every report of a run (the summary, the drill-down of ``report.html``, ``summary.json``,
the charts, the in-run paired engine) and each side of ``harness compare`` read the same
records; parsing 400,000 lines into full ``CaseRecord`` models is most of a report's time,
and most of each line (chunk stamps, token counts) is never read by a report. So the file is
read once, here: each line is decoded by msgspec into a :class:`RecordRow` of the fields
reports use (the others are skipped without being built), and the counted records (the
latest of each (case_id, adapter, repeat), in the place of the first, as ``counting``
defines) are kept as columns.

A line msgspec rejects (``"passed": 1``, ``NaN``: JSON that pydantic's lax mode takes) is
parsed by ``CaseRecord`` instead, so it is read as :func:`~harness.records.store.read_records`
reads it, and a line that is no record raises the same ``ResultsCorruptError`` naming the
file and line. Unknown fields are ignored, as by ``CaseRecord``; fields no report reads are
not type-checked.
"""

from __future__ import annotations

import contextlib
import gc
import math
from array import array
from collections.abc import Iterable, Iterator, MutableSequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from harness.records.jsonl import iter_jsonl
from harness.records.models import CaseRecord
from harness.records.store import RESULTS_FILE, DuplicateRecords, RecordKey

__all__ = [
    "ErrorRow",
    "ExpectationRow",
    "RecordColumns",
    "RecordRow",
    "gc_paused",
    "iter_rows",
    "parse_row",
    "read_columns",
    "row_of",
]

_NAN = math.nan


class ExpectationRow(msgspec.Struct, frozen=True, gc=False):
    """One expectation's verdict, as ``MetricResult`` (``threshold`` is not read)."""

    name: str
    passed: bool
    score: float | None = None
    reason: str = ""
    measured: bool = True


class ErrorRow(msgspec.Struct, frozen=True, gc=False):
    """Why a request failed, as ``ErrorInfo``."""

    type: str
    message: str
    status: int | None = None
    origin: Literal["adapter", "judge"] = "adapter"

    @property
    def text(self) -> str:
        """``type: message (HTTP status)``, as the reports show an error."""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.type}: {self.message}{status}"


class _TimingRow(msgspec.Struct, frozen=True, gc=False):
    itl_mean_ms: float | None = None


class RecordRow(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """The fields of a ``CaseRecord`` the reports read, by the same names and types.

    ``run_id`` and ``started_at`` are not read, but a line without them is no record (as for
    ``CaseRecord``), so they are required here too.
    """

    run_id: str
    case_id: str
    adapter: str
    prompt: str
    output: str | None
    passed: bool
    started_at: str
    repeat: int = 0
    cluster: str | None = None
    expectations: tuple[ExpectationRow, ...] = ()
    latency_ms: float | None = None
    ttft_ms: float | None = None
    streaming_emulated: bool = False
    tokens_per_s: float | None = None
    attempts: int = 1
    cached: bool = False
    timing_source: str | None = None
    timing: _TimingRow | None = None
    error: ErrorRow | None = None
    tags: tuple[str, ...] = ()


_DECODER = msgspec.json.Decoder(RecordRow)


def row_of(record: CaseRecord) -> RecordRow:
    """The row of a validated record (records built in memory, or a line only pydantic takes)."""
    error = record.error
    timing = record.timing
    return RecordRow(
        run_id=record.run_id,
        case_id=record.case_id,
        adapter=record.adapter,
        prompt=record.prompt,
        output=record.output,
        passed=record.passed,
        started_at=record.started_at,
        repeat=record.repeat,
        cluster=record.cluster,
        expectations=tuple(
            ExpectationRow(m.name, m.passed, m.score, m.reason, m.measured)
            for m in record.expectations
        ),
        latency_ms=record.latency_ms,
        ttft_ms=record.ttft_ms,
        streaming_emulated=record.streaming_emulated,
        tokens_per_s=record.tokens_per_s,
        attempts=record.attempts,
        cached=record.cached,
        timing_source=record.timing_source,
        timing=None if timing is None else _TimingRow(timing.itl_mean_ms),
        error=None
        if error is None
        else ErrorRow(error.type, error.message, error.status, error.origin),
        tags=tuple(record.tags),
    )


def parse_row(raw: bytes) -> RecordRow:
    """One line of ``results.jsonl`` as a row; ValueError (pydantic's) when it is no record.

    msgspec is strict about types; what it rejects goes to ``CaseRecord``, which accepts what
    pydantic's lax mode accepts and otherwise raises the error ``read_records`` raises.
    """
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError:
        return row_of(CaseRecord.model_validate_json(raw))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small acyclic objects are made.

    Reading 100,000 records makes a few hundred thousand objects that live on; each full
    collection would scan them all again (about a third of the load time). Nothing made
    here forms a cycle, so nothing is left for the collector to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _float(value: float | None) -> float:
    return _NAN if value is None else value


@dataclass(eq=False)
class RecordColumns:
    """The counted records of a run, one list (or array) per field, in key first-seen order.

    Per case (``case_ids``, first-seen order): the prompt and tags of the case's first record
    in the file. Per counted record: the columns below; ``case`` and ``adapter`` index
    ``case_ids`` and ``adapters``; the float columns hold NaN where the record has null;
    ``prompt`` is None where the record's prompt is its case's (most records: one string per
    case instead of one per adapter). ``itl_mean_ms`` is the record's ``timing.itl_mean_ms``.
    """

    adapters: list[str] = field(default_factory=list)
    case_ids: list[str] = field(default_factory=list)
    case_prompts: list[str] = field(default_factory=list)
    case_tags: list[tuple[str, ...]] = field(default_factory=list)
    case: list[int] = field(default_factory=list)
    adapter: list[int] = field(default_factory=list)
    repeat: list[int] = field(default_factory=list)
    cluster: list[str | None] = field(default_factory=list)
    passed: list[bool] = field(default_factory=list)
    error: list[ErrorRow | None] = field(default_factory=list)
    expectations: list[tuple[ExpectationRow, ...]] = field(default_factory=list)
    latency_ms: array[float] = field(default_factory=lambda: array("d"))
    ttft_ms: array[float] = field(default_factory=lambda: array("d"))
    itl_mean_ms: array[float] = field(default_factory=lambda: array("d"))
    tokens_per_s: array[float] = field(default_factory=lambda: array("d"))
    streaming_emulated: list[bool] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    cached: list[bool] = field(default_factory=list)
    timing_source: list[str | None] = field(default_factory=list)
    output: list[str | None] = field(default_factory=list)
    prompt: list[str | None] = field(default_factory=list)
    position: array[int] = field(default_factory=lambda: array("q"))
    """The record's place among the lines read (0-based): the latest record's, for a key read
    more than once (where a key's record sits in the file, as against its row)."""
    records_read: int = 0
    """Lines read, superseded records included."""
    duplicates: DuplicateRecords = field(default_factory=DuplicateRecords)

    _patterns: tuple[list[int], list[tuple[ExpectationRow, ...]]] | None = field(
        default=None, init=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.case)

    def verdict_patterns(self) -> tuple[list[int], list[tuple[ExpectationRow, ...]]]:
        """(per record, the index of its expectations among the distinct ones; the distinct
        ones, first seen first). Equal expectation tuples are one object here (the read
        shares them), so a run's verdicts are counted per pattern, not per record."""
        if self._patterns is None:
            index: dict[int, int] = {}
            distinct: list[tuple[ExpectationRow, ...]] = []
            of_row = []
            for results in self.expectations:
                found = index.get(id(results))
                if found is None:
                    found = index[id(results)] = len(distinct)
                    distinct.append(results)
                of_row.append(found)
            self._patterns = (of_row, distinct)
        return self._patterns

    @property
    def superseded(self) -> int:
        """Records a later record of the same (case_id, adapter, repeat) replaced."""
        return self.records_read - len(self.case)

    def prompt_of(self, row: int) -> str:
        """The prompt of the record in ``row``."""
        own = self.prompt[row]
        return self.case_prompts[self.case[row]] if own is None else own

    def rows_of(self, adapter: str) -> list[int]:
        """The rows of one adapter, in order (empty when it has none)."""
        if adapter not in self.adapters:
            return []
        a = self.adapters.index(adapter)
        return [i for i, x in enumerate(self.adapter) if x == a]

    @classmethod
    def of_rows(cls, rows: Iterable[RecordRow]) -> RecordColumns:
        """The columns of ``rows`` (file order; a repeated key keeps its first place)."""
        return _Builder().build(rows)

    @classmethod
    def of_records(cls, records: Iterable[CaseRecord]) -> RecordColumns:
        """The columns of validated records (for records built in memory)."""
        return cls.of_rows(row_of(record) for record in records)


class _Builder:
    """Appends rows to columns; a key seen before overwrites its row in place."""

    def __init__(self) -> None:
        self.columns = RecordColumns()
        self._cases: dict[str, int] = {}
        self._adapters: dict[str, int] = {}
        self._rows: dict[tuple[int, int, int], int] = {}
        self._twice: set[tuple[int, int, int]] = set()
        self._example: RecordKey | None = None
        # one object per distinct value: most records repeat their expectations' verdicts
        # and timing source, and each decoded line would otherwise hold its own copies
        self._shared: dict[object, object] = {}

    def build(self, rows: Iterable[RecordRow]) -> RecordColumns:
        c = self.columns
        cases, adapters, at_key = self._cases, self._adapters, self._rows
        share = self._shared.setdefault
        # the per-record columns, in the order of ``_values``
        targets: tuple[MutableSequence[Any], ...] = (
            c.case,
            c.adapter,
            c.repeat,
            c.cluster,
            c.passed,
            c.error,
            c.expectations,
            c.latency_ms,
            c.ttft_ms,
            c.itl_mean_ms,
            c.tokens_per_s,
            c.streaming_emulated,
            c.attempts,
            c.cached,
            c.timing_source,
            c.output,
            c.prompt,
            c.position,
        )
        (
            add_case,
            add_adapter,
            add_repeat,
            add_cluster,
            add_passed,
            add_error,
            add_expectations,
            add_latency,
            add_ttft,
            add_itl,
            add_tps,
            add_emulated,
            add_attempts,
            add_cached,
            add_source,
            add_output,
            add_prompt,
            add_position,
        ) = (t.append for t in targets)
        read = 0
        for row in rows:
            read += 1
            n = cases.get(row.case_id)
            if n is None:  # the case's first record: its prompt and tags are the case's
                n = cases[row.case_id] = len(c.case_ids)
                c.case_ids.append(row.case_id)
                c.case_prompts.append(row.prompt)
                c.case_tags.append(row.tags)
            a = adapters.get(row.adapter)
            if a is None:
                a = adapters[row.adapter] = len(c.adapters)
                c.adapters.append(row.adapter)
            key = (n, a, row.repeat)
            place = at_key.get(key)
            if place is not None:  # the latest record of a key wins, in the first one's place
                values = self._values(row, n, a, read - 1)
                for target, value in zip(targets, values, strict=True):
                    target[place] = value
                self._twice.add(key)
                if self._example is None:
                    self._example = (row.case_id, row.adapter, row.repeat)
                continue
            at_key[key] = len(c.case)
            # one statement per column (not a loop over them): this runs once per line
            timing = row.timing
            prompt = row.prompt
            add_case(n)
            add_adapter(a)
            add_repeat(row.repeat)
            add_cluster(row.cluster)
            add_passed(row.passed)
            add_error(row.error)
            add_expectations(share(row.expectations, row.expectations))
            add_latency(_float(row.latency_ms))
            add_ttft(_float(row.ttft_ms))
            add_itl(_NAN if timing is None else _float(timing.itl_mean_ms))
            add_tps(_float(row.tokens_per_s))
            add_emulated(row.streaming_emulated)
            add_attempts(row.attempts)
            add_cached(row.cached)
            add_source(share(row.timing_source, row.timing_source))
            add_output(row.output)
            add_prompt(None if prompt == c.case_prompts[n] else prompt)
            add_position(read - 1)
        self._shared.clear()
        c.records_read = read
        superseded = read - len(c.case)
        c.duplicates = DuplicateRecords(superseded, len(self._twice), self._example)
        return c

    def _values(self, row: RecordRow, n: int, a: int, position: int) -> tuple[object, ...]:
        """``row`` as the values of ``targets``, in their order."""
        timing = row.timing
        prompt = row.prompt
        return (
            n,
            a,
            row.repeat,
            row.cluster,
            row.passed,
            row.error,
            row.expectations,
            _float(row.latency_ms),
            _float(row.ttft_ms),
            _NAN if timing is None else _float(timing.itl_mean_ms),
            _float(row.tokens_per_s),
            row.streaming_emulated,
            row.attempts,
            row.cached,
            row.timing_source,
            row.output,
            None if prompt == self.columns.case_prompts[n] else prompt,
            position,
        )


def iter_rows(run_dir: Path) -> Iterator[RecordRow]:
    """The rows of ``run_dir/results.jsonl`` in file order, streamed (memory stays flat);
    superseded records included. Raises as :func:`read_columns`."""
    return iter_jsonl(run_dir / RESULTS_FILE, parse_row)


def read_columns(run_dir: Path) -> RecordColumns:
    """The counted records of ``run_dir/results.jsonl`` as columns: one streamed pass.

    A torn last line is skipped (as by every reader); a missing file gives no records.

    Raises:
        ResultsCorruptError: a damaged line that is not the last one, or a line that is no
            record (the message names the file, the line and the field at fault).
    """
    with gc_paused():  # tuples and strings only: nothing here forms a cycle
        return RecordColumns.of_rows(iter_rows(run_dir))
