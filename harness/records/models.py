"""What a run writes: one CaseRecord per (case, adapter), and the run's manifest.

These are the contract between the runner and everything after it (analysis, reports,
gates): reports are rebuilt from records on disk, never from live objects.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdapterInfo",
    "CaseRecord",
    "ErrorInfo",
    "MetricResult",
    "RECORD_SCHEMA_VERSION",
    "RunManifest",
    "Timing",
]

RECORD_SCHEMA_VERSION = 1


def _absent(value: object) -> bool:
    """Optional fields written only when set: older readers and golden files see no change."""
    return value is None


class MetricResult(BaseModel):
    """The verdict of one expectation on one output."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    score: float | None = Field(default=None, description="0..1 where the metric has a score")
    threshold: float | None = None
    reason: str = Field(default="", description="Why it failed: what was expected, what came")
    measured: bool = Field(
        default=True,
        description="False when the check could not be made because what it bounds was not "
        "measured in this run (a latency or TTFT bound on a reply replayed without its timing, "
        "or served from the cache): it is then neither a pass nor a fail (passed is true, "
        "reason says why) and counts in neither the case's verdict nor the pass rates",
    )


class Timing(BaseModel):
    """Raw monotonic timestamps (``time.perf_counter_ns``) and what is derived from them."""

    sent_ns: int
    first_chunk_ns: int | None = None
    end_ns: int
    chunk_ns: list[int] = Field(default_factory=list)
    latency_ms: float
    ttft_ms: float | None = None
    streaming_emulated: bool = Field(
        default=False,
        description="True when the adapter returned the whole text as one chunk, so TTFT is "
        "the full latency, not a true time to first token",
    )
    itl_mean_ms: float | None = Field(default=None, description="Mean gap between chunks")
    itl_p50_ms: float | None = None
    itl_max_ms: float | None = None


class ErrorInfo(BaseModel):
    """Why a request failed; ``message`` never contains a token."""

    type: str
    message: str
    status: int | None = None
    origin: Literal["adapter", "judge"] = Field(
        default="adapter",
        description="Who failed: 'adapter' (the case's own request: the case counts as failed) "
        "or 'judge' (the adapter answered, but an llm_judge adapter could not grade it after "
        "its retries: output, timings and other checks are kept, and pass rates and "
        "comparisons leave the case out as missing, not failed); 'adapter' in older records",
    )


