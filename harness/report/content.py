"""What every report says, as plain formatted text; renderers (Markdown, HTML) only add syntax.

Keeping the wording and number formatting here means the Markdown and HTML reports cannot
drift apart. Nothing here is escaped: untrusted text (prompts, outputs, reasons) stays raw
until a renderer escapes it for its own format.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.analysis.compare import SIGNIFICANCE_LEVEL, PairComparison
from harness.analysis.errors import ErrorGroup
from harness.analysis.stats import format_p_value
from harness.analysis.summarize import (
    CASE_PASS_SHARE,
    AdapterSummary,
    FailedCase,
    Outcome,
    RunSummary,
    clip_text,
)
from harness.records import AdapterInfo, RunManifest

__all__ = [
    "MAX_FAILURES_SHOWN",
    "NOT_RUN",
    "OUTCOME_LABELS",
    "TTFT_EMULATED_NOTE",
    "CaseLine",
    "FailureGroup",
    "FailureView",
    "ReportContent",
    "Table",
    "build_content",
    "error_groups_table",
    "format_ms",
    "ttft_label",
]

TTFT_EMULATED_NOTE = "TTFT (emulated: whole reply in one chunk)"
"""Shown wherever an emulated TTFT appears: it equals the full latency, not a first token."""

MAX_FAILURES_SHOWN = 100
"""Failing cases listed per adapter; the rest are counted, and stay in ``results.jsonl``."""

OUTCOME_LABELS: dict[Outcome, str] = {"pass": "pass", "fail": "FAIL", "error": "ERROR"}
NOT_RUN = "—"


@dataclass(frozen=True)
class Table:
    """A header row and body rows of already formatted cells."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FailureView:
    """One failing case: ``why`` lists the error (if any) then each failed expectation."""

    case_id: str
    outcome: str
    why: tuple[str, ...]
    prompt: str
    output: str | None


@dataclass(frozen=True)
class FailureGroup:
    """The failing cases of one adapter; only the first ``MAX_FAILURES_SHOWN`` are listed."""

    adapter: str
    total: int
    shown: tuple[FailureView, ...]

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


@dataclass(frozen=True)
class CaseLine:
    """One row of the side-by-side table: an outcome label per adapter."""

    case_id: str
    cells: tuple[str, ...]
    differs: bool


@dataclass(frozen=True)
class ReportContent:
    """The sections of a report, in reading order."""

    title: str
    header: tuple[tuple[str, str], ...]
    errors: Table | None
    error_notes: tuple[str, ...]
    adapters: Table
    summary: Table
    summary_notes: tuple[str, ...]
    expectations: Table | None
    comparisons: Table | None
    verdicts: tuple[str, ...]
    comparison_notes: tuple[str, ...]
    failures: tuple[FailureGroup, ...]
    flaky: Table | None
    flaky_note: str
    case_columns: tuple[str, ...]
    cases: tuple[CaseLine, ...]


def format_ms(value: float | None) -> str:
    """Milliseconds for people: one decimal below 10 ms, whole numbers with separators above."""
    if value is None:
        return NOT_RUN
    if abs(value) < 10:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def ttft_label(adapter: AdapterSummary) -> str:
    """``""``, ``"emulated"`` or ``"partly emulated"``: how much of the TTFT is not real."""
    if adapter.ttft_partly_emulated:
        return "partly emulated"
    return "emulated" if adapter.ttft_emulated else ""


def _ttft_cell(adapter: AdapterSummary, value: float | None) -> str:
    label = ttft_label(adapter)
    if value is None or not label:
        return format_ms(value)
    return f"{format_ms(value)} ({label})"


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:  # Python 3.10's fromisoformat does not accept a trailing "Z"
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _duration(started: str, finished: str | None) -> str:
    start, end = _parse_time(started), _parse_time(finished)
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return ""
    seconds = (end - start).total_seconds()
    minutes, secs = divmod(round(seconds), 60)
    return f" ({minutes} min {secs} s)" if minutes else f" ({seconds:.1f} s)"


