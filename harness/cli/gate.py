"""``harness gate RUN``: evaluate quality gates on a saved run (or baseline) and exit 0/1/4.

Thin: parses ``--gate`` expressions (or reads the suite's ``gates:``), loads the run and the
baseline with the paired source loader, asks ``harness.gates`` for a result per gate and
prints them as a table. ``harness run --gate`` uses the same helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli.exits import EXIT_CODES_HELP, ExitCode, handle_errors

if TYPE_CHECKING:
    from harness.gates.evaluate import GateReport
    from harness.gates.inputs import GateInput
    from harness.gatespec import Gate

__all__ = [
    "GATE_HELP",
    "JUNIT_HELP",
    "evaluate_and_print",
    "gate",
    "load_input",
    "parse_gate_options",
    "suite_gate_list",
]

GATE_HELP = (
    "A gate expression (repeatable), e.g. 'pass_rate>=0.9', 'latency_p95_ms[v2]<=800', "
    "'no_regression(pass_rate, margin=0.05)'; see docs/gates.md."
)

JUNIT_HELP = (
    "Write JUnit XML here: a test case per case x adapter (failure: failed expectations and "
    "the output) and one per gate."
)


def parse_gate_options(expressions: Sequence[str]) -> list[Gate]:
    """``--gate`` values as gates; a bad one is a usage error (exit 4) quoting it."""
    from harness.gatespec import GateSyntaxError, parse_gate

    gates = []
    for text in expressions:
        try:
            gates.append(parse_gate(text))
        except GateSyntaxError as exc:
            raise click.BadParameter(str(exc), param_hint="'--gate'") from None
    return gates


def suite_gate_list(suite_gates: Sequence[object]) -> list[Gate]:
    """A loaded suite's ``gates:`` entries as gates (a mapping the grammar cannot express:
    exit 4 naming its file:line)."""
    from harness.gatespec import GateSyntaxError
    from harness.suite.model import GateSpec

    out: list[Gate] = []
    for spec in suite_gates:
        assert isinstance(spec, GateSpec)
        try:
            out.extend(spec.to_gates())
        except GateSyntaxError as exc:
            raise click.UsageError(str(exc)) from None
    return out


def load_input(path: Path, param: str) -> GateInput:
    """A run folder or baseline file; a bad one is a usage error naming ``param``."""
    from harness.analysis.paired.sources import CompareInputError
    from harness.gates.inputs import load_gate_input

    try:
        return load_gate_input(path, param)
    except CompareInputError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{param}'") from None


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def print_report(report: GateReport) -> None:
    """The gate table on standard output; warnings and problems on standard error."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    console = Console() if Console().is_terminal else Console(width=160)
    if report.results:
        table = Table(title="gates", title_justify="left")
        for name in ("gate", "on", "value", "threshold / margin", "interval", "p", "verdict"):
            table.add_column(name, justify="right" if name in ("value", "p") else "left")
        for r in report.results:
            interval = "-" if r.interval is None else f"[{r.interval[0]:.4g}, {r.interval[1]:.4g}]"
            verdict = (
                Text("✓ pass", style="green") if r.passed else Text("✗ fail", style="red bold")
            )
            cells = (r.gate, r.target, _cell(r.value), r.limit, interval, _cell(r.p_value))
            table.add_row(*(Text(c) for c in cells), verdict)  # Text: '[v2]' is not markup
        console.print(table)
        for r in report.results:
            if r.kind != "threshold" or not r.passed:
                console.print(Text(f"  {'pass' if r.passed else 'FAIL'}: {r.message}"))
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    failed = sum(not r.passed for r in report.results)
    if report.problems:
        click.echo(
            f"{len(report.problems)} gate problem(s): the gates could not all be evaluated",
            err=True,
        )
    else:
        word = f"{failed} of {len(report.results)} gate check(s) failed" if failed else "passed"
        console.print(f"gates: {word}", highlight=False)


