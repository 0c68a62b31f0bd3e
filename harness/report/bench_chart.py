"""The load curve of `harness bench`: latency against throughput, one colour per adapter.

Same conventions as the run's charts (:mod:`harness.report.charts`): ``Figure`` without
pyplot, matplotlib imported on use, adapter ``i`` (in the order the points name them) drawn in
:func:`adapter_colour` ``(i)``, written as PNG and as SVG (``bench.html`` embeds the SVG).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.report.charts import adapter_colour, write_png_and_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BENCH_PNG", "BENCH_SVG", "bench_adapters", "bench_figure", "write_bench_chart"]

BENCH_PNG = "bench.png"
BENCH_SVG = "bench.svg"
_MODE_STYLE = {"concurrency": ("o", "-"), "rate": ("s", "--")}
"""Marker and line per sweep: closed loop solid circles, open loop dashed squares."""


def bench_adapters(points: Sequence[Mapping[str, Any]]) -> list[str]:
    """The adapters in the order the points first name them: adapter i gets colour i."""
    return list(dict.fromkeys(p["adapter"] for p in points))


def bench_figure(points: Sequence[dict[str, Any]]) -> Figure | None:
    """Median and p99 latency against achieved throughput, each point labelled with its load.

    None when no point has a latency (every request of every level failed).
    """
    series = _series(points)
    if not series:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    order = bench_adapters(points)
    for (adapter, mode), mine in series.items():
        colour = adapter_colour(order.index(adapter))
        marker, line = _MODE_STYLE.get(mode, ("D", ":"))
        xs = [p["throughput_rps"] for p in mine]
        p50 = [p["latency_p50_ms"] for p in mine]
        p99 = [p["latency_p99_ms"] for p in mine]
        ax.plot(xs, p50, marker=marker, linestyle=line, color=colour, label=f"{adapter} ({mode})")
        ax.plot(
            xs,
            p99,
            marker=marker,
            linestyle=line,
            color=colour,
            alpha=0.4,
            linewidth=1,
            markerfacecolor="white",
        )
        unit = "c" if mode == "concurrency" else "/s"
        for p, x, y in zip(mine, xs, p50, strict=True):
            ax.annotate(
                f"{p['load']:g}{unit}",
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
    ax.set_xlabel("throughput (successful requests/s)")
    ax.set_ylabel("latency (ms)")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.set_title(
        "Throughput vs latency per load level\n"
        "(point labels: c = requests in flight, /s = requests per second offered)",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += _percentile_handles()
    labels += ["p50 latency (filled)", "p99 latency (faint, hollow)"]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)), fontsize=8)
    return fig


def _percentile_handles() -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], marker="o", color="#555555"),
        Line2D([], [], marker="o", color="#555555", alpha=0.4, markerfacecolor="white"),
    ]


def write_bench_chart(points: Sequence[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write ``bench.png`` and ``bench.svg`` (the same figure); [] when nothing can be drawn."""
    fig = bench_figure(points)
    if fig is None:  # no curve: drop a previous bench's files, so no page shows a stale one
        for name in (BENCH_PNG, BENCH_SVG):
            (out_dir / name).unlink(missing_ok=True)
        return []
    return write_png_and_svg(fig, out_dir / BENCH_PNG, out_dir / BENCH_SVG)


def _series(points: Sequence[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in points:
        if p["latency_p50_ms"] is not None:
            out.setdefault((p["adapter"], p["mode"]), []).append(p)
    return out
