"""An adapter of a suite, built and ready to call from a test, on its own persistent event loop.

The loop lives as long as the adapter: its clients (aiohttp sessions, SDK connections) are
bound to the loop that opened them, so every call, every benchmark round included, runs on
the same one (``asyncio.run`` per call would reconnect each time and time the handshake).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from harness.runner.send import Sent
    from harness.runner.setup import EmulatorHandle
    from harness.suite.load import AdapterConfig, Case, Suite

__all__ = ["ReadyAdapter"]

T = TypeVar("T")


class ReadyAdapter:
    """``harness_adapter(name, suite=...)``: the adapter's LLM, built as ``harness run`` builds it
    (pointed at the suite's emulator when ``served_by: emulator``)."""

    def __init__(self, suite: Suite, config: AdapterConfig, emulator: EmulatorHandle) -> None:
        from harness.runner.send import is_sync_only
        from harness.runner.setup import build_llm

        self.suite = suite
        self.config = config
        self.llm: Any = build_llm(config, emulator.options_for(config, resolve=True))
        self.loop = asyncio.new_event_loop()
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="harness-pytest")
            if is_sync_only(self.llm)
            else None
        )
        self._prepared = False

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def identity(self) -> dict[str, str | None]:
        """Who was measured: name, adapter type, model id and what serves it."""
        return {
            "adapter": self.config.name,
            "adapter_type": self.config.type.name,
            "model": self.config.model,
            "served_by": self.config.served_by,
        }

    @property
    def streaming_emulated(self) -> bool:
        return bool(getattr(self.llm, "streaming_emulated", False))

    def case(self, case: str | Case) -> Case:
        """A case of the suite by id (a Case is returned as it is)."""
        if not isinstance(case, str):
            return case
        for found in self.suite.cases:
            if found.id == case:
                return found
        known = ", ".join(c.id for c in self.suite.cases[:20])
        raise KeyError(f"suite {self.suite.name!r} has no case {case!r}; it has: {known}")

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the adapter's loop (the same loop every time)."""
        return self.loop.run_until_complete(coroutine)

    async def asend(self, case: str | Case) -> Sent:
        """One request with its monotonic stamps (``runner.send``, the path runs measure)."""
        from harness.runner.send import send

        if not self._prepared:
            self._prepared = True
            prepare = getattr(self.llm, "aprepare", None)
            if prepare is not None:
                await prepare()
        return await send(self.llm, self.case(case), self.suite.request_timeout_s, self._pool)

    def send(self, case: str | Case) -> Sent:
        return self.run(self.asend(case))

    def complete(self, prompt: str) -> str:
        """The adapter's answer to ``prompt``, as a run would stream it (text only)."""
        from harness.suite.load import Case

        return self.send(Case(id="prompt", prompt=prompt, expectations=())).text

    def close(self) -> None:
        from harness.runner.prepare import close_llms

        try:
            self.run(close_llms([self.llm]))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()
            if self._pool is not None:
                self._pool.shutdown(wait=False)
