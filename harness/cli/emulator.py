"""``harness emulator serve [CONFIG]``: run the Gradient and OpenAI API emulator until Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from harness.cli.exits import handle_errors
from harness.emulator import EmulatorServer, load_emulator_config
from harness.emulator.load import load_default_config

__all__ = ["emulator"]


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _StopServing(Exception):
    """Raised from the signal handler so `serve` leaves its wait loop on Ctrl-C or SIGTERM."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _StopServing


@click.group()
def emulator() -> None:
    """Run the embedded API emulator: simulated models over the Gradient and OpenAI APIs."""


@emulator.command()
@click.argument("config", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--seed",
    type=int,
    help="Seed of every random draw (answers of models with a skill, drawn delays, faults); "
    "overrides the config's seed (default 0).",
)
@handle_errors
def serve(config: Path | None, port: int, host: str, seed: int | None) -> None:
    """Serve CONFIG (default: the built-in models) until Ctrl-C or SIGTERM, then exit 0.

    The first line on stdout is the Gradient base URL (ending in /api): give it to the SDK as
    host or GRADIENT_API_URL. The OpenAI-compatible base URL (ending in /v1) and the model ids
    go to stderr.
    """
    cfg = load_emulator_config(config) if config is not None else load_default_config()
    if seed is not None:
        cfg = cfg.model_copy(update={"seed": seed})
    server = EmulatorServer(cfg, host=host, port=port)
    try:
        base_url = server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # Signals are only ours to handle from the main thread (not, e.g., under a test runner).
    own_signals = threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in _SIGNALS if own_signals else ():
            previous[sig] = signal.signal(sig, _on_signal)
        # The banner first, the URL last: whoever read the URL (a script, a test) may signal
        # at once, and a signal between the two would otherwise cut the banner short.
        click.echo(f"OpenAI-compatible API: {server.openai_base_url}", err=True)
        for m in cfg.models:
            label = f"slug {m.slug}" if m.is_base else f"base {m.base_model}"
            click.echo(f"  {m.type:<12} {m.model_id}  {m.name} ({label})", err=True)
        click.echo(f"serving {len(cfg.models)} models (seed {cfg.seed}); Ctrl-C to stop", err=True)
        click.echo(base_url)
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, _StopServing):
        # A second Ctrl-C (or a group-wide signal) must not abort the clean stop below.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        click.echo("stopping", err=True)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
