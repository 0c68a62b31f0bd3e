"""``harness run SUITE``: run a suite, write its records and reports, print a summary."""

from __future__ import annotations

import os
import shlex
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.cli.executor_options import executor_options, executor_settings
from harness.cli.exits import (
    EXIT_CODES_HELP,
    ExitCode,
    RunNotCompleted,
    TerminateAsInterrupt,
    handle_errors,
)
from harness.cli.gate import (
    GATE_HELP,
    JUNIT_HELP,
    evaluate_and_print,
    load_input,
    parse_gate_options,
    suite_gate_list,
)
from harness.cli.progress import RunProgress
from harness.report.worker import ReportWorker
from harness.runner.run import RUN_THREAD_PREFIXES, RunOptions, new_run_id, run_suite
from harness.suite.load import Suite, load_suite

if TYPE_CHECKING:
    from harness.analysis.totals import AdapterTotals, RunTotals
    from harness.gates.inputs import GateInput
    from harness.gatespec import Gate

DEFAULT_OUTPUT_DIR = Path("reports")


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUTPUT_DIR,
    show_default=True,
    help="Folder that receives the run folder <run-id>/.",
)
@click.option(
    "--run-id",
    help="Name of the run folder (default: time, suite name, random). A folder that already "
    "holds records is refused (exit 4): continue it with --resume instead.",
)
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
@click.option(
    "--allow-adapter-errors",
    is_flag=True,
    help="Exit 0 even when an adapter never answered (every request to it failed) while "
    "another did; without it that run exits 5. A run where every request failed exits 5.",
)
@click.option("--gate", "gate_exprs", multiple=True, metavar="EXPR", help=GATE_HELP)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Baseline file or run folder for baseline gates (no_regression...).",
)
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help=JUNIT_HELP)
@executor_options
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
    allow_adapter_errors: bool,
    gate_exprs: tuple[str, ...],
    baseline: Path | None,
    junit: Path | None,
    executor: str | None,
    workers: int | None,
    ray_address: str | None,
    quiet: bool,
    no_reports: bool,
) -> int:
    """Send every case of SUITE to every adapter, score the answers, and write a report.

    Writes reports/<run-id>/: results.jsonl (one record per case x adapter, appended as each
    finishes), run.json, report.md, report.html, summary.json and PNG charts.

    Ctrl-C or SIGTERM stops sending, keeps the records written so far, marks run.json
    interrupted, prints the --resume command that finishes the run, and exits 2.
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
    terminate = TerminateAsInterrupt()
    interrupted = False
    try:
        with terminate.installed():
            suite = load_suite(suite_path)
            gates = suite_gate_list(suite.gates) + parse_gate_options(gate_exprs)
            base = _gate_baseline(gates, baseline)
            # Chosen here, not by run_suite, so an interruption can name it in --resume.
            run_id = resume or run_id or new_run_id(suite.name)
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
                **executor_settings(executor, workers, ray_address),
            )
            try:
                _run_and_summarize(
                    suite,
                    options,
                    worker,
                    quiet=quiet,
                    no_reports=no_reports,
                    allow_adapter_errors=allow_adapter_errors,
                )
                if gates or junit:  # exit 1 when a gate fails, 4 when one cannot be evaluated
                    run_input = load_input(output_dir / run_id, "SUITE")
                    return evaluate_and_print(gates, run_input, base, junit=junit)
            except Exception:
                if terminate.signal_name is None:
                    raise
                # A KeyboardInterrupt raised inside an import or a library can come out as
                # another error (pydantic wraps it): after SIGTERM, it is the interruption.
                interrupted = True
                _explain_interruption(suite_path, output_dir / run_id, terminate.signal_name)
                raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None
            except KeyboardInterrupt:
                interrupted = True
                _explain_interruption(suite_path, output_dir / run_id, terminate.signal_name)
                raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None
    finally:
        if worker is not None:
            worker.close()
        if interrupted:
            _leave_stuck_threads()
    return ExitCode.OK


def _gate_baseline(gates: list[Gate], baseline: Path | None) -> GateInput | None:
    """The baseline, read before the run: a gate that needs one and has none is exit 4."""
    needs = [g.text for g in gates if g.needs_baseline]
    if needs and baseline is None:
        raise click.UsageError(f"gate {needs[0]!r} needs --baseline FILE_OR_RUN")
    return load_input(baseline, "--baseline") if baseline is not None else None


def _leave_stuck_threads() -> None:
    """Exit 2 now if a sync-only adapter's thread is still inside a request.

    Such a thread cannot be cancelled, and Python waits for it at exit: a stop that was asked
    for would hang until the request returned. Records and run.json are written by now.
    """
    stuck = [
        t for t in threading.enumerate() if t.name.startswith(RUN_THREAD_PREFIXES) and t.is_alive()
    ]
    if stuck:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(ExitCode.INTERRUPTED)


def _run_and_summarize(
    suite: Suite,
    options: RunOptions,
    worker: ReportWorker | None,
    *,
    quiet: bool,
    no_reports: bool,
    allow_adapter_errors: bool,
) -> None:
    """Run, print the summary and the lag, collect the reports; RunNotCompleted for exit 5."""
    console = Console(stderr=True)
    adapters = [a.name for a in suite.candidates]
    if not quiet:
        console.print(
            f"[bold]{suite.name}[/bold]: {len(suite.cases)} cases x {len(adapters)} adapters "
            f"({', '.join(adapters)})",
            highlight=False,
        )
    cases = suite.cases
    if options.shard is not None:
        from harness.shards import select_shard

        cases = select_shard(suite.cases, *options.shard)
    per_adapter = sum(options.repeat or c.repeat for c in cases)
    with RunProgress(adapters, per_adapter, quiet=quiet, console=console) as progress:
        outcome = run_suite(suite, options, on_record=progress.update)

    # The worker renders while this process prints the summary.
    submitted = worker is not None and worker.submit(outcome.run_dir)
    totals = _print_summary(outcome.run_dir)
    _print_error_groups(outcome.run_dir)
    silent = _report_silent_adapters(totals, allow=allow_adapter_errors)
    _print_lag(outcome.manifest.harness_lag, outcome.manifest.execution)
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
    if silent and not allow_adapter_errors:
        names = ", ".join(f"{a.name} ({a.errored} errors)" for a in silent)
        raise RunNotCompleted(
            f"{len(silent)} adapter(s) never answered: {names}; "
            "pass --allow-adapter-errors to accept a run with such adapters"
        )


def _report_silent_adapters(totals: RunTotals, *, allow: bool) -> list[AdapterTotals]:
    """Say loudly which adapters never answered while another did; return them."""
    silent = totals.never_answered
    if not silent or len(silent) == len([a for a in totals.adapters if a.records]):
        return []  # none, or every adapter failed: the "every request failed" rule speaks
    console = Console(stderr=True)
    for a in silent:
        label = "warning" if allow else "error"
        line = Text(f"{label}: adapter ", style="bold red")
        line.append(repr(a.name), style="bold")
        line.append(
            f" never answered: all {a.errored} of its requests failed, so its results "
            "measure nothing about the model",
            style="bold red",
        )
        console.print(line)
    return list(silent)


def _print_error_groups(run_dir: Path) -> None:
    """Why requests failed (by adapter and kind), when any did."""
    from harness.cli.error_groups import print_error_groups

    print_error_groups(run_dir, Console(stderr=True))


def _resume_command(suite_path: Path, run_dir: Path) -> str:
    """The command that finishes the run in ``run_dir``: this one's options, --resume ID."""
    ctx = click.get_current_context()
    words = ["harness", "run", str(suite_path)]
    if run_dir.parent != DEFAULT_OUTPUT_DIR:
        words += ["-o", str(run_dir.parent)]
    sources = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    for param in ctx.command.params:
        name = param.name
        if not isinstance(param, click.Option) or name in ("output_dir", "run_id", "resume"):
            continue
        if name is None or ctx.get_parameter_source(name) not in sources:
            continue
        value = ctx.params[name]
        flag = max(param.opts, key=len)
        if param.is_flag:
            words += [flag] if value else []
        elif value is not None:
            words += [flag, str(value)]
    words += ["--resume", run_dir.name]
    return shlex.join(words)


