"""The SSE decoder under the openai-compatible adapter: events from bytes however they are split."""

from __future__ import annotations

import pytest

from harness.adapters.sse import SSEDecoder

STREAM = (
    b": a comment\n\n"
    b'data: {"a": 1}\n\n'
    b"event: message\nid: 7\nretry: 100\ndata: first\ndata:second\n\n"
    b"event: ping\n\n"
    b"data\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [b'{"a": 1}', b"first\nsecond", b"", b"[DONE]"]


def decode(pieces: list[bytes]) -> list[bytes]:
    decoder = SSEDecoder()
    out = [data for piece in pieces for data in decoder.feed(piece)]
    return out + decoder.close()


def test_whole_stream() -> None:
    assert decode([STREAM]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_any_split_gives_the_same_events(size: int) -> None:
    pieces = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert decode(pieces) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_crlf_and_cr_line_ends(newline: bytes, size: int) -> None:
    stream = STREAM.replace(b"\n", newline)
    pieces = [stream[i : i + size] for i in range(0, len(stream), size)]
    assert decode(pieces) == EXPECTED


def test_an_event_is_returned_by_the_feed_that_completes_it() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"t": "a"}\n') == []
    assert decoder.feed(b"\n") == [b'{"t": "a"}']
    assert decoder.feed(b'data: {"t": "b"}\n\ndata: {"t"') == [b'{"t": "b"}']
    assert decoder.feed(b': "c"}\n\n') == [b'{"t": "c"}']


def test_a_last_event_without_its_blank_line_is_kept_at_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n\ndata: [DONE]\n") == [b"x"]
    assert decoder.close() == [b"[DONE]"]
    assert decoder.close() == []
