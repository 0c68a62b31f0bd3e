"""Which replies count as emulated streaming, and who says so (``runner/timing.emulation``)."""

from __future__ import annotations

import pytest

from harness.runner.timing import NS_PER_MS, emulation

MS = NS_PER_MS
SENT = 1_000 * MS


@pytest.mark.parametrize(
    ("declared", "chunks_after_sent_ms", "text", "expected"),
    [
        (True, [5, 25, 45], "a b c", (True, "adapter")),  # the adapter's word wins
        (True, [], "", (True, "adapter")),
        (False, [], "", (False, None)),  # nothing arrived: nothing observed
        (False, [51], "one two three", (True, "observed")),  # one content chunk
        (False, [0.2], "one two", (True, "observed")),  # one chunk, however fast
        (False, [51], "Paris", (False, None)),  # one word: one chunk from any streamer
        # several chunks are never "observed" emulation, however close: a late reader sees
        # real tokens back to back too (the quickstart's 1 ms-per-token stream did)
        (False, [50, 50.1, 50.2, 50.9], "a b c d", (False, None)),
        (False, [0.1, 0.15, 0.2], "a b c", (False, None)),  # instant end to end: no wait hidden
        (False, [20, 40, 60, 80], "a b c d", (False, None)),  # true streaming
        (False, [50, 51, 52], "a b c", (False, None)),  # 1 ms per token
    ],
)
def test_emulation(
    declared: bool, chunks_after_sent_ms: list[float], text: str, expected: tuple[bool, str | None]
) -> None:
    chunk_ns = [SENT + int(ms * MS) for ms in chunks_after_sent_ms]
    assert emulation(declared, SENT, chunk_ns, text) == expected
