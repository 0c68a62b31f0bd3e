"""The load curve of `harness bench`: latency against throughput, one line per adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["write_bench_chart"]


def write_bench_chart(points: list[dict[str, Any]], path: Path) -> Path:
    """Median and p99 latency against achieved throughput, each point labelled with its load."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for (adapter, mode), series in _series(points).items():
        xs = [p["throughput_rps"] for p in series]
        p50 = [p["latency_p50_ms"] for p in series]
        p99 = [p["latency_p99_ms"] for p in series]
        style = "-o" if mode == "concurrency" else "--s"
        (line,) = ax.plot(xs, p50, style, label=f"{adapter} ({mode}) p50")
        ax.plot(xs, p99, style, alpha=0.35, color=line.get_color(), label=f"{adapter} p99")
        unit = "c" if mode == "concurrency" else "rps"
        for p, x, y in zip(series, xs, p50, strict=True):
            ax.annotate(
                f"{p['load']:g}{unit}",
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
    ax.set_xlabel("throughput (successful requests / s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Throughput vs latency")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _series(points: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in points:
        if p["latency_p50_ms"] is not None:
            out.setdefault((p["adapter"], p["mode"]), []).append(p)
    return out
