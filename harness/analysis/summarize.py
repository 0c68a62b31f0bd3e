"""Per-adapter aggregates of a run: pass rates with CIs, latency/TTFT percentiles, per-case table.

Built from the records on disk in one pass, so any saved run can be re-summarised without
calling a model. Only scalar columns (and the text of failing cases, clipped) are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.compare import PairComparison, compare_pair, paired_results
from harness.analysis.counting import CaseTally, record_key_of
from harness.analysis.errors import ErrorGroup, ErrorTally
from harness.analysis.paired.frame import FrameBuilder
from harness.analysis.stats import wilson_interval
from harness.analysis.text import clip_text
from harness.errors import HarnessError
from harness.records import AdapterInfo, CaseRecord, RunManifest
from harness.records.store import MANIFEST_FILE, RecordKey, read_manifest, read_records

__all__ = [
    "FlakyCase",
    "AdapterSummary",
    "CASE_PASS_SHARE",
    "CaseRow",
    "Distribution",
    "ExpectationSummary",
    "FailedCase",
    "Outcome",
    "RunSummary",
    "TEXT_LIMIT",
    "clip_text",
    "summarize_records",
    "summarize_run",
]

Outcome = Literal["pass", "fail", "error"]

CASE_PASS_SHARE = 0.5
"""With repeats, a case passes for an adapter (in the paired test) when its pass share is at
least this: passing half or more of its repeats. Without repeats, the one verdict."""

TEXT_LIMIT = 2000
"""Characters of prompt/output kept per failing case; reports clip further for display."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Distribution(_Frozen):
    """Summary of a sample of durations in ms; percentiles interpolate linearly (numpy default)."""

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: float


class ExpectationSummary(_Frozen):
    """How often one expectation (by metric name) passed for one adapter."""

    name: str
    passed: int
    total: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


class FailedCase(_Frozen):
    """A case that did not pass, with what a reader needs to see why (texts clipped)."""

    case_id: str
    adapter: str
    outcome: Literal["fail", "error"]
    prompt: str
    output: str | None
    reasons: tuple[str, ...]
    error: str | None


class CaseRow(_Frozen):
    """One case across adapters; an adapter missing from ``outcomes`` did not run it."""

    case_id: str
    outcomes: dict[str, Outcome]

    @property
    def differs(self) -> bool:
        return len(set(self.outcomes.values())) > 1


class AdapterSummary(_Frozen):
    """Aggregates for one adapter. ``failed`` includes ``errored``: an error is a failed case.

    ``cases`` are distinct case ids and ``requests`` the records counted (one per repeat,
    superseded records left out: see ``counting``, shared with the console summary);
    ``passed``, ``failed`` and ``errored`` count requests. The pass rate and its interval are
    over the graded cases (``distinct_cases``): each case counts once, with its pass share
    across repeats, so repeating a case never narrows the interval.

    A record whose judge could not answer (``judge_errored``) was not graded: it is in
    ``cases`` but in neither ``passed`` nor ``failed`` (nor ``errored``, the adapter's own
    errors), and the pass rate and the comparisons leave it out as missing.

    Latency and TTFT come from records the adapter answered (an error's duration is a timeout
    or a refusal, not the model's speed). ``None`` means there was nothing to measure.
    """

    name: str
    info: AdapterInfo | None
    cases: int = Field(description="Distinct case ids (a case repeated N times is one case)")
    requests: int = Field(
        default=0, description="Records counted: one per repeat, superseded records left out"
    )
    passed: int
    failed: int
    errored: int
    pass_rate: float | None
    pass_rate_ci: tuple[float, float] | None
    distinct_cases: int = Field(
        default=0,
        description="Graded cases (repeats counted once; cases whose judge never answered "
        "left out): the n of the pass-rate interval",
    )
    judge_errored: int = Field(
        default=0,
        description="Records not graded because their judge could not answer: missing, "
        "neither passed nor failed",
    )
    latency_ms: Distribution | None
    ttft_ms: Distribution | None
    ttft_emulated: bool
    ttft_emulated_cases: int
    expectations: tuple[ExpectationSummary, ...]
    latency_samples_ms: tuple[float, ...]
    ttft_samples_ms: tuple[float, ...]

    @property
    def ttft_partly_emulated(self) -> bool:
        return 0 < self.ttft_emulated_cases < len(self.ttft_samples_ms)


