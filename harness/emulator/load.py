"""Loads an emulator YAML config; every problem is reported as ``file:line:col: what was wrong``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from harness.emulator.profiles import DEFER_CROSS_CHECKS, EmulatorConfig, config_problems
from harness.errors import SuiteError
from harness.yamlio import (
    YamlDocument,
    describe_path,
    load_yaml,
    locations_from_validation_error,
    parse_yaml,
)

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "load_default_config",
    "load_emulator_config",
    "validate_config_data",
]

DEFAULT_CONFIG_NAME = "default.yaml"


def _validate(doc: YamlDocument) -> EmulatorConfig:
    if not isinstance(doc.data, dict):
        raise SuiteError([doc.location((), "expected a mapping at the top level")])
    return validate_config_data(doc, doc.data)


def validate_config_data(
    doc: YamlDocument, data: object, base: tuple[str | int, ...] = ()
) -> EmulatorConfig:
    """Validate ``data`` found at ``base`` in ``doc`` (a file, or a suite's inline section)."""
    try:
        # Cross-model checks are deferred so each can point at its own line below.
        config = EmulatorConfig.model_validate(data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as exc:
        raise SuiteError(locations_from_validation_error(exc, doc, EmulatorConfig, base)) from None
    problems = config_problems(config)
    if problems:
        raise SuiteError(
            [
                doc.location((*base, *path), f"{describe_path((*base, *path))}: {message}")
                for path, message in problems
            ]
        )
    return config


def load_emulator_config(path: str | Path) -> EmulatorConfig:
    """Read and validate an emulator config; raises SuiteError listing all problems found."""
    return _validate(load_yaml(Path(path)))


def load_default_config() -> EmulatorConfig:
    """The built-in config (``harness/emulator/default.yaml``) used when none is given."""
    text = resources.files("harness.emulator").joinpath(DEFAULT_CONFIG_NAME).read_text("utf-8")
    return _validate(parse_yaml(text, f"<harness>/emulator/{DEFAULT_CONFIG_NAME}"))
