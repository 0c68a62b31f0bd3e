"""``harness plan RUN``: how many cases (and repeats) a suite needs to detect a change.

Thin: reads the pilot run folder with the comparison's reader (the latest record of a key
counts), asks :mod:`harness.analysis.paired.planning` for a plan per adapter pair (or per
adapter, against an imagined next version), and prints a table and a sentence per figure,
or the plan as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli.exits import handle_errors
from harness.cli.options import pair_option, probability_option

if TYPE_CHECKING:
    from rich.console import Console

    from harness.analysis.paired.planning import PairPlan, PlanDocument, PlanSettings
    from harness.analysis.paired.sources import LoadedSource

__all__ = ["plan"]


def _percent(value: str) -> float:
    """``10%`` or ``10`` -> 10.0 (percent); anything else is a usage error."""
    text = value.strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a percentage (write 10% or 10)", param_hint="'--detect-latency'"
        ) from None
    if not 0 < number < 1000:
        raise click.BadParameter(
            f"{value!r}: a latency change must be above 0% and below 1000%",
            param_hint="'--detect-latency'",
        )
    return number


def _usage(exc: Exception) -> click.ClickException:
    param = getattr(exc, "param", None)
    return (
        click.BadParameter(str(exc), param_hint=f"'{param}'")
        if param
        else click.UsageError(str(exc))
    )


def _pairs(source: LoadedSource, chosen: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Adapter pairs to plan: --pair, else the run's two adapters, else each adapter alone."""
    from harness.analysis.paired.document import resolve_pairs

    if chosen:
        return list(resolve_pairs(source, source, chosen))
    names = list(source.adapters)
    if len(names) == 2:
        return [(names[0], names[1])]
    return [(name, None) for name in names]


def build_plan(
    source: LoadedSource, chosen: tuple[str, ...], settings: PlanSettings
) -> PlanDocument:
    """The plan document for a pilot run (one entry per pair or lone adapter)."""
    from harness.analysis.paired.planning import PlanDocument, plan_adapters

    plans = []
    for base, candidate in _pairs(source, chosen):
        plans.append(
            plan_adapters(
                base,
                source.adapters[base].frame,
                candidate,
                None if candidate is None else source.adapters[candidate].frame,
                settings,
            )
        )
    notes = [
        "harness compare adjusts p-values across all its figures (Holm): to plan for a change "
        "that must stand out among about 9 figures, use --alpha 0.0056 (0.05 / 9).",
    ]
    if source.superseded:
        notes.append(f"{source.superseded} superseded record(s) were not counted")
    return PlanDocument(
        run_id=source.run_id,
        alpha=settings.alpha,
        power=settings.power,
        plans=plans,
        notes=notes,
    )


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:.{digits}f}"


def _print_plan(console: Console, entry: PairPlan) -> None:
    from rich.table import Table
    from rich.text import Text

    title = (
        f"{entry.candidate} vs {entry.base}"
        if entry.candidate is not None
        else f"{entry.base} vs its next version (assumed correlation {entry.correlation:g})"
    )
    console.print(Text(title, style="bold"))
    table = Table(title_justify="left")
    for column in ("figure", "cases", "repeats", "detect", "cases needed", "smallest detectable"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for figure in entry.figures:
        unit = " pts" if figure.unit == "points" else "%"
        table.add_row(
            figure.figure,
            _fmt(figure.cases),
            _fmt(figure.repeats),
            "-" if figure.detect is None else f"{figure.detect:g}{unit}",
            _fmt(figure.cases_needed),
            "none" if figure.mde is None else f"{figure.mde:.1f}{unit}",
        )
    console.print(table)
    for figure in entry.figures:
        console.print(Text(figure.sentence))
        if figure.by_repeats:
            options = "; ".join(
                f"{o.repeats} repeat{'s' if o.repeats > 1 else ''}: {_fmt(o.cases_needed)} cases"
                for o in figure.by_repeats
            )
            console.print(Text(f"  {figure.figure} with repeats: {options}", style="dim"))
        for note in figure.notes:
            console.print(Text(f"  note: {note}", style="dim"))
        console.print(Text(f"  estimated from: {figure.estimated_from}", style="dim"))


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option(
    "--detect",
    type=click.FloatRange(0, 100, min_open=True),
    default=5.0,
    show_default=True,
    help="The change in pass rate to detect, in points (5 = 5 percentage points).",
)
@click.option(
    "--detect-latency",
    metavar="PERCENT",
    help="The change in latency to detect, e.g. 10% (a ratio of per-case latencies).",
)
@probability_option("--power", 0.8, "Chance of detecting the change when it is there.")
@probability_option("--alpha", 0.05, "Chance of a false alarm when there is no change (two-sided).")
@pair_option(
    "Plan the comparison of these two adapters of RUN (repeatable). Default: the run's "
    "two adapters, or each adapter against its next version when it has one or more than two."
)
@click.option(
    "--assume-correlation",
    type=click.FloatRange(-1, 1),
    default=0.5,
    show_default=True,
    help="One adapter only: correlation of per-case pass/fail between two versions "
    "(0.3-0.7 between real models).",
)
@click.option(
    "--assume-latency-sd",
    type=click.FloatRange(0, min_open=True),
    default=0.3,
    show_default=True,
    help="One adapter without repeats: sd of per-case latency log-ratios.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@handle_errors
def plan(
    run: Path,
    detect: float,
    detect_latency: str | None,
    power: float,
    alpha: float,
    pairs: tuple[str, ...],
    assume_correlation: float,
    assume_latency_sd: float,
    as_json: bool,
) -> None:
    """Plan a suite's size from a pilot run: cases (and repeats) needed to detect a change.

    RUN is a pilot run folder (reports/<run-id>). From its per-case variances (and, with two
    adapters, how often their pass/fail differs) it says how many cases a comparison needs
    to detect a DETECT-point change in pass rate (and a --detect-latency change in latency)
    with the given power, and the smallest change the pilot's own size can detect.
    """
    from harness.analysis.paired.planning import PlanSettings
    from harness.analysis.paired.sources import CompareInputError, load_source

    settings = PlanSettings(
        detect_points=detect,
        detect_latency_percent=None if detect_latency is None else _percent(detect_latency),
        alpha=alpha,
        power=power,
        correlation=assume_correlation,
        latency_log_sd=assume_latency_sd,
    )
    try:
        source = load_source(run, "RUN")
        doc = build_plan(source, pairs, settings)
    except CompareInputError as exc:
        raise _usage(exc) from None
    if as_json:
        click.echo(doc.model_dump_json(indent=2))
        return
    from rich.console import Console

    console = Console()
    for entry in doc.plans:
        _print_plan(console, entry)
        console.print()
    for note in doc.notes:
        console.print(f"note: {note}", highlight=False, style="dim")