def _explain_interruption(suite_path: Path, run_dir: Path, signal_name: str | None) -> None:
    """What an interruption left behind, and the exact command that finishes the run."""
    from harness.records.store import MANIFEST_FILE, read_manifest

    by = signal_name or "Ctrl-C"
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not (run_dir / MANIFEST_FILE).is_file():
        err.print(f"interrupted ({by}) before anything was recorded; nothing to resume")
        return
    try:
        status = read_manifest(run_dir).status
    except ValueError:
        status = "interrupted"
    if status in ("completed", "failed"):
        err.print(
            f"interrupted ({by}) after the run {status}: its records are complete in "
            f"{run_dir}; rebuild the reports with: harness report {shlex.quote(str(run_dir))}"
        )
        return
    err.print(
        f"interrupted ({by}): records written so far are kept in {run_dir} "
        "(run.json says interrupted)"
    )
    err.print(Text("resume with: " + _resume_command(suite_path, run_dir)))


def _collect_reports(run_dir: Path, worker: ReportWorker | None, submitted: bool) -> list[Path]:
    """The reports, from the worker when it wrote them, else written here."""
    if worker is not None and submitted:
        written = worker.result()
        if written is not None:
            return written
    from harness.report import write_reports

    return write_reports(run_dir)


LAG_WARNING_MS = 20.0
"""Event-loop lag (p99) above which the harness itself, not the model, limited the run."""

