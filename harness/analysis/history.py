"""A suite's figures across its saved runs, oldest first: what ``harness history`` draws.

Run folders are found under a directory (``run.json`` beside ``results.jsonl``), grouped by
suite name and ordered by start time. A run's figures come from its ``summary.json`` when it
has one (what ``harness run`` and ``harness report`` write), else from its records through
``totals`` (the console summary's counting, without pandas): the same definitions either way,
from ``counting``. A run whose suite hash differs from the run before it is marked: its
figures may move because the suite changed, not the adapter.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.analysis.stats import wilson_interval
from harness.analysis.summary_document import SummaryDocument
from harness.errors import HarnessError
from harness.records.store import MANIFEST_FILE, RESULTS_FILE, read_manifest

__all__ = [
    "HISTORY_KIND",
    "HISTORY_SCHEMA_VERSION",
    "TREND_FIGURES",
    "AdapterPoint",
    "HistoryDocument",
    "HistoryRun",
    "SkippedFolder",
    "SuiteRuns",
    "build_history",
    "find_runs",
]

HISTORY_SCHEMA_VERSION: Literal[1] = 1
HISTORY_KIND: Literal["harness.history"] = "harness.history"
SUMMARY_FILE = "summary.json"

TREND_FIGURES: tuple[tuple[str, str], ...] = (
    ("pass_rate", "Pass rate (%)"),
    ("latency_p50_ms", "Latency p50 (ms)"),
    ("latency_p95_ms", "Latency p95 (ms)"),
    ("ttft_p50_ms", "TTFT p50 (ms)"),
    ("ttft_p95_ms", "TTFT p95 (ms)"),
    ("tokens_per_s_p50", "Output tokens/s p50"),
    ("error_rate", "Errored requests (%)"),
)
"""Each figure a trend is drawn for: its key in :class:`AdapterPoint` and its axis label."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdapterPoint(_Model):
    """One adapter's figures in one run."""

    adapter: str
    cases: int
    requests: int
    pass_rate: float | None = Field(description="Mean of the cases' pass shares (0..1)")
    pass_rate_low: float | None = Field(description="Wilson 95% interval over cases")
    pass_rate_high: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    ttft_emulated: bool = Field(description="TTFT is the full latency (the adapter did not stream)")
    tokens_per_s_p50: float | None = Field(description="Null when read from records, not summary")
    errored: int
    error_rate: float | None = Field(description="Errored requests / requests (0..1)")


class HistoryRun(_Model):
    """One run of the suite: when, which suite version, and its adapters' figures."""

    run_id: str
    path: str
    started_at: str
    status: str
    suite_sha256: str
    suite_changed: bool = Field(description="The suite hash differs from the previous run's")
    source: Literal["summary.json", "records"] = Field(description="Where the figures come from")
    adapters: list[AdapterPoint]


class SkippedFolder(_Model):
    """A folder under the directory that looked like a run but could not be read as one."""

    path: str
    reason: str


class HistoryDocument(_Model):
    """``history.json``: one suite's runs, oldest first."""

    schema_version: Literal[1] = HISTORY_SCHEMA_VERSION
    kind: Literal["harness.history"] = HISTORY_KIND
    suite_name: str
    runs: list[HistoryRun]
    adapters: list[str] = Field(description="Every adapter seen, in first-seen order (colours)")
    skipped: list[SkippedFolder] = Field(description="Folders under the directory not read")


class SuiteRuns(_Model):
    """Run folders found under a directory, by suite name, and the folders skipped."""

    suites: dict[str, list[str]]
    skipped: list[SkippedFolder]


