"""harness: evaluate and benchmark LLM model adapters from declarative YAML suites.

The public names below load on first use (PEP 562), so ``import harness`` and
``harness --help`` stay fast: a command imports only what it uses.
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING

__version__ = "0.1.0"
IMPORTED_AT_NS = perf_counter_ns()  # launch fallback of run.json's startup (runner/launch.py)

from harness.lazy import lazy_exports  # noqa: E402  (after the stamp: as early as we can)

if TYPE_CHECKING:
    from harness.errors import HarnessError, SuiteError
    from harness.records import CaseRecord, MetricResult, RunManifest
    from harness.runner.run import RunOptions, RunOutcome, run_suite
    from harness.suite.load import Case, Suite, load_suite

__all__ = [
    "Case",
    "CaseRecord",
    "HarnessError",
    "MetricResult",
    "RunManifest",
    "RunOptions",
    "RunOutcome",
    "Suite",
    "SuiteError",
    "__version__",
    "load_suite",
    "run_suite",
]

_HOMES = {
    "Case": "harness.suite.load",
    "CaseRecord": "harness.records",
    "HarnessError": "harness.errors",
    "MetricResult": "harness.records",
    "RunManifest": "harness.records",
    "RunOptions": "harness.runner.run",
    "RunOutcome": "harness.runner.run",
    "Suite": "harness.suite.load",
    "SuiteError": "harness.errors",
    "load_suite": "harness.suite.load",
    "run_suite": "harness.runner.run",
}


__getattr__ = lazy_exports(__name__, _HOMES)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
