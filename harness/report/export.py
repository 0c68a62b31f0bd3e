"""``harness export``: a run's records as one flat table (Parquet or CSV) for pandas and sheets.

One row per counted record, that is per case x adapter x repeat: a (case_id, adapter, repeat)
found twice keeps its latest record, as ``analysis.counting`` defines for every figure. Each
expectation becomes three columns, ``expect:<name>:passed``, ``expect:<name>:score`` and
``expect:<name>:reason``; a second expectation of the same name in a record is ``<name>#2``.
The records on disk are already scrubbed of secrets; CSV text goes through ``write_text``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.analysis.counting import record_key_of
from harness.errors import HarnessError
from harness.records import CaseRecord
from harness.records.store import MANIFEST_FILE, RecordKey, read_records
from harness.report.files import write_file, write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BASE_COLUMNS", "EXPECT_PREFIX", "ExportFormat", "export_run", "records_table"]

ExportFormat = Literal["parquet", "csv"]
EXPECT_PREFIX = "expect:"

BASE_COLUMNS = (
    "run_id",
    "case_id",
    "adapter",
    "repeat",
    "cluster",
    "tags",
    "outcome",
    "passed",
    "score",
    "prompt",
    "output",
    "latency_ms",
    "ttft_ms",
    "streaming_emulated",
    "itl_mean_ms",
    "itl_p50_ms",
    "itl_max_ms",
    "output_chars",
    "output_tokens",
    "tokens_per_s",
    "decode_tokens_per_s",
    "attempts",
    "queue_wait_ms",
    "cached",
    "replayed",
    "timing_source",
    "finish_reason",
    "started_at",
    "error_type",
    "error_message",
    "error_status",
    "error_origin",
)
"""The fixed columns, in order; the ``expect:`` columns follow in first-seen order."""

_FLOATS = frozenset(
    {
        "score",
        "latency_ms",
        "ttft_ms",
        "itl_mean_ms",
        "itl_p50_ms",
        "itl_max_ms",
        "tokens_per_s",
        "decode_tokens_per_s",
        "queue_wait_ms",
    }
)
_INTS = frozenset({"repeat", "output_chars", "output_tokens", "attempts", "error_status"})
_BOOLS = frozenset({"passed", "streaming_emulated", "cached", "replayed"})


def _dtype(column: str) -> str:
    """pandas' nullable dtypes: an empty cell stays empty (NA), not 0 or False."""
    if column in _FLOATS or column.endswith(":score"):
        return "float64"
    if column in _INTS:
        return "Int64"
    if column in _BOOLS or column.endswith(":passed"):
        return "boolean"
    return "object"


def _outcome(record: CaseRecord) -> str:
    """pass, fail, error (the adapter failed) or missing (the judge could not grade it)."""
    if record.error is not None:
        return "missing" if record.error.origin == "judge" else "error"
    return "pass" if record.passed else "fail"


def _row(record: CaseRecord) -> dict[str, Any]:
    timing, error = record.timing, record.error
    row: dict[str, Any] = {
        "run_id": record.run_id,
        "case_id": record.case_id,
        "adapter": record.adapter,
        "repeat": record.repeat,
        "cluster": record.cluster,
        "tags": ";".join(record.tags),
        "outcome": _outcome(record),
        "passed": record.passed,
        "score": record.score,
        "prompt": record.prompt,
        "output": record.output,
        "latency_ms": record.latency_ms,
        "ttft_ms": record.ttft_ms,
        "streaming_emulated": record.streaming_emulated,
        "itl_mean_ms": timing.itl_mean_ms if timing else None,
        "itl_p50_ms": timing.itl_p50_ms if timing else None,
        "itl_max_ms": timing.itl_max_ms if timing else None,
        "output_chars": record.output_chars,
        "output_tokens": record.output_tokens,
        "tokens_per_s": record.tokens_per_s,
        "decode_tokens_per_s": record.decode_tokens_per_s,
        "attempts": record.attempts,
        "queue_wait_ms": record.queue_wait_ms,
        "cached": record.cached,
        "replayed": record.replayed,
        "timing_source": record.timing_source,
        "finish_reason": record.finish_reason,
        "started_at": record.started_at,
        "error_type": error.type if error else None,
        "error_message": error.message if error else None,
        "error_status": error.status if error else None,
        "error_origin": error.origin if error else None,
    }
    seen: dict[str, int] = {}
    for result in record.expectations:
        seen[result.name] = seen.get(result.name, 0) + 1
        name = result.name if seen[result.name] == 1 else f"{result.name}#{seen[result.name]}"
        prefix = f"{EXPECT_PREFIX}{name}:"
        row[prefix + "passed"] = result.passed
        row[prefix + "score"] = result.score
        row[prefix + "reason"] = result.reason
    return row


def records_table(records: Iterable[CaseRecord]) -> pd.DataFrame:
    """The counted records as a DataFrame: one row each, in first-seen order of their key."""
    import pandas as pd

    rows: dict[RecordKey, dict[str, Any]] = {}
    for record in records:
        rows[record_key_of(record)] = _row(record)  # a later record of a key replaces it
    base = set(BASE_COLUMNS)
    expect = list(dict.fromkeys(k for row in rows.values() for k in row if k not in base))
    columns = {
        name: pd.Series([row.get(name) for row in rows.values()], dtype=_dtype(name))
        for name in (*BASE_COLUMNS, *expect)
    }
    table: pd.DataFrame = pd.DataFrame(columns)
    return table


def export_run(run_dir: Path, fmt: ExportFormat, out: Path | None = None) -> tuple[Path, int]:
    """Write the run's table to ``out`` (default ``run_dir/records.<fmt>``); (path, rows).

    Raises:
        HarnessError: ``run_dir`` is not a run folder.
    """
    if not (run_dir / MANIFEST_FILE).is_file():
        raise HarnessError(f"{run_dir}: not a run folder (no {MANIFEST_FILE})")
    table = records_table(read_records(run_dir))
    path = out if out is not None else run_dir / f"records.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_text(path, table.to_csv(index=False, lineterminator="\n"))
    else:
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False, engine="pyarrow")
        write_file(path, buffer.getvalue())
    return path, len(table)
