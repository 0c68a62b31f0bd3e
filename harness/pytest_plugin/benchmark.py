"""``harness_benchmark``: an adapter's latency on chosen cases, measured by pytest-benchmark.

pytest-benchmark times a synchronous callable and has no way to take durations measured
elsewhere, so each round drives the chosen cases through the adapter on the adapter's one
persistent event loop (``ReadyAdapter.run``) and pytest-benchmark times the round as a whole.
What it cannot time (the first chunk) is measured from the runner's own stamps and saved in
``benchmark.extra_info``, which ``--benchmark-autosave`` writes into its JSON.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.pytest_plugin.adapter import ReadyAdapter
    from harness.suite.load import Case

__all__ = ["harness_benchmark"]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def harness_benchmark(
    benchmark: Any,
    adapter: ReadyAdapter,
    cases: str | Case | Sequence[str | Case],
    *,
    rounds: int = 5,
    warmup_rounds: int = 1,
) -> dict[str, Any]:
    """Time ``rounds`` rounds (each: every case of ``cases`` sent once, one after another).

    Args:
        benchmark: pytest-benchmark's ``benchmark`` fixture.
        adapter: from the ``harness_adapter`` fixture.
        cases: case ids (or Cases) of the adapter's suite.
        rounds: timed rounds; ``warmup_rounds`` more are sent first and not counted.

    Returns:
        The ``extra_info`` written: the adapter's identity, the cases, TTFT (median and min
        over every timed call, ms), output tokens per round and the calls made. A failed call
        raises: an error is not a latency.
    """
    from harness.runner.execute import count_tokens

    listed: Sequence[str | Case] = (
        [cases] if isinstance(cases, str) or not isinstance(cases, Sequence) else cases
    )
    chosen = [adapter.case(c) for c in listed]
    if not chosen:
        raise ValueError("harness_benchmark needs at least one case")
    ttfts: list[float] = []
    tokens: list[int] = []

    async def one_round() -> None:
        for case in chosen:
            sent = await adapter.asend(case)
            if sent.chunk_ns:
                ttfts.append((sent.chunk_ns[0] - sent.sent_ns) / 1e6)
            tokens.append(count_tokens(sent.text, sent.raw)[0] or 0)

    def target() -> None:
        adapter.run(one_round())

    for _ in range(warmup_rounds):
        target()
    ttfts.clear()
    tokens.clear()
    benchmark.pedantic(target, rounds=rounds, iterations=1, warmup_rounds=0)
    calls = len(tokens)
    info: dict[str, Any] = {
        **adapter.identity,
        "cases": [c.id for c in chosen],
        "calls": calls,
        "ttft_median_ms": _median(ttfts),
        "ttft_min_ms": round(min(ttfts), 3) if ttfts else None,
        "ttft_emulated": adapter.streaming_emulated,
        "output_tokens_per_round": round(sum(tokens) / max(1, calls) * len(chosen), 3),
        "output_tokens_median": _median([float(t) for t in tokens]),
    }
    benchmark.extra_info.update(info)
    return info
