"""Monotonic timestamps of one request, and what is derived from them (latency, TTFT, gaps)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from harness.records import Timing

__all__ = [
    "NS_PER_MS",
    "derive_timing",
    "emulation",
    "observed_emulated",
    "throughput",
]

NS_PER_MS = 1_000_000


def observed_emulated(sent_ns: int, chunk_ns: Sequence[int], text: str) -> bool:
    """True when the reply arrived as one content chunk holding more than one word.

    A one-word reply comes in one chunk from a truly streaming API too, and its time to first
    token is its latency. Several chunks in a burst are not enough: a streaming client that
    reads late (a busy machine, a server that batches due tokens into one write) receives real
    tokens back to back, so their arrival gaps cannot tell a buffered reply from a fast one.
    """
    return len(chunk_ns) == 1 and len(text.split()) > 1


def emulation(
    declared: bool, sent_ns: int, chunk_ns: Sequence[int], text: str
) -> tuple[bool, str | None]:
    """Whether streaming was emulated, and who says so: "adapter", "observed" or None.

    The adapter's declaration wins (it knows its API cannot stream); otherwise what the stamps
    show decides, so a generic LLM that answers in one piece is flagged all the same.
    """
    if declared:
        return True, "adapter"
    if observed_emulated(sent_ns, chunk_ns, text):
        return True, "observed"
    return False, None


def derive_timing(
    sent_ns: int, chunk_ns: list[int], end_ns: int, *, streaming_emulated: bool
) -> Timing:
    """Build a Timing from ``time.perf_counter_ns`` stamps.

    ``chunk_ns`` holds the arrival time of each non-empty chunk; TTFT is the first of them.
    When streaming is emulated (the whole reply in one chunk) TTFT equals the full latency and
    is flagged so that reports never present it as a true time to first token.
    """
    first = chunk_ns[0] if chunk_ns else None
    gaps = [(b - a) / NS_PER_MS for a, b in zip(chunk_ns, chunk_ns[1:], strict=False)]
    return Timing(
        sent_ns=sent_ns,
        first_chunk_ns=first,
        end_ns=end_ns,
        chunk_ns=chunk_ns,
        latency_ms=(end_ns - sent_ns) / NS_PER_MS,
        ttft_ms=None if first is None else (first - sent_ns) / NS_PER_MS,
        streaming_emulated=streaming_emulated,
        itl_mean_ms=sum(gaps) / len(gaps) if gaps else None,
        itl_p50_ms=statistics.median(gaps) if gaps else None,
        itl_max_ms=max(gaps) if gaps else None,
    )


def throughput(timing: Timing, output_tokens: int | None) -> tuple[float | None, float | None]:
    """(tokens/s over the whole request, decode tokens/s after the first chunk).

    Decode speed is only meaningful with true streaming: it is None for one-chunk replies.
    """
    if not output_tokens:
        return None, None
    total_s = (timing.end_ns - timing.sent_ns) / 1e9
    per_s = output_tokens / total_s if total_s > 0 else None
    decode: float | None = None
    if (
        not timing.streaming_emulated
        and timing.first_chunk_ns is not None
        and len(timing.chunk_ns) > 1
        and output_tokens > 1
    ):
        decode_s = (timing.end_ns - timing.first_chunk_ns) / 1e9
        decode = (output_tokens - 1) / decode_s if decode_s > 0 else None
    return per_s, decode
