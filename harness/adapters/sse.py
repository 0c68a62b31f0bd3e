"""Incremental server-sent events decoding: bytes as they arrive → the ``data`` of each event.

Only what an OpenAI-style stream needs: events end at a blank line (``\\n``, ``\\r\\n`` or
``\\r`` line ends), ``data:`` lines are joined with newlines, and comments and the ``event``,
``id`` and ``retry`` fields are ignored. The payload is returned as bytes, undecoded, so a
caller can hand it to ``json.loads`` directly.
"""

from __future__ import annotations

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed it the body's bytes in pieces; it returns each complete event's data as it completes.

    An event that ends exactly at a piece's end is returned by that ``feed``, never held back:
    a stream of one token per event yields each token on the read that brought it.
    """

    __slots__ = ("_pending", "_cr")

    def __init__(self) -> None:
        self._pending = b""
        self._cr = False  # the previous piece ended in "\r": a "\n" starting this one pairs with it

    def feed(self, piece: bytes) -> list[bytes]:
        """The data of every event completed by ``piece`` (events without data are skipped)."""
        if b"\r" in piece or self._cr:
            piece = self._normalise(piece)
        buffer = self._pending + piece if self._pending else piece
        if b"\n\n" not in buffer:
            self._pending = buffer
            return []
        *events, self._pending = buffer.split(b"\n\n")
        out = []
        for event in events:
            # The common case, one "data: <json>" line, without a line loop.
            if event.startswith(b"data: ") and b"\n" not in event:
                out.append(event[6:])
            elif event:
                data = _event_data(event)
                if data is not None:
                    out.append(data)
        return out

    def close(self) -> list[bytes]:
        """At end of stream: the data of a last event that lacked its blank line, if any.

        The SSE specification drops such an event; some servers end with ``data: [DONE]\\n``
        and close, so it is kept.
        """
        rest, self._pending = self._pending.strip(b"\n"), b""
        if not rest:
            return []
        data = _event_data(rest)
        return [] if data is None else [data]

    def _normalise(self, piece: bytes) -> bytes:
        if self._cr and piece.startswith(b"\n"):
            piece = piece[1:]  # the "\n" of a "\r\n" split across two pieces
        self._cr = piece.endswith(b"\r")
        return piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _event_data(event: bytes) -> bytes | None:
    """The joined ``data`` field values of one event's lines; None when it has none."""
    values = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            values.append(value[1:] if value.startswith(b" ") else value)
        elif line == b"data":  # a field name alone means an empty value
            values.append(b"")
    return b"\n".join(values) if values else None
