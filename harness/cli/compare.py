"""``harness compare BASE [CANDIDATE]``: is the candidate better, worse, or indistinguishable?

Thin: reads the two run folders, asks the paired engine for every figure of every adapter
pair, writes ``compare.json`` and ``compare.md``, and prints a table per pair. The exit code
is 0 whenever the comparison was made; verdicts are results, not failures (gates come later).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness import __version__
from harness.cli.exits import handle_errors
from harness.cli.options import pair_option, probability_option

if TYPE_CHECKING:
    from rich.console import Console

    from harness.analysis.paired.document import CompareDocument, PairEntry
    from harness.analysis.paired.flips import FlippedCase

COMPARE_JSON_FILE = "compare.json"
CONSOLE_FLIPS = 5
"""Flipped cases printed per direction (compare.md and compare.json have more)."""
CONSOLE_IDS = 10
CONSOLE_OUTPUT_LIMIT = 160

_VERDICT_STYLE = {"better": "green", "worse": "red bold", "no_difference": "dim"}


def _usage_error(exc: Exception) -> click.ClickException:
    param = getattr(exc, "param", None)
    if param:
        return click.BadParameter(str(exc), param_hint=f"'{param}'")
    return click.UsageError(str(exc))


def _default_out(doc: CompareDocument, base_dir: Path) -> Path:
    name = (
        f"compare-{doc.base.run_id}"
        if doc.same_run
        else f"compare-{doc.base.run_id}-{doc.candidate.run_id}"
    )
    return base_dir.parent / name


def _console() -> Console:
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=max(out.width, 140))


def _print_pair(console: Console, pair: PairEntry, alpha: float) -> None:
    from rich.table import Table
    from rich.text import Text

    from harness.report.compare_format import figure_cells, grouped_notes

    console.print(Text(pair.headline, style="bold"))
    table = Table(title_justify="left")
    for column in ("figure", "base", "candidate", "delta", "95% CI", "p (Holm)"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    table.add_column("verdict", no_wrap=True)
    table.add_column("MDE", justify="right")
    for figure in pair.figures:
        cells = figure_cells(figure, alpha)
        row = [Text(c) for c in (*cells[:5], cells[6])]
        row.append(Text(cells[7], style=_VERDICT_STYLE[figure.verdict]))
        row.append(Text(cells[8]))
        table.add_row(*row)
    console.print(table)
    for note in grouped_notes(pair):
        console.print(Text(f"  note: {note}", style="dim"))
    for label, ids in (("base", pair.base_only), ("candidate", pair.candidate_only)):
        if ids:
            shown = ", ".join(ids[:CONSOLE_IDS]) + (" …" if len(ids) > CONSOLE_IDS else "")
            console.print(Text(f"  {len(ids)} case(s) only in the {label} (not compared): {shown}"))
    _print_flips(console, pair.flipped)


def _print_flips(console: Console, flipped: list[FlippedCase]) -> None:
    from rich.text import Text

    from harness.analysis.text import clip_text

    for direction, title in (("pass_to_fail", "pass → fail"), ("fail_to_pass", "fail → pass")):
        flips = [f for f in flipped if f.direction == direction]
        if not flips:
            continue
        console.print(Text(f"  flipped {title}: {len(flips)} case(s)", style="bold"))
        for flip in flips[:CONSOLE_FLIPS]:
            console.print(Text(f"    {flip.case_id}"))
            for name, side in (("base", flip.base), ("candidate", flip.candidate)):
                output = "(no output)" if side.output is None else side.output
                text = clip_text(output.replace("\n", " ↵ "), CONSOLE_OUTPUT_LIMIT)
                why = "; ".join(f.name for f in side.failing) or side.error or ""
                verdict = "pass" if side.passed else f"fail ({why})" if why else "fail"
                console.print(Text(f"      {name}: {verdict}: {text}", style="dim"))
        if len(flips) > CONSOLE_FLIPS:
            console.print(Text(f"    … {len(flips) - CONSOLE_FLIPS} more in compare.md"))


def _write_outputs(
    doc: CompareDocument, base: Path, out_dir: Path | None
) -> tuple[Path, str, Path, Path]:
    """Write compare.json, compare.md and compare.html; the folder, the JSON and the paths."""
    from harness.report.compare_md import write_compare_md  # pandas: after the inputs are read
    from harness.report.html import write_compare_html

    folder = out_dir or _default_out(doc, base)
    folder.mkdir(parents=True, exist_ok=True)
    text = doc.model_dump_json(indent=2) + "\n"
    (folder / COMPARE_JSON_FILE).write_text(text, encoding="utf-8")
    return folder, text, write_compare_md(doc, folder), write_compare_html(doc, folder)


@click.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("candidate", type=click.Path(path_type=Path), required=False)
@pair_option(
    "Compare these two adapters (repeatable). Default: the adapters both runs have, by "
    "name. Required to compare two adapters of one run (give BASE only)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resampling.")
@probability_option("--alpha", 0.05, "Level of the verdicts, on Holm-adjusted p-values.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for compare.json and compare.md. Default: "
    "compare-<base-run-id>-<candidate-run-id> beside BASE.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print compare.json to standard output instead of the tables (files are still written).",
)
@handle_errors
def compare(
    base: Path,
    candidate: Path | None,
    pairs: tuple[str, ...],
    seed: int,
    alpha: float,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Compare adapters figure by figure with paired statistics: better, worse or no difference.

    BASE and CANDIDATE are run folders (reports/<run-id>) or baseline files (harness baseline
    save). Cases are paired by case_id and
    repeats averaged per case; each figure (pass rate, error rate, scores, latency, TTFT,
    inter-token latency, tokens/s) gets a delta, a 95% interval, a Holm-adjusted p-value, a
    verdict and the smallest change these cases could detect. Writes compare.json and
    compare.md; exits 0 whatever the verdicts.
    """
    from harness.analysis.paired.document import compare_sources, resolve_pairs
    from harness.analysis.paired.sources import CompareInputError, load_source

    try:
        base_source = load_source(base, "BASE")
        same = candidate is None or candidate.resolve() == base.resolve()
        cand_source = base_source if same else load_source(candidate or base, "CANDIDATE")
        chosen = resolve_pairs(base_source, cand_source, pairs)
    except CompareInputError as exc:
        raise _usage_error(exc) from None
    # The records read live until the command ends: out of the collector's reach, they are
    # not rescanned by every collection the statistics and the reports trigger (2 s of
    # 100,000-record runs). Given back at the end, so a caller in the same process (click's
    # runner, pytest) keeps its collector as it was; objects someone else froze are left alone.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        doc = compare_sources(
            base_source, cand_source, chosen, seed=seed, alpha=alpha, harness_version=__version__
        )
        if freeze:
            gc.freeze()  # the document too: 30,000 flipped cases are 100,000 objects
        folder, text, md_path, html_path = _write_outputs(doc, base, out_dir)
    finally:
        if freeze:
            gc.unfreeze()
    for warning in doc.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(text, nl=False)
        return
    console = _console()
    for pair in doc.pairs:
        _print_pair(console, pair, alpha)
        console.print()
    console.print(f"compare folder: {folder}", highlight=False)
    console.print(f"  {folder / COMPARE_JSON_FILE}\n  {md_path}\n  {html_path}", highlight=False)
