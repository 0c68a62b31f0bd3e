"""What is still usable in a suite file that failed its schema pass, so the rest gets checked.

A bad ``concurrency`` or one case's bad ``repeat`` must not hide the file's template errors,
missing dataset files or duplicate case ids: the valid parts are kept (a case without the keys
that failed, unless they are what the case is) and checked as usual. Nothing salvaged is ever
run: the file's own errors still fail the load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.suite.model import CaseSpec, DefaultsSpec, SuiteFileSpec

__all__ = ["Salvaged", "salvage"]

# A case whose id, prompt, messages or vars failed is not checked further: its templates and id
# would be judged against something other than what the user meant.
_ESSENTIAL_CASE_KEYS = frozenset({"id", "prompt", "messages", "vars", "matrix"})
# Read from the raw data by the second pass whatever the schema pass said.
_RAW_KEYS = frozenset({"adapters", "gates", "include"})


@dataclass
class Salvaged:
    """The valid parts of a broken file as a spec, and where its cases and datasets came from.

    ``cases[k]`` and ``datasets[k]`` are the raw indexes of ``spec.cases[k]`` and
    ``spec.datasets[k]``. ``vars_trusted`` is False when a ``defaults.vars`` or
    ``defaults.matrix`` was dropped: an undefined template variable is then no news.
    """

    spec: SuiteFileSpec
    cases: list[int] = field(default_factory=list)
    datasets: list[int] = field(default_factory=list)
    vars_trusted: bool = True


def salvage(data: dict[str, Any]) -> Salvaged:
    """The parts of ``data`` (a file's mapping) that validate on their own."""
    kept: dict[str, Any] = {}
    out = Salvaged(SuiteFileSpec())
    for key, value in data.items():
        if key in _RAW_KEYS:
            continue
        if key == "cases":
            items = value if isinstance(value, list) else []
            cases = [(i, _case(item)) for i, item in enumerate(items)]
            kept["cases"] = [c for _, c in cases if c is not None]
            out.cases = [i for i, c in cases if c is not None]
        elif key == "datasets":
            items = value if isinstance(value, list) else []
            kept["datasets"] = [item for item in items if isinstance(item, dict)]
            out.datasets = [i for i, item in enumerate(items) if isinstance(item, dict)]
        elif key == "defaults":
            defaults = value if isinstance(value, dict) else {}
            kept["defaults"] = {k: v for k, v in defaults.items() if _valid(DefaultsSpec, {k: v})}
            dropped = [k for k in ("vars", "matrix") if k in defaults and k not in kept["defaults"]]
            if dropped or not isinstance(value, dict):
                out.vars_trusted = False
        elif _valid(SuiteFileSpec, {key: value}):
            kept[key] = value
    try:
        out.spec = SuiteFileSpec.model_validate(kept)
    except ValidationError:  # parts valid alone but not together: check nothing more
        return Salvaged(SuiteFileSpec(), vars_trusted=False)
    return out


def _valid(model: type[BaseModel], data: dict[str, Any]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _case(raw: Any) -> CaseSpec | None:
    """The case without the keys that failed, or None when what failed is what the case is."""
    if not isinstance(raw, dict):
        return None
    try:
        return CaseSpec.model_validate(raw)
    except ValidationError as exc:
        bad = {err["loc"][0] if err["loc"] else None for err in exc.errors(include_url=False)}
    if None in bad or bad & _ESSENTIAL_CASE_KEYS:
        return None
    try:
        return CaseSpec.model_validate({k: v for k, v in raw.items() if k not in bad})
    except ValidationError:
        return None