def _header(summary: RunSummary) -> tuple[tuple[str, str], ...]:
    m = summary.manifest
    rows = [
        ("Run", m.run_id),
        ("Suite", f"{m.suite_name} ({m.suite_path})"),
    ]
    if m.description:
        rows.append(("Description", m.description))
    rows += [
        ("Started", m.started_at),
        ("Finished", (m.finished_at or "not finished") + _duration(m.started_at, m.finished_at)),
        ("Status", m.status),
        ("Harness version", m.harness_version),
        ("Cases in suite", str(m.case_count)),
    ]
    records = str(summary.records_read)
    if summary.superseded_records:
        records += (
            f" ({summary.superseded_records} superseded by a later record"
            " for the same case and adapter)"
        )
    rows.append(("Records read", records))
    if m.versions:
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(m.versions.items()))))
    served = _served_by(m)
    if served:
        rows.append(("Served by", served))
    return tuple(rows)


def _served_by(m: RunManifest) -> str:
    """Who answered: the cassettes replayed (no model was asked) and/or the local emulator."""
    parts = []
    cassettes = sorted({a.cassette for a in m.adapters if a.cassette})
    if cassettes:
        noun = "cassette" if len(cassettes) == 1 else "cassettes"
        parts.append(
            f"recorded answers replayed from {noun} {', '.join(cassettes)} (no model was asked)"
        )
    if m.emulator is not None and any(not a.cassette for a in m.adapters):
        parts.append("the local emulator (simulated models, not real ones)")
    return "; ".join(parts)


def error_groups_table(groups: tuple[ErrorGroup, ...] | list[ErrorGroup]) -> Table | None:
    """Why requests failed: one row per adapter and kind, with one example message."""
    if not groups:
        return None
    rows = tuple(
        (
            g.adapter,
            g.kind,
            str(g.count) + (f" ({g.not_sent} not sent)" if g.not_sent else ""),
            g.example_text,
        )
        for g in groups
    )
    return Table(("Adapter", "Kind", "Errors", "Example message"), rows)


def _error_notes(groups: tuple[ErrorGroup, ...]) -> tuple[str, ...]:
    if not any(g.not_sent for g in groups):
        return ()
    return (
        "Not sent: the adapter could not be set up, or it was stopped after repeated "
        "authentication or model-not-found errors, which retrying cannot heal; those requests "
        "were recorded as errors without being sent.",
    )


def _option_value(value: Any) -> str:
    # Options are arbitrary JSON from the manifest (secrets already redacted by the store).
    return clip_text(value if isinstance(value, str) else json.dumps(value, sort_keys=True), 60)


def _adapters_table(infos: list[AdapterInfo]) -> Table:
    rows = tuple(
        (
            a.name,
            a.type,
            a.model,
            f"cassette {a.cassette}" if a.cassette else (a.served_by or NOT_RUN),
            "emulated (whole reply in one chunk)" if a.streaming_emulated else "streamed",
            ", ".join(f"{k}={_option_value(v)}" for k, v in sorted(a.options.items())) or NOT_RUN,
        )
        for a in infos
    )
    return Table(("Adapter", "Type", "Model", "Served by", "Streaming", "Options"), rows)


def _summary_table(adapters: tuple[AdapterSummary, ...]) -> Table:
    # cases are distinct case ids, requests the records that count (analysis.counting)
    repeated = any(a.requests != a.cases for a in adapters)
    columns = (
        "Adapter",
        "Cases",
        *(["Requests"] if repeated else []),
        "Passed",
        "Failed",
        "Errored",
        "Pass rate (95% CI)",
        "Latency mean (ms)",
        "p50",
        "p90",
        "p99",
        "max",
        "TTFT p50 (ms)",
        "TTFT p90",
    )
    rows = []
    for a in adapters:
        rate = NOT_RUN
        if a.pass_rate is not None and a.pass_rate_ci is not None:
            low, high = a.pass_rate_ci
            n = f", n={a.distinct_cases}" if a.distinct_cases != a.cases else ""
            rate = f"{_percent(a.pass_rate)} ({_percent(low)}–{_percent(high)}{n})"
        lat, ttft = a.latency_ms, a.ttft_ms
        rows.append(
            (
                a.name,
                str(a.cases),
                *([str(a.requests)] if repeated else []),
                str(a.passed),
                str(a.failed),
                str(a.errored),
                rate,
                format_ms(lat.mean if lat else None),
                format_ms(lat.p50 if lat else None),
                format_ms(lat.p90 if lat else None),
                format_ms(lat.p99 if lat else None),
                format_ms(lat.max if lat else None),
                _ttft_cell(a, ttft.p50 if ttft else None),
                _ttft_cell(a, ttft.p90 if ttft else None),
            )
        )
    return Table(columns, tuple(rows))


