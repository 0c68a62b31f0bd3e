"""Before the clock starts and after the last record: garbage collection during start-up,
metrics warmed, adapters prepared (``aprepare``), LLMs closed. ``run_suite`` does these around
``Driver``; an executor's worker does the same around its own."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from harness.metrics import Observation
from harness.suite.load import Case

__all__ = ["StartupGC", "close_llms", "prepare_llms", "warm_up_metrics"]

_STARTUP_GEN0_THRESHOLD = 100_000


class StartupGC:
    """Garbage collection around a run's start-up: rarer while it allocates, then frozen.

    Start-up allocates some 170k long-lived objects (llama-index, the SDKs, the token
    encoding); at the default threshold the collector walks them again and again (about 0.2 s).
    When the clock starts (:meth:`clock_starts`) the threshold is restored and the objects
    alive then are frozen: that costs no collection pass, and the run's own full collections
    skip them (a pass over them would stall the event loop 60-90 ms mid-measurement). Leaving
    unfreezes them. Does nothing when the collector is off or something else froze objects.
    """

    def __init__(self) -> None:
        self._threshold = gc.get_threshold()
        self._active = gc.isenabled() and gc.get_freeze_count() == 0
        self._frozen = False

    def __enter__(self) -> StartupGC:
        if self._active:
            gen0, gen1, gen2 = self._threshold
            gc.set_threshold(max(gen0, _STARTUP_GEN0_THRESHOLD), gen1, gen2)
        return self

    def clock_starts(self) -> None:
        if self._active and not self._frozen:
            gc.set_threshold(*self._threshold)
            gc.freeze()
            self._frozen = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._active:
            gc.set_threshold(*self._threshold)
            if self._frozen:
                gc.unfreeze()


def warm_up_metrics(cases: Iterable[Case]) -> None:
    """Evaluate each metric in use once on an empty output, off the clock (lazy imports).

    The token counter (records count output tokens) loads its encoding here too. Safe to run
    in a worker thread: nothing here touches an event loop.
    """
    from harness.metrics.tokens import token_counter

    token_counter().count("warm up")
    done: set[str] = set()
    for case in cases:
        for e in case.expectations:
            m = e.metric
            if m.name in done or m.needs_judge or not m.warm_up:
                continue
            done.add(m.name)
            with contextlib.suppress(Exception):
                e.evaluate(Observation(output=""))


async def prepare_llms(llms: Mapping[str, Any], timeout_s: float) -> dict[str, BaseException]:
    """Resolve models and open connections before the clock starts (``aprepare``), all at once.

    Returns the adapters whose set-up failed, with the error: each of their cases fails with it,
    sending nothing. Concurrent, so N adapters cost one round trip, not N.
    """

    async def prepare(llm: Any) -> BaseException | None:
        try:
            await asyncio.wait_for(llm.aprepare(), timeout_s)
        except Exception as exc:  # a failing adapter fails its cases, not the run
            return exc
        return None

    names = [name for name, llm in llms.items() if getattr(llm, "aprepare", None) is not None]
    errors = await asyncio.gather(*(prepare(llms[name]) for name in names))
    return {name: error for name, error in zip(names, errors, strict=True) if error is not None}


async def close_llms(llms: Iterable[Any]) -> None:
    """Close every LLM (``aclose``, else ``close``); one failing to close stops no other."""
    await asyncio.gather(*(_close(llm) for llm in llms), return_exceptions=True)


async def _close(llm: Any) -> None:
    aclose = getattr(llm, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(llm, "close", None)
    if close is not None:
        close()