QUEUE_WAIT_SHOWN_MS = 0.5


def _limits(execution: dict[str, Any]) -> str:
    """The configured limits that make requests wait, as a phrase: "concurrency 4, rpm 60 (v1)"."""
    parts = [f"concurrency {execution.get('concurrency')}"]
    for key, label in (("adapter_concurrency", "concurrency"), ("rpm", "rpm")):
        values = execution.get(key)
        if isinstance(values, dict):
            parts += [f"{label} {v:g} ({name})" for name, v in values.items() if v is not None]
    return ", ".join(parts)


def _print_lag(lag: dict[str, object], execution: dict[str, Any]) -> None:
    """Say what the harness's own delays were, and warn only when the harness was the limit.

    Queue wait is time a request waited for a free slot under the configured limits
    (concurrency, per-adapter concurrency, rpm): the intended effect of those limits, not a
    problem. Event-loop lag is the harness running late; only that earns a warning.
    """
    p99 = lag.get("loop_lag_p99_ms")
    if not isinstance(p99, int | float):
        return
    wait = lag.get("queue_wait_mean_ms", 0)
    console = Console(stderr=True)
    line = f"harness: event-loop lag p99 {p99:.1f} ms"
    line += " (the harness kept up)" if p99 <= LAG_WARNING_MS else ""
    if isinstance(wait, int | float) and wait >= QUEUE_WAIT_SHOWN_MS:
        line += (
            f"; requests waited {wait:.0f} ms on average for a free slot under the configured "
            f"limits ({_limits(execution)}), not counted in latency"
        )
    console.print(line, highlight=False)
    if p99 > LAG_WARNING_MS:
        console.print(
            f"warning: the harness's event loop ran up to {p99:.0f} ms late (p99): the harness "
            "itself, not the model or the configured limits, limited this run; latencies "
            "include that lag. Lower --concurrency or run the model server in its own process.",
            highlight=False,
        )


def _print_summary(run_dir: Path) -> RunTotals:
    """The summary table (one row per adapter); the totals it shows."""
    from harness.analysis.totals import run_totals
    from harness.records.store import read_manifest

    manifest = read_manifest(run_dir)
    totals = run_totals(run_dir)
    table = Table(title=f"{manifest.suite_name} — {manifest.run_id}")
    # cases and records that count are defined once (analysis.counting), as in the reports
    repeated = any(a.records != a.cases for a in totals.adapters)
    for col in (
        "adapter",
        "cases",
        *(["requests"] if repeated else []),
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

    for a in totals.adapters:
        ttft = ms(a.ttft(50))
        if a.ttft_emulated and a.ttfts_ms:
            ttft += "*"
            emulated = True
        rate = "-" if a.pass_rate is None else f"{a.pass_rate:.0%}"
        table.add_row(
            a.name,
            str(a.cases),
            *([str(a.records)] if repeated else []),
            str(a.passed),
            rate,
            str(a.errored),
            ms(a.latency(50)),
            ms(a.latency(90)),
            ttft,
        )
    captions = []
    if repeated:
        captions.append(
            "cases: distinct case ids; requests, passed and errors count requests; "
            "pass rate: the mean of each case's share of passing repeats"
        )
    if emulated:
        captions.append(
            "* emulated streaming: the whole reply came in one chunk, so TTFT = latency"
        )
    if captions:
        table.caption = "\n".join(captions)
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 120))
    console.print(table)
    if totals.duplicates:
        Console(stderr=True).print(
            f"warning: {run_dir / 'results.jsonl'}: {totals.duplicates.describe()}",
            highlight=False,
        )
    return totals
