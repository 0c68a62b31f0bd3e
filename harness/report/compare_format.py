"""How a compared figure reads: its label, values in its unit, interval, p-value and verdict.

Shared by ``compare.md`` and the console table of ``harness compare``, so both say the same
thing in the same words. A verdict shows a symbol and a word (the symbol alone would not
survive a screen reader or a colour-blind reader).
"""

from __future__ import annotations

from harness.analysis.paired.results import FigureResult, PairComparisonResult
from harness.analysis.stats import format_p_value

__all__ = [
    "FIGURE_LABELS",
    "VERDICT_LABELS",
    "figure_cells",
    "grouped_notes",
    "figure_label",
    "format_delta",
    "format_p",
    "format_value",
]

VERDICT_LABELS = {
    "better": "✓ better",
    "worse": "✗ worse",
    "no_difference": "= no difference",
}

FIGURE_LABELS = {
    "pass_rate": "pass rate",
    "error_rate": "error rate",
    "latency_p50_ms": "latency p50",
    "latency_p95_ms": "latency p95",
    "ttft_p50_ms": "TTFT p50",
    "ttft_p95_ms": "TTFT p95",
    "itl_mean_ms": "inter-token latency (mean)",
    "tokens_per_s": "output tokens/s",
}

NONE = "—"


def figure_label(name: str) -> str:
    """``pass rate``, ``score: rouge_l``, ``latency p95``…; unknown names as they are."""
    if name.startswith("score:"):
        return f"score: {name[len('score:') :]}"
    return FIGURE_LABELS.get(name, name)


_UNITS = {  # unit -> (scale, decimals, suffix of a value, suffix of a change)
    "share": (100.0, 1, "%", " pts"),
    "ms": (1.0, 1, " ms", " ms"),
    "tokens/s": (1.0, 1, "/s", "/s"),
}
_SCORE_UNIT = (1.0, 3, "", "")


def _number(value: float, unit: str, *, sign: str, change: bool) -> str:
    scale, digits, value_suffix, change_suffix = _UNITS.get(unit, _SCORE_UNIT)
    return f"{value * scale:{sign}.{digits}f}{change_suffix if change else value_suffix}"


def format_value(value: float | None, unit: str) -> str:
    """A side's value of a figure, in its unit (a share as a percentage)."""
    return NONE if value is None else _number(value, unit, sign="", change=False)


def format_delta(value: float | None, unit: str, *, signed: bool = True) -> str:
    """A change (candidate - base): points for shares, the unit otherwise."""
    if value is None:
        return NONE
    return _number(value, unit, sign="+" if signed else "", change=True)


def _interval(bounds: list[float] | None, unit: str) -> str:
    if not bounds:
        return NONE
    low, high = (format_delta(b, unit) for b in bounds)
    return f"[{low}, {high}]"


def format_p(p: float | None, alpha: float) -> str:
    """``0.031``, ``<0.001`` (enough digits to show which side of alpha it lies on)."""
    if p is None:
        return NONE
    return format_p_value(p, alpha).removeprefix("p=").removeprefix("p")


def _delta_cell(figure: FigureResult) -> str:
    text = format_delta(figure.delta, figure.unit)
    if figure.ratio is not None:
        text += f" (×{figure.ratio:.2f})"
    return text


def _verdict_cell(figure: FigureResult) -> str:
    text = VERDICT_LABELS[figure.verdict]
    if not figure.comparable:
        text += " (not comparable)"
    return text


def figure_cells(figure: FigureResult, alpha: float) -> tuple[str, ...]:
    """Figure, base, candidate, delta, 95% CI, raw p, adjusted p, verdict, mde."""
    mde = NONE if figure.mde is None else format_delta(figure.mde, figure.unit, signed=False)
    return (
        figure_label(figure.figure),
        format_value(figure.base, figure.unit),
        format_value(figure.candidate, figure.unit),
        _delta_cell(figure),
        _interval(figure.ci, figure.unit),
        format_p(figure.p_value, alpha),
        format_p(figure.p_adjusted, alpha),
        _verdict_cell(figure),
        mde,
    )


def grouped_notes(pair: PairComparisonResult) -> list[str]:
    """The figures' notes, each text once with the figures it applies to, then the pair's."""
    by_text: dict[str, list[str]] = {}
    for figure in pair.figures:
        for note in figure.notes:
            by_text.setdefault(note, []).append(figure_label(figure.figure))
    return [f"{', '.join(names)}: {text}" for text, names in by_text.items()] + pair.notes
