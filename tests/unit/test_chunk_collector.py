"""The chunk collector does constant work per chunk, whatever the reply's length (issue 10).

Asserted structurally, not by timing: 10,000 chunks go through the public ``send`` (async and
thread-pool paths) as str subclasses that count every concatenation or formatting, in
responses that count every read of the running full text. Accumulating the text per chunk
(``text += delta``, or reading ``response.text``) is what made long replies quadratic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from harness.runner.send import send
from harness.suite.expand import Case

N = 10_000


class Counts:
    concatenations = 0
    text_reads = 0


class Delta(str):
    """A chunk's text that counts every attempt to build a longer string from it."""

    def __add__(self, other: Any) -> str:
        Counts.concatenations += 1
        return str(self) + str(other)

    def __radd__(self, other: Any) -> str:
        Counts.concatenations += 1
        return str(other) + str(self)

    def __format__(self, spec: str) -> str:
        Counts.concatenations += 1
        return format(str(self), spec)


class Response:
    """A streamed response: ``delta`` stamps its reads, ``text`` (running text) counts them."""

    def __init__(self, delta: Delta) -> None:
        self._delta = delta
        self.delta_read_ns: list[int] = []
        self.raw = None

    @property
    def delta(self) -> Delta:
        self.delta_read_ns.append(time.perf_counter_ns())
        return self._delta

    @property
    def text(self) -> str:
        Counts.text_reads += 1
        return ""


class FakeLLM:
    """Not a llama-index class: only the two stream methods ``send`` calls."""

    def __init__(self) -> None:
        self.responses = [Response(Delta(f"w{i} ")) for i in range(N)]

    async def astream_complete(self, prompt: str, **kwargs: Any) -> AsyncIterator[Response]:
        async def gen() -> AsyncIterator[Response]:
            for response in self.responses:
                yield response

        return gen()

    def stream_complete(self, prompt: str, **kwargs: Any) -> Iterator[Response]:
        yield from self.responses


@pytest.mark.parametrize("threaded", [False, True], ids=["async", "thread-pool"])
def test_collector_never_builds_the_text_per_chunk(threaded: bool) -> None:
    Counts.concatenations = Counts.text_reads = 0
    llm = FakeLLM()
    case = Case(id="long", prompt="p", expectations=())

    async def go() -> Any:
        if not threaded:
            return await send(llm, case, timeout_s=60)
        with ThreadPoolExecutor(1) as pool:
            return await send(llm, case, timeout_s=60, pool=pool)

    sent = asyncio.run(go())
    assert sent.text == "".join(f"w{i} " for i in range(N))
    assert len(sent.chunk_ns) == N and len(sent.chunks) == N
    assert Counts.concatenations == 0  # deltas are joined once, never added one by one
    assert Counts.text_reads == 0  # nor is the adapter's running text read per chunk
    assert all(kept is r._delta for kept, r in zip(sent.chunks, llm.responses, strict=True))
    # Each chunk is stamped on arrival, before any work on it (its first delta read).
    for stamp, r in zip(sent.chunk_ns, llm.responses, strict=True):
        assert r.delta_read_ns and stamp <= r.delta_read_ns[0]
