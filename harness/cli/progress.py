"""Live progress of a run: a rich bar per adapter on a terminal, plain lines otherwise (CI)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from harness.records import CaseRecord

__all__ = ["LINE_INTERVAL_S", "RunProgress"]

LINE_INTERVAL_S = 5.0


class _RateColumn(ProgressColumn):
    """Completed requests per second for this adapter."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-" if speed is None else f"{speed:,.1f} req/s")


class RunProgress:
    """Feed it each CaseRecord; it shows rate, ETA, pass rate and errors per adapter."""

    def __init__(
        self, adapters: list[str], requests: int, *, quiet: bool, console: Console
    ) -> None:
        self.requests = requests  # per adapter: cases x repeats
        self.quiet = quiet
        self.console = console
        # done, passed, errored, ungraded (a judge could not answer: missing, not failed)
        self.counts = {a: [0, 0, 0, 0] for a in adapters}
        self.live = console.is_terminal and not quiet
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._last_line = {a: 0.0 for a in adapters}
        self._started = time.monotonic()

    def __enter__(self) -> RunProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TextColumn("pass {task.fields[pass_rate]}  errors {task.fields[errors]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            for name in self.counts:
                self._tasks[name] = self._progress.add_task(
                    name, total=self.requests, pass_rate="-", errors=0
                )
            self._progress.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, record: CaseRecord) -> None:
        c = self.counts[record.adapter]
        c[0] += 1
        c[1] += record.passed
        c[2] += record.error is not None
        c[3] += record.error is not None and record.error.origin == "judge"
        graded = c[0] - c[3]
        rate = f"{c[1] / graded:.0%}" if graded else "-"
        if self._progress is not None:
            self._progress.update(
                self._tasks[record.adapter], advance=1, pass_rate=rate, errors=c[2]
            )
            return
        now = time.monotonic()
        # plain log (CI): one line per adapter at most every LINE_INTERVAL_S, and a last one
        if not self.quiet and (
            now - self._last_line[record.adapter] >= LINE_INTERVAL_S or c[0] == self.requests
        ):
            self._last_line[record.adapter] = now
            elapsed = now - self._started
            self.console.print(
                f"{record.adapter}: {c[0]}/{self.requests} requests done, pass {rate}, "
                f"errors {c[2]}, {c[0] / max(elapsed, 1e-9):.1f} req/s",
                highlight=False,
            )