def _summary_notes(adapters: tuple[AdapterSummary, ...]) -> tuple[str, ...]:
    notes = [
        "Failed includes Errored: a request that errored is a failed case. "
        "Latency and TTFT are measured on non-errored requests only."
    ]
    emulated = [a.name for a in adapters if ttft_label(a)]
    if emulated:
        notes.append(
            f"{TTFT_EMULATED_NOTE} for {', '.join(emulated)}: the adapter does not stream, "
            "so its TTFT is the full latency, not a time to first token."
        )
    copied = [
        a.name
        for a in adapters
        if a.info and a.info.cassette and a.info.replay_timing != "recorded"
    ]
    if copied:
        notes.append(
            f"Replayed at once from a cassette: {', '.join(copied)}. Their latency and TTFT "
            "are the times recorded in the cassette, copied, not measured in this run; their "
            "latency and TTFT checks were not made."
        )
    paced = [a.name for a in adapters if a.info and a.info.replay_timing == "recorded"]
    if paced:
        notes.append(
            f"Replayed from a cassette with the recorded timing: {', '.join(paced)}. Their "
            "latency and TTFT are this run's times of a replay that waits out the recorded "
            "gaps, not of a model."
        )
    repeated = [a for a in adapters if a.requests != a.cases]
    if repeated:
        counts = ", ".join(
            f"{a.name}: {a.requests} requests over {a.cases} cases" for a in repeated
        )
        notes.append(
            f"Cases were repeated ({counts}). Each case counts once: the pass rate is the mean "
            "of the cases' pass shares and its 95% CI is over n cases, not requests; the "
            f"paired test counts a case as passed when it passed a share >= {CASE_PASS_SHARE:g} "
            "of its repeats."
        )
    no_data = [a.name for a in adapters if a.cases and a.latency_ms is None]
    if no_data:
        notes.append(f"No latency measured for {', '.join(no_data)}: every request errored.")
    return tuple(notes)


def _expectations_table(adapters: tuple[AdapterSummary, ...]) -> Table | None:
    names = list(dict.fromkeys(e.name for a in adapters for e in a.expectations))
    if not names:
        return None
    rows = []
    for name in names:
        cells = [name]
        for a in adapters:
            e = next((e for e in a.expectations if e.name == name), None)
            cells.append(
                f"{e.passed}/{e.total} ({_percent(e.pass_rate)})" if e is not None else NOT_RUN
            )
        rows.append(tuple(cells))
    return Table(("Expectation", *(a.name for a in adapters)), tuple(rows))


def _comparisons_table(comparisons: tuple[PairComparison, ...]) -> Table | None:
    if not comparisons:
        return None
    rows = tuple(
        (
            c.adapter_a,
            c.adapter_b,
            str(c.shared_cases),
            str(c.both_passed),
            str(c.both_failed),
            str(c.a_passed_b_failed),
            str(c.b_passed_a_failed),
            format_p_value(c.p_value, SIGNIFICANCE_LEVEL).removeprefix("p").removeprefix("="),
        )
        for c in comparisons
    )
    columns = (
        "A",
        "B",
        "Shared cases",
        "Both passed",
        "Both failed",
        "A passed, B failed",
        "B passed, A failed",
        "p (exact McNemar)",
    )
    return Table(columns, rows)


def _comparison_notes(comparisons: tuple[PairComparison, ...]) -> tuple[str, ...]:
    if len(comparisons) < 2:
        return ()
    return (
        f"Each p-value tests one pair on its own; with {len(comparisons)} pairs, about one in "
        "twenty pairs with no real difference will still show p < 0.05 by chance.",
    )


