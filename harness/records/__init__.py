"""Records on disk: what a run writes and everything that reads or rewrites it.

``models`` (the record and manifest types: the contract between the runner and everything
after it), ``store`` (``results.jsonl`` and ``run.json``, appended and flushed per record),
``merge`` (joining shard runs into one), ``cassette`` (requests and answers, replayable).
This package sits below the suite, the adapters and the runner: it imports none of them.
"""

from harness.records.models import (
    RECORD_SCHEMA_VERSION,
    AdapterInfo,
    CaseRecord,
    ErrorInfo,
    MetricResult,
    RunManifest,
    Timing,
)

__all__ = [
    "AdapterInfo",
    "CaseRecord",
    "ErrorInfo",
    "MetricResult",
    "RECORD_SCHEMA_VERSION",
    "RunManifest",
    "Timing",
]
