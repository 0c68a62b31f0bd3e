"""One adapter's records as a per-record table: the input of the paired statistics.

Columns are gathered as plain lists while the records stream by and turned into one
DataFrame at the end (never a row at a time), so 100,000 records load in well under a second
after parsing. Columns (the contract of ``harness.analysis.paired``): ``case_id``, ``repeat``,
``cluster``, ``passed``, ``errored`` (the adapter failed), ``missing`` (a judge failed, so the
record cannot be graded), ``latency_ms``, ``ttft_ms``, ``itl_ms``, ``tokens_per_s``,
``ttft_emulated`` and one ``score:<metric>`` per metric that gave a score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from harness.records import CaseRecord, ErrorInfo, MetricResult
from harness.records.columns import RecordColumns, gc_paused

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BASE_COLUMNS",
    "SCORE_PREFIX",
    "FrameBuilder",
    "RecordView",
    "column_frames",
    "metric_directions",
    "records_frame",
    "score_metrics",
    "gc_paused",
    "timing_measured",
]

SCORE_PREFIX = "score:"
"""A frame column named ``score:<metric>`` holds that metric's score (0..1) per record."""

BASE_COLUMNS = (
    "case_id",
    "repeat",
    "cluster",
    "passed",
    "errored",
    "missing",
    "latency_ms",
    "ttft_ms",
    "itl_ms",
    "tokens_per_s",
    "ttft_emulated",
)

_NAN = math.nan
_TIMED_SOURCES = frozenset({"measured", "replayed"})
_TIMING_COLUMNS = ("latency_ms", "ttft_ms", "itl_ms", "tokens_per_s")


class TimingView(BaseModel):
    """The part of a record's ``timing`` a comparison reads."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    itl_mean_ms: float | None = None


class RecordView(BaseModel):
    """The fields of a ``CaseRecord`` a comparison reads, by the same names and types.

    Parsing a results line into this instead of a whole CaseRecord skips the raw chunk stamps
    and the prompt, which halves the parse time of a 100,000-record run.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    adapter: str
    repeat: int = 0
    cluster: str | None = None
    output: str | None = None
    passed: bool
    expectations: list[MetricResult] = Field(default_factory=list)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    streaming_emulated: bool = False
    tokens_per_s: float | None = None
    cached: bool = False
    timing_source: str | None = None
    timing: TimingView | None = None
    error: ErrorInfo | None = None


def timing_measured(record: CaseRecord | RecordView) -> bool:
    """Whether this run measured the record's times (not cached, not copied from a cassette).

    ``timing_source`` is 'measured' or 'replayed' for timed records; a record older than that
    field (null there) counts as measured unless it was served from the cache.
    """
    if record.cached:
        return False
    source = record.timing_source
    return source is None or source in _TIMED_SOURCES


def _scores(record: CaseRecord | RecordView) -> dict[str, float]:
    """Metric name -> mean score of its measured results on this record (two `contains`: mean)."""
    return _pattern_scores(record.expectations)


def _float(value: float | None) -> float:
    return _NAN if value is None else float(value)


