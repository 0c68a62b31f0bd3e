"""Per-adapter aggregates of a run: pass rates with CIs, latency/TTFT percentiles, per-case table.

Built from the records on disk in one pass, so any saved run can be re-summarised without
calling a model. Only scalar columns (and the text of failing cases, clipped) are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from harness.analysis.compare import PairComparison, compare_pair, paired_results
from harness.analysis.errors import ErrorGroup
from harness.analysis.paired.frame import FrameBuilder, column_frames
from harness.analysis.record_codes import (
    ADAPTER_ERROR,
    ERROR,
    JUDGE_ERROR,
    OUTCOMES,
    PASS,
    RecordCodes,
    error_tally,
)
from harness.analysis.stats import wilson_interval
from harness.analysis.text import clip_text
from harness.errors import HarnessError
from harness.records import AdapterInfo, CaseRecord, RunManifest
from harness.records.columns import ExpectationRow, RecordColumns, gc_paused, read_columns
from harness.records.store import MANIFEST_FILE, read_manifest

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

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
    "adapter_order",
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
    # The counted records the summary was made from, and the paired engine's table of each
    # adapter: kept (not serialised) so every report of the run reads results.jsonl once.
    _records: RecordColumns | None = PrivateAttr(default=None)
    _frames: dict[str, pd.DataFrame] | None = PrivateAttr(default=None)

    def records(self, run_dir: Path) -> RecordColumns:
        """The counted records behind this summary: those it was made from (when it was made
        by :func:`summarize_columns`), else ``run_dir``'s, read now and kept."""
        if self._records is None:
            self._records = read_columns(run_dir)
        return self._records

    def frames(self, run_dir: Path) -> dict[str, pd.DataFrame]:
        """The paired engine's table of each adapter of :meth:`records` (made once)."""
        if self._frames is None:
            self._frames = column_frames(self.records(run_dir))
        return self._frames

    @property
    def adapter_names(self) -> list[str]:
        return [a.name for a in self.adapters]

    def adapter(self, name: str) -> AdapterSummary:
        for summary in self.adapters:
            if summary.name == name:
                return summary
        raise KeyError(name)


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


def _adapter_summary(
    name: str,
    info: AdapterInfo | None,
    codes: RecordCodes,
    rows: npt.NDArray[np.intp],
    counted: tuple[int, dict[str, float]],
) -> AdapterSummary:
    """Aggregate one adapter's ``rows`` (whole columns, but for the expectation tallies);
    ``counted``: its cases and pass shares (:meth:`RecordCodes.pass_shares`)."""
    import numpy as np

    c = codes.columns
    outcome, origin = codes.outcome[rows], codes.origin[rows]
    n = len(rows)
    passed = int((outcome == PASS).sum())
    judge_errored = int((origin == JUDGE_ERROR).sum())
    cases, pass_shares = counted
    shares = list(pass_shares.values())
    share_sum = sum(shares)
    measured = rows[origin != ADAPTER_ERROR]  # an error's duration is no speed of the model
    latency_all = np.frombuffer(c.latency_ms, dtype=np.float64)[measured]
    latency = pd.Series(latency_all[~np.isnan(latency_all)], dtype="float64")
    ttft_all = np.frombuffer(c.ttft_ms, dtype=np.float64)[measured]
    timed = ~np.isnan(ttft_all)
    ttft = pd.Series(ttft_all[timed], dtype="float64")
    emulated_cases = int(codes.emulated[measured][timed].sum())
    if ttft.empty:
        # Nothing measured (e.g. every request errored): trust what the manifest says.
        ttft_emulated = bool(info and info.streaming_emulated)
    else:
        ttft_emulated = emulated_cases == int(ttft.size)

    # name -> [passed, total], first-seen order: counted per distinct set of expectations
    tallies: dict[str, list[int]] = {}
    patterns = c.verdict_patterns()[1]
    of_row = codes.patterns[rows]
    seen, first = np.unique(of_row, return_index=True)
    times = np.bincount(of_row, minlength=len(patterns)).tolist()
    for p in seen[np.argsort(first, kind="stable")].tolist():
        for m in patterns[p]:
            if m.measured:
                tally = tallies.setdefault(m.name, [0, 0])
                tally[0] += times[p] if m.passed else 0
                tally[1] += times[p]
    return AdapterSummary(
        name=name,
        info=info,
        cases=cases,
        requests=n,
        passed=passed,
        failed=n - passed - judge_errored,
        errored=int((origin == ADAPTER_ERROR).sum()),
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
        latency_samples_ms=tuple(latency.tolist()),
        ttft_samples_ms=tuple(ttft.tolist()),
    )


