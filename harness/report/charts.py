"""PNG charts of a run: pass rate with its 95% CI, and latency / TTFT distributions per adapter.

matplotlib is imported inside :func:`write_charts` (it costs ~0.5 s), and figures are drawn
on ``Figure`` + ``FigureCanvasAgg`` rather than pyplot: no global state, no GUI backend,
safe in threads.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.summarize import AdapterSummary, RunSummary
from harness.report.content import TTFT_EMULATED_NOTE, ttft_label
from harness.report.files import write_file, write_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ADAPTER_COLOURS",
    "CHART_TITLES",
    "adapter_colour",
    "chart_figures",
    "svg",
    "write_charts",
]

CHART_TITLES = {
    "pass_rate.png": "Pass rate per adapter (error bars: 95% Wilson interval)",
    "latency.png": "Latency per adapter (ms)",
    "ttft.png": "Time to first token per adapter (ms)",
}

_LABEL_LIMIT = 28
_MAX_POINTS = 2000  # points drawn per adapter; the box still uses every sample
_EMULATED_COLOUR = "#8C8C8C"
ADAPTER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
"""Okabe-Ito colours (told apart with colour-blindness): adapter i has colour i in every chart."""


def adapter_colour(index: int) -> str:
    """The colour of the report's ``index``-th adapter, the same in every chart."""
    return ADAPTER_COLOURS[index % len(ADAPTER_COLOURS)]


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_LIMIT else name[: _LABEL_LIMIT - 3] + "..."


def _new_figure(n_adapters: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(6.0, 1.8 * n_adapters + 2.0), 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure) -> bytes:
    """``fig`` as PNG bytes."""
    buf = io.BytesIO()
    # No "Software" metadata: the bytes then depend only on the data, not the matplotlib build.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _pass_rate_chart(adapters: Sequence[AdapterSummary]) -> Figure:
    fig = _new_figure(len(adapters))
    ax = fig.add_subplot()
    xs = list(range(len(adapters)))
    for x, a in zip(xs, adapters, strict=True):
        if a.pass_rate is None or a.pass_rate_ci is None:
            ax.text(x, 2, "no records", ha="center", va="bottom", color="grey")
            continue
        rate, (low, high) = 100 * a.pass_rate, a.pass_rate_ci
        ax.bar(x, rate, width=0.6, color=adapter_colour(x))
        ax.errorbar(
            x, rate, yerr=[[rate - 100 * low], [100 * high - rate]], color="black", capsize=6
        )
        ax.text(x + 0.32, rate, f"{rate:.1f}%\n(n={a.cases})", va="center", fontsize=8)
    ax.set_xticks(xs, [_short(a.name) for a in adapters])
    ax.set_xlim(-0.6, len(adapters) - 0.4)
    ax.set_ylim(0, 105)
    ax.set_ylabel("pass rate (%)")
    ax.set_title(CHART_TITLES["pass_rate.png"])
    return fig


def _jitter(values: Sequence[float], x: float, seed: int) -> tuple[list[float], list[float]]:
    """A fixed-seed sample of the points with horizontal jitter, so charts are reproducible."""
    rng = random.Random(seed)
    ys = list(values) if len(values) <= _MAX_POINTS else rng.sample(list(values), _MAX_POINTS)
    return [x + rng.uniform(-0.18, 0.18) for _ in ys], ys


def _distribution(
    ax: Axes,
    samples: Sequence[Sequence[float]],
    emulated: Sequence[bool],
    empty_text: str,
) -> None:
    """Box (every sample) plus jittered points per position; a note where there is no data."""
    for x, (values, is_emulated) in enumerate(zip(samples, emulated, strict=True)):
        if not values:
            ax.text(
                x,
                0.5,
                empty_text,
                ha="center",
                va="center",
                color="grey",
                transform=ax.get_xaxis_transform(),
            )
            continue
        colour = _EMULATED_COLOUR if is_emulated else adapter_colour(x)
        box = ax.boxplot(
            [list(values)],
            positions=[x],
            widths=0.5,
            showfliers=False,
            manage_ticks=False,
            patch_artist=True,
        )
        for patch in box["boxes"]:
            patch.set(facecolor=colour, alpha=0.35, hatch="//" if is_emulated else None)
        px, py = _jitter(values, x, seed=x)
        ax.scatter(
            px, py, s=8, alpha=0.5, color=colour, edgecolors="none", zorder=3, rasterized=True
        )
    if any(len(values) > _MAX_POINTS for values in samples):
        ax.set_xlabel(f"boxes: every request; points: a random {_MAX_POINTS:,} per adapter")
    ax.set_xlim(-0.6, len(samples) - 0.4)
    ax.set_ylim(bottom=0)


def _latency_chart(adapters: Sequence[AdapterSummary]) -> Figure:
    fig = _new_figure(len(adapters))
    ax = fig.add_subplot()
    _distribution(
        ax,
        [a.latency_samples_ms for a in adapters],
        [False] * len(adapters),
        "no latency\n(no successful request)",
    )
    ax.set_xticks(range(len(adapters)), [_short(a.name) for a in adapters])
    ax.set_ylabel("latency (ms)")
    ax.set_title(CHART_TITLES["latency.png"])
    return fig


def _ttft_chart(adapters: Sequence[AdapterSummary]) -> Figure:
    fig = _new_figure(len(adapters))
    ax = fig.add_subplot()
    labels = [ttft_label(a) for a in adapters]
    _distribution(
        ax,
        [a.ttft_samples_ms for a in adapters],
        [bool(label) for label in labels],
        "no TTFT\n(no successful request)",
    )
    ticks = [
        f"{_short(a.name)}\n({label}: whole reply\nin one chunk)" if label else _short(a.name)
        for a, label in zip(adapters, labels, strict=True)
    ]
    ax.set_xticks(range(len(adapters)), ticks)
    ax.set_ylabel("TTFT (ms)")
    if any(labels):
        fig.suptitle(CHART_TITLES["ttft.png"])
        ax.set_title(f"hatched grey = {TTFT_EMULATED_NOTE}", fontsize=9)
    else:
        ax.set_title(CHART_TITLES["ttft.png"])
    return fig


def chart_figures(summary: RunSummary) -> dict[str, Figure]:
    """The charts of ``write_charts`` as figures, by file name (the HTML embeds them as SVG)."""
    adapters = summary.adapters
    return {
        "pass_rate.png": _pass_rate_chart(adapters),
        "latency.png": _latency_chart(adapters),
        "ttft.png": _ttft_chart(adapters),
    }


def svg(fig: Figure) -> str:
    """``fig`` as SVG text without metadata or a date (dense point clouds are rasterised)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "harness"}):  # fixed ids: same data, same bytes
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def write_png_and_svg(fig: Figure, png_path: Path, svg_path: Path) -> list[Path]:
    """Write one figure twice: PNG for downloads and markdown, SVG for the pages."""
    return [write_file(png_path, png(fig)), write_text(svg_path, svg(fig))]


def write_charts(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``pass_rate.png``, ``latency.png`` and ``ttft.png`` into ``out_dir``."""
    figures = chart_figures(summary)
    return [write_file(out_dir / name, png(fig)) for name, fig in figures.items()]
