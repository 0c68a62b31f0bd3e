"""A parsed document → a pydantic model, every error pointed at its line."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import SuiteError
from harness.yamlio.document import YamlDocument
from harness.yamlio.locate import locations_from_validation_error
from harness.yamlio.parse import load_yaml

__all__ = ["load_model", "validate_document"]

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M], display_name: str | None = None) -> M:
    """Load ``path`` and validate it as ``model``; all errors at once, each with file:line:col."""
    doc = load_yaml(path, display_name)
    return validate_document(doc, model)


def validate_document(doc: YamlDocument, model: type[M]) -> M:
    if not isinstance(doc.data, dict):
        raise SuiteError([doc.location((), "expected a mapping at the top level")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise SuiteError(locations_from_validation_error(exc, doc, model)) from None