class CaseRecord(BaseModel):
    """One case sent to one adapter: its output, verdicts and timings."""

    schema_version: int = RECORD_SCHEMA_VERSION
    run_id: str
    case_id: str
    adapter: str
    repeat: int = Field(default=0, description="0-based index when a case is sent N times")
    cluster: str | None = Field(
        default=None,
        description="The case's cluster (cases sharing a context), from the suite's 'cluster' "
        "key or a dataset column mapped to it; null when none",
    )
    prompt: str
    output: str | None
    passed: bool
    score: float | None = Field(
        default=None, description="Weighted mean of the expectations' scores (0..1)"
    )
    expectations: list[MetricResult] = Field(default_factory=list)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    streaming_emulated: bool = Field(
        default=False,
        description="True when the reply came in one piece (declared by the adapter or seen in "
        "the stamps), so ttft_ms is the full latency, not a true time to first token",
    )
    streaming_emulated_by: Literal["adapter", "observed"] | None = Field(
        default=None,
        description="Why streaming_emulated is true: 'adapter' (the adapter declares it cannot "
        "stream) or 'observed' (one content chunk of more than one word, or every chunk within "
        "1 ms after a wait of 10 ms or more); null when not emulated or in records older than "
        "this field",
    )
    output_chars: int = 0
    output_tokens: int | None = None
    output_tokens_source: str | None = Field(
        default=None, description="usage (reported by the adapter), tiktoken, or estimate"
    )
    tokens_per_s: float | None = Field(default=None, description="Output tokens / latency")
    decode_tokens_per_s: float | None = Field(
        default=None, description="(tokens - 1) / time after the first chunk (true streaming)"
    )
    attempts: int = Field(default=1, description="Requests sent, retries included")
    queue_wait_ms: float = Field(
        default=0.0,
        description="Time the harness held the request back (concurrency slot, rate limit, "
        "thread): not part of latency",
    )
    seq: int = Field(default=0, description="Position in the run's (seeded) plan")
    cached: bool = Field(
        default=False,
        description="Served from the response cache: no request was sent, nothing was timed",
    )
    replayed: bool = Field(
        default=False,
        description="Served from a cassette by a `replay` adapter: no model was asked",
    )
    timing_source: str | None = Field(
        default=None,
        description="Where latency_ms, ttft_ms and timing come from: 'measured' (this run's "
        "stamps), 'replayed' (a replay adapter reproduced the recorded gaps; the stamps are "
        "this run's, the recorded times lower bounds) or 'recorded' (copied from the cassette "
        "of a replay without its timing: not measured in this run, stamps relative to 0); "
        "null when nothing was timed (cached) or in records older than this field",
    )
    finish_reason: str | None = None
    timing: Timing | None = None
    error: ErrorInfo | None = None
    started_at: str = Field(description="ISO-8601 wall-clock time the request was sent")
    tags: list[str] = Field(default_factory=list)
    # Distributed runs only (absent from a local run's records, so their lines are unchanged).
    worker: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="The worker that sent the request and timed it (a Ray run: 'ray-0'...); "
        "absent when the run had one process",
    )
    host: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="The host name of the machine the worker ran on (distributed runs only)",
    )


class AdapterInfo(BaseModel):
    """An adapter as the manifest records it: its options, secrets redacted."""

    name: str
    type: str
    model: str
    served_by: str | None = None
    role: str = "candidate"
    options: dict[str, Any] = Field(default_factory=dict)
    streaming_emulated: bool = False
    cassette: str | None = Field(
        default=None,
        description="The cassette a `replay` adapter served its answers from (no model was asked)",
    )
    replay_timing: str | None = Field(
        default=None,
        description="A replay adapter's timing: 'recorded' (the recorded gaps reproduced) or "
        "'instant' (answers at once; the records copy the recorded times)",
    )


class RunManifest(BaseModel):
    """``run.json``: what was run, where, with what, and when."""

    schema_version: int = RECORD_SCHEMA_VERSION
    run_id: str
    suite_name: str
    suite_path: str
    suite_sha256: str
    description: str = ""
    harness_version: str
    adapters: list[AdapterInfo]
    case_count: int
    started_at: str
    finished_at: str | None = None
    status: str = "running"
    versions: dict[str, str] = Field(default_factory=dict)
    execution: dict[str, Any] = Field(
        default_factory=dict, description="Concurrency, rate limits, retries, seed, warm-up"
    )
    shard: str | None = Field(default=None, description="'I/N' when this run is one shard")
    shards: list[dict[str, Any]] = Field(
        default_factory=list, description="The shard runs merged into this one"
    )
    resumed_at: list[str] = Field(default_factory=list, description="When --resume continued it")
    harness_lag: dict[str, Any] = Field(
        default_factory=dict,
        description="The harness's own lag (event loop, queueing), to tell it from the model's",
    )
    machine: dict[str, Any] = Field(default_factory=dict)
    emulator: dict[str, Any] | None = None
    startup: dict[str, Any] | None = Field(
        default=None,
        description="How long the harness took to send its first counted request: "
        "first_request_ms from launch, where 'from' says what launch is ('process start' as the "
        "OS records it, to 10 ms; else 'harness import' or 'runner import'), and "
        "since_run_suite_ms from the run_suite() call. In a long-lived process (a notebook, "
        "pytest) launch is the process's, so only since_run_suite_ms is this run's own. "
        "Warm-up requests do not count; null when nothing was sent.",
    )
