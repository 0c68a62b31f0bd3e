"""Monotonic timestamps of one request, and what is derived from them (latency, TTFT, gaps)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from harness.records import Timing

__all__ = [
    "EMULATED_BURST_NS",
    "EMULATED_WAIT_NS",
    "NS_PER_MS",
    "derive_timing",
    "emulation",
    "observed_emulated",
    "throughput",
]

NS_PER_MS = 1_000_000

EMULATED_BURST_NS = 1 * NS_PER_MS
"""Content chunks that all arrive within this interval (1 ms) count as one reply in one piece.

No model generates tokens that fast over a network; a reply in such a burst was produced
whole and cut up afterwards, so the time to its first chunk is not a time to first token.
"""

EMULATED_WAIT_NS = 10 * NS_PER_MS
"""A burst of several chunks counts as one piece only after a wait at least this long (10 ms).

A reply that is instant from end to end (a local fake model yielding its chunks at once) has
no wait to hide; a burst after a real wait is a buffered reply. One chunk always counts.
"""


def observed_emulated(sent_ns: int, chunk_ns: Sequence[int], text: str) -> bool:
    """True when the reply arrived as one content chunk, or as one burst after a wait.

    One chunk counts only when it holds more than one word: a one-word reply comes in one
    chunk from a truly streaming API too, and its time to first token is its latency.
    """
    if not chunk_ns:
        return False
    if len(chunk_ns) == 1:
        return len(text.split()) > 1
    burst = chunk_ns[-1] - chunk_ns[0] <= EMULATED_BURST_NS
    return burst and chunk_ns[0] - sent_ns >= EMULATED_WAIT_NS


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