def find_runs(root: Path) -> SuiteRuns:
    """Run folders under ``root`` (any depth) grouped by suite name, in path order.

    A folder with ``results.jsonl`` but no ``run.json``, or with an unreadable ``run.json``,
    is skipped with a reason; folders without either are walked through silently.
    """
    if not root.is_dir():
        raise HarnessError(f"{root}: no such directory")
    suites: dict[str, list[str]] = {}
    skipped: list[SkippedFolder] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        path = Path(folder)
        if MANIFEST_FILE not in files:
            if RESULTS_FILE in files:
                skipped.append(SkippedFolder(path=str(path), reason=f"no {MANIFEST_FILE}"))
            continue
        dirs[:] = []  # a run folder holds no runs
        if RESULTS_FILE not in files:
            skipped.append(SkippedFolder(path=str(path), reason=f"no {RESULTS_FILE}"))
            continue
        try:
            name = read_manifest(path).suite_name
        except (HarnessError, ValueError, OSError) as exc:
            skipped.append(
                SkippedFolder(path=str(path), reason=f"unreadable {MANIFEST_FILE}: {exc}")
            )
            continue
        suites.setdefault(name, []).append(str(path))
    return SuiteRuns(suites=suites, skipped=skipped)


def _from_summary(run_dir: Path) -> list[AdapterPoint] | None:
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        document = SummaryDocument.model_validate_json(path.read_bytes())
    except (ValidationError, OSError):
        return None  # another version, or damaged: the records say the same
    points = []
    for a in document.adapters:
        rate = a.pass_rate
        points.append(
            AdapterPoint(
                adapter=a.name,
                cases=a.cases,
                requests=a.requests,
                pass_rate=rate.value if rate else None,
                pass_rate_low=rate.low if rate else None,
                pass_rate_high=rate.high if rate else None,
                latency_p50_ms=a.latency_ms.p50 if a.latency_ms else None,
                latency_p95_ms=a.latency_ms.p95 if a.latency_ms else None,
                ttft_p50_ms=a.ttft_ms.p50 if a.ttft_ms else None,
                ttft_p95_ms=a.ttft_ms.p95 if a.ttft_ms else None,
                ttft_emulated=a.ttft_emulated != "no",
                tokens_per_s_p50=a.tokens_per_s.p50 if a.tokens_per_s else None,
                errored=a.errored,
                error_rate=a.errored / a.requests if a.requests else None,
            )
        )
    return points


def _from_records(run_dir: Path) -> list[AdapterPoint]:
    from harness.analysis.totals import run_totals

    points = []
    for t in run_totals(run_dir).adapters:
        graded = t.tally.graded_cases
        low, high = wilson_interval(t.tally.pass_share_sum, graded) if graded else (None, None)
        errored = t.errored - t.judge_errored
        points.append(
            AdapterPoint(
                adapter=t.name,
                cases=t.cases,
                requests=t.records,
                pass_rate=t.pass_rate,
                pass_rate_low=low,
                pass_rate_high=high,
                latency_p50_ms=t.latency(50),
                latency_p95_ms=t.latency(95),
                ttft_p50_ms=t.ttft(50),
                ttft_p95_ms=t.ttft(95),
                ttft_emulated=bool(t.ttfts_ms) and t.ttft_emulated,
                tokens_per_s_p50=None,
                errored=errored,
                error_rate=errored / t.records if t.records else None,
            )
        )
    return points


def _start(text: str) -> datetime:
    """A run's start as an aware time (UTC when run.json gives no offset) to sort by."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def build_history(
    suite_name: str, paths: list[str], skipped: list[SkippedFolder]
) -> HistoryDocument:
    """The suite's runs at ``paths``, oldest first, each marked when its suite hash changed."""
    manifests = [(Path(p), read_manifest(Path(p))) for p in paths]
    manifests.sort(key=lambda pm: (_start(pm[1].started_at), pm[1].run_id))
    runs: list[HistoryRun] = []
    previous: str | None = None
    for path, manifest in manifests:
        points = _from_summary(path)
        runs.append(
            HistoryRun(
                run_id=manifest.run_id,
                path=str(path),
                started_at=manifest.started_at,
                status=manifest.status,
                suite_sha256=manifest.suite_sha256,
                suite_changed=previous is not None and manifest.suite_sha256 != previous,
                source="records" if points is None else "summary.json",
                adapters=_from_records(path) if points is None else points,
            )
        )
        previous = manifest.suite_sha256
    adapters = list(dict.fromkeys(p.adapter for r in runs for p in r.adapters))
    return HistoryDocument(suite_name=suite_name, runs=runs, adapters=adapters, skipped=skipped)
