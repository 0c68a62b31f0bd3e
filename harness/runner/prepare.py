"""Before the clock starts and after the last record: metrics warmed, adapters prepared
(``aprepare``), LLMs closed. ``run_suite`` does these around ``Driver``; an executor's worker
does the same around its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from harness.metrics import Observation
from harness.suite.load import Case

__all__ = ["close_llms", "prepare_llms", "warm_up_metrics"]


def warm_up_metrics(cases: Iterable[Case]) -> None:
    """Evaluate each metric in use once on an empty output, off the clock (lazy imports).

    The token counter (records count output tokens) loads its encoding here too.
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
    """Resolve models and open connections before the clock starts (``aprepare``).

    Returns the adapters whose set-up failed, with the error: each of their cases fails with it,
    sending nothing.
    """
    broken: dict[str, BaseException] = {}
    for name, llm in llms.items():
        prepare = getattr(llm, "aprepare", None)
        if prepare is not None:
            try:
                await asyncio.wait_for(prepare(), timeout_s)
            except Exception as exc:  # a failing adapter fails its cases, not the run
                broken[name] = exc
    return broken


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
