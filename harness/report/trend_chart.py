"""The trend chart of ``harness history``: each figure of a suite across its runs, oldest first.

One panel per figure that has data, runs evenly spaced on the x axis (labelled with their
start time), one colour per adapter from the reports' palette (the same adapter order, so the
same colour as in the run's own charts when its adapters do not change). A run whose suite
changed gets a dashed vertical line, so a jump there is read as a suite change first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.history import TREND_FIGURES, AdapterPoint, HistoryDocument
from harness.report.charts import adapter_colour, write_png_and_svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["TREND_PNG", "TREND_SVG", "trend_figure", "write_trend_chart"]

TREND_PNG = "trend.png"
TREND_SVG = "trend.svg"
_PERCENT = {"pass_rate", "error_rate"}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""A marker shape per adapter besides its colour, so the lines read in greyscale too."""
_DODGE = 0.04


def _value(doc: HistoryDocument, run: int, adapter: str, key: str) -> float | None:
    for point in doc.runs[run].adapters:
        if point.adapter == adapter:
            value = getattr(point, key)
            if value is None:
                return None
            return 100 * float(value) if key in _PERCENT else float(value)
    return None


def _tick(doc: HistoryDocument, run: int) -> str:
    r = doc.runs[run]
    when = r.started_at.replace("T", " ")[:16]
    return f"{when}\n{r.run_id[-12:]}" + ("\n(suite changed)" if r.suite_changed else "")


def _panel(axes: Axes, doc: HistoryDocument, key: str, label: str) -> None:
    n = len(doc.adapters)
    for index, adapter in enumerate(doc.adapters):
        colour, marker = adapter_colour(index), _MARKERS[index % len(_MARKERS)]
        dodge = (index - (n - 1) / 2) * _DODGE  # equal values stay visible side by side
        shown = [
            (x + dodge, y, _point(doc, x, adapter))
            for x in range(len(doc.runs))
            if (y := _value(doc, x, adapter, key)) is not None
        ]
        if not shown:
            continue
        xs, ys = [x for x, _, _ in shown], [y for _, y, _ in shown]
        axes.plot(xs, ys, color=colour, marker=marker, linewidth=1.5, label=adapter)
        hollow = key.startswith("ttft") and any(p.ttft_emulated for _, _, p in shown)
        for x, y, point in shown:
            if key.startswith("ttft") and point.ttft_emulated:
                axes.plot([x], [y], marker=marker, color=colour, markerfacecolor="white")
            if key == "pass_rate" and point.pass_rate_low is not None:
                low, high = 100 * point.pass_rate_low, 100 * (point.pass_rate_high or 0.0)
                axes.errorbar([x], [y], yerr=[[y - low], [high - y]], color=colour, capsize=3)
        if hollow:
            axes.set_title("hollow markers: emulated TTFT (whole reply in one chunk)", fontsize=8)
    for x, run in enumerate(doc.runs):
        if run.suite_changed:
            axes.axvline(x - 0.5, color="#555555", linestyle="--", linewidth=1)
    if key == "pass_rate":
        axes.set_ylim(-2, 102)
    elif key == "error_rate":  # a row of zeros reads as "no errors", not as noise near 0
        axes.set_ylim(0, max(5.0, axes.get_ylim()[1]))
    else:
        axes.set_ylim(bottom=0)
    axes.set_ylabel(label)
    axes.grid(axis="y", alpha=0.3)


def _point(doc: HistoryDocument, run: int, adapter: str) -> AdapterPoint:
    return next(p for p in doc.runs[run].adapters if p.adapter == adapter)


def trend_figure(doc: HistoryDocument) -> Figure | None:
    """The chart, or None when no figure has a value in any run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = [
        (key, label)
        for key, label in TREND_FIGURES
        if any(getattr(p, key) is not None for r in doc.runs for p in r.adapters)
    ]
    if not keys:
        return None
    width = max(7.0, 1.2 * len(doc.runs) + 3.0)
    fig = Figure(figsize=(width, 2.2 * len(keys) + 1.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (key, label) in zip(axes, keys, strict=True):
        _panel(ax, doc, key, label)
    fig.suptitle(f"{doc.suite_name}: figures across {len(doc.runs)} runs")
    handles, labels = axes[0].get_legend_handles_labels()
    if not handles:  # no pass rate anywhere: take the lines of the first panel that has some
        handles, labels = next(
            (h, lab) for h, lab in (a.get_legend_handles_labels() for a in axes) if h
        )
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
    last = axes[-1]
    last.set_xticks(list(range(len(doc.runs))))
    last.set_xticklabels([_tick(doc, x) for x in range(len(doc.runs))], fontsize="small")
    last.set_xlabel("Run (start time, UTC; dashed line: the suite changed)")
    last.set_xlim(-0.5, len(doc.runs) - 0.5)
    return fig


def write_trend_chart(doc: HistoryDocument, out_dir: Path) -> list[Path]:
    """Write ``trend.png`` and ``trend.svg`` into ``out_dir``; [] when there is nothing to draw."""
    fig = trend_figure(doc)
    if fig is None:
        return []
    return write_png_and_svg(fig, out_dir / TREND_PNG, out_dir / TREND_SVG)
