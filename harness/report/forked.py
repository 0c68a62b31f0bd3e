"""Run one part of a report build in a forked child, on a second core, when that is safe.

Why: drawing charts with matplotlib holds the GIL, so threads cannot overlap it with the
rest of a build (the drill-down's columns, packing them); a child made by ``fork`` starts at
once with the summary already in its memory and hands back only its result (SVG text). A
100,000 x 4 report.html is built about 2 s sooner on two cores, the quickstart's about 1 s.

The child runs only where forking is safe and useful: a POSIX ``fork``, two or more cores,
and a process with one thread (a fork copies no other thread, so a lock another thread held
would never be released in the child). Anywhere else, and whenever the child fails, the job
runs in the calling process, so a result never depends on where it was made; an error then
shows with its real traceback. ``HARNESS_REPORT_WORKER=0`` turns this off as it turns off the
run's report worker.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["ENV_SWITCH", "Forked", "can_fork", "usable_cores"]

_T = TypeVar("_T")

ENV_SWITCH = "HARNESS_REPORT_WORKER"
"""``0`` keeps every report build in one process (no worker, no forked child)."""


def usable_cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def can_fork() -> bool:
    """True when a job may run in a forked child here (see the module docstring)."""
    return (
        hasattr(os, "fork")
        and os.environ.get(ENV_SWITCH, "").strip() != "0"
        and usable_cores() >= 2
        and threading.active_count() == 1
    )


class Forked(Generic[_T]):
    """``job`` started in a forked child now; :meth:`result` waits for its value.

    Use as a context manager (or call :meth:`close`): leaving early kills the child. The
    result comes back pickled through a pipe; it must be picklable.
    """

    def __init__(self, job: Callable[[], _T]) -> None:
        self._job = job
        self._pid: int | None = None
        self._read = -1
        if can_fork():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the job, write it, exit without the parent's clean-up
            os.close(read)
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent handles it
                payload = pickle.dumps(self._job(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    @property
    def in_child(self) -> bool:
        """Whether the job was handed to a child."""
        return self._pid is not None

    def result(self) -> _T:
        """The job's value: the child's, or (no child, or it failed) computed here."""
        if self._pid is None:
            return self._job()
        with os.fdopen(self._read, "rb") as source:
            self._read = -1
            payload = source.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if os.waitstatus_to_exitcode(status) == 0 and payload:
            value: _T = pickle.loads(payload)  # noqa: S301  (our own child's bytes)
            return value
        return self._job()

    def close(self) -> None:
        """Stop and reap a child still running (the build failed or was interrupted)."""
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = None

    def __enter__(self) -> Forked[_T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
