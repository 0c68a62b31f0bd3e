"""Exit codes and the error handler every command shares (pytest's table: users live in pytest)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from enum import IntEnum
from functools import wraps
from types import FrameType
from typing import Any, TypeVar

import click

from harness.errors import HarnessError

__all__ = [
    "EXIT_CODES_HELP",
    "ExitCode",
    "RunNotCompleted",
    "TerminateAsInterrupt",
    "handle_errors",
]

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    OK = 0  # completed and every gate passed; failing cases are measurements, not failures
    GATE_FAILED = 1  # a quality gate failed (harness gate, harness run --gate)
    INTERRUPTED = 2  # Ctrl-C or SIGTERM; records written so far are kept
    INTERNAL_ERROR = 3  # a bug in the harness (traceback shown)
    USAGE_ERROR = 4  # bad suite, bad option, bad input (no traceback)
    NOT_COMPLETED = 5  # could not complete: every request failed, or an adapter never answered


EXIT_CODES_HELP = """\b
Exit codes:
  0  the run completed and every gate passed (failing cases are results, not
     a failed command; gates turn them into policy)
  1  a quality gate failed (harness gate, harness run with gates)
  2  interrupted (Ctrl-C or SIGTERM); records written so far are kept, run.json
     says interrupted, and the --resume command that finishes the run is printed
  3  internal error (a bug: traceback printed)
  4  bad input or usage: invalid suite, option or gate, a gate that cannot be
     evaluated (no data, no baseline, a baseline of another suite), or a
     --run-id whose folder already holds records (no traceback)
  5  the run could not complete: every request failed, or an adapter never
     answered while another did (unless --allow-adapter-errors)
"""


class RunNotCompleted(HarnessError):
    """The command ran but could not do its job; exit code 5."""


class TerminateAsInterrupt:
    """While active, SIGTERM (a CI cancel, ``timeout``) does what Ctrl-C does; a second stops.

    The first SIGTERM calls the current SIGINT handler (asyncio's during a run: the run task
    is cancelled, records in flight are written or cancelled and run.json says
    ``interrupted``; Python's elsewhere: KeyboardInterrupt). A second SIGTERM restores the
    previous handler and delivers the signal again, so a stop that hangs (a thread stuck in a
    sync adapter) can still be ended. On exit the previous handler is restored.
    """

    def __init__(self) -> None:
        self.signal_name: str | None = None  # "SIGTERM" once one arrived
        self._previous: Any = None
        self._active = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[TerminateAsInterrupt]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # signal handlers can only be set from the main thread
            return
        self._previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._active = True
        try:
            yield self
        finally:
            self._restore()

    def _restore(self) -> None:
        if self._active:
            self._active = False
            previous = signal.SIG_DFL if self._previous is None else self._previous
            signal.signal(signal.SIGTERM, previous)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if self.signal_name is not None:  # the second one: stop now, as SIGTERM would have
            self._restore()
            signal.raise_signal(signal.SIGTERM)
            return
        self.signal_name = "SIGTERM"
        # os.write, not print: the handler may run while the main thread is inside a print
        with contextlib.suppress(OSError):
            os.write(2, b"SIGTERM: stopping (send it again to stop at once)\n")
        on_interrupt = signal.getsignal(signal.SIGINT)
        if callable(on_interrupt):
            on_interrupt(signal.SIGINT, frame)
        else:  # SIGINT ignored (a background job) or not set by Python
            raise KeyboardInterrupt


def handle_errors(fn: F) -> F:
    """Map exceptions to exit codes: user-fixable errors print a message, bugs a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from harness.records.redaction import redacted_stdio

        # The run's secrets are scrubbed from everything printed, errors after the run too.
        with redacted_stdio():
            return _mapped(fn, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _mapped(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; print what went wrong and exit with its code (see ``handle_errors``)."""
    debug = bool(click.get_current_context().find_root().params.get("debug"))
    try:
        return fn(*args, **kwargs)
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except KeyboardInterrupt:
        click.echo("interrupted: records written so far are kept", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except RunNotCompleted as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.NOT_COMPLETED)
    except HarnessError as exc:
        if debug:
            traceback.print_exc()
        click.echo(str(exc), err=True)
        sys.exit(ExitCode.USAGE_ERROR)
    except Exception:
        traceback.print_exc()
        click.echo("internal error: this is a bug in harness; please report it", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)
