"""``harness list adapters|metrics``: the registered plugins, each with its options."""

from __future__ import annotations

from typing import Any

import click
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from harness.cli.exits import handle_errors

__all__ = ["describe_options", "list_"]


def describe_options(model: type[BaseModel], skip: tuple[str, ...] = ()) -> str:
    """One line per option: ``name (type, required|default X): description``.

    A field with a ``default_factory`` has no ``default`` (pydantic keeps its
    ``PydanticUndefined`` sentinel there), so its default is what the factory makes.
    """
    lines = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        annotation: Any = info.annotation
        kind = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
        if info.is_required():
            default = "required"
        else:
            default = f"default {info.get_default(call_default_factory=True)!r}"
        text = f"{name} ({kind}, {default})"
        if info.description:
            text += f": {info.description}"
        lines.append(text)
    return "\n".join(lines)


@click.command(name="list")
@click.argument("kind", type=click.Choice(["adapters", "metrics"]))
@handle_errors
def list_(kind: str) -> None:
    """List the registered adapter types or metrics (expectations) with their options."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 160))
    table = Table(show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("description")
    table.add_column("options")
    if kind == "adapters":
        from harness.adapters.base import adapters

        for adapter_entry in adapters:
            t = adapter_entry.load()
            table.add_row(t.name, t.description, describe_options(t.options))
    else:
        from harness.metrics import metrics

        table.add_column("shorthand")
        table.add_column("better")
        for metric_entry in metrics:
            m = metric_entry.load()
            table.add_row(
                m.name,
                m.description + (" (needs a judge adapter)" if m.needs_judge else ""),
                describe_options(m.options),
                m.shorthand or "-",
                "higher" if m.higher_is_better else "lower",
            )
    console.print(table)