class FrameBuilder:
    """Collects one adapter's records row by row; :meth:`frame` makes the DataFrame.

    A (case_id, repeat) added twice keeps its first row position and takes the later record,
    as every reader of ``results.jsonl`` does, so a stream with superseded records still
    gives one row per counted record. Rows are plain tuples (one append per record), turned
    into columns once at the end.
    """

    def __init__(self) -> None:
        self._index: dict[tuple[str, int], int] = {}
        self._rows: list[tuple[object, ...]] = []
        self._scores: list[dict[str, float]] = []
        self._built: pd.DataFrame | None = None

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> FrameBuilder:
        """A builder whose table is made already (:func:`column_frames`); it takes no records."""
        builder = cls()
        builder._built = frame
        return builder

    def __len__(self) -> int:
        return len(self._rows) if self._built is None else len(self._built)

    def add(self, record: CaseRecord | RecordView) -> int:
        """Add ``record`` (or replace the earlier record of its key); its row index."""
        if self._built is not None:
            raise ValueError("this table was built from columns; it takes no records")
        error = record.error
        origin = None if error is None else getattr(error, "origin", "adapter")
        errored = error is not None and origin != "judge"
        timed = not errored and timing_measured(record)
        timing = record.timing
        values = (
            record.case_id,
            record.repeat,
            getattr(record, "cluster", None),
            record.passed and not errored,
            errored,
            origin == "judge",
            _float(record.latency_ms) if timed else _NAN,
            _float(record.ttft_ms) if timed else _NAN,
            _float(timing.itl_mean_ms) if timed and timing is not None else _NAN,
            _float(record.tokens_per_s) if timed else _NAN,
            record.streaming_emulated,
        )
        key = (record.case_id, record.repeat)
        row = self._index.get(key)
        if row is None:
            row = self._index[key] = len(self._rows)
            self._rows.append(values)
            self._scores.append(_scores(record))
        else:
            self._rows[row] = values
            self._scores[row] = _scores(record)
        return row

    def score_names(self) -> list[str]:
        """Metrics that gave a score on at least one row, sorted."""
        if self._built is not None:
            return score_metrics(self._built)
        return sorted({name for scores in self._scores for name in scores})

    def frame(self) -> pd.DataFrame:
        """The table: one DataFrame built from whole columns (fast at 100,000 rows)."""
        import pandas as pd

        if self._built is not None:
            return self._built

        with gc_paused():  # 11 columns of 100,000 values each: no cycles among them
            columns = list(zip(*self._rows, strict=True)) or [()] * len(BASE_COLUMNS)
        c = dict(zip(BASE_COLUMNS, columns, strict=True))
        data: dict[str, Any] = {  # Any: pandas-stubs type Series by element
            "case_id": pd.Series(c["case_id"], dtype=object),
            "repeat": pd.Series(c["repeat"], dtype="int64"),
            "cluster": pd.Series(c["cluster"], dtype=object),
            "passed": pd.Series(c["passed"], dtype=bool),
            "errored": pd.Series(c["errored"], dtype=bool),
            "missing": pd.Series(c["missing"], dtype=bool),
        }
        for name in _TIMING_COLUMNS:
            data[name] = pd.Series(c[name], dtype="float64")
        data["ttft_emulated"] = pd.Series(c["ttft_emulated"], dtype=bool)
        for name in self.score_names():
            data[SCORE_PREFIX + name] = pd.Series(
                [scores.get(name, _NAN) for scores in self._scores], dtype="float64"
            )
        frame: pd.DataFrame = pd.DataFrame(data)
        return frame


def records_frame(records: Iterable[CaseRecord | RecordView]) -> pd.DataFrame:
    """One adapter's records as the paired engine's table (one row per record).

    The caller's reader has dropped superseded records; a (case_id, repeat) that still comes
    twice keeps the later record. Timings are NaN for errored records and for records whose
    times this run did not measure (cached, or replayed instantly: ``timing_source``
    'recorded'); scores are NaN where the metric gave none or was not measured.
    """
    builder = FrameBuilder()
    for record in records:
        builder.add(record)
    return builder.frame()


def _score_columns(columns: RecordColumns) -> dict[str, tuple[Any, Any]]:
    """Metric name -> (score, given) per record: the mean of the metric's measured scores on
    the record (NaN where none) as :func:`_scores` gives it, and whether it gave one. Worked
    out once per distinct set of expectations (:meth:`RecordColumns.verdict_patterns`), then
    spread over the records."""
    import numpy as np

    of_row, patterns = columns.verdict_patterns()
    found: dict[str, tuple[Any, Any]] = {}
    for p, results in enumerate(patterns):
        for name, score in _pattern_scores(results).items():
            if name not in found:
                found[name] = (np.full(len(patterns), _NAN), np.zeros(len(patterns), dtype=bool))
            found[name][0][p] = score
            found[name][1][p] = True
    rows = np.array(of_row, dtype=np.intp)
    return {name: (values[rows], given[rows]) for name, (values, given) in found.items()}


