"""``bench.html``: the page of ``harness bench``, in the design of ``report.html``.

One self-contained file: highlights per adapter (plain facts read off the points, no
statistics), the throughput-against-latency chart (``bench.svg`` as a ``data:`` image, the PNG
to download), and every point of ``bench.json`` as a table. Adapter and suite names are
untrusted text: Jinja2 escapes them, the page has no script at all (its Content-Security-Policy
allows none), and the chart is an image, which cannot run script whatever a label holds.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report.bench_chart import BENCH_PNG, BENCH_SVG, bench_adapters
from harness.report.charts import adapter_colour
from harness.report.files import write_text

__all__ = ["BENCH_HTML", "BenchHighlight", "bench_context", "write_bench_html"]

BENCH_HTML = "bench.html"
COLUMNS = (
    "Adapter",
    "Load",
    "Requests",
    "Errors",
    "Duration (s)",
    "Throughput (req/s)",
    "Output tokens/s",
    "Latency p50 (ms)",
    "Latency p90 (ms)",
    "Latency p99 (ms)",
    "TTFT p50 (ms)",
    "TTFT p99 (ms)",
)


@dataclass(frozen=True)
class BenchHighlight:
    """What one adapter's sweep showed, each line a fact of the measured points."""

    adapter: str
    colour: str
    lines: list[str]
    errors: int
    requests: int


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _load(point: Mapping[str, Any]) -> str:
    if point["mode"] == "concurrency":
        return f"concurrency {point['load']:g}"
    return f"{point['load']:g} req/s offered"


def _ttft(value: float | None, emulated: bool) -> str:
    return _num(value) + (" (emulated)" if emulated and value is not None else "")


def _sweep_lines(mine: Sequence[Mapping[str, Any]]) -> list[str]:
    """Peak throughput and how the median latency moved from the lightest load to the heaviest."""
    lines = []
    timed = [p for p in mine if p["latency_p50_ms"] is not None]
    if timed:
        peak = max(timed, key=lambda p: p["throughput_rps"])
        lines.append(
            f"Peak throughput {_num(peak['throughput_rps'])} req/s at {_load(peak)} "
            f"(latency p50 {_num(peak['latency_p50_ms'])} ms, p99 "
            f"{_num(peak['latency_p99_ms'])} ms)."
        )
        light, heavy = timed[0], timed[-1]
        if heavy is not light:
            lines.append(
                f"Latency p50 {_num(light['latency_p50_ms'])} ms at {_load(light)}, "
                f"{_num(heavy['latency_p50_ms'])} ms at {_load(heavy)}."
            )
    untimed = [_load(p) for p in mine if p["latency_p50_ms"] is None]
    if untimed:
        lines.append("No successful request at " + ", ".join(untimed) + ".")
    return lines


def _highlights(points: Sequence[Mapping[str, Any]]) -> list[BenchHighlight]:
    out = []
    for i, adapter in enumerate(bench_adapters(points)):
        mine = [p for p in points if p["adapter"] == adapter]
        lines: list[str] = []
        for mode in dict.fromkeys(p["mode"] for p in mine):
            lines += _sweep_lines(sorted((p for p in mine if p["mode"] == mode), key=_by_load))
        if any(p["ttft_emulated"] for p in mine):
            lines.append("TTFT is emulated: the adapter does not stream, so it is the latency.")
        out.append(
            BenchHighlight(
                adapter=adapter,
                colour=adapter_colour(i),
                lines=lines,
                errors=sum(p["errors"] for p in mine),
                requests=sum(p["requests"] for p in mine),
            )
        )
    return out


def _by_load(point: Mapping[str, Any]) -> float:
    return float(point["load"])


def _rows(points: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    order = bench_adapters(points)
    return [
        {
            "adapter": p["adapter"],
            "colour": adapter_colour(order.index(p["adapter"])),
            "errors": p["errors"],
            "cells": [
                _load(p),
                f"{p['requests']:,}",
                f"{p['errors']:,}",
                _num(p.get("duration_s"), 2),
                _num(p["throughput_rps"]),
                _num(p.get("output_tokens_per_s")),
                _num(p["latency_p50_ms"]),
                _num(p.get("latency_p90_ms")),
                _num(p["latency_p99_ms"]),
                _ttft(p.get("ttft_p50_ms"), p["ttft_emulated"]),
                _ttft(p.get("ttft_p99_ms"), p["ttft_emulated"]),
            ],
        }
        for p in points
    ]


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def bench_context(data: Mapping[str, Any], out_dir: Path) -> dict[str, Any]:
    """The template context: ``data`` is bench.json's content; the chart files are read from
    ``out_dir`` when ``write_bench_chart`` wrote them."""
    points = list(data.get("points", []))
    chart = None
    if (out_dir / BENCH_SVG).is_file():
        chart = {
            "src": _data_uri("image/svg+xml", (out_dir / BENCH_SVG).read_bytes()),
            "png": _data_uri("image/png", (out_dir / BENCH_PNG).read_bytes())
            if (out_dir / BENCH_PNG).is_file()
            else None,
        }
    suite = str(data.get("suite", ""))
    return {
        "title": f"{suite}: throughput vs latency",
        "highlights": _highlights(points),
        "chart": chart,
        "columns": COLUMNS,
        "rows": _rows(points),
        "header": [
            ("Suite", suite),
            ("Started", str(data.get("started_at", "–"))),
            ("Finished", str(data.get("finished_at", "–"))),
            ("Requests per level", f"{data.get('requests_per_level', '–')}"),
            ("Points", f"{len(points)}"),
        ],
    }


def write_bench_html(data: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``bench.html`` into ``out_dir`` from bench.json's ``data`` and the chart beside it."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=True,  # adapter and suite names are untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    page = env.get_template("bench.html.j2").render(**bench_context(data, out_dir))
    return write_text(out_dir / BENCH_HTML, page)
