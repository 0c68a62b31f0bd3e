"""What the harness adds per request, over calling the same llama-index LLM directly.

Run: python -m pytest benchmarks/test_overhead.py --benchmark-enable
Both benchmarks drive the same instant in-process LLM, so the difference per request is the
harness's own cost: timing, scoring three expectations, building and writing the record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseAsyncGen,
    CustomLLM,
    LLMMetadata,
)

from harness.metrics import parse_expectation
from harness.records.store import RecordWriter
from harness.runner.execute import execute_case
from harness.suite.load import Case

REQUESTS = 1000


class InstantLLM(CustomLLM):
    """Answers at once with four streamed chunks: no network, no model."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="The answer is 42")

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> Iterator[CompletionResponse]:
        yield self.complete(prompt)

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        async def gen() -> AsyncIterator[CompletionResponse]:
            text = ""
            for word in ("The ", "answer ", "is ", "42"):
                text += word
                yield CompletionResponse(text=text, delta=word)

        return gen()


CASE = Case(
    id="c",
    prompt="What is 6 x 7?",
    expectations=tuple(
        parse_expectation(e) for e in ({"contains": "42"}, {"regex": r"\d+$"}, {"max_length": 80})
    ),
)


async def _bare(llm: InstantLLM) -> None:
    for _ in range(REQUESTS):
        async for _chunk in await llm.astream_complete(CASE.prompt):
            pass


async def _harness(llm: InstantLLM, writer: RecordWriter) -> None:
    for _ in range(REQUESTS):
        writer.write(await execute_case(CASE, "instant", llm, run_id="bench", timeout_s=60))


@pytest.mark.benchmark(group="per-request overhead")
def test_bare_llm_calls(benchmark: Any) -> None:
    llm = InstantLLM()
    benchmark.pedantic(lambda: asyncio.run(_bare(llm)), rounds=5, iterations=1)
    benchmark.extra_info["requests_per_round"] = REQUESTS


@pytest.mark.benchmark(group="per-request overhead")
def test_harness_execute_and_store(benchmark: Any, tmp_path: Path) -> None:
    llm = InstantLLM()
    with RecordWriter(tmp_path) as writer:
        benchmark.pedantic(lambda: asyncio.run(_harness(llm, writer)), rounds=5, iterations=1)
    benchmark.extra_info["requests_per_round"] = REQUESTS
    lines = (tmp_path / "results.jsonl").read_text().count("\n")
    assert lines == 5 * REQUESTS