def _failed_case(
    c: RecordColumns, row: int, outcome: Literal["fail", "error"], reasons: tuple[str, ...]
) -> FailedCase:
    error = c.error[row]
    output = c.output[row]
    return FailedCase(
        case_id=c.case_ids[c.case[row]],
        adapter=c.adapters[c.adapter[row]],
        outcome=outcome,
        prompt=clip_text(c.prompt_of(row), TEXT_LIMIT),
        output=None if output is None else clip_text(output, TEXT_LIMIT),
        reasons=reasons,
        error=None if error is None else error.text,
    )


def _reasons(results: Iterable[ExpectationRow]) -> tuple[str, ...]:
    """Why a record failed: each failed expectation with its reason."""
    return tuple(
        f"{m.name}: {m.reason}" if m.reason else f"{m.name}: failed"
        for m in results
        if not m.passed
    )


def summarize_records(manifest: RunManifest, records: Iterable[CaseRecord]) -> RunSummary:
    """Summarise ``records`` (validated records, in file order) of the run of ``manifest``.

    If a (case, adapter, repeat) appears more than once (a resumed or retried run), the last
    record wins and the earlier ones are counted in ``superseded_records``. Repeats of a case
    (``repeat: N``) are distinct rows, shown as ``case #2``, ``case #3``…
    """
    return summarize_columns(manifest, RecordColumns.of_records(records))


def adapter_order(manifest: RunManifest, columns: RecordColumns) -> list[str]:
    """The summary's adapters: the manifest's, in the order the user wrote, then any others
    the records name. Judge adapters only grade outputs; they have no cases of their own."""
    names = [a.name for a in manifest.adapters if a.role != "judge"]
    return names + [n for n in columns.adapters if n not in names]


def summarize_columns(manifest: RunManifest, columns: RecordColumns) -> RunSummary:
    """Summarise a run's counted records (:func:`~harness.records.columns.read_columns`).

    The summary keeps ``columns`` and the paired engine's per-adapter tables, so every report
    of the run reads the records once (:meth:`RunSummary.records`, :meth:`RunSummary.frames`).
    """
    codes = RecordCodes(columns)
    infos = {a.name: a for a in manifest.adapters if a.role != "judge"}
    names = adapter_order(manifest, columns)
    rows = {n: codes.rows(n) for n in names}
    counted = {n: codes.pass_shares(rows[n]) for n in names}
    adapters = tuple(_adapter_summary(n, infos.get(n), codes, rows[n], counted[n]) for n in names)

    # Case order: first appearance in the file, which follows the suite for a fresh run.
    ids = columns.case_ids
    display = [
        f"{ids[c]} #{r + 1}" if r else ids[c]
        for c, r in zip(columns.case, columns.repeat, strict=True)
    ]
    case_outcomes: dict[str, dict[str, Outcome]] = {c: {} for c in display}
    outcome_of = codes.outcome.tolist()
    for n in names:
        for row in rows[n].tolist():
            case_outcomes[display[row]][n] = OUTCOMES[outcome_of[row]]
    cases = tuple(CaseRow(case_id=c, outcomes=o) for c, o in case_outcomes.items())

    # Paired test on per-case verdicts: repeats of a case are one observation, not several.
    passed_by_adapter = {
        n: {c: share >= CASE_PASS_SHARE for c, share in counted[n][1].items()} for n in names
    }
    frames = column_frames(columns)  # the engine's tables, shared with summary.json
    builders = {name: FrameBuilder.of_frame(frame) for name, frame in frames.items()}
    quality = paired_results(builders, combinations(names, 2))
    comparisons = tuple(
        compare_pair(a, b, passed_by_adapter[a], passed_by_adapter[b], quality.get((a, b)))
        for a, b in combinations(names, 2)
    )
    flaky, repeated = _flakiness(codes)
    summary = RunSummary(
        flaky=flaky,
        repeated_cases=repeated,
        manifest=manifest,
        adapters=adapters,
        comparisons=comparisons,
        cases=cases,
        failures=_failures(codes, names, rows, display, case_outcomes),
        records_read=columns.records_read,
        superseded_records=columns.superseded,
        error_groups=tuple(error_tally(columns).groups(names)),
    )
    summary._records = columns
    summary._frames = frames
    return summary


