"""Safe YAML with positions, and ``file:line:col`` messages for what fails to validate.

Shared by the suite loader and the emulator, so it imports nothing of the harness but
``errors`` and ``registry``.
"""

from __future__ import annotations

from harness.yamlio.document import YamlDocument
from harness.yamlio.locate import is_number, locations_from_validation_error, number_hint
from harness.yamlio.parse import MAX_NODES, load_yaml, parse_yaml
from harness.yamlio.paths import KeyPath, describe_path
from harness.yamlio.validate import load_model, validate_document

__all__ = [
    "KeyPath",
    "MAX_NODES",
    "YamlDocument",
    "describe_path",
    "is_number",
    "load_model",
    "load_yaml",
    "locations_from_validation_error",
    "number_hint",
    "parse_yaml",
    "validate_document",
]
