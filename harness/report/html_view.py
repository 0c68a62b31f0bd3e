"""What the HTML reports show above the drill-down: verdict cards and the speed/score table.

Plain formatted text, as :mod:`harness.report.content` does for every report; the template
escapes it. A verdict carries a symbol and a word besides its colour (``VERDICT_LABELS``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from harness.analysis.paired.results import FigureResult, PairComparisonResult
from harness.analysis.summarize import RunSummary
from harness.report.compare_format import VERDICT_LABELS, figure_cells, grouped_notes
from harness.report.content import NOT_RUN, Table, format_ms
from harness.report.html_charts import ForestRow
from harness.report.html_data import AdapterExtras

__all__ = [
    "FigureLine",
    "PairCard",
    "counts_of",
    "extras_table",
    "figure_lines",
    "forest_rows",
    "pair_notes",
    "run_cards",
]


@dataclass(frozen=True)
class FigureLine:
    """One figure of a pair, formatted: ``verdict`` is the key (CSS class), ``word`` the text."""

    label: str
    base: str
    candidate: str
    delta: str
    interval: str
    p_adjusted: str
    verdict: str
    word: str
    mde: str


@dataclass(frozen=True)
class PairCard:
    """A base/candidate pair: a headline, its figures (called ones first), its notes."""

    title: str
    headline: str
    figures: tuple[FigureLine, ...]
    notes: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]


_ORDER = {"worse": 0, "better": 1, "no_difference": 2}


def figure_lines(figures: Sequence[FigureResult], alpha: float) -> tuple[FigureLine, ...]:
    """The figures as table lines, worse first, then better, then no difference."""
    lines = []
    for f in sorted(figures, key=lambda f: _ORDER.get(f.verdict, 3)):
        cells = figure_cells(f, alpha)
        word = VERDICT_LABELS[f.verdict].replace("no difference", "no detectable difference")
        lines.append(
            FigureLine(
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                cells[6],
                f.verdict,
                word,
                cells[8],
            )
        )
    return tuple(lines)


def counts_of(figures: Sequence[FigureResult]) -> tuple[tuple[str, int], ...]:
    return tuple(
        (v, sum(f.verdict == v for f in figures)) for v in ("worse", "better", "no_difference")
    )


def run_cards(summary: RunSummary, alpha: float = 0.05) -> tuple[PairCard, ...]:
    """One card per adapter pair of the run (B against A, from the in-run paired engine)."""
    cards = []
    for c in summary.comparisons:
        figures = c.figures
        notes: list[str] = []
        for f in figures:
            for note in f.notes:
                if note not in notes:
                    notes.append(note)
        cards.append(
            PairCard(
                title=f"{c.adapter_b} vs {c.adapter_a}",
                headline=c.verdict,
                figures=figure_lines(figures, alpha),
                notes=tuple(notes),
                counts=counts_of(figures),
            )
        )
    return tuple(cards)


def forest_rows(titled: Sequence[tuple[str, Sequence[FigureResult]]]) -> list[ForestRow]:
    """The figures with a delta and an interval, labelled ``pair: figure``."""
    rows = []
    for title, figures in titled:
        for f in figures:
            if f.delta is None or not f.ci:
                continue
            label = figure_cells(f, 0.05)[0]
            rows.append(
                ForestRow(f"{title}: {label}", f.unit, f.delta, f.ci[0], f.ci[1], f.verdict)
            )
    return rows


def pair_notes(pair: PairComparisonResult) -> tuple[str, ...]:
    """The compare document's notes of a pair, grouped as compare.md shows them."""
    return tuple(grouped_notes(pair))


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _stdev(values: list[float], mean: float) -> float:
    """Sample standard deviation: numpy for the deviations, ``fsum`` for their squares (so the
    sum does not depend on the order of a kernel); ``statistics.stdev``'s exact fractions took
    0.5 s over 400,000 scores."""
    import numpy as np

    deviations = np.asarray(values, dtype=float) - mean
    return math.sqrt(math.fsum((deviations * deviations).tolist()) / (len(values) - 1))


def _mean_ci(values: list[float]) -> str:
    if not values:
        return NOT_RUN
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.3f} (n=1)"
    half = 1.96 * _stdev(values, mean) / math.sqrt(len(values))
    return f"{mean:.3f} ({mean - half:.3f}–{mean + half:.3f})"


def extras_table(summary: RunSummary, extras: dict[str, AdapterExtras]) -> Table:
    """Per adapter: inter-token latency, tokens/s, retries, flaky cases, mean score per metric."""
    metrics = list(dict.fromkeys(m for e in extras.values() for m in e.scores))
    flaky = {a: sum(f.adapter == a for f in summary.flaky) for a in summary.adapter_names}
    columns = (
        "Adapter",
        "ITL p50 (ms)",
        "ITL p90 (ms)",
        "Tokens/s p50",
        "Tokens/s p10",
        "Retried requests (extra attempts)",
        "Flaky cases",
        *(f"{m} mean score (95% CI)" for m in metrics),
    )
    rows = []
    for name in summary.adapter_names:
        e = extras.get(name, AdapterExtras())
        tps50, tps10 = _quantile(e.tokens_per_s, 0.5), _quantile(e.tokens_per_s, 0.1)
        rows.append(
            (
                name,
                format_ms(_quantile(e.itl_ms, 0.5)),
                format_ms(_quantile(e.itl_ms, 0.9)),
                NOT_RUN if tps50 is None else f"{tps50:,.1f}",
                NOT_RUN if tps10 is None else f"{tps10:,.1f}",
                f"{e.retried} ({e.extra_attempts})",
                str(flaky.get(name, 0)),
                *(_mean_ci(e.scores.get(m, [])) for m in metrics),
            )
        )
    return Table(columns, tuple(rows))
