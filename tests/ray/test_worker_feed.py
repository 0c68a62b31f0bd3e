"""A Ray worker keeps its whole share of the concurrency in flight, however fast replies come.

The worker's Driver pulls from an async source (its inbox). Pulls once went through an
asyncio.Lock: after the inbox ran dry once, the Driver's workers queued behind the lock and
took one request per loop turn from then on, so against a fast server a worker had 6 of its
64 requests in flight and both sides paid per request what a full loop turn costs. The
worker is exercised here in-process (the actor class without Ray): the fault was in the
event loop's hand-over, not in Ray.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseAsyncGen,
    CustomLLM,
    LLMMetadata,
)

from harness import RunOptions, load_suite
from harness.runner.settings import RunSettings

Write = Callable[..., Path]
SHARE = 16
TURNS = 4  # loop turns a reply takes: a fast server, far fewer than the worker's share


class TurnsLLM(CustomLLM):
    """Replies after TURNS loop turns (no clock) with how many requests were in flight as
    its own began (the class the worker imports may not be this module's: the count travels
    in the answer)."""

    in_flight: ClassVar[int] = 0

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="an answer")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        yield self.complete(prompt)

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        cls = type(self)
        cls.in_flight += 1
        seen = str(cls.in_flight)
        try:
            for _ in range(TURNS):
                await asyncio.sleep(0)
        finally:
            cls.in_flight -= 1
        return CompletionResponse(text=seen)

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        async def gen() -> AsyncIterator[CompletionResponse]:
            yield await self.acomplete(prompt)

        return gen()

    async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("these cases are prompts")


def test_a_worker_keeps_its_share_in_flight_from_a_once_empty_inbox(write_suite: Write) -> None:
    pytest.importorskip("ray")
    from harness.runner.executors.ray_worker import RayWorker, WorkerJob, pack_job

    suite = load_suite(
        write_suite(
            f"name: feed\nconcurrency: {SHARE}\nwarmup: 0\nadapters:\n"
            f"  turns: {{type: llama-index, class_path: '{__name__}:TurnsLLM'}}\n"
            "cases: [{id: a, prompt: one}, {id: b, prompt: two}]\n"
        )
    )
    settings = RunSettings.of(suite, RunOptions())
    job = WorkerJob(
        suite=suite,
        cases=suite.cases,
        resolved={a.name: a.resolved_options() for a in suite.adapters},
        settings=settings,
        run_id="feed",
        secrets=(),
        judges={},
    )
    requests = 400

    async def drive() -> list[Any]:
        worker = RayWorker("ray-0")
        await worker.start(pack_job(job))
        for _ in range(3):  # let every Driver worker wait on the empty inbox first
            await asyncio.sleep(0)
        # as the driver hands out: batches, the first one before anything came back
        for first in range(0, requests, 100):
            await worker.submit([(i % 2, "turns", i, i) for i in range(first, first + 100)])
        records: list[Any] = []
        while len(records) < requests:
            got, _ = pickle.loads(await worker.take(1.0))  # noqa: S301 (our own bytes)
            records += got
        figures = await worker.finish()
        assert figures["records"] == requests
        return records

    records = asyncio.run(drive())
    assert len({(r.case_id, r.repeat) for r in records}) == requests
    assert all(r.error is None and r.worker == "ray-0" for r in records)
    # its whole share at once; through the old lock, about one new request per loop turn
    assert max(int(r.output) for r in records) == SHARE
