"""The console's "why requests failed": errors by adapter and kind, one example message each.

Error messages come from servers and are untrusted: they are printed as rich ``Text``, never
parsed as console markup, so a message like ``[red]x[/red]`` shows as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.analysis.errors import ErrorGroup, error_groups
from harness.records import CaseRecord

__all__ = ["error_groups_of", "print_error_groups"]

NOT_SENT_NOTE = (
    "not sent: the adapter could not be set up, or was stopped after repeated authentication "
    "or model-not-found errors, which retrying cannot heal"
)


def error_groups_of(source: Path | str | Iterable[CaseRecord]) -> list[ErrorGroup]:
    """The error groups of a run folder (adapters in the manifest's order) or of records."""
    if isinstance(source, str | Path):
        from harness.records.store import read_manifest, read_records

        run_dir = Path(source)
        order = [a.name for a in read_manifest(run_dir).adapters]
        return error_groups(read_records(run_dir), order)
    return error_groups(source)


def print_error_groups(
    source: Path | str | Iterable[CaseRecord], console: Console
) -> list[ErrorGroup]:
    """Print why requests failed (a table), or nothing when no request errored.

    ``source`` is a run folder or the records themselves. Returns the groups printed.
    """
    groups = error_groups_of(source)
    if not groups:
        return groups
    table = Table(title="Why requests failed", title_justify="left")
    table.add_column("adapter")
    table.add_column("kind")
    table.add_column("errors", justify="right")
    table.add_column("example message", overflow="fold")
    for g in groups:
        count = str(g.count) + (f" ({g.not_sent} not sent)" if g.not_sent else "")
        table.add_row(Text(g.adapter), Text(g.kind), Text(count), Text(g.example_text))
    console.print(table)
    if any(g.not_sent for g in groups):
        console.print(Text(NOT_SENT_NOTE))
    return groups
