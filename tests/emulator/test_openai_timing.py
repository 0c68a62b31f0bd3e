"""Injected TTFT and inter-token latency, measured by a bare aiohttp client over loopback.

Tolerances hold on a loaded 2-core machine: no token earlier than its due time, none more
than 150 ms later, and each gap at least the injected one less 5 ms of slack. Tokens are
due on an absolute schedule, so a token that arrives late is followed by a gap shorter by
exactly that lateness (the next one is not delayed with it); the gap check adds it back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from harness.emulator import EmulatorConfig, EmulatorServer

from .openai_support import SSE, read_sse

LATE_S = 0.150
CONFIG: dict[str, Any] = {
    "models": [
        {
            "name": "timed",
            "slug": "timed",
            "default": "one two three four five",
            "latency": {"delay_ms": 200, "per_token_ms": 50},
        },
        {
            "name": "many",
            "slug": "many",
            "default": " ".join(f"t{i}" for i in range(40)),
            "latency": {"delay_ms": 10, "per_token_ms": 10},
        },
    ]
}


async def _whole(url: str, body: dict[str, Any]) -> float:
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.post(url, json=body) as response:
            await response.read()
            assert response.status == 200
        return time.perf_counter() - start


async def _measure(v1: str) -> tuple[SSE, SSE, SSE, float]:
    completion = {"model": "timed", "prompt": "q", "stream": True}
    chat = {"model": "timed", "messages": [{"role": "user", "content": "q"}], "stream": True}
    many = {"model": "many", "prompt": "q", "stream": True}
    return await asyncio.gather(
        read_sse(f"{v1}/completions", completion),
        read_sse(f"{v1}/chat/completions", chat),
        read_sse(f"{v1}/completions", many),
        _whole(f"{v1}/completions", {"model": "timed", "prompt": "q"}),
    )


def test_streams_follow_the_latency_profile(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(EmulatorConfig.model_validate(CONFIG))
    completion, chat, many, whole_s = asyncio.run(_measure(srv.openai_base_url))
    for sse in (completion, chat):
        tokens = sse.arrived_s[:5]  # then the finish chunk and [DONE], at once
        assert len(sse.chunks) == 6
        due = [0.200 + 0.050 * k for k in range(5)]
        assert all(d <= t < d + LATE_S for d, t in zip(due, tokens, strict=True)), tokens
        assert 0.200 <= tokens[0] < 0.200 + LATE_S  # TTFT
        # each gap >= 45 ms once the earlier token's own lateness is added back
        late = [t - d for d, t in zip(due, tokens, strict=True)]
        gaps = [b - a for a, b in zip(tokens, tokens[1:], strict=False)]
        assert all(g + late[k] >= 0.045 for k, g in enumerate(gaps)), (gaps, late)
        assert tokens[-1] >= 0.400  # total
        assert sse.arrived_s[-1] - tokens[-1] < 0.045  # the end is not held back
    # 40 steps of 10 ms on an absolute schedule: no drift accumulates
    assert len(many.chunks) == 41
    assert 0.400 <= many.arrived_s[39] < 0.400 + LATE_S, many.arrived_s
    # non-streaming, as before: delay + per token x tokens
    assert 0.450 <= whole_s < 0.450 + LATE_S
