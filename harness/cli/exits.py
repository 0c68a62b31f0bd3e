"""Exit codes and the error handler every command shares (pytest's table: users live in pytest)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import Any, TypeVar

import click

from harness.errors import HarnessError

__all__ = ["EXIT_CODES_HELP", "ExitCode", "RunNotCompleted", "handle_errors"]

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    OK = 0  # the run completed; failing cases are measurements, not a failed command
    GATE_FAILED = 1  # reserved: a quality gate failed
    INTERRUPTED = 2  # Ctrl-C; records written so far are kept
    INTERNAL_ERROR = 3  # a bug in the harness (traceback shown)
    USAGE_ERROR = 4  # bad suite, bad option, bad input (no traceback)
    NOT_COMPLETED = 5  # the run could not complete (every request failed, server unusable)


EXIT_CODES_HELP = """\b
Exit codes:
  0  the run completed (failing cases are results, not a failed command)
  1  a quality gate failed (reserved)
  2  interrupted (Ctrl-C); records written so far are kept
  3  internal error (a bug: traceback printed)
  4  bad input or usage: invalid suite or option (no traceback)
  5  the run could not complete (e.g. every request failed)
"""


class RunNotCompleted(HarnessError):
    """The command ran but could not do its job; exit code 5."""


def handle_errors(fn: F) -> F:
    """Map exceptions to exit codes: user-fixable errors print a message, bugs a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
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

    return wrapper  # type: ignore[return-value]
