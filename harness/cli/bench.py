"""``harness bench SUITE``: throughput against latency for each adapter, at several loads."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from harness.cli.executor_options import bench_execution, bench_points_on_ray, executor_options
from harness.cli.exits import handle_errors


def _numbers(kind: type[int] | type[float]) -> Any:
    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> list[Any]:
        if not value:
            return []
        try:
            numbers = [kind(v) for v in value.split(",") if v.strip()]
        except ValueError:
            raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None
        if any(n <= 0 for n in numbers):
            raise click.BadParameter("every value must be above 0")
        return numbers

    return parse


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


@click.command()
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))
@click.option(
    "--concurrency",
    "concurrency",
    callback=_numbers(int),
    default="1,4,16,64",
    show_default=True,
    help="Closed-loop levels: requests in flight at once.",
)
@click.option(
    "--rate",
    "rates",
    callback=_numbers(float),
    default=None,
    help="Open-loop levels: requests sent per second, e.g. 5,10,20.",
)
@click.option(
    "--requests",
    type=click.IntRange(1, 1_000_000),
    default=200,
    show_default=True,
    help="Requests per level (the suite's cases, cycled).",
)
@click.option("--adapter", "only", multiple=True, help="Bench only this adapter (repeatable).")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
)
@click.option("--run-id", help="Name of the output folder.")
@executor_options
@handle_errors
def bench(
    suite_path: Path,
    concurrency: list[int],
    rates: list[float],
    requests: int,
    only: tuple[str, ...],
    output_dir: Path,
    run_id: str | None,
    executor: str | None,
    workers: int | None,
    ray_address: str | None,
) -> None:
    """Measure throughput against latency for each adapter of SUITE.

    Writes bench.json (every point), bench.md, the curve as bench.png and bench.svg, and
    bench.html (highlights, chart and table in one self-contained page) to reports/<run-id>/.
    """
    from harness.errors import HarnessError
    from harness.records.redaction import in_effect
    from harness.report.bench_chart import write_bench_chart
    from harness.report.bench_html import write_bench_html
    from harness.runner.bench import bench_adapter
    from harness.runner.run import new_run_id
    from harness.runner.setup import EmulatorHandle, build_llm, suite_redactor
    from harness.suite.load import load_suite

    suite = load_suite(suite_path)
    chosen = [a for a in suite.candidates if not only or a.name in only]
    unknown = set(only) - {a.name for a in suite.candidates}
    if unknown:
        raise HarnessError(
            f"unknown adapter(s) {sorted(unknown)}; suite has: "
            + ", ".join(a.name for a in suite.candidates)
        )
    run_dir = output_dir / (run_id or new_run_id(suite.name + "-bench"))
    run_dir.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    points: list[dict[str, Any]] = []
    started = datetime.now(timezone.utc).isoformat()
    chosen_executor = bench_execution(suite, executor, workers, ray_address)
    with EmulatorHandle(suite) as emu, in_effect(suite_redactor(suite, emu)) as redactor:
        if chosen_executor["executor"] == "ray":  # each level split between Ray workers
            points += bench_points_on_ray(
                suite,
                chosen,
                emu,
                redactor.secrets,
                console,
                concurrency,
                rates,
                requests,
                chosen_executor,
            )
        for adapter in chosen if chosen_executor["executor"] != "ray" else ():
            llm = build_llm(adapter, emu.options_for(adapter, resolve=True))

            def show(point: Any) -> None:
                points.append(point.as_dict())
                console.print(
                    f"{point.adapter} {point.mode}={point.load:g}: "
                    f"{point.throughput_rps:,.1f} req/s, p50 {_fmt(point.latency_p50_ms)} ms, "
                    f"errors {point.errors}",
                    highlight=False,
                )

            async def go(adapter: Any = adapter, llm: Any = llm, show: Any = show) -> None:
                try:
                    await bench_adapter(
                        suite,
                        adapter,
                        llm,
                        concurrency=concurrency,
                        rates=rates,
                        requests=requests,
                        timeout_s=suite.request_timeout_s,
                        on_point=show,
                    )
                finally:
                    close = getattr(llm, "aclose", None)
                    if close is not None:
                        await close()

            asyncio.run(go())
    data = {
        "suite": suite.name,
        "started_at": started,
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "requests_per_level": requests,
        "executor": chosen_executor,
        "points": points,
    }
    (run_dir / "bench.json").write_text(json.dumps(data, indent=2) + "\n")
    _write_markdown(run_dir / "bench.md", suite.name, points)
    write_bench_chart(points, run_dir)
    write_bench_html(data, run_dir)
    table = Table(title=f"{suite.name}: throughput vs latency")
    for col in (
        "adapter",
        "mode",
        "load",
        "req/s",
        "tokens/s",
        "p50 ms",
        "p99 ms",
        "TTFT p50 ms",
        "errors",
    ):
        table.add_column(col, justify="left" if col in ("adapter", "mode") else "right")
    for p in points:
        ttft = _fmt(p["ttft_p50_ms"]) + ("*" if p["ttft_emulated"] else "")
        table.add_row(
            p["adapter"],
            p["mode"],
            f"{p['load']:g}",
            _fmt(p["throughput_rps"]),
            _fmt(p["output_tokens_per_s"]),
            _fmt(p["latency_p50_ms"]),
            _fmt(p["latency_p99_ms"]),
            ttft,
            str(p["errors"]),
        )
    out = Console()
    if not out.is_terminal:
        out = Console(width=max(out.width, 120))
    out.print(table)
    out.print(f"bench folder: {run_dir}", highlight=False)


def _write_markdown(path: Path, suite: str, points: list[dict[str, Any]]) -> None:
    lines = [
        f"# {suite}: throughput vs latency",
        "",
        "![curve](bench.png)",
        "",
        "| adapter | mode | load | req/s | tokens/s | p50 ms | p90 ms | p99 ms | TTFT p50 ms "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        ttft = _fmt(p["ttft_p50_ms"]) + (" (emulated)" if p["ttft_emulated"] else "")
        lines.append(
            f"| {p['adapter']} | {p['mode']} | {p['load']:g} | {_fmt(p['throughput_rps'])} "
            f"| {_fmt(p['output_tokens_per_s'])} | {_fmt(p['latency_p50_ms'])} "
            f"| {_fmt(p['latency_p90_ms'])} | {_fmt(p['latency_p99_ms'])} | {ttft} "
            f"| {p['errors']} |"
        )
    path.write_text("\n".join(lines) + "\n")
