"""What a run sets up before its first request: the embedded emulator, the adapters' LLMs,
the secrets to scrub from messages, and the facts about the machine it records."""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata
from typing import Any

from harness import __version__
from harness.adapters.base import is_secret_option
from harness.suite.envref import find_env_refs
from harness.suite.load import AdapterConfig, Suite

__all__ = ["EmulatorHandle", "build_llm", "machine_info", "run_secrets", "versions"]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "harness": __version__}
    for dist in ("gradientai", "llama-index-core", "pydantic", "aiohttp"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def machine_info() -> dict[str, Any]:
    return {
        "node": platform.node(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python_implementation": platform.python_implementation(),
    }


def _secret_values(value: Any, secret: bool = False) -> list[str]:
    """The values under secret-named keys (``access_token``, ``api_key``…), at any depth."""
    if isinstance(value, dict):
        return [
            s for k, v in value.items() for s in _secret_values(v, secret or is_secret_option(k))
        ]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v, secret)]
    return [str(value)] if secret and value is not None and value != "" else []


def _secret_env_values(adapter: AdapterConfig) -> list[str]:
    """The values of the ${ENV} variables that secret-named options reference.

    Only those: a host or model read from ``${GRADIENT_API_URL}`` is an ordinary setting, and
    scrubbing it would turn a connection error into ``cannot connect to ***``.
    """
    refs = find_env_refs(_secret_raw(adapter.raw_options))
    return [os.environ.get(name, "") for name in refs]


def _secret_raw(value: Any) -> Any:
    """The parts of raw options under secret-named keys, at any depth."""
    if isinstance(value, dict):
        return [v if is_secret_option(str(k)) else _secret_raw(v) for k, v in value.items()]
    if isinstance(value, list):
        return [_secret_raw(v) for v in value]
    return None


class EmulatorHandle:
    """Starts the suite's embedded emulator (if any) and fills in served adapters' settings."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.server: Any = None
        self.base_url: str | None = None
        self.access_token: str | None = None
        self.workspace_id: str | None = None

    def __enter__(self) -> EmulatorHandle:
        if self.suite.emulator is None:
            return self
        from harness.emulator import DEFAULT_ACCESS_TOKEN, DEFAULT_WORKSPACE_ID, EmulatorServer

        config = self.suite.emulator
        self.server = EmulatorServer(config)
        self.base_url = self.server.start()
        self.access_token = config.access_token or DEFAULT_ACCESS_TOKEN
        self.workspace_id = config.workspace_id or DEFAULT_WORKSPACE_ID
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()

    def options_for(self, adapter: AdapterConfig, *, resolve: bool) -> dict[str, Any]:
        """The adapter's options as written (``resolve=False``, for run.json) or as used.

        ``served_by: emulator`` fills in what the adapter's options call for: Gradient's
        ``host`` / ``access_token`` / ``workspace_id``, or an OpenAI client's ``api_base`` /
        ``api_key``.
        """
        options = adapter.resolved_options() if resolve else dict(adapter.raw_options)
        if adapter.served_by == "emulator" and self.server is not None:
            fields = adapter.type.options.model_fields
            if "host" in fields:
                options.setdefault("host", self.base_url)
                options.setdefault("access_token", self.access_token)
                options.setdefault("workspace_id", self.workspace_id)
            if "api_base" in fields:
                options.setdefault("api_base", self.server.openai_base_url)
                options.setdefault("api_key", self.access_token)
        return options


def build_llm(adapter: AdapterConfig, options: dict[str, Any]) -> Any:
    """The adapter's llama-index LLM, from its (resolved) options."""
    return adapter.type.build(adapter.type.options.model_validate(options))


# Variables the adapters read credentials from when a suite does not give them.
_SECRET_ENV = ("GRADIENT_ACCESS_TOKEN", "OPENAI_API_KEY")


def run_secrets(suite: Suite, resolved: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    """Every value to scrub from messages: secret-named options and the ${ENV} variables
    they reference (at any depth, so ``kwargs: {api_key: ...}`` counts), and the variables
    the adapters read credentials from. Other ``${ENV}`` values (hosts, model ids) stay.
    """
    found = (
        {s for opts in resolved.values() for s in _secret_values(opts)}
        | {s for a in suite.adapters for s in _secret_env_values(a)}
        | {os.environ.get(name, "") for name in _SECRET_ENV}
    )
    # Longest first: a secret that contains another is scrubbed whole, not in pieces.
    return tuple(sorted(found - {""}, key=lambda s: (-len(s), s)))
