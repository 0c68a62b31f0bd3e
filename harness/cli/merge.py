"""``harness merge RUN_DIR...``: join shard runs of one suite into one run folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from harness.cli.exits import handle_errors

__all__ = ["merge"]


@click.command(short_help="Join shard runs of one suite into one run folder.")
@click.argument(
    "run_dirs",
    metavar="RUN_DIR...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder that receives the merged run folder <run-id>/.",
)
@click.option("--run-id", help="Name of the merged run folder (default: time, suite, 'merged').")
@click.option(
    "--suite",
    "suite_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The suite file the runs ran, to count its cases and name the missing ones "
    "(default: the suite_path in run.json, when that file is unchanged).",
)
@click.option("--no-reports", is_flag=True, help="Write records and run.json only.")
@handle_errors
def merge(
    run_dirs: tuple[Path, ...],
    output_dir: Path,
    run_id: str | None,
    suite_path: Path | None,
    no_reports: bool,
) -> None:
    """Merge runs of the same suite (e.g. `harness run --shard I/N` in a CI matrix).

    Records are joined in the order the folders are given; when a case, adapter and repeat
    occur in more than one, the later folder wins. Runs of different suites are refused.
    Says which shards, and how many of the suite's cases, are merged and missing (also in
    run.json's `coverage`; a merge with missing shards has status `incomplete`), writes
    report.md, report.html and the charts as a run does, and prints the merged run folder.
    """
    from harness.records.merge import describe_coverage, merge_runs

    case_ids, note = _suite_case_ids(run_dirs, suite_path)
    target = merge_runs(run_dirs, output_dir, run_id, suite_case_ids=case_ids, suite_note=note)
    coverage = json.loads((target / "run.json").read_text(encoding="utf-8")).get("coverage", {})
    for line in describe_coverage(coverage):
        click.echo(line, err=True)
    if not no_reports:
        from harness.report import write_reports

        for path in write_reports(target):
            click.echo(f"wrote {path}", err=True)
    click.echo(str(target))


def _suite_case_ids(
    run_dirs: Sequence[Path], suite_path: Path | None
) -> tuple[list[str] | None, str]:
    """The case ids of the suite the runs ran, or None and why they are unknown.

    The suite counts only when its contents are those the runs recorded (suite_sha256).
    """
    from harness.errors import HarnessError, SuiteError
    from harness.records.store import read_manifest

    try:
        manifest = read_manifest(run_dirs[0])
    except (OSError, ValueError):
        return None, ""  # merge_runs says what is wrong with the folder
    path = suite_path or Path(manifest.suite_path)
    if not path.is_file():
        return None, f"suite file {path} not found; give it with --suite"
    from harness.suite.load import load_suite

    try:
        suite = load_suite(path)
    except SuiteError as exc:
        first = str(exc.locations[0]) if exc.locations else str(exc)
        return None, f"suite file {path} did not load: {first}"
    except HarnessError as exc:
        return None, f"suite file {path} did not load: {exc}"
    if suite.sha256 != manifest.suite_sha256:
        return None, f"suite file {path} changed since the runs (its sha256 differs)"
    return [case.id for case in suite.cases], f"suite file {path}"
