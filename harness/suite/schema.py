"""The JSON Schema of the suite format, generated from the models and the registries.

Adapters and expectations get one ``oneOf`` branch per registered type, so an editor can
complete ``type: gradient-adapter`` options and ``- rouge_l: {reference: …}`` alike.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from harness.adapters.base import adapters
from harness.metrics import metrics
from harness.suite.model import EMULATOR_STAND_INS, SuiteFileSpec

__all__ = ["suite_schema", "suite_schema_json"]


def _inline(model: type[BaseModel], defs: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The model's schema with its ``$defs`` lifted into ``defs`` under a unique prefix."""
    schema = model.model_json_schema(ref_template="#/$defs/" + prefix + "{model}")
    for name, sub in schema.pop("$defs", {}).items():
        defs[prefix + name] = sub
    return schema


def _adapter_branch(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    kind = adapters.get(name)
    options = _inline(kind.options, defs, f"{kind.options.__name__}.")
    properties = {
        "type": {"const": name, "description": kind.description},
        "served_by": {
            "enum": ["emulator", None],
            "description": "'emulator': served by the suite's embedded Gradient API emulator",
        },
        "role": {
            "enum": ["candidate", "judge"],
            "default": "candidate",
            "description": "'judge': only used by LLM-as-judge expectations, not run on cases",
        },
        "concurrency": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1024,
            "description": "Requests in flight to this adapter at once",
        },
        "rpm": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Requests per minute to this adapter at most",
        },
        **options.get("properties", {}),
    }
    return {
        "title": name,
        "type": "object",
        "properties": properties,
        # settings `served_by: emulator` fills in are never required of the writer
        "required": [
            "type",
            *(k for k in options.get("required", []) if k not in EMULATOR_STAND_INS),
        ],
        "additionalProperties": False,
    }


def _numbers_as_text(node: Any) -> None:
    """Let text options take numbers too: the loader reads ``- equals: 42`` as the text "42"."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "enum" not in node and "const" not in node:
            node["type"] = ["string", "number"]
        for value in node.values():
            _numbers_as_text(value)
    elif isinstance(node, list):
        for item in node:
            _numbers_as_text(item)


def _metric_branch(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    metric = metrics.get(name)
    options = _inline(metric.options, defs, f"{metric.options.__name__}.")
    _numbers_as_text(options.get("properties", {}))
    value: dict[str, Any] = options
    if metric.shorthand:
        short = options.get("properties", {}).get(metric.shorthand, {})
        value = {"anyOf": [short, options]} if short else options
    return {
        "title": name,
        "description": metric.description,
        "type": "object",
        "properties": {name: value},
        "required": [name],
        "additionalProperties": False,
    }


def _walk_replace(node: Any, key: str, replacement: dict[str, Any]) -> None:
    """Point every ``expect`` list at the shared Expectation definition."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict) and v.get("type") == "array":
                v["items"] = replacement
            else:
                _walk_replace(v, key, replacement)
    elif isinstance(node, list):
        for item in node:
            _walk_replace(item, key, replacement)


def suite_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one suite file."""
    defs: dict[str, Any] = {}
    schema = _inline(SuiteFileSpec, defs, "")
    defs["Adapter"] = {"oneOf": [_adapter_branch(n, defs) for n in adapters.names()]}
    defs["Expectation"] = {"oneOf": [_metric_branch(n, defs) for n in metrics.names()]}
    schema["properties"]["adapters"]["additionalProperties"] = {"$ref": "#/$defs/Adapter"}
    try:
        from harness.suite.dataset_spec import DatasetSpec

        dataset = _inline(DatasetSpec, defs, "DatasetSpec.")
        defs["Dataset"] = dataset
        schema["properties"]["datasets"]["items"] = {"$ref": "#/$defs/Dataset"}
    except ImportError:  # pragma: no cover - the datasets module is part of the package
        pass
    ref = {"$ref": "#/$defs/Expectation"}
    _walk_replace(defs, "expect", ref)
    _walk_replace(schema["properties"], "expect", ref)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$defs": dict(sorted(defs.items())),
    }


def suite_schema_json() -> str:
    return json.dumps(suite_schema(), indent=2, sort_keys=False) + "\n"
