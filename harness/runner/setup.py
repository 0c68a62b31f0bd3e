"""What a run sets up before its first request: the embedded emulator, the adapters' LLMs,
the secrets to scrub from what it writes, and the facts about the machine it records.

What is a secret (one rule; ``harness.records.redaction`` replaces them at every write):
the value of a secret-named option (``access_token``, ``api_key``, ``token``, ``*_secret``,
``*_password``) at any depth of an adapter's or an expectation's options; the value of every
``${VAR}`` whose variable name has a secret word as one of its ``_``-separated parts
(``${GRADIENT_ACCESS_TOKEN}``, ``${MY_SECRET_MODEL}``), wherever the suite uses it; and the
credential variables the adapters read by themselves. Other ``${ENV}`` values (a host,
``max_tokens: ${MAXT}``) are settings, not secrets: scrubbing them garbles messages.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
from importlib import metadata
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from harness import __version__
from harness.adapters.base import is_secret_option, is_secret_variable
from harness.records.redaction import MASK, Redactor
from harness.suite.envref import find_env_refs, resolve_env_refs
from harness.suite.load import AdapterConfig, Suite

__all__ = [
    "EmulatorHandle",
    "build_llm",
    "is_secret_variable",
    "machine_info",
    "manifest_options",
    "model_as_written",
    "run_secrets",
    "suite_redactor",
    "versions",
]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "harness": __version__}
    for dist in ("gradientai", "llama-index-core", "pydantic", "aiohttp"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), so a comparison can tell machines apart."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor()


def machine_info() -> dict[str, Any]:
    return {
        "node": platform.node(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
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
    """The values of the ${ENV} variables that secret-named options reference, and of every
    secret-named variable referenced anywhere in the options (``model: ${MY_SECRET_MODEL}``).

    Only those: a host or model read from ``${GRADIENT_API_URL}`` is an ordinary setting, and
    scrubbing it would turn a connection error into ``cannot connect to ***``.
    """
    refs = find_env_refs(_secret_raw(adapter.raw_options)) + [
        name for name in find_env_refs(adapter.raw_options) if is_secret_variable(name)
    ]
    return [os.environ.get(name, "") for name in refs]


def _expectation_secrets(suite: Suite) -> set[str]:
    """Secret-named values in expectations' options (an embedding model's ``kwargs.api_key``).

    Only text directly under a secret-named key: a JSON schema's ``{token: {type: string}}``
    is data, and scrubbing "string" would garble every record. Only options whose model can
    hold one are read (a mapping, a nested model or a secret-named field): ``contains`` or
    ``regex`` on 10,000 cases cost nothing at start.
    """
    seen: set[int] = set()
    found: set[str] = set()
    for case in suite.cases:
        for expectation in case.expectations:
            options = expectation.options
            if id(options) not in seen and _can_hold_secrets(type(options)):
                seen.add(id(options))
                found.update(_secret_texts(options.model_dump(mode="json")))
    return found


def _secret_texts(value: Any) -> list[str]:
    """Strings right under secret-named keys, at any depth."""
    if isinstance(value, dict):
        return [
            s
            for k, v in value.items()
            for s in ([v] if isinstance(v, str) and is_secret_option(str(k)) else _secret_texts(v))
        ]
    if isinstance(value, list):
        return [s for v in value for s in _secret_texts(v)]
    return []


@functools.cache
def _can_hold_secrets(model: type[BaseModel]) -> bool:
    return any(
        is_secret_option(name) or _open_ended(field.annotation)
        for name, field in model.model_fields.items()
    )


def _open_ended(annotation: Any) -> bool:
    """A type whose values may carry user-named keys: ``dict``, ``Any``, a pydantic model."""
    if annotation is Any or annotation is dict or get_origin(annotation) is dict:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_open_ended(arg) for arg in get_args(annotation))


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
    """Every value to scrub from what the run writes (see the module docstring), longest
    first; values under 4 characters are left out (``MIN_SECRET_CHARS``).
    """
    found = (
        {s for opts in resolved.values() for s in _secret_values(opts)}
        | {s for a in suite.adapters for s in _secret_env_values(a)}
        | {os.environ.get(name, "") for name in _SECRET_ENV}
        | _expectation_secrets(suite)
    )
    return Redactor(found).secrets


def suite_redactor(suite: Suite, emu: EmulatorHandle) -> Redactor:
    """The Redactor a run of ``suite`` uses (its emulator started), for other commands that
    send requests (``harness bench``): their console and logs are scrubbed the same way."""
    resolved = {a.name: emu.options_for(a, resolve=True) for a in suite.adapters}
    return Redactor(run_secrets(suite, resolved))


def _only_references(value: Any) -> bool:
    """``"${NAME}"`` or ``"${A}${B}"``: reference text only, nothing typed in as a value."""
    if not isinstance(value, str):
        return False
    refs = find_env_refs(value)
    return bool(refs) and resolve_env_refs(value, dict.fromkeys(refs, "")) == ""


def manifest_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options as run.json shows them: a secret-named option (at any depth) as ``***``, or as
    its ``${VAR}`` text when it is only a reference (the suite's own text, no secret in it).
    """
    return {str(k): _shown(v, is_secret_option(str(k))) for k, v in options.items()}


def _shown(value: Any, secret: bool) -> Any:
    if isinstance(value, dict):
        return {str(k): _shown(v, secret or is_secret_option(str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v, secret) for v in value]
    if secret and value is not None and not _only_references(value):
        return MASK
    return value


def model_as_written(adapter: AdapterConfig) -> str:
    """The adapter's model for run.json: ``${MY_SECRET_MODEL}`` as written when it comes from
    a secret-named variable (its value is a secret), else the resolved model id."""
    raw = adapter.raw_options.get(adapter.type.model_option)
    if isinstance(raw, str) and any(is_secret_variable(n) for n in find_env_refs(raw)):
        return raw
    return adapter.model
