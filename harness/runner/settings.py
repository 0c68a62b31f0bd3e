"""The settings of one run: the caller's RunOptions over the suite's values, and the
``execution`` block of run.json that records them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.suite.load import Suite
from harness.suite.model import RetryPolicy

__all__ = ["RunOptions", "RunSettings"]


@dataclass(frozen=True)
class RunOptions:
    """How to run a suite; the CLI's flags map onto these one to one (None: the suite's)."""

    output_dir: Path = Path("reports")
    run_id: str | None = None
    concurrency: int | None = None
    repeat: int | None = None
    request_timeout_s: float | None = None
    max_attempts: int | None = None
    rpm: float | None = None
    order_seed: int | None = None
    warmup: int | None = None
    shard: tuple[int, int] | None = None  # (I, N), 1-based: run only the I-th of N slices
    resume: bool = False  # continue run_id's folder, skipping what it already recorded
    cache_path: Path | None = None  # response cache (development runs; never timed)
    record: bool = False  # write cassette.jsonl for offline replay
    # where the requests run (None: the suite's `execution:` key, else "local" in this process)
    executor: str | None = None  # "local" or "ray" (harness/runner/executors/)
    workers: int | None = None  # Ray workers (default: one per CPU Ray sees)
    ray_address: str | None = None  # None: a local Ray instance; "auto", "ray://host:port"

    def with_execution(self, suite: Suite) -> RunOptions:
        """These options with the executor settings the caller left out taken from the
        suite's ``execution:`` key (a flag wins over the suite, key by key)."""
        spec = suite.execution
        workers = self.workers or (spec.workers if spec else None)
        address = self.ray_address or (spec.ray_address if spec else None)
        executor = self.executor or (spec.executor if spec else None)
        if executor is None:  # a worker count or an address alone mean Ray
            executor = "ray" if workers or address else "local"
        return replace(self, executor=executor, workers=workers, ray_address=address)


@dataclass(frozen=True)
class RunSettings:
    """How one run sends its requests: the suite's values, overridden by RunOptions.

    Plain data keyed by adapter name (no suite, folder or CLI), so an executor can hand it to
    its workers. ``rpm`` and ``adapter_concurrency`` hold one entry per candidate adapter.
    """

    concurrency: int
    timeout_s: float
    retries: RetryPolicy
    order_seed: int
    warmup: int
    repeat: int | None
    rpm: dict[str, float | None]
    adapter_concurrency: dict[str, int | None]

    @classmethod
    def of(cls, suite: Suite, options: RunOptions) -> RunSettings:
        retries = suite.retries
        if options.max_attempts is not None:
            retries = retries.model_copy(update={"max_attempts": options.max_attempts})
        return cls(
            concurrency=options.concurrency or suite.concurrency,
            timeout_s=options.request_timeout_s or suite.request_timeout_s,
            retries=retries,
            order_seed=suite.order_seed if options.order_seed is None else options.order_seed,
            warmup=suite.warmup if options.warmup is None else options.warmup,
            repeat=options.repeat,
            rpm={a.name: options.rpm or a.rpm for a in suite.candidates},
            adapter_concurrency={a.name: a.concurrency for a in suite.candidates},
        )

    @property
    def candidates(self) -> list[str]:
        """The adapters the plan sends to, in the suite's order (judges are not among them)."""
        return list(self.adapter_concurrency)

    def execution(self) -> dict[str, Any]:
        """The ``execution`` block of run.json."""
        return {
            "concurrency": self.concurrency,
            "request_timeout_s": self.timeout_s,
            "retries": self.retries.model_dump(),
            "order_seed": self.order_seed,
            "warmup_requests_per_adapter": self.warmup,
            "repeat": self.repeat,
            "adapter_concurrency": self.adapter_concurrency,
            "rpm": self.rpm,
        }