def github_outputs(report: GateReport, title: str) -> None:
    """In GitHub Actions: the gate table appended to the step summary, annotations printed."""
    import os

    from harness.report.gate_md import gate_annotations, gate_markdown

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(gate_markdown(report, title))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in gate_annotations(report):
            click.echo(line)


def write_junit_file(path: Path, candidate: GateInput, report: GateReport | None) -> None:
    """JUnit XML of the run's cases (a run folder's, not a baseline's) and of the gates."""
    from harness.records.store import read_records
    from harness.report.junit import write_junit

    source = candidate.source
    records = None if candidate.is_baseline else read_records(source.path)
    if candidate.is_baseline:
        click.echo(
            f"note: {source.path} is a baseline file: --junit lists its gates only", err=True
        )
    write_junit(path, source.manifest.suite_name, records, report)
    click.echo(f"junit: {path}", err=True)


def evaluate_and_print(
    gates: Sequence[Gate],
    candidate: GateInput,
    baseline: GateInput | None,
    *,
    seed: int = 0,
    junit: Path | None = None,
) -> int:
    """Evaluate, print, and return the exit code (0 passed, 1 a gate failed, 4 a problem)."""
    from harness.gates.evaluate import evaluate_gates

    report = evaluate_gates(gates, candidate, baseline, seed=seed) if gates else None
    if report is not None:
        print_report(report)
        github_outputs(report, f"{candidate.source.manifest.suite_name} ({candidate.label})")
    if junit is not None:
        write_junit_file(junit, candidate, report)
    if report is None:
        return ExitCode.OK
    return {0: ExitCode.OK, 1: ExitCode.GATE_FAILED, 4: ExitCode.USAGE_ERROR}[report.exit_code]


def _suite_gates(run: GateInput, suite_path: Path | None) -> list[Gate]:
    from harness.suite.load import load_suite

    path = suite_path or Path(run.source.manifest.suite_path)
    if not path.is_file():
        raise click.UsageError(
            f"no gates: give --gate EXPR, or --suite FILE (the run's suite {path} is not there)"
        )
    suite = load_suite(path)
    if suite.sha256 != run.source.manifest.suite_sha256:
        click.echo(
            f"warning: {path} changed since the run was made (sha256 "
            f"{run.source.manifest.suite_sha256[:12]} -> {suite.sha256[:12]}); its current "
            "gates are used",
            err=True,
        )
    return suite_gate_list(suite.gates)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("run_path", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Baseline file (harness baseline save) or run folder the run is compared with.",
)
@click.option("--gate", "expressions", multiple=True, metavar="EXPR", help=GATE_HELP)
@click.option(
    "--suite",
    "suite_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read gates: from this suite file too (default without --gate: the run's suite).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resampling.")
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help=JUNIT_HELP)
@handle_errors
def gate(
    run_path: Path,
    baseline: Path | None,
    expressions: tuple[str, ...],
    suite_path: Path | None,
    seed: int,
    junit: Path | None,
) -> int:
    """Evaluate quality gates on a saved run: exit 0 all passed, 1 a gate failed, 4 a problem.

    RUN is a run folder (reports/<run-id>) or a baseline file. Gates come from --gate, and
    from the suite's gates: (--suite, or the run's suite file when no --gate is given).
    Baseline gates (no_regression, no_significant_regression) compare RUN with --baseline,
    case by case, with the paired statistics of harness compare.
    """
    gates = parse_gate_options(expressions)
    candidate = load_input(run_path, "RUN")
    if suite_path is not None or not gates:
        gates = _suite_gates(candidate, suite_path) + gates
    if not gates:
        raise click.UsageError("no gates: give --gate EXPR or a suite with gates:")
    base = load_input(baseline, "--baseline") if baseline is not None else None
    return evaluate_and_print(gates, candidate, base, seed=seed, junit=junit)
