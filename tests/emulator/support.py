"""Shared test data and a raw-HTTP helper for the emulator tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from harness.emulator import EmulatorConfig

TOKEN = "s3cret-token-never-echoed"
WORKSPACE = "ws-test"
AUTH = {"Authorization": f"Bearer {TOKEN}", "x-gradient-workspace-id": WORKSPACE}

CONFIG: dict[str, Any] = {
    "seed": 7,
    "access_token": TOKEN,
    "workspace_id": WORKSPACE,
    "models": [
        {"name": "Base A", "slug": "base-a"},
        {"name": "Base C", "slug": "base-c", "capabilities": ["complete"]},
        {
            "name": "adapter",
            "base_model": "base-a",
            "responses": [
                {"prompt": "What is 2+2?", "answer": "4"},
                {"regex": r"^capital of (?P<country>\w+)\?$", "answer": "{{ match.country }}!"},
                {
                    "regex": r"^repeat (\d+) (\w+)$",
                    "answer": "{{ (match[2] ~ ' ') * match[1]|int }}",
                },
                {"prompt": "capital of Spain?", "answer": "shadowed by the regex above"},
                {"prompt": "broken", "answer": "{{ match[5] }}"},
                {"regex": "^What", "answer": "shadowed by nothing"},
            ],
            "default": "default from {{ model.name }} to '{{ prompt }}'",
        },
        {"name": "flaky", "base_model": "base-a", "faults": {"rate_limit": 1, "retry_after_s": 7}},
        {"name": "failing", "base_model": "base-a", "faults": {"server_error": 1}},
        {"name": "slow", "base_model": "base-a", "latency": {"delay_ms": 150}},
    ],
}


def config(**overrides: Any) -> EmulatorConfig:
    return EmulatorConfig.model_validate({**CONFIG, **overrides})


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def call(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Reply:
    """One HTTP request with urllib; error statuses are returned, not raised."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, dict(exc.headers), exc.read().decode())


def model_id(name: str) -> str:
    return config().model(name).model_id
