"""``harness run SUITE``: run a suite, write its records and reports, print a summary."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from harness.cli.exits import RunNotCompleted, handle_errors
from harness.cli.progress import RunProgress
from harness.report.worker import ReportWorker
from harness.runner.run import RunOptions, run_suite
from harness.suite.load import load_suite


@click.command()
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder that receives the run folder <run-id>/.",
)
@click.option("--run-id", help="Name of the run folder (default: time, suite name, random).")
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1, 1024),
    help="Requests in flight at once (default: the suite's 'concurrency').",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 1000),
    help="Send every case N times (flakiness is reported across repeats).",
)
@click.option(
    "--timeout",
    "request_timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    help="Upper bound on one request, in seconds.",
)
@click.option(
    "--retries",
    "max_attempts",
    type=click.IntRange(1, 20),
    help="Requests per case at most, retries included (1: never retry).",
)
@click.option(
    "--rpm",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per minute to each adapter at most.",
)
@click.option("--seed", "order_seed", type=int, help="Seed of the order adapters take turns in.")
@click.option(
    "--warmup", type=click.IntRange(0, 100), help="Uncounted warm-up requests per adapter."
)
@click.option("--shard", help="Run only slice I of N of the cases (e.g. 2/4), for CI matrices.")
@click.option(
    "--resume",
    "resume",
    metavar="RUN_ID",
    help="Continue the run in <output-dir>/RUN_ID, skipping what it recorded.",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Response cache file (development runs: cached answers are not timed).",
)
@click.option(
    "--record",
    is_flag=True,
    help="Also write cassette.jsonl, replayable offline with `type: replay`.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output; only the summary.")
@click.option("--no-reports", is_flag=True, help="Write records and run.json only.")
@handle_errors
def run(
    suite_path: Path,
    output_dir: Path,
    run_id: str | None,
    concurrency: int | None,
    repeat: int | None,
    request_timeout_s: float | None,
    max_attempts: int | None,
    rpm: float | None,
    order_seed: int | None,
    warmup: int | None,
    shard: str | None,
    resume: str | None,
    cache_path: Path | None,
    record: bool,
    quiet: bool,
    no_reports: bool,
) -> None:
    """Send every case of SUITE to every adapter, score the answers, and write a report.

    Writes reports/<run-id>/: results.jsonl (one record per case x adapter, appended as each
    finishes), run.json, report.md, report.html and PNG charts.
    """
    from harness.shards import ShardSpecError, parse_shard

    try:
        shard_spec = parse_shard(shard) if shard is not None else None
    except ShardSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    if resume is not None and run_id is not None and run_id != resume:
        raise click.BadParameter("give either --run-id or --resume", param_hint="--resume")
    # Reports load pandas, matplotlib and Jinja2 (about a second): a worker on another core
    # imports them while the run runs (harness/report/worker.py).
    worker = None if no_reports else ReportWorker.start_if_useful()
    try:
        suite = load_suite(suite_path)
        console = Console(stderr=True)
        options = RunOptions(
            output_dir=output_dir,
            run_id=run_id,
            concurrency=concurrency,
            repeat=repeat,
            request_timeout_s=request_timeout_s,
            max_attempts=max_attempts,
            rpm=rpm,
            order_seed=order_seed,
            warmup=warmup,
            shard=shard_spec,
            resume=resume is not None,
            cache_path=cache_path,
            record=record,
        )
        if resume is not None:
            options = dataclasses.replace(options, run_id=resume)
        adapters = [a.name for a in suite.candidates]
        if not quiet:
            console.print(
                f"[bold]{suite.name}[/bold]: {len(suite.cases)} cases x {len(adapters)} adapters "
                f"({', '.join(adapters)})",
                highlight=False,
            )
        cases = suite.cases
        if shard_spec is not None:
            from harness.shards import select_shard

            cases = select_shard(suite.cases, *shard_spec)
        per_adapter = sum(repeat or c.repeat for c in cases)
        with RunProgress(adapters, per_adapter, quiet=quiet, console=console) as progress:
            outcome = run_suite(suite, options, on_record=progress.update)

        # The worker renders while this process prints the summary.
        submitted = worker is not None and worker.submit(outcome.run_dir)
        _print_summary(outcome.run_dir)
        _print_lag(outcome.manifest.harness_lag)
        written = [] if no_reports else _collect_reports(outcome.run_dir, worker, submitted)
        out = Console()
        out.print(f"run folder: {outcome.run_dir}", highlight=False)
        for path in written:
            out.print(f"  {path.name}", highlight=False)
        if outcome.records and outcome.errored == outcome.records:
            raise RunNotCompleted(
                f"every request failed ({outcome.errored} of {outcome.records}); "
                f"see {outcome.run_dir / 'results.jsonl'}"
            )
    finally:
        if worker is not None:
            worker.close()


def _collect_reports(run_dir: Path, worker: ReportWorker | None, submitted: bool) -> list[Path]:
    """The reports, from the worker when it wrote them, else written here."""
    if worker is not None and submitted:
        written = worker.result()
        if written is not None:
            return written
    from harness.report import write_reports

    return write_reports(run_dir)


LAG_WARNING_MS = 20.0


def _print_lag(lag: dict[str, object]) -> None:
    """Say how late the harness itself ran, and warn when it, not the model, was the limit."""
    p99 = lag.get("loop_lag_p99_ms")
    if not isinstance(p99, int | float):
        return
    wait = lag.get("queue_wait_mean_ms", 0)
    line = f"harness lag: event loop p99 {p99:.1f} ms; mean queue wait {wait} ms per request"
    console = Console(stderr=True)
    console.print(line, highlight=False)
    if p99 > LAG_WARNING_MS:
        console.print(
            f"warning: the harness's event loop ran up to {p99:.0f} ms late (p99): the harness, "
            "not the model, limited this run; latencies include that lag. Lower --concurrency "
            "or run the model server in its own process.",
            highlight=False,
        )


def _print_summary(run_dir: Path) -> None:
    from harness.analysis.totals import adapter_totals
    from harness.records.store import read_manifest

    manifest = read_manifest(run_dir)
    table = Table(title=f"{manifest.suite_name} — {manifest.run_id}")
    for col in (
        "adapter",
        "cases",
        "passed",
        "pass rate",
        "errors",
        "latency p50 ms",
        "latency p90 ms",
        "TTFT p50 ms",
    ):
        table.add_column(col, justify="left" if col == "adapter" else "right")
    emulated = False

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    for a in adapter_totals(run_dir):
        ttft = ms(a.ttft(50))
        if a.ttft_emulated and a.ttfts_ms:
            ttft += "*"
            emulated = True
        rate = "-" if a.pass_rate is None else f"{a.pass_rate:.0%}"
        table.add_row(
            a.name,
            str(a.records),
            str(a.passed),
            rate,
            str(a.errored),
            ms(a.latency(50)),
            ms(a.latency(90)),
            ttft,
        )
    if emulated:
        table.caption = "* emulated streaming: the whole reply came in one chunk, so TTFT = latency"
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 120))
    console.print(table)