def _failures(
    codes: RecordCodes,
    names: list[str],
    rows: dict[str, npt.NDArray[np.intp]],
    display: list[str],
    case_order: dict[str, dict[str, Outcome]],
) -> tuple[FailedCase, ...]:
    """Every record that did not pass, by adapter (summary order), then case (file order);
    repeats of one case in the file order of their (latest) records."""
    c = codes.columns
    case_pos = {case: i for i, case in enumerate(case_order)}
    placed: list[tuple[int, int, int, int]] = []
    for a, n in enumerate(names):
        for row in rows[n][codes.outcome[rows[n]] != PASS].tolist():
            case_id = c.case_ids[c.case[row]]
            # placed by the case id it shows (a repeat's is its case's, when that was run)
            place = case_pos.get(case_id, case_pos[display[row]])
            placed.append((a, place, c.position[row], row))
    placed.sort()  # positions differ, so rows are never compared
    of_row, patterns = c.verdict_patterns()
    reasons = [_reasons(results) for results in patterns]  # once per distinct set
    errored = codes.outcome == ERROR
    return tuple(
        _failed_case(c, row, "error" if errored[row] else "fail", reasons[of_row[row]])
        for *_, row in placed
    )


def _flakiness(codes: RecordCodes) -> tuple[tuple[FlakyCase, ...], int]:
    """Cases whose verdict changed across repeats, most flips first."""
    c = codes.columns
    if len(set(c.repeat)) < 2:  # every key differs, so no (case, adapter) was sent twice
        return (), 0
    series: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    outcome, origin = codes.outcome.tolist(), codes.origin.tolist()
    for row, (case, adapter, repeat) in enumerate(zip(c.case, c.adapter, c.repeat, strict=True)):
        if origin[row] == JUDGE_ERROR:  # not graded: no verdict to flip
            continue
        key = (c.case_ids[case], c.adapters[adapter])
        series.setdefault(key, []).append((repeat, outcome[row] == PASS))
    flaky: list[FlakyCase] = []
    repeated = 0
    for (case_id, name), runs in series.items():
        if len(runs) < 2:
            continue
        repeated += 1
        verdicts = [ok for _, ok in sorted(runs)]
        flips = sum(a != b for a, b in zip(verdicts, verdicts[1:], strict=False))
        if flips:
            flaky.append(
                FlakyCase(
                    case_id=case_id,
                    adapter=name,
                    runs=len(verdicts),
                    passed=sum(verdicts),
                    flips=flips,
                )
            )
    flaky.sort(key=lambda f: (-f.flip_rate, f.adapter, f.case_id))
    return tuple(flaky), repeated


def summarize_run(
    run_dir: Path, *, on_read: Callable[[RunManifest, RecordColumns], None] | None = None
) -> RunSummary:
    """Summarise the run saved in ``run_dir`` (``run.json`` + ``results.jsonl``, read once).

    ``on_read`` sees the records as soon as they are read, before the statistics: a report
    can start its own work on them then (``report.html`` builds its drill-down meanwhile).
    """
    if not (run_dir / MANIFEST_FILE).is_file():
        raise HarnessError(f"{run_dir}: not a run folder (no {MANIFEST_FILE})")
    manifest = read_manifest(run_dir)
    # The summary's few hundred thousand objects (rows, tables, models) form no cycles: the
    # collector, left on, would rescan all of them again and again while they are made (2 s
    # of a 400,000-record run).
    with gc_paused():
        columns = read_columns(run_dir)
        if on_read is not None:
            on_read(manifest, columns)
        return summarize_columns(manifest, columns)
