"""``summary.json``: every figure of a run's summary table as a versioned, documented document.

The counts, pass rates and latency/TTFT samples are the run summary's (``summarize``, with
what counts defined in ``counting``); ITL, tokens/s, retries and metric scores come from the
paired engine's table of the same counted records (``summary_extras``). Nothing depends on
the clock or the machine, so rebuilding from the same records gives the same file.
docs/summary.md explains every key; docs/summary.schema.json is :func:`summary_schema_json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.compare import PairComparison
from harness.analysis.paired.frame import SCORE_PREFIX, metric_directions
from harness.analysis.summarize import AdapterSummary, Distribution, RunSummary
from harness.percentiles import percentile

if TYPE_CHECKING:
    import pandas as pd

    from harness.analysis.summary_extras import AdapterExtras

__all__ = [
    "SUMMARY_KIND",
    "SUMMARY_SCHEMA_VERSION",
    "AdapterFigures",
    "Figures",
    "Interval",
    "MetricFigure",
    "PairFigures",
    "RunInfo",
    "SummaryDocument",
    "build_summary_document",
    "describe",
    "summary_schema_json",
]

SUMMARY_SCHEMA_VERSION: Literal[1] = 1
SUMMARY_KIND: Literal["harness.summary"] = "harness.summary"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(_Model):
    """A point estimate with its two-sided 95% interval."""

    value: float
    low: float | None = Field(description="Lower bound; null when n is too small for one")
    high: float | None = Field(description="Upper bound; null when n is too small for one")
    n: int = Field(description="Observations the interval is over (cases, not requests)")
    method: str = Field(description="How the interval is made: 'wilson' or 't over cases'")


class Figures(_Model):
    """A sample of one measurement (ms or tokens/s): its count, mean and percentiles.

    Percentiles interpolate linearly between order statistics (numpy's default), as
    everywhere in the harness.
    """

    count: int
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float


class MetricFigure(_Model):
    """One metric's mean score (0..1): each case's repeats averaged first, then the cases."""

    name: str
    higher_is_better: bool
    mean: Interval


class ExpectationFigure(_Model):
    """How often one expectation passed, over the requests it was checked on."""

    name: str
    passed: int
    total: int
    pass_rate: float


class ErrorCount(_Model):
    """Errored requests of one kind (timeout, rate_limited, ...)."""

    kind: str
    count: int
    not_sent: int = Field(description="Recorded as errors without being sent")


class AdapterFigures(_Model):
    """One adapter's row of the summary table, and the figures behind its cells."""

    name: str
    type: str | None = Field(description="Adapter type; null for an adapter run.json lacks")
    model: str | None
    cases: int = Field(description="Distinct case ids (a case repeated N times is one case)")
    requests: int = Field(description="Records counted: one per repeat, superseded left out")
    graded_cases: int = Field(description="Cases with a verdict: the n of the pass rate")
    passed: int = Field(description="Requests that passed")
    failed: int = Field(description="Requests that did not pass (errored ones included)")
    errored: int = Field(description="Requests the adapter failed (error, timeout...)")
    judge_errored: int = Field(description="Requests not graded: their judge could not answer")
    pass_rate: Interval | None = Field(
        description="Mean of the cases' pass shares, Wilson interval over cases; null when "
        "no case was graded"
    )
    metrics: list[MetricFigure] = Field(description="Mean score of every metric that gave one")
    expectations: list[ExpectationFigure]
    latency_ms: Figures | None = Field(description="Of answered requests; null when none")
    ttft_ms: Figures | None
    ttft_emulated: Literal["no", "partly", "yes"] = Field(
        description="'yes' when the adapter did not stream (TTFT is the full latency), "
        "'partly' when some replies came in one piece"
    )
    ttft_emulated_requests: int = Field(description="Requests whose TTFT was emulated")
    itl_ms: Figures | None = Field(
        description="Each timed request's mean inter-token gap; null when nothing streamed"
    )
    tokens_per_s: Figures | None = Field(description="Output tokens / latency per request")
    retried_requests: int = Field(description="Counted requests that took more than one attempt")
    retries: int = Field(description="Attempts beyond the first, summed over requests")
    errors: list[ErrorCount] = Field(description="Errored requests by kind, most first")
    repeated_cases: int = Field(description="Cases sent more than once to this adapter")
    flaky_cases: int = Field(description="Repeated cases whose verdict changed between repeats")


class PairFigures(PairComparison):
    """Two adapters of the run on their shared cases: McNemar and the paired engine."""

    engine_verdict: str = Field(
        description="The paired engine's sentence (its figures' verdicts); '' without figures"
    )


class RunInfo(_Model):
    """Which run the figures are of (from run.json)."""

    run_id: str
    suite_name: str
    suite_path: str
    suite_sha256: str
    description: str
    status: str
    started_at: str
    finished_at: str | None
    harness_version: str = Field(description="The harness version that made the run")
    case_count: int = Field(description="Cases in the suite")
    records_read: int = Field(description="Records in results.jsonl")
    superseded_records: int = Field(
        description="Records replaced by a later record of the same (case_id, adapter, repeat)"
    )


class SummaryDocument(_Model):
    """``summary.json``: the summary table of one run, per adapter, and its pair verdicts."""

    schema_version: Literal[1] = SUMMARY_SCHEMA_VERSION
    kind: Literal["harness.summary"] = SUMMARY_KIND
    harness_version: str = Field(description="The harness version that wrote this file")
    run: RunInfo
    adapters: list[AdapterFigures] = Field(description="In run.json's order (judges left out)")
    pairs: list[PairFigures] = Field(description="Each pair of adapters, in-run")


def _figures(values: Sequence[float]) -> Figures | None:
    if not values:
        return None
    points = {q: percentile(values, q) for q in (50, 90, 95, 99)}
    return Figures(
        count=len(values),
        mean=math.fsum(values) / len(values),
        p50=points[50] or 0.0,
        p90=points[90] or 0.0,
        p95=points[95] or 0.0,
        p99=points[99] or 0.0,
        max=max(values),
    )


def _summarised(dist: Distribution | None, samples: Sequence[float]) -> Figures | None:
    """The summary's own figures of a sample, with the p95 the summary table does not keep."""
    if dist is None:
        return None
    return Figures(
        count=dist.count,
        mean=dist.mean,
        p50=dist.p50,
        p90=dist.p90,
        p95=percentile(samples, 95) or 0.0,
        p99=dist.p99,
        max=dist.max,
    )


def _column(frame: pd.DataFrame, name: str) -> list[float]:
    return [float(v) for v in frame[name].dropna().tolist()]


def _mean_interval(per_case: Sequence[float]) -> Interval:
    """Mean over cases with a t interval (the cases are the independent observations)."""
    n = len(per_case)
    mean = math.fsum(per_case) / n
    if n < 2:
        return Interval(value=mean, low=None, high=None, n=n, method="t over cases")
    from scipy.stats import t  # type: ignore[import-untyped,unused-ignore]

    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in per_case) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    low, high = max(0.0, mean - half), min(1.0, mean + half)
    return Interval(value=mean, low=low, high=high, n=n, method="t over cases")


