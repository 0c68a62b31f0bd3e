"""The local executor: the whole plan on this process's event loop (the default)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from harness.runner.drive import Driver
from harness.runner.executors.base import RunParts, Store
from harness.runner.plan import remaining_requests, warm_up_requests
from harness.runner.prepare import close_llms, prepare_llms

__all__ = ["drive_locally"]


async def drive_locally(run: RunParts, store: Store) -> dict[str, Any]:
    """Prepare the adapters, warm up, drive the plan and store each record; the run's lag."""
    settings, candidates = run.settings, run.suite.candidates
    try:
        broken = await prepare_llms(run.llms, settings.timeout_s)
        await asyncio.wrap_future(run.metrics_warmed)  # warmed in a thread meanwhile
        with Driver(
            run.llms,
            settings,
            run_id=run.run_id,
            secrets=run.redactor.secrets,
            broken=broken,
            aids=run.aids,
            judges=run.judges,
        ) as driver:
            run.judge_tallies = driver.judges.tallies
            await driver.warm_up(warm_up_requests(run.suite.cases, candidates, settings.warmup))
            run.collector.clock_starts()
            plan = remaining_requests(
                run.cases, candidates, settings.order_seed, settings.repeat, run.recorded
            )
            async with contextlib.aclosing(driver.drive(plan, on_send=run.sent)) as records:
                async for record in records:
                    store(record)
            return {**driver.lag.summary(), "sync_adapters_in_threads": driver.sync_adapters}
    finally:
        await close_llms(run.llms.values())
