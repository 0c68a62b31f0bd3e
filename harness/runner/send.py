"""One request to an LLM and the monotonic stamps around it: on the event loop, or in a thread.

The measured path. An adapter whose stream can be read as bare deltas
(:class:`~harness.adapters.deltas.DeltaStream`) is read that way, so no running text is built
per chunk; any other llama-index stream is read response by response, its ``delta`` only. A
sync-only LLM runs in a worker thread, and its clock starts when the thread takes it up: the
wait for a free thread is reported apart (``SendTimes``), never as the model's latency.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from dataclasses import dataclass
from typing import Any

from harness.adapters.deltas import DeltaStream
from harness.suite.expand import Case

__all__ = [
    "SendTimes",
    "Sent",
    "SyncCallTimeout",
    "is_sync_only",
    "response_text",
    "send",
]


@dataclass(frozen=True)
class Sent:
    """What came back from one request, with the monotonic stamps around it."""

    text: str
    chunk_ns: list[int]
    raw: Any
    sent_ns: int
    end_ns: int
    chunks: tuple[str, ...] = ()  # the delta texts, one per chunk_ns (for --record)


@dataclass
class SendTimes:
    """When an attempt was handed over and when it began to run (``perf_counter_ns``).

    On the event loop both are the same instant. In a thread pool ``started_ns`` is when a
    worker thread took the call up (None if none did before the timeout): the difference is
    time spent waiting for a thread, which the runner counts as queue wait, not latency.
    """

    queued_ns: int = 0
    started_ns: int | None = None

    @property
    def thread_wait_ns(self) -> int:
        """How long the attempt waited for a worker thread (all of it, if it never ran)."""
        end = self.started_ns if self.started_ns is not None else time.perf_counter_ns()
        return max(0, end - self.queued_ns)


class SyncCallTimeout(asyncio.TimeoutError):
    """A sync-only LLM's call that did not finish in time; its message says what may linger.

    Python cannot stop a thread: the adapter's call may still be running in its worker thread.
    The runner stops reading its stream at the next chunk and frees the request's slot now.
    """


def is_sync_only(llm: Any) -> bool:
    """A CustomLLM that never overrode the async methods would block the event loop."""
    from llama_index.core.llms import CustomLLM

    if not isinstance(llm, CustomLLM):
        return False

    def owner(name: str) -> type:
        return next(k for k in type(llm).__mro__ if name in k.__dict__)

    # Compare owners, not functions: llama-index's instrumentation re-wraps them per access.
    return owner("astream_complete") is CustomLLM or owner("astream_chat") is CustomLLM


def response_text(response: Any) -> str:
    """The full text of a completion or chat response."""
    text = getattr(response, "text", None)
    if text is None:
        text = getattr(getattr(response, "message", None), "content", None)
    return str(text or "")


def _chat_messages(case: Case) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    assert case.messages is not None
    return [ChatMessage(role=role, content=content) for role, content in case.messages]


Streamed = tuple[str, list[int], Any, list[str]]


class _Chunks:
    """Collects a reply chunk by chunk, stamping each non-empty delta as it arrives."""

    def __init__(self) -> None:
        self.chunk_ns: list[int] = []
        self.chunks: list[str] = []
        self.last: Any = None
        self.raw: Any = None

    def add(self, response: Any) -> None:
        """Stamp first, then keep the delta: constant work per chunk, whatever came before.

        Deltas are joined once in ``result``; ``response.text`` (the adapter's running text)
        is never read here, so a long reply costs no more per chunk than a short one.
        """
        now = time.perf_counter_ns()
        delta = response.delta
        if delta:
            self.chunk_ns.append(now)
            self.chunks.append(delta)
        self.last = response

    def add_delta(self, delta: str, raw: Any) -> None:
        """The same for a bare delta from a :class:`DeltaStream` (no response object at all)."""
        now = time.perf_counter_ns()
        if delta:
            self.chunk_ns.append(now)
            self.chunks.append(delta)
        self.raw = raw

    def result(self) -> Streamed:
        text = "".join(self.chunks)
        if self.last is None:
            return text, self.chunk_ns, self.raw, self.chunks
        # an adapter that fills text but not delta
        return (text or response_text(self.last)), self.chunk_ns, self.last.raw, self.chunks


async def _stream_async(llm: Any, case: Case) -> Streamed:
    """Send the case on the event loop, stamping each non-empty chunk as it arrives."""
    if case.messages is not None:
        stream = await llm.astream_chat(_chat_messages(case), **case.generation)
    else:
        stream = await llm.astream_complete(case.prompt, **case.generation)
    collected = _Chunks()
    if isinstance(stream, DeltaStream):  # the constant-per-chunk path of our own adapters
        async for delta, raw, _extra in stream.deltas():
            collected.add_delta(delta, raw)
    else:
        async for response in stream:
            collected.add(response)
    return collected.result()


def _stream_sync(llm: Any, case: Case, gave_up: threading.Event) -> tuple[Streamed, int]:
    """The same for a sync-only LLM, in a worker thread (stamped in the thread, on arrival).

    Stops reading (and closes the stream) at the first chunk after the caller ``gave_up``:
    a timed-out call then ends as soon as the adapter yields again. Returns the end stamp too,
    taken in the thread, so the event loop's own delays never count as the model's.
    """
    if case.messages is not None:
        stream = llm.stream_chat(_chat_messages(case), **case.generation)
    else:
        stream = llm.stream_complete(case.prompt, **case.generation)
    collected = _Chunks()
    try:
        for response in stream:
            collected.add(response)
            if gave_up.is_set():
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return collected.result(), time.perf_counter_ns()


async def _send_in_thread(
    llm: Any, case: Case, timeout_s: float, pool: concurrent.futures.Executor, times: SendTimes
) -> Sent:
    """Run the sync stream in ``pool``; the timeout counts from when a thread takes it up.

    Waiting for a free thread is bounded by ``timeout_s`` as well (every thread may be held by
    calls that timed out and are still running); a call that never started is cancelled.
    """
    loop = asyncio.get_running_loop()
    started: asyncio.Future[int] = loop.create_future()
    gave_up = threading.Event()

    def run() -> tuple[Streamed, int]:
        times.started_ns = time.perf_counter_ns()
        loop.call_soon_threadsafe(_resolve, started, times.started_ns)
        return _stream_sync(llm, case, gave_up)

    job = loop.run_in_executor(pool, run)
    try:
        await asyncio.wait((started, job), timeout=timeout_s, return_when="FIRST_COMPLETED")
        if times.started_ns is None:
            raise SyncCallTimeout(
                f"no worker thread was free within the request timeout ({timeout_s:g} s): "
                "earlier calls that timed out may still be running in their threads"
            )
        left_s = timeout_s - (time.perf_counter_ns() - times.started_ns) / 1e9
        try:
            streamed, end_ns = await asyncio.wait_for(job, max(left_s, 0.0))
        except asyncio.TimeoutError:
            raise SyncCallTimeout(
                f"no complete answer within the request timeout ({timeout_s:g} s); the "
                "adapter's sync call may still be running in its worker thread (the harness "
                "stops reading its stream at the next chunk)"
            ) from None
    except BaseException:
        gave_up.set()
        job.cancel()  # a call no thread has taken up yet never starts
        started.cancel()
        raise
    text, chunk_ns, raw, chunks = streamed
    return Sent(text, chunk_ns, raw, times.started_ns, end_ns, tuple(chunks))


def _resolve(future: asyncio.Future[int], value: int) -> None:
    if not future.done():
        future.set_result(value)


async def send(
    llm: Any,
    case: Case,
    timeout_s: float,
    pool: concurrent.futures.Executor | None = None,
    times: SendTimes | None = None,
) -> Sent:
    """One request: the adapter's reply with stamps; raises whatever the adapter raised.

    With ``pool``, the LLM is driven through its sync API in a worker thread, and the reply's
    ``sent_ns`` is when the thread took the call up. ``times`` (filled in place) tells the
    caller how long the attempt waited for a thread, whether it succeeded or not.
    """
    times = times if times is not None else SendTimes()
    times.queued_ns = time.perf_counter_ns()
    if pool is not None:
        return await _send_in_thread(llm, case, timeout_s, pool, times)
    times.started_ns = sent_ns = times.queued_ns
    text, chunk_ns, raw, chunks = await asyncio.wait_for(_stream_async(llm, case), timeout_s)
    return Sent(text, chunk_ns, raw, sent_ns, time.perf_counter_ns(), tuple(chunks))