class FlakyCase(_Frozen):
    """A case sent several times to one adapter whose verdict was not always the same."""

    case_id: str
    adapter: str
    runs: int
    passed: int
    flips: int = Field(description="How often the verdict changed from one repeat to the next")

    @property
    def flip_rate(self) -> float:
        return self.flips / (self.runs - 1) if self.runs > 1 else 0.0


class RunSummary(_Frozen):
    """Everything reports need about a run, computed once from ``run.json`` and the records."""

    manifest: RunManifest
    adapters: tuple[AdapterSummary, ...]
    comparisons: tuple[PairComparison, ...]
    cases: tuple[CaseRow, ...]
    failures: tuple[FailedCase, ...]
    records_read: int
    superseded_records: int
    flaky: tuple[FlakyCase, ...] = ()
    repeated_cases: int = Field(
        default=0, description="(case, adapter) pairs sent more than once (repeat > 1)"
    )
    error_groups: tuple[ErrorGroup, ...] = Field(
        default=(), description="Why requests failed: errors by adapter and kind"
    )

    @property
    def adapter_names(self) -> list[str]:
        return [a.name for a in self.adapters]

    def adapter(self, name: str) -> AdapterSummary:
        for summary in self.adapters:
            if summary.name == name:
                return summary
        raise KeyError(name)


@dataclass(frozen=True)
class _Row:
    """The scalar part of one record; the rest of the record is dropped after reading."""

    case_id: str
    adapter: str
    outcome: Outcome
    latency_ms: float | None
    ttft_ms: float | None
    emulated: bool
    expectations: tuple[tuple[str, bool], ...]
    base_case_id: str = ""
    repeat: int = 0
    judge_error: bool = False  # answered, but not graded: missing from rates and comparisons


def _outcome(record: CaseRecord) -> Outcome:
    if record.error is not None:
        return "error"
    return "pass" if record.passed else "fail"


def _failed_case(record: CaseRecord, outcome: Literal["fail", "error"]) -> FailedCase:
    error = None
    if record.error is not None:
        status = f" (HTTP {record.error.status})" if record.error.status is not None else ""
        error = f"{record.error.type}: {record.error.message}{status}"
    reasons = tuple(
        f"{m.name}: {m.reason}" if m.reason else f"{m.name}: failed"
        for m in record.expectations
        if not m.passed
    )
    return FailedCase(
        case_id=record.case_id,
        adapter=record.adapter,
        outcome=outcome,
        prompt=clip_text(record.prompt, TEXT_LIMIT),
        output=None if record.output is None else clip_text(record.output, TEXT_LIMIT),
        reasons=reasons,
        error=error,
    )


def _distribution(values: pd.Series[float]) -> Distribution | None:
    if values.empty:
        return None
    q = values.quantile([0.5, 0.9, 0.99])
    return Distribution(
        count=int(values.size),
        mean=float(values.mean()),
        p50=float(q.iloc[0]),
        p90=float(q.iloc[1]),
        p99=float(q.iloc[2]),
        max=float(values.max()),
    )


