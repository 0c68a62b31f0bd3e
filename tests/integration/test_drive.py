"""The drive seam an executor reuses: planned requests in, records out, no run folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import RunOptions, load_suite
from harness.records import CaseRecord
from harness.runner.drive import Driver
from harness.runner.plan import PlannedRequest, plan_requests
from harness.runner.prepare import close_llms, prepare_llms
from harness.runner.settings import RunSettings
from harness.runner.setup import EmulatorHandle, build_llm

Write = Callable[..., Path]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base}}
  - {{id: {ADAPTER_ID}, name: echo, base_model: base, default: "echo: {{{{ prompt }}}}"}}
"""


@pytest.mark.parametrize("source", ["list", "async generator"])
def test_driver_turns_planned_requests_into_records_with_no_run_folder(
    write_suite: Write, tmp_path: Path, source: str
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = load_suite(
        write_suite(
            "name: drive\nemulator: {config: models.yaml}\nadapters:\n"
            f"  echo: {{type: gradient-adapter, served_by: emulator, "
            f"model_adapter_id: {ADAPTER_ID}}}\n"
            "cases: [{id: a, prompt: one}, {id: b, prompt: two}]\n"
        )
    )
    settings = RunSettings.of(suite, RunOptions(concurrency=2))
    plan = list(plan_requests(suite.cases, suite.candidates, seed=1, repeat=2))
    sent: list[PlannedRequest] = []

    async def planned() -> AsyncIterator[PlannedRequest]:
        for request in plan:
            await asyncio.sleep(0)
            yield request

    async def drive(llms: dict[str, Any]) -> list[CaseRecord]:
        assert await prepare_llms(llms, settings.timeout_s) == {}
        try:
            with Driver(llms, settings, run_id="batch-1") as driver:
                requests = plan if source == "list" else planned()
                return [r async for r in driver.drive(requests, on_send=sent.append)]
        finally:
            await close_llms(llms.values())

    files_before = set(tmp_path.rglob("*"))
    with EmulatorHandle(suite) as emu:
        llms = {a.name: build_llm(a, emu.options_for(a, resolve=True)) for a in suite.adapters}
        records = asyncio.run(drive(llms))
    assert sorted(r.seq for r in records) == [p.seq for p in plan] == [0, 1, 2, 3]
    by_seq = {r.seq: r for r in records}
    for request in plan:
        record = by_seq[request.seq]
        assert (record.case_id, record.adapter, record.repeat) == request.key
        assert record.run_id == "batch-1" and record.error is None
        assert record.output == f"echo: {request.case.prompt}"
    assert sorted(s.seq for s in sent) == [0, 1, 2, 3]
    assert set(tmp_path.rglob("*")) == files_before  # nothing written: no run folder


class _CancelsItsConsumer:
    """Its n-th reply lands in the same loop turn as a cancel of the consumer (as Ctrl-C does)."""

    def __init__(self, on: int) -> None:
        self.on = on
        self.sent = 0
        self.consumer: asyncio.Task[None] | None = None

    async def astream_complete(self, prompt: str, **kwargs: Any) -> AsyncIterator[Any]:
        self.sent += 1
        last = self.sent == self.on

        async def stream() -> AsyncIterator[Any]:
            if last:
                assert self.consumer is not None
                self.consumer.cancel()
            else:
                await asyncio.sleep(0)
            yield SimpleNamespace(delta="ok", text="ok", raw=None)

        return stream()


def test_cancelling_the_consumer_stops_the_workers_even_when_a_reply_races_it(
    write_suite: Write,
) -> None:
    # Before Python 3.12, asyncio.wait_for returns a reply that completes in the turn its
    # task is cancelled, so a worker can miss the cancel: it must still stop pulling.
    suite = load_suite(
        write_suite(
            "name: cancel\nadapters:\n"
            "  fake: {type: llama-index, class_path: 'llama_index.core.llms.mock:MockLLM'}\n"
            "cases: [{id: a, prompt: p, repeat: 50}]\n"
        )
    )
    settings = RunSettings.of(suite, RunOptions(concurrency=1))
    llm = _CancelsItsConsumer(on=3)

    async def consume() -> None:
        with Driver({"fake": llm}, settings, run_id="r") as driver:
            plan = plan_requests(suite.cases, suite.candidates, seed=0, repeat=None)
            async for _ in driver.drive(plan):
                pass

    async def main() -> BaseException | None:
        llm.consumer = asyncio.create_task(consume())
        (outcome,) = await asyncio.gather(llm.consumer, return_exceptions=True)
        return outcome if isinstance(outcome, BaseException) else None

    assert isinstance(asyncio.run(main()), asyncio.CancelledError)
    assert llm.sent == 3
