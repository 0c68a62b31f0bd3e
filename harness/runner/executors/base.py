"""What an executor is given: the run's parts, and where each finished record goes."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.records import CaseRecord, RunManifest
from harness.records.redaction import Redactor
from harness.runner.durable import CacheAndCassette
from harness.runner.judges import JudgeLimits, JudgeTally
from harness.runner.launch import Launch
from harness.runner.plan import PlannedRequest, RequestKey
from harness.runner.prepare import StartupGC
from harness.runner.settings import RunOptions, RunSettings
from harness.suite.load import Case, Suite

__all__ = ["Executor", "RunParts", "Store"]

Store = Callable[[CaseRecord], None]
"""Writes one record to results.jsonl (and counts it); only the process that runs the
executor calls it, so a run has one writer whatever the executor."""


@dataclass
class RunParts:
    """One run's parts, as ``run_suite`` hands them to its executor."""

    suite: Suite
    cases: tuple[Case, ...]
    llms: dict[str, Any]
    redactor: Redactor  # every file the run writes goes through it
    run_id: str
    settings: RunSettings
    recorded: set[RequestKey]
    aids: CacheAndCassette
    metrics_warmed: concurrent.futures.Future[None]
    collector: StartupGC
    launched: Launch
    called_ns: int
    options: RunOptions = field(default_factory=RunOptions)
    # the adapters' options as used (secrets included): what a remote worker builds LLMs from
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: RunManifest | None = None  # an executor adds its facts to ``execution``
    first_send_ns: int | None = None
    judges: dict[str, JudgeLimits] = field(default_factory=dict)
    judge_tallies: dict[str, JudgeTally] = field(default_factory=dict)

    def sent(self, request: PlannedRequest | None = None) -> None:
        if self.first_send_ns is None:
            self.first_send_ns = time.perf_counter_ns()


class Executor(Protocol):
    """Drives ``run``'s remaining plan, passing every record to ``store``; returns the run's
    ``harness_lag`` block (the event loop's lag and what the executor measured of itself)."""

    def __call__(self, run: RunParts, store: Store) -> Coroutine[Any, Any, dict[str, Any]]: ...