def _pattern_scores(results: Iterable[Any]) -> dict[str, float]:
    """Metric name -> mean score of its measured results among ``results`` (one record's)."""
    sums: dict[str, list[float]] = {}
    for result in results:
        if result.score is None or not result.measured:
            continue
        acc = sums.setdefault(result.name, [0.0, 0.0])
        acc[0] += result.score
        acc[1] += 1.0
    return {name: total / count for name, (total, count) in sums.items()}


def column_frames(columns: RecordColumns) -> dict[str, pd.DataFrame]:
    """Each adapter's table from a run's shared columns (the same values :class:`FrameBuilder`
    gives for the same records), in the columns' adapter order; whole-column numpy, no loop
    per record but the scores'."""
    import numpy as np
    import pandas as pd

    origin = np.array(
        [0 if e is None else (2 if e.origin == "judge" else 1) for e in columns.error],
        dtype=np.int8,
    )
    errored = origin == 1
    measured = np.array(
        [
            not c and (s is None or s in _TIMED_SOURCES)
            for c, s in zip(columns.cached, columns.timing_source, strict=True)
        ],
        dtype=bool,
    )
    timed = ~errored & measured

    def floats(values: Any) -> Any:
        return np.where(timed, np.frombuffer(values, dtype=np.float64), _NAN)

    every: dict[str, Any] = {
        "case_id": np.array(columns.case_ids, dtype=object)[np.array(columns.case, dtype=np.intp)],
        "repeat": np.array(columns.repeat, dtype=np.int64),
        "cluster": np.array(columns.cluster, dtype=object),
        "passed": np.array(columns.passed, dtype=bool) & ~errored,
        "errored": errored,
        "missing": origin == 2,
        "latency_ms": floats(columns.latency_ms),
        "ttft_ms": floats(columns.ttft_ms),
        "itl_ms": floats(columns.itl_mean_ms),
        "tokens_per_s": floats(columns.tokens_per_s),
        "ttft_emulated": np.array(columns.streaming_emulated, dtype=bool),
    }
    scores = _score_columns(columns)
    adapter = np.array(columns.adapter, dtype=np.intp)
    frames = {}
    for a, name in enumerate(columns.adapters):
        picked = np.flatnonzero(adapter == a)
        data: dict[str, Any] = {
            key: pd.Series(values[picked], dtype=values.dtype) for key, values in every.items()
        }
        for metric in sorted(scores):
            column, given = scores[metric]
            if given[picked].any():
                data[SCORE_PREFIX + metric] = pd.Series(column[picked], dtype="float64")
        frames[name] = pd.DataFrame(data)
    return frames


def score_metrics(frame: pd.DataFrame) -> list[str]:
    """The metric names of a frame's ``score:<metric>`` columns."""
    return [str(c)[len(SCORE_PREFIX) :] for c in frame.columns if str(c).startswith(SCORE_PREFIX)]


def metric_directions(records: Iterable[CaseRecord] | Iterable[str]) -> dict[str, bool]:
    """Metric name -> ``higher_is_better`` from the metrics registry (True when unknown).

    Takes records (every metric that gave a score) or metric names directly (for instance
    :func:`score_metrics` of a frame).
    """
    names: set[str] = set()
    for item in records:
        if isinstance(item, str):
            names.add(item)
        else:
            names.update(_scores(item))
    return {name: _higher_is_better(name) for name in sorted(names)}


def _higher_is_better(name: str) -> bool:
    from harness.metrics import metrics

    if name not in metrics:
        return True
    return bool(metrics.get(name).higher_is_better)
