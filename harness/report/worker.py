"""A second process that loads the reporting stack while a run is still running.

Why: pandas, scipy.stats, matplotlib and Jinja2 take about two seconds to import, and a short
run would otherwise spend most of its wall time on them after its last request. On a machine
with two or more cores, ``harness run`` starts this worker at launch: it imports the stack on
the other core, waits for one JSON request on stdin (``{"run_dir": ..., "names": [...] |
null}``), writes the reports from the records on disk (as ``harness report`` does) and answers
one JSON line: ``{"written": [paths]}``, ``{"error": message}`` for a user error, or
``{"crash": traceback}``.
A missing, crashed or late worker costs nothing but time: the run then writes its reports
itself. The worker receives a folder path only, never options or secrets.

``HARNESS_REPORT_WORKER=0`` turns it off (for example on a one-core CI runner, where it would
only compete with the run for the CPU).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.report.forked import ENV_SWITCH, usable_cores

__all__ = ["ENV_SWITCH", "ReportWorker", "main", "preload"]


class ReportWorker:
    """The parent's handle on the worker process; see the module docstring."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "harness.report.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )

    @classmethod
    def start_if_useful(cls) -> ReportWorker | None:
        """A started worker when a second core can host it and it is not switched off."""
        if os.environ.get(ENV_SWITCH, "").strip() == "0" or usable_cores() < 2:
            return None
        try:
            return cls()
        except OSError:
            return None

    def submit(self, run_dir: Path, names: Sequence[str] | None = None) -> bool:
        """Hand the finished run to the worker; False when it cannot take it."""
        request = {"run_dir": str(run_dir), "names": list(names) if names is not None else None}
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.close()
        except (OSError, ValueError):
            return False
        return True

    def result(self) -> list[Path] | None:
        """The reports the worker wrote, or None when the caller should write them itself.

        Raises:
            HarnessError: the worker found a user error (the same one the caller would).
        """
        try:
            assert self._proc.stdout is not None
            line = self._proc.stdout.readline()
            self._proc.wait()
        except (OSError, ValueError):
            return None
        try:
            reply = json.loads(line)
        except ValueError:
            return None
        if "error" in reply:
            raise HarnessError(str(reply["error"]))
        if "written" not in reply:
            return None  # a crash: the caller's own attempt shows the real traceback
        return [Path(p) for p in reply["written"]]

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the worker if it is still running (the run failed or was interrupted)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def preload(asked: Callable[[], bool] = lambda: False) -> None:
    """Import what writing the built-in reports needs, and draw once: the slow part, done early.

    The throwaway figure loads fonts and the PNG writer (about 0.1 s the first time), so the
    real charts start warm. scipy.stats (the in-run comparison's paired tests, about 1 s)
    comes last, and only while no request has come (``asked``): a short run, one adapter and
    no pairs, would otherwise wait for an import its reports may never use.
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from harness.analysis.summarize import summarize_run  # noqa: F401  (pandas)
    from harness.report.base import reporters

    for name in reporters.names():
        reporters.entry(name).load()
    figure = Figure(figsize=(2, 2), dpi=50, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(["a"], [1.0])
    axes.boxplot([[1.0, 2.0, 3.0]])
    axes.set_title("warm-up")
    figure.savefig(io.BytesIO(), format="png")
    if not asked():
        import scipy.stats  # type: ignore[import-untyped,unused-ignore]  # noqa: F401


def _request_waiting() -> bool:
    """Whether the run's request is already on stdin (POSIX pipes; elsewhere: assume not)."""
    try:
        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def main() -> int:
    reply: dict[str, object]
    try:
        preload(_request_waiting)
        line = sys.stdin.readline()
        if not line.strip():
            return 0  # the run ended without reports (failed, interrupted, --no-reports)
        request = json.loads(line)
        from harness.report.base import write_reports

        try:
            written = write_reports(Path(request["run_dir"]), request.get("names"))
            reply = {"written": [str(p) for p in written]}
        except HarnessError as exc:
            reply = {"error": str(exc)}
    except KeyboardInterrupt:
        return 0  # Ctrl-C reaches the whole process group; the parent reports it
    except Exception:
        reply = {"crash": traceback.format_exc()}
    print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
