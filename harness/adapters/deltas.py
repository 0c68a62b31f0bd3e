"""Streams our adapters return: llama-index responses to iterate, or bare deltas to read.

llama-index's streaming contract gives every response the whole text so far. Built per chunk,
that text is copied per chunk (the previous response still holds the old string, so Python
cannot extend it in place): O(n²) characters for an n-chunk reply. A :class:`ResponseStream`
keeps the contract for whoever iterates it, and offers the same chunks as bare
``(delta, raw, extra)`` pieces through ``deltas()``, constant work per chunk: the runner's
measured path reads those (see ``harness/runner/send.py``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

__all__ = ["DeltaStream", "Piece", "ResponseStream", "listened"]

_R = TypeVar("_R")

Piece = tuple[str, Any, dict[str, Any]]
"""One chunk as the adapter received it: (delta text, raw chunk, the response's extra kwargs).

A stream may end with a summary piece whose delta is ``""`` (finish reason, token usage).
"""


@runtime_checkable
class DeltaStream(Protocol):
    """A response stream that can also be read as bare pieces, without building any text."""

    def deltas(self) -> AsyncIterator[Piece]:
        """The stream's pieces, as they arrive. Read a stream one way only, once."""
        ...


class ResponseStream(AsyncGenerator[_R, None], Generic[_R]):
    """What our adapters' ``astream_complete``/``astream_chat`` return.

    Iterated, it yields llama-index responses, made by ``respond(text, delta, raw, extra)``
    with ``text`` everything so far, as the contract requires: that costs a copy of the text
    per chunk, quadratic in the reply's length. ``deltas()`` yields the pieces themselves, so
    a caller that joins the deltas once at the end (the runner) does constant work per chunk.
    """

    def __init__(
        self,
        pieces: AsyncGenerator[Piece, None],
        respond: Callable[[str, str, Any, dict[str, Any]], _R],
    ) -> None:
        self._pieces = pieces
        self._respond = respond
        self._text = ""

    def deltas(self) -> AsyncGenerator[Piece, None]:
        """The pieces, unbuilt: constant work per chunk (no running text, no response)."""
        return self._pieces

    def _response(self, piece: Piece) -> _R:
        delta, raw, extra = piece
        self._text += delta  # the contract's running text: a copy per chunk
        return self._respond(self._text, delta, raw, extra)

    async def asend(self, value: None) -> _R:
        return self._response(await self._pieces.asend(value))

    async def athrow(self, typ: Any, val: Any = None, tb: Any = None) -> _R:
        return self._response(await self._pieces.athrow(typ if val is None else val))

    async def aclose(self) -> None:
        await self._pieces.aclose()


def listened(llm: Any) -> bool:
    """Whether a llama-index callback or instrumentation handler would see ``llm``'s events.

    When none would, an adapter can skip llama-index's per-chunk event wrapper (which would
    also hide its :class:`ResponseStream` from the runner behind a plain generator).
    """
    from llama_index_instrumentation import get_dispatcher
    from llama_index_instrumentation.event_handlers.null import NullEventHandler

    if getattr(llm.callback_manager, "handlers", None):
        return True
    dispatcher: Any = get_dispatcher("llama_index.core.llms.callbacks")
    while dispatcher is not None:
        if any(not isinstance(h, NullEventHandler) for h in dispatcher.event_handlers):
            return True
        dispatcher = dispatcher.parent if dispatcher.propagate else None
    return False
