"""Charts only the HTML reports draw: latency/TTFT ECDFs, a forest plot, a tag heatmap.

Same conventions as :mod:`harness.report.charts` (``Figure`` without pyplot, matplotlib
imported on use, one colour per adapter from :func:`adapter_colour`); each is returned as SVG
text for embedding, with labelled axes and units.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.report.charts import adapter_colour, svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ForestRow", "chart", "ecdf_svg", "forest_svg", "tag_heatmap_svg"]

_ECDF_POINTS = 400
"""Steps drawn per ECDF line: quantiles at evenly spaced probabilities (exact at the ends)."""
_MAX_TAGS = 40
_MAX_LABEL = 90
_VERDICT_COLOUR = {"better": "#009E73", "worse": "#D55E00"}
_VERDICT_MARK = {
    "better": ("^", "better"),
    "worse": ("v", "worse"),
    "no_difference": ("o", "no difference"),
}


@dataclass(frozen=True)
class ForestRow:
    """One compared figure: its change (candidate - base) and interval, in ``unit``."""

    label: str
    unit: str
    delta: float
    low: float
    high: float
    verdict: str


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def ecdf_svg(
    samples: Mapping[str, Sequence[float]],
    names: Sequence[str],
    *,
    what: str,
    emulated: Sequence[str] = (),
) -> str | None:
    """``what`` (``latency`` or ``TTFT``) of every adapter as overlaid ECDFs; None without data."""
    import numpy as np

    if not any(samples.get(n) for n in names):
        return None
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    probs = np.linspace(0.0, 1.0, _ECDF_POINTS)
    for i, name in enumerate(names):
        values = np.asarray(samples.get(name) or (), dtype=float)
        if values.size == 0:
            continue
        xs = np.quantile(values, probs)
        label = f"{name} (emulated)" if name in emulated else name
        style = "--" if name in emulated else "-"
        ax.step(
            xs, probs * 100, where="post", color=adapter_colour(i), linestyle=style, label=label
        )
    ax.set_xscale("log")
    _plain_log_ticks(ax)
    ax.set_xlabel(f"{what} (ms, log scale)")
    ax.set_ylabel("requests at or below (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"{what}: share of requests at or below each time")
    return svg(fig)


def forest_svg(rows: Sequence[ForestRow]) -> str | None:
    """Each compared figure's change with its 95% interval, one panel per unit; None if empty."""
    units = list(dict.fromkeys(r.unit for r in rows))
    if not units:
        return None
    heights = [max(1, sum(r.unit == u for r in rows)) for u in units]
    labels = [_forest_label(r) for r in rows]
    fig = _figure(7.5, 1.2 + 0.32 * sum(heights) + 0.5 * len(units))
    # Wide enough for the longest label: at a fixed 7.5 in, labels of 60+ characters (four
    # adapters with long names) left the panels no width and constrained layout gave up.
    fig.set_figwidth(max(7.5, 3.0 + _text_inches(fig, labels)))
    axes = fig.subplots(len(units), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, unit in zip(axes[:, 0], units, strict=True):
        mine = [r for r in rows if r.unit == unit]
        scale = 100.0 if unit == "share" else 1.0
        ys = list(range(len(mine)))[::-1]
        # one errorbar call per verdict: dozens of single-point calls made dozens of artist
        # groups, and drawing them was most of a 6-pair report's chart time
        by_verdict: dict[str, list[tuple[int, ForestRow]]] = {}
        for y, r in zip(ys, mine, strict=True):
            by_verdict.setdefault(r.verdict, []).append((y, r))
        for verdict, group in by_verdict.items():
            marker, _ = _VERDICT_MARK.get(verdict, ("o", verdict))
            ax.errorbar(
                [r.delta * scale for _, r in group],
                [y for y, _ in group],
                xerr=[
                    [max(0.0, (r.delta - r.low) * scale) for _, r in group],
                    [max(0.0, (r.high - r.delta) * scale) for _, r in group],
                ],
                fmt=marker,
                color=_VERDICT_COLOUR.get(verdict, "#555555"),
                capsize=4,
                markersize=7,
            )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(ys, [label for r, label in zip(rows, labels, strict=True) if r.unit == unit])
        ax.set_ylim(-0.7, len(mine) - 0.3)
        unit_text = {"share": "percentage points", "score": "score"}.get(unit, unit)
        ax.set_xlabel(f"change, candidate - base ({unit_text}); bars: 95% interval")
        ax.grid(True, axis="x", alpha=0.3)
    axes[0, 0].set_title("Change with 95% interval", fontsize=10)
    axes[0, 0].legend(
        handles=_verdict_handles(),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.12),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    return svg(fig)


def _text_inches(fig: Figure, texts: Sequence[str]) -> float:
    """Width of the widest of ``texts`` as a y tick label, measured by the figure's renderer."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    font = FontProperties(size=rcParams["ytick.labelsize"])
    widest = max(renderer.get_text_width_height_descent(t, font, ismath=False)[0] for t in texts)
    return float(widest) / fig.dpi


def _forest_label(row: ForestRow) -> str:
    """``label (verdict)``, its middle elided past ``_MAX_LABEL`` characters (width stays
    bounded whatever the adapters are called)."""
    label = row.label
    if len(label) > _MAX_LABEL:
        half = (_MAX_LABEL - 1) // 2
        label = f"{label[:half]}…{label[-half:]}"
    return f"{label} ({_VERDICT_MARK.get(row.verdict, ('', row.verdict))[1]})"


def _verdict_handles() -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D(
            [],
            [],
            marker=marker,
            linestyle="none",
            color=_VERDICT_COLOUR.get(key, "#555555"),
            label=word,
        )
        for key, (marker, word) in _VERDICT_MARK.items()
    ]


def _plain_log_ticks(ax: Axes) -> None:
    """Log-axis ticks as plain numbers (mathtext labels cost seconds to lay out)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def tag_heatmap_svg(
    rates: Mapping[str, Mapping[str, tuple[int, int]]], names: Sequence[str]
) -> str | None:
    """Pass rate per tag (rows) and adapter (columns), the rate written in each cell."""
    import numpy as np

    tags = sorted(rates)[:_MAX_TAGS]
    if not tags:
        return None
    grid = np.full((len(tags), len(names)), np.nan)
    for r, tag in enumerate(tags):
        for c, name in enumerate(names):
            passed, total = rates[tag].get(name, (0, 0))
            if total:
                grid[r, c] = 100.0 * passed / total
    fig = _figure(max(5.0, 1.6 * len(names) + 3.0), 1.2 + 0.35 * len(tags))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=100, aspect="auto")
    for r in range(len(tags)):
        for c in range(len(names)):
            value = grid[r, c]
            text = "—" if np.isnan(value) else f"{value:.0f}%"
            ax.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value < 60 else "black",
            )
    ax.set_xticks(range(len(names)), list(names))
    ax.set_yticks(range(len(tags)), tags)
    ax.set_xlabel("adapter")
    ax.set_ylabel("tag")
    fig.colorbar(image, ax=ax, label="pass rate (%)")
    title = "Pass rate per tag (requests)"
    if len(rates) > _MAX_TAGS:
        title += f": first {_MAX_TAGS} of {len(rates)} tags"
    ax.set_title(title)
    return svg(fig)


def chart(title: str, svg_text: str | None, png: bytes | None = None) -> dict[str, str] | None:
    """A chart for the template: the SVG as a data URI, and the PNG to download if written."""
    if svg_text is None:
        return None
    out = {
        "title": title,
        "src": "data:image/svg+xml;base64," + base64.b64encode(svg_text.encode()).decode("ascii"),
    }
    if png is not None:
        out["png"] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return out
