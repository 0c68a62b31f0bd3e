"""harness: evaluate and benchmark LLM model adapters from declarative YAML suites."""

from __future__ import annotations

__version__ = "0.1.0"

from harness.errors import HarnessError, SuiteError  # noqa: E402
from harness.records import CaseRecord, MetricResult, RunManifest  # noqa: E402
from harness.runner.run import RunOptions, RunOutcome, run_suite  # noqa: E402
from harness.suite.load import Case, Suite, load_suite  # noqa: E402

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