def _metrics(frame: pd.DataFrame) -> list[MetricFigure]:
    names = [str(c)[len(SCORE_PREFIX) :] for c in frame.columns if str(c).startswith(SCORE_PREFIX)]
    directions = metric_directions(names)
    found = []
    for name in names:
        column = SCORE_PREFIX + name
        per_case = frame[["case_id", column]].dropna().groupby("case_id", sort=False)[column]
        means = [float(v) for v in per_case.mean().tolist()]
        if means:
            found.append(
                MetricFigure(
                    name=name, higher_is_better=directions[name], mean=_mean_interval(means)
                )
            )
    return found


def _adapter(
    a: AdapterSummary, summary: RunSummary, extras: AdapterExtras | None
) -> AdapterFigures:
    frame = extras.frame() if extras is not None else None
    rate = None
    if a.pass_rate is not None and a.pass_rate_ci is not None:
        low, high = a.pass_rate_ci
        rate = Interval(value=a.pass_rate, low=low, high=high, n=a.distinct_cases, method="wilson")
    flaky = [f for f in summary.flaky if f.adapter == a.name]
    return AdapterFigures(
        name=a.name,
        type=a.info.type if a.info else None,
        model=a.info.model if a.info else None,
        cases=a.cases,
        requests=a.requests,
        graded_cases=a.distinct_cases,
        passed=a.passed,
        failed=a.failed,
        errored=a.errored,
        judge_errored=a.judge_errored,
        pass_rate=rate,
        metrics=_metrics(frame) if frame is not None else [],
        expectations=[
            ExpectationFigure(name=e.name, passed=e.passed, total=e.total, pass_rate=e.pass_rate)
            for e in a.expectations
        ],
        latency_ms=_summarised(a.latency_ms, a.latency_samples_ms),
        ttft_ms=_summarised(a.ttft_ms, a.ttft_samples_ms),
        ttft_emulated="partly" if a.ttft_partly_emulated else ("yes" if a.ttft_emulated else "no"),
        ttft_emulated_requests=a.ttft_emulated_cases,
        itl_ms=_figures(_column(frame, "itl_ms")) if frame is not None else None,
        tokens_per_s=_figures(_column(frame, "tokens_per_s")) if frame is not None else None,
        retried_requests=extras.retried if extras is not None else 0,
        retries=extras.extra_attempts if extras is not None else 0,
        errors=[
            ErrorCount(kind=g.kind, count=g.count, not_sent=g.not_sent)
            for g in summary.error_groups
            if g.adapter == a.name
        ],
        repeated_cases=_repeated_cases(frame) if frame is not None else 0,
        flaky_cases=len(flaky),
    )


def _repeated_cases(frame: pd.DataFrame) -> int:
    """Cases graded more than once, as ``summarize`` counts them for flakiness."""
    counts = frame[~frame["missing"]].groupby("case_id", sort=False).size()
    return int((counts > 1).sum())


def build_summary_document(
    summary: RunSummary, extras: Mapping[str, AdapterExtras], harness_version: str
) -> SummaryDocument:
    """The document of ``summary``; ``extras`` from :func:`summary_extras.extras_of`."""
    m = summary.manifest
    run = RunInfo(
        run_id=m.run_id,
        suite_name=m.suite_name,
        suite_path=m.suite_path,
        suite_sha256=m.suite_sha256,
        description=m.description,
        status=m.status,
        started_at=m.started_at,
        finished_at=m.finished_at,
        harness_version=m.harness_version,
        case_count=m.case_count,
        records_read=summary.records_read,
        superseded_records=summary.superseded_records,
    )
    pairs = [
        PairFigures.model_validate({**dict(c), "engine_verdict": c.engine_summary})
        for c in summary.comparisons
    ]
    return SummaryDocument(
        harness_version=harness_version,
        run=run,
        adapters=[_adapter(a, summary, extras.get(a.name)) for a in summary.adapters],
        pairs=pairs,
    )


def describe(document: SummaryDocument) -> str:
    """The document as the JSON text written to ``summary.json`` (stable key order)."""
    return document.model_dump_json(indent=2) + "\n"


def summary_schema_json() -> str:
    """The JSON Schema of ``summary.json`` (docs/summary.schema.json holds a copy)."""
    schema = SummaryDocument.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "harness summary.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