def _floats(series: pd.Series[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in series.tolist())


def _adapter_summary(
    name: str, info: AdapterInfo | None, frame: pd.DataFrame, rows: list[_Row]
) -> AdapterSummary:
    """Aggregate one adapter: ``frame`` holds its scalar columns, ``rows`` its expectations."""
    n = len(frame)
    passed = int((frame["outcome"] == "pass").sum())
    counted = _case_tally(rows)
    shares = list(counted.pass_shares().values())
    share_sum = sum(shares)
    judge_errored = int(frame["judge_error"].sum())
    errored = int((frame["outcome"] == "error").sum()) - judge_errored
    measured = frame[(frame["outcome"] != "error") | frame["judge_error"]]
    latency = measured["latency_ms"].dropna().astype(float)
    ttft_rows = measured[measured["ttft_ms"].notna()]
    ttft = ttft_rows["ttft_ms"].astype(float)
    emulated_cases = int(ttft_rows["emulated"].astype(bool).sum())
    if ttft.empty:
        # Nothing measured (e.g. every request errored): trust what the manifest says.
        ttft_emulated = bool(info and info.streaming_emulated)
    else:
        ttft_emulated = emulated_cases == int(ttft.size)

    tallies: dict[str, list[int]] = {}  # name -> [passed, total]; dict keeps first-seen order
    for r in rows:
        for metric, ok in r.expectations:
            tally = tallies.setdefault(metric, [0, 0])
            tally[0] += ok
            tally[1] += 1
    return AdapterSummary(
        name=name,
        info=info,
        cases=counted.cases,
        requests=n,
        passed=passed,
        failed=n - passed - judge_errored,
        errored=errored,
        judge_errored=judge_errored,
        pass_rate=share_sum / len(shares) if shares else None,
        pass_rate_ci=wilson_interval(share_sum, len(shares)) if shares else None,
        distinct_cases=len(shares),
        latency_ms=_distribution(latency),
        ttft_ms=_distribution(ttft),
        ttft_emulated=ttft_emulated,
        ttft_emulated_cases=emulated_cases,
        expectations=tuple(
            ExpectationSummary(name=metric, passed=t[0], total=t[1])
            for metric, t in tallies.items()
        ),
        latency_samples_ms=_floats(latency),
        ttft_samples_ms=_floats(ttft),
    )


def summarize_records(manifest: RunManifest, records: Iterable[CaseRecord]) -> RunSummary:
    """Summarise ``records`` (read once, streamed) of the run described by ``manifest``.

    If a (case, adapter, repeat) appears more than once (a resumed or retried run), the last
    record wins and the earlier ones are counted in ``superseded_records``. Repeats of a case
    (``repeat: N``) are distinct rows, shown as ``case #2``, ``case #3``…
    """
    latest: dict[RecordKey, _Row] = {}
    failures: dict[RecordKey, FailedCase] = {}
    errors = ErrorTally()
    read = 0
    builders: dict[str, FrameBuilder] = {}  # per adapter: the paired engine's table
    for record in records:
        read += 1
        errors.add(record)
        builders.setdefault(record.adapter, FrameBuilder()).add(record)
        case_id = record.case_id + (f" #{record.repeat + 1}" if record.repeat else "")
        key = record_key_of(record)  # the latest record of a key counts (``counting``)
        outcome = _outcome(record)
        latest[key] = _Row(  # a repeated key keeps its first position, takes the new row
            base_case_id=record.case_id,
            repeat=record.repeat,
            case_id=case_id,
            adapter=record.adapter,
            outcome=outcome,
            latency_ms=record.latency_ms,
            ttft_ms=record.ttft_ms,
            emulated=record.streaming_emulated,
            expectations=tuple((m.name, m.passed) for m in record.expectations if m.measured),
            judge_error=record.error is not None and record.error.origin == "judge",
        )
        failures.pop(key, None)
        if outcome != "pass":
            failures[key] = _failed_case(record, outcome)

    rows = list(latest.values())
    # Adapter order: the manifest's (the order the user wrote), then any others seen.
    # Judge adapters only grade outputs; they have no cases of their own to summarise.
    infos = {a.name: a for a in manifest.adapters if a.role != "judge"}
    names = list(infos)
    names += [n for n in dict.fromkeys(r.adapter for r in rows) if n not in infos]
    by_adapter: dict[str, list[_Row]] = {n: [] for n in names}
    for r in rows:
        by_adapter[r.adapter].append(r)

    frame = pd.DataFrame(
        {
            "adapter": pd.Series([r.adapter for r in rows], dtype=object),
            "outcome": pd.Series([r.outcome for r in rows], dtype=object),
            "latency_ms": pd.Series([r.latency_ms for r in rows], dtype="float64"),
            "ttft_ms": pd.Series([r.ttft_ms for r in rows], dtype="float64"),
            "emulated": pd.Series([r.emulated for r in rows], dtype=bool),
            "judge_error": pd.Series([r.judge_error for r in rows], dtype=bool),
        }
    )
    adapters = tuple(
        _adapter_summary(n, infos.get(n), frame[frame["adapter"] == n], by_adapter[n])
        for n in names
    )

    # Case order: first appearance in the file, which follows the suite for a fresh run.
    case_pos = {c: i for i, c in enumerate(dict.fromkeys(r.case_id for r in rows))}
    case_outcomes: dict[str, dict[str, Outcome]] = {c: {} for c in case_pos}
    for n in names:
        for r in by_adapter[n]:
            case_outcomes[r.case_id][n] = r.outcome
    cases = tuple(CaseRow(case_id=c, outcomes=o) for c, o in case_outcomes.items())

    # Paired test on per-case verdicts: repeats of a case are one observation, not several.
    passed_by_adapter = {
        n: {c: share >= CASE_PASS_SHARE for c, share in _pass_shares(by_adapter[n]).items()}
        for n in names
    }
    quality = paired_results(builders, combinations(names, 2))
    comparisons = tuple(
        compare_pair(a, b, passed_by_adapter[a], passed_by_adapter[b], quality.get((a, b)))
        for a, b in combinations(names, 2)
    )
    adapter_pos = {n: i for i, n in enumerate(names)}
    failure_list = sorted(
        failures.values(), key=lambda f: (adapter_pos[f.adapter], case_pos[f.case_id])
    )
    flaky, repeated = _flakiness(rows)
    return RunSummary(
        flaky=flaky,
        repeated_cases=repeated,
        manifest=manifest,
        adapters=adapters,
        comparisons=comparisons,
        cases=cases,
        failures=tuple(failure_list),
        records_read=read,
        superseded_records=read - len(rows),
        error_groups=tuple(errors.groups(names)),
    )


def _case_tally(rows: list[_Row]) -> CaseTally:
    """The rows' cases, requests and pass shares, as ``counting`` defines them (repeats
    joined; repeats whose judge could not answer are missing, and a case with none graded is
    left out of the pass rate and of the paired comparison)."""
    tally = CaseTally()
    for r in rows:
        tally.add(r.base_case_id or r.case_id, passed=r.outcome == "pass", graded=not r.judge_error)
    return tally


def _pass_shares(rows: list[_Row]) -> dict[str, float]:
    """Per case (repeats joined), the share of its graded repeats that passed; first-seen."""
    return _case_tally(rows).pass_shares()


def _flakiness(rows: list[_Row]) -> tuple[tuple[FlakyCase, ...], int]:
    """Cases whose verdict changed across repeats, most flips first."""
    series: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    for r in rows:
        if r.judge_error:  # not graded: no verdict to flip
            continue
        series.setdefault((r.base_case_id, r.adapter), []).append((r.repeat, r.outcome == "pass"))
    flaky: list[FlakyCase] = []
    repeated = 0
    for (case_id, adapter), runs in series.items():
        if len(runs) < 2:
            continue
        repeated += 1
        verdicts = [ok for _, ok in sorted(runs)]
        flips = sum(a != b for a, b in zip(verdicts, verdicts[1:], strict=False))
        if flips:
            flaky.append(
                FlakyCase(
                    case_id=case_id,
                    adapter=adapter,
                    runs=len(verdicts),
                    passed=sum(verdicts),
                    flips=flips,
                )
            )
    flaky.sort(key=lambda f: (-f.flip_rate, f.adapter, f.case_id))
    return tuple(flaky), repeated


def summarize_run(run_dir: Path) -> RunSummary:
    """Summarise the run saved in ``run_dir`` (``run.json`` + ``results.jsonl``)."""
    if not (run_dir / MANIFEST_FILE).is_file():
        raise HarnessError(f"{run_dir}: not a run folder (no {MANIFEST_FILE})")
    return summarize_records(read_manifest(run_dir), read_records(run_dir))
