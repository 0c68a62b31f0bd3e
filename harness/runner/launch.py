"""When this process was launched, as early as the OS tells us, on the ``perf_counter`` clock:
the origin of run.json's ``startup`` figure (launch → first request sent)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["Launch", "launch", "startup_figures"]

# The last fallback: this module is imported with the runner, before the suite loads.
_RUNNER_IMPORTED_NS = time.perf_counter_ns()


@dataclass(frozen=True)
class Launch:
    """The launch instant (``time.perf_counter_ns`` clock) and what it is measured from."""

    perf_ns: int
    origin: str  # "process start", "harness import" or "runner import"


def launch() -> Launch:
    """The process's start where the OS gives it (Linux), else when ``harness`` was imported.

    Linux: ``/proc/self/stat`` field 22 is the start in clock ticks since boot, counted on
    ``CLOCK_BOOTTIME``, so reading that clock now gives the process's age to one tick (10 ms).
    (``btime`` from ``/proc/stat`` would give wall-clock time too, but in whole seconds.)
    """
    age_ns = _process_age_ns()
    if age_ns is not None:
        return Launch(time.perf_counter_ns() - age_ns, "process start")
    # harness/__init__.py may stamp its import; read defensively (it may not, or not yet)
    imported = getattr(sys.modules.get("harness"), "IMPORTED_AT_NS", None)
    if isinstance(imported, int) and imported <= _RUNNER_IMPORTED_NS:
        return Launch(imported, "harness import")
    return Launch(_RUNNER_IMPORTED_NS, "runner import")


def _process_age_ns() -> int | None:
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    if clock is None:
        return None
    try:
        with open("/proc/self/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        # fields after "(comm)", which may itself hold spaces or parentheses; starttime is 22nd
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        now_ns = time.clock_gettime_ns(clock)
    except (OSError, ValueError, IndexError):
        return None
    age_ns = now_ns - start_ticks * 1_000_000_000 // ticks_per_s
    return age_ns if age_ns >= 0 else None


def startup_figures(
    launched: Launch, called_ns: int, first_send_ns: int | None
) -> dict[str, Any] | None:
    """run.json's ``startup``: ms from launch, and from the ``run_suite`` call, to the first send.

    None when no request was sent (every reply cached, nothing left to resume, no cases).
    """
    if first_send_ns is None:
        return None
    return {
        "first_request_ms": round((first_send_ns - launched.perf_ns) / 1e6, 1),
        "from": launched.origin,
        "since_run_suite_ms": round((first_send_ns - called_ns) / 1e6, 1),
    }
