"""A baseline file: a run's per-case results, small enough to commit, read back as records.

``harness baseline save`` writes one (``harness.gates.baseline``); a comparison reads it
wherever it reads a run. Each case keeps what the paired engine aggregates a case to (pass
and error counts over its graded repeats, median timings, mean scores, cluster), so
:func:`baseline_records` can rebuild per-repeat records whose per-case aggregates are exactly
the stored ones, and the engine sees a baseline as it sees a run. It lives here, beside the
source loader, because ``harness compare`` (analysis) reads it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.analysis.paired.frame import RecordView, TimingView
from harness.errors import HarnessError
from harness.records import AdapterInfo, ErrorInfo, MetricResult, RunManifest

__all__ = [
    "BASELINE_KIND",
    "BaselineAdapter",
    "BaselineCase",
    "BaselineError",
    "BaselineFile",
    "baseline_manifest",
    "baseline_records",
    "read_baseline",
]

BASELINE_KIND = "harness.baseline"


class BaselineError(HarnessError):
    """A file that is not a readable baseline: exit 4."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BaselineCase(_Model):
    """One case of one adapter, aggregated over its graded repeats (judge failures left out)."""

    id: str
    cluster: str | None = None
    tags: list[str] = Field(default_factory=list)
    repeats: int = Field(default=1, ge=1, description="Graded records of the case.")
    passes: int = Field(default=0, ge=0, description="Records that passed.")
    errors: int = Field(default=0, ge=0, description="Records the adapter failed.")
    latency_ms: float | None = Field(default=None, description="Median over measured records.")
    ttft_ms: float | None = None
    ttft_emulated: bool = False
    itl_ms: float | None = None
    tokens_per_s: float | None = None
    scores: dict[str, float] = Field(default_factory=dict, description="Mean score per metric.")


class BaselineAdapter(_Model):
    """An adapter of the saved run, as ``run.json`` described it (options left out)."""

    name: str
    type: str
    model: str
    served_by: str | None = None
    streaming_emulated: bool = False


class BaselineSuite(_Model):
    name: str
    sha256: str
    path: str


class BaselineRun(_Model):
    run_id: str
    status: str
    started_at: str
    finished_at: str | None = None


class BaselineConditions(_Model):
    """What the timings depend on, as the saved run recorded it (compare warns on changes)."""

    harness_version: str
    versions: dict[str, str] = Field(default_factory=dict)
    execution: dict[str, Any] = Field(default_factory=dict)
    machine: dict[str, Any] = Field(default_factory=dict)


class BaselineFile(_Model):
    """The whole file (``kind: harness.baseline``, ``schema_version: 1``)."""

    kind: Literal["harness.baseline"] = "harness.baseline"
    schema_version: Literal[1] = 1
    saved_by: str = Field(description="The harness version that wrote the file.")
    suite: BaselineSuite
    run: BaselineRun
    conditions: BaselineConditions
    adapters: list[BaselineAdapter]
    summary: dict[str, dict[str, float | None]] = Field(
        description="Adapter -> figure -> value (as the absolute gates compute them)."
    )
    cases: dict[str, list[BaselineCase]] = Field(description="Adapter -> cases, sorted by id.")


def read_baseline_file(path: Path) -> BaselineFile:
    """Parse and validate a baseline file.

    Raises:
        BaselineError: not JSON, not a baseline, or an invalid one (the first problems named).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(
            f"{path}: not a run folder or a baseline file (not readable JSON: {exc})"
        ) from None
    if not isinstance(data, dict) or data.get("kind") != BASELINE_KIND:
        raise BaselineError(
            f'{path}: not a run folder or a baseline file (no "kind": "{BASELINE_KIND}"); '
            "write a baseline with harness baseline save RUN --to FILE"
        )
    try:
        return BaselineFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise BaselineError(f"{path}: invalid baseline file: {problems}") from None


def baseline_manifest(baseline: BaselineFile) -> RunManifest:
    """The ``run.json`` a comparison reads, as far as the baseline kept it."""
    total = len({case.id for cases in baseline.cases.values() for case in cases})
    return RunManifest(
        run_id=baseline.run.run_id,
        suite_name=baseline.suite.name,
        suite_path=baseline.suite.path,
        suite_sha256=baseline.suite.sha256,
        harness_version=baseline.conditions.harness_version,
        adapters=[AdapterInfo(**a.model_dump()) for a in baseline.adapters],
        case_count=total,
        started_at=baseline.run.started_at,
        finished_at=baseline.run.finished_at,
        status=baseline.run.status,
        versions=baseline.conditions.versions,
        execution=baseline.conditions.execution,
        machine=baseline.conditions.machine,
    )


_ERROR = ErrorInfo(type="BaselineError", message="the adapter failed (as saved in the baseline)")


def _case_records(adapter: str, case: BaselineCase) -> Iterator[RecordView]:
    """Records whose per-case aggregates are the case's: errors first, then passes, then fails.

    Every non-errored record carries the stored medians and means, so the median and mean
    the engine takes per case give them back exactly.
    """
    expectations = [
        MetricResult(name=name, passed=True, score=score) for name, score in case.scores.items()
    ]
    timing = TimingView(itl_mean_ms=case.itl_ms)
    for repeat in range(case.repeats):
        errored = repeat < case.errors
        yield RecordView(
            case_id=case.id,
            adapter=adapter,
            repeat=repeat,
            cluster=case.cluster,
            passed=not errored and repeat < case.errors + case.passes,
            expectations=[] if errored and case.errors < case.repeats else expectations,
            latency_ms=case.latency_ms,
            ttft_ms=case.ttft_ms,
            streaming_emulated=case.ttft_emulated,
            tokens_per_s=case.tokens_per_s,
            timing=timing,
            error=_ERROR if errored else None,
        )


def baseline_records(baseline: BaselineFile) -> Iterator[RecordView]:
    """Every adapter's rebuilt records, adapter by adapter, cases in file order."""
    for adapter, cases in baseline.cases.items():
        for case in cases:
            yield from _case_records(adapter, case)


def read_baseline(path: Path) -> tuple[RunManifest, Iterator[RecordView]]:
    """A baseline file as a run: its manifest and its (rebuilt) records.

    Raises:
        BaselineError: see :func:`read_baseline_file`.
    """
    baseline = read_baseline_file(path)
    return baseline_manifest(baseline), baseline_records(baseline)
