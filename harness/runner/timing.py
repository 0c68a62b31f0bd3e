"""Monotonic timestamps of one request, and what is derived from them (latency, TTFT, gaps)."""

from __future__ import annotations

from harness.records import Timing

__all__ = ["NS_PER_MS", "derive_timing"]

NS_PER_MS = 1_000_000


def derive_timing(
    sent_ns: int, chunk_ns: list[int], end_ns: int, *, streaming_emulated: bool
) -> Timing:
    """Build a Timing from ``time.perf_counter_ns`` stamps.

    ``chunk_ns`` holds the arrival time of each non-empty chunk; TTFT is the first of them.
    When streaming is emulated (the whole reply in one chunk) TTFT equals the full latency and
    is flagged so that reports never present it as a true time to first token.
    """
    first = chunk_ns[0] if chunk_ns else None
    return Timing(
        sent_ns=sent_ns,
        first_chunk_ns=first,
        end_ns=end_ns,
        chunk_ns=chunk_ns,
        latency_ms=(end_ns - sent_ns) / NS_PER_MS,
        ttft_ms=None if first is None else (first - sent_ns) / NS_PER_MS,
        streaming_emulated=streaming_emulated,
    )
