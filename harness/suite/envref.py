"""``${ENV_VAR}`` references in adapter options: checked at load, resolved at run time.

The suite keeps the reference text; only the adapter sees the value, so secrets never reach
``run.json``, records, reports or logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["find_env_refs", "resolve_env_refs"]

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def find_env_refs(value: Any) -> list[str]:
    """Names of the environment variables referenced anywhere inside ``value``."""
    if isinstance(value, str):
        return _REF.findall(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in find_env_refs(v)]
    if isinstance(value, list):
        return [n for v in value for n in find_env_refs(v)]
    return []


def resolve_env_refs(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Replace each ``${NAME}`` by its value; a whole-string reference keeps YAML typing.

    ``max_tokens: ${MAX}`` with MAX=64 becomes the integer 64 through pydantic's coercion of
    the string "64"; a missing variable raises KeyError naming it.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        return _REF.sub(lambda m: env[m.group(1)], value)
    if isinstance(value, dict):
        return {k: resolve_env_refs(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env_refs(v, env) for v in value]
    return value