def _failure_view(f: FailedCase) -> FailureView:
    why = ((f"error: {f.error}",) if f.error else ()) + f.reasons
    return FailureView(
        case_id=f.case_id,
        outcome=OUTCOME_LABELS[f.outcome],
        why=why or ("failed (no reason recorded)",),
        prompt=f.prompt,
        output=f.output,
    )


def _failure_groups(summary: RunSummary, limit: int) -> tuple[FailureGroup, ...]:
    by_adapter: dict[str, list[FailedCase]] = {a.name: [] for a in summary.adapters}
    for f in summary.failures:
        by_adapter[f.adapter].append(f)
    return tuple(
        FailureGroup(
            adapter=name,
            total=len(failed),
            shown=tuple(_failure_view(f) for f in failed[:limit]),
        )
        for name, failed in by_adapter.items()
        if failed
    )


def _flaky_table(summary: RunSummary) -> Table | None:
    if not summary.flaky:
        return None
    rows = tuple(
        (f.case_id, f.adapter, f"{f.passed}/{f.runs}", str(f.flips), _percent(f.flip_rate))
        for f in summary.flaky
    )
    return Table(("Case", "Adapter", "Passed", "Verdict changes", "Flip rate"), rows)


def _flaky_note(summary: RunSummary) -> str:
    if not summary.repeated_cases:
        return "No case was repeated (use repeat: N in the suite or --repeat N)."
    if not summary.flaky:
        return f"All {summary.repeated_cases} repeated cases gave the same verdict every time."
    return (
        f"{len(summary.flaky)} of {summary.repeated_cases} repeated cases changed verdict "
        "between repeats (flip rate: changes / (repeats - 1))."
    )


_built: dict[int, tuple[int, ReportContent]] = {}  # id(live summary) -> (max_failures, it)


def build_content(summary: RunSummary, max_failures: int = MAX_FAILURES_SHOWN) -> ReportContent:
    """Turn a run summary into the text of every report section. Kept while the summary
    lives (summaries are frozen): report.md and report.html of one build share it."""
    key = id(summary)
    if key not in _built:
        weakref.finalize(summary, _built.pop, key, None)
    elif _built[key][0] == max_failures:
        return _built[key][1]
    _built[key] = (max_failures, _build_content(summary, max_failures))
    return _built[key][1]


def _case_lines(summary: RunSummary) -> tuple[CaseLine, ...]:
    """The side-by-side rows; cells and ``differs`` once per distinct set of outcomes."""
    names = summary.adapter_names
    looks: dict[tuple[tuple[str, Outcome], ...], tuple[tuple[str, ...], bool]] = {}
    lines = []
    for row in summary.cases:
        outcomes = row.outcomes
        key = tuple(outcomes.items())
        look = looks.get(key)
        if look is None:
            cells = tuple(OUTCOME_LABELS[outcomes[n]] if n in outcomes else NOT_RUN for n in names)
            look = looks[key] = (cells, row.differs or len(outcomes) < len(names))
        lines.append(CaseLine(case_id=row.case_id, cells=look[0], differs=look[1]))
    return tuple(lines)


def _build_content(summary: RunSummary, max_failures: int) -> ReportContent:
    infos = [a.info for a in summary.adapters if a.info is not None]
    return ReportContent(
        title=f"{summary.manifest.suite_name}: run {summary.manifest.run_id}",
        header=_header(summary),
        errors=error_groups_table(summary.error_groups),
        error_notes=_error_notes(summary.error_groups),
        adapters=_adapters_table(infos),
        summary=_summary_table(summary.adapters),
        summary_notes=_summary_notes(summary.adapters),
        expectations=_expectations_table(summary.adapters),
        comparisons=_comparisons_table(summary.comparisons),
        verdicts=tuple(
            line for c in summary.comparisons for line in (c.verdict, c.engine_summary) if line
        ),
        comparison_notes=_comparison_notes(summary.comparisons),
        failures=_failure_groups(summary, max_failures),
        flaky=_flaky_table(summary),
        flaky_note=_flaky_note(summary),
        case_columns=("Case", *summary.adapter_names),
        cases=_case_lines(summary),
    )
