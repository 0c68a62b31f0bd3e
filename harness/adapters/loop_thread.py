"""A private event loop in a daemon thread, so sync methods can run an async implementation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Coroutine, Generator
from typing import Any, TypeVar

__all__ = ["LoopThread"]

_R = TypeVar("_R")


class LoopThread:
    """A private event loop in a daemon thread: the sync methods run the async path on it."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _R]) -> _R:
        """Run ``coro`` on the loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        finally:
            future.cancel()  # only has an effect when the wait itself was interrupted

    def iterate(self, stream: AsyncGenerator[_R, None]) -> Generator[_R, None, None]:
        """Iterate ``stream`` on the loop, one item per ``next()``; closed with the generator."""
        try:
            while True:
                try:
                    item = self.run(stream.__anext__())
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not self.loop.is_closed():  # else stop() already shut the stream down
                self.run(stream.aclose())

    def stop(self) -> None:
        """Close the loop's async generators (and so its aiohttp sessions), then the loop."""
        # shutdown_asyncgens() closes the aiohttp session opened on this loop (see http.py).
        self.run(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
