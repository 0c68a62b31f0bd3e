"""Config and a raw aiohttp SSE reader shared by the OpenAI-route tests."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from harness.emulator import EmulatorConfig

KEY = "sk-emulator-test-key"
BEARER = {"Authorization": f"Bearer {KEY}"}
FIVE = "one two three four five"

OPENAI_CONFIG: dict[str, Any] = {
    "seed": 3,
    "access_token": KEY,
    "models": [
        {
            "name": "Base A",
            "slug": "base-a",
            "responses": [
                {"prompt": "What is 2+2?", "answer": "4"},
                {"prompt": "count", "answer": FIVE},
                {"prompt": "spaced", "answer": "  lead\n\ntrail  "},
                {"prompt": "sentence", "answer": "Hello world. Bye."},
                {"prompt": "nothing", "answer": ""},
                {"prompt": "broken", "answer": "{{ match[5] }}"},
            ],
            "default": "default from {{ model.name }} to '{{ prompt }}'",
        },
        {
            "name": "scripted",
            "base_model": "base-a",
            "chat_prompt": "transcript",
            "responses": [
                {
                    "regex": r"(?s)^system: (.*)\nuser: (.*)$",
                    "answer": "{{ match[1] }}|{{ match[2] }}",
                }
            ],
            "default": "[{{ prompt }}]",
        },
        {"name": "flaky", "base_model": "base-a", "faults": {"rate_limit": 1, "retry_after_s": 7}},
        {"name": "failing", "base_model": "base-a", "faults": {"server_error": 1}},
        {
            "name": "cut",
            "base_model": "base-a",
            "default": FIVE,
            "latency": {"delay_ms": 10, "per_token_ms": 10},
            "faults": {"disconnect": 1},
        },
        {"name": "stuck", "base_model": "base-a", "faults": {"hang": 1, "hang_s": 600}},
        {
            "name": "slow",
            "base_model": "base-a",
            "default": "a b c d e f g h i j",
            "latency": {"delay_ms": 20, "per_token_ms": 500},
        },
    ],
}


def openai_config(**overrides: Any) -> EmulatorConfig:
    return EmulatorConfig.model_validate({**OPENAI_CONFIG, **overrides})


@dataclass
class SSE:
    """A streamed response: status, headers, raw body, and each event with its arrival time."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    events: list[bytes] = field(default_factory=list)
    arrived_s: list[float] = field(default_factory=list)  # seconds after the request was sent
    error: BaseException | None = None

    @property
    def chunks(self) -> list[dict[str, Any]]:
        """The JSON chunks (every event but ``[DONE]``)."""
        return [json.loads(e[len(b"data: ") :]) for e in self.events if e != b"data: [DONE]"]


async def read_sse(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> SSE:
    """POST ``body`` and stamp each ``\\n\\n``-terminated event when its last byte arrives."""
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.post(url, json=body, headers=headers or BEARER) as response:
            sse = SSE(response.status, dict(response.headers))
            pending = b""
            try:
                async for data in response.content.iter_any():
                    now = time.perf_counter() - start
                    sse.body += data
                    pending += data
                    *complete, pending = pending.split(b"\n\n")
                    for event in complete:
                        sse.events.append(event)
                        sse.arrived_s.append(now)
            except aiohttp.ClientPayloadError as exc:
                sse.error = exc
            return sse


def stream(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> SSE:
    return asyncio.run(read_sse(url, body, headers))
