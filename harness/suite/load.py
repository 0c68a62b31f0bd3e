"""load_suite(): YAML file → validated, frozen Suite, with every error of the file at once.

Validation runs in two passes: the envelope (SuiteSpec), then each adapter's options against
its registered type and each expectation against its metric. Nothing is sent to any model
until this has succeeded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.adapters.base import AdapterType, adapters
from harness.errors import Location, SuiteError
from harness.metrics import Expectation, metrics, parse_expectation
from harness.registry import UnknownNameError
from harness.suite.locate import describe_path, locations_from_validation_error
from harness.suite.model import SuiteSpec
from harness.suite.yaml import YamlDocument, load_yaml

__all__ = ["AdapterConfig", "Case", "Suite", "load_suite"]

_ENVELOPE_KEYS = ("type", "served_by")


@dataclass(frozen=True)
class AdapterConfig:
    """A named adapter of a suite, its options validated against its type."""

    name: str
    type: AdapterType
    options: BaseModel
    served_by: str | None = None

    @property
    def model(self) -> str:
        return str(getattr(self.options, self.type.model_option, ""))


@dataclass(frozen=True)
class Case:
    """One prompt with its expectations and generation options, ready to send."""

    id: str
    prompt: str
    expectations: tuple[Expectation, ...]
    generation: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    """A loaded suite: everything a run needs, validated."""

    name: str
    description: str
    path: Path
    sha256: str
    adapters: tuple[AdapterConfig, ...]
    cases: tuple[Case, ...]
    concurrency: int
    request_timeout_s: float
    emulator_config: Path | None = None


def _case_id(prompt: str) -> str:
    return "case-" + hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:10]


class _Checker:
    """Second-pass checks on the raw data, so they run even when the envelope has errors."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.errors: list[Location] = []

    def at(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        self.errors.append(self.doc.location(path, message, key=key))

    def adapter(self, name: str, raw: Any) -> AdapterConfig | None:
        path: tuple[str | int, ...] = ("adapters", name)
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            return None  # the envelope pass reports it
        try:
            kind = adapters.get(raw["type"])
        except UnknownNameError as exc:
            self.at((*path, "type"), f"{describe_path((*path, 'type'))}: {exc}")
            return None
        options = {k: v for k, v in raw.items() if k not in _ENVELOPE_KEYS}
        try:
            validated = kind.options.model_validate(options)
        except ValidationError as exc:
            self.errors.extend(locations_from_validation_error(exc, self.doc, kind.options, path))
            return None
        served = raw.get("served_by")
        return AdapterConfig(name, kind, validated, served if isinstance(served, str) else None)

    def expectations(self, raw: Any, path: tuple[str | int, ...]) -> tuple[Expectation, ...]:
        if not isinstance(raw, list):
            return ()
        out: list[Expectation] = []
        for j, item in enumerate(raw):
            item_path = (*path, j)
            try:
                out.append(parse_expectation(item))
            except UnknownNameError as exc:
                name = next(iter(item))
                self.at((*item_path, name), f"{describe_path(item_path)}: {exc}", key=True)
            except ValidationError as exc:
                name = next(iter(item))
                metric = metrics.get(str(name))
                base = (*item_path, name)
                if not isinstance(item[name], dict) and metric.shorthand:
                    # the shorthand scalar was the value: report at the scalar itself
                    for err in exc.errors(include_url=False):
                        msg = err["msg"].removeprefix("Value error, ")
                        self.at(base, f"{describe_path(base)}: {msg}")
                else:
                    self.errors.extend(
                        locations_from_validation_error(exc, self.doc, metric.options, base)
                    )
            except ValueError as exc:
                self.at(item_path, f"{describe_path(item_path)}: {exc}")
        return tuple(out)


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite file; raises SuiteError listing every problem found."""
    path = Path(path)
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        raise SuiteError([doc.location((), "expected a mapping at the top level")])

    checker = _Checker(doc)
    spec: SuiteSpec | None = None
    try:
        spec = SuiteSpec.model_validate(data)
    except ValidationError as exc:
        checker.errors.extend(locations_from_validation_error(exc, doc, SuiteSpec))

    adapter_configs: list[AdapterConfig] = []
    raw_adapters = data.get("adapters")
    if isinstance(raw_adapters, dict):
        for name, raw in raw_adapters.items():
            built = checker.adapter(str(name), raw)
            if built is not None:
                adapter_configs.append(built)

    raw_defaults = data.get("defaults")
    default_expect = checker.expectations(
        raw_defaults.get("expect") if isinstance(raw_defaults, dict) else None,
        ("defaults", "expect"),
    )
    raw_cases = data.get("cases")
    case_expect: list[tuple[Expectation, ...]] = []
    if isinstance(raw_cases, list):
        for i, raw in enumerate(raw_cases):
            raw_expect = raw.get("expect") if isinstance(raw, dict) else None
            case_expect.append(checker.expectations(raw_expect, ("cases", i, "expect")))

    emulator_config: Path | None = None
    if spec is not None and spec.emulator is not None:
        emulator_config = (path.parent / spec.emulator.config).resolve()
        if not emulator_config.is_file():
            checker.at(
                ("emulator", "config"), f"emulator.config: file not found: {spec.emulator.config}"
            )
        else:
            from harness.emulator import load_emulator_config

            try:
                load_emulator_config(emulator_config)
            except SuiteError as exc:
                checker.errors.extend(exc.locations)
    if spec is not None:
        for name, adapter in spec.adapters.items():
            if adapter.served_by == "emulator" and spec.emulator is None:
                checker.at(
                    ("adapters", name, "served_by"),
                    f"adapters.{name}.served_by: 'emulator' needs a top-level "
                    "'emulator: {config: FILE}' section",
                )

    cases: list[Case] = []
    if spec is not None:
        seen: dict[str, int] = {}
        for i, c in enumerate(spec.cases):
            case_id = c.id or _case_id(c.prompt)
            if case_id in seen:
                hint = "" if c.id else " (derived from an identical prompt; give the case an id)"
                checker.at(
                    ("cases", i, "id") if c.id else ("cases", i),
                    f"cases[{i}]: duplicate case id '{case_id}', first used by "
                    f"cases[{seen[case_id]}]{hint}",
                )
                continue
            seen[case_id] = i
            generation = spec.defaults.generation.model_dump(exclude_none=True)
            if c.generation is not None:
                generation.update(c.generation.model_dump(exclude_none=True))
            cases.append(
                Case(
                    id=case_id,
                    prompt=c.prompt,
                    expectations=default_expect + case_expect[i],
                    generation=generation,
                    tags=tuple(c.tags),
                )
            )

    if checker.errors or spec is None:
        raise SuiteError(checker.errors)
    return Suite(
        name=spec.name,
        description=spec.description,
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        adapters=tuple(adapter_configs),
        cases=tuple(cases),
        concurrency=spec.concurrency,
        request_timeout_s=spec.request_timeout_s,
        emulator_config=emulator_config,
    )
