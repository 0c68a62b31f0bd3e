"""Merging a suite's files in include order, running each file's second pass on the way.

Later files win for settings, defaults and adapters; cases, datasets, gates and default
expectations concatenate (``docs/suite-format.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.suite.checks import Checker, RawExpectation
from harness.suite.files import SuiteFile
from harness.suite.loaded import AdapterConfig
from harness.suite.model import (
    MISSING_PROMPT,
    CaseSpec,
    DefaultsSpec,
    EmulatorRef,
    ExecutionSpec,
    MatrixSpec,
    PassRule,
    RetryPolicy,
)
from harness.suite.salvage import salvage
from harness.yamlio import YamlDocument

__all__ = ["MergedSuite", "as_pass_rule", "merge_files"]


@dataclass
class MergedSuite:
    """Every file's settings merged; cases, datasets and gates kept with the file they came from."""

    name: str | None = None
    description: str = ""
    emulator: tuple[YamlDocument, Path, EmulatorRef | str] | None = None
    concurrency: int = 8
    request_timeout_s: float = 120.0
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    warmup: int = 0
    order_seed: int = 0
    execution: ExecutionSpec | None = None
    adapters: dict[str, AdapterConfig] = field(default_factory=dict)
    adapter_docs: dict[str, YamlDocument] = field(default_factory=dict)
    default_expect: list[RawExpectation] = field(default_factory=list)
    generation: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    matrix: MatrixSpec | None = None
    pass_rule: PassRule = field(default_factory=PassRule)
    repeat: int = 1
    cases: list[tuple[YamlDocument, int, CaseSpec, list[RawExpectation]]] = field(
        default_factory=list
    )
    datasets: list[tuple[YamlDocument, Path, int, dict[str, Any]]] = field(default_factory=list)
    raw_gates: list[tuple[YamlDocument, int, Any]] = field(default_factory=list)


def as_pass_rule(value: PassRule | str | None) -> PassRule | None:
    """A pass rule as written (``all``, ``any`` or a mapping) as a PassRule; None when absent."""
    if value is None:
        return None
    if isinstance(value, PassRule):
        return value
    return PassRule(mode=value)


def merge_files(files: list[SuiteFile], checker: Checker) -> MergedSuite:
    """Merge ``files`` (in include order), checking each file's adapters and expectations."""
    merged = MergedSuite()
    for unit in files:
        spec, doc, data = unit.spec, unit.doc, unit.doc.data
        if not isinstance(data, dict):
            continue
        raw_adapters = data.get("adapters")
        if isinstance(raw_adapters, dict):
            checker.adapter_names += [
                str(n) for n in raw_adapters if n not in checker.adapter_names
            ]
            for name, raw in raw_adapters.items():
                built = checker.adapter(doc, str(name), raw)
                if built is not None:
                    merged.adapters[str(name)] = built
                    merged.adapter_docs[str(name)] = doc
        raw_defaults = data.get("defaults")
        merged.default_expect += checker.raw_expectations(
            doc,
            raw_defaults.get("expect") if isinstance(raw_defaults, dict) else None,
            ("defaults", "expect"),
        )
        raw_gates = data.get("gates")
        for i, raw_gate in enumerate(raw_gates if isinstance(raw_gates, list) else []):
            merged.raw_gates.append((doc, i, raw_gate))
        raw_cases = data.get("cases")
        for i, raw_case in enumerate(raw_cases if isinstance(raw_cases, list) else []):
            # reported here too, so that it shows even when the case has other errors
            if isinstance(raw_case, dict) and not {"prompt", "messages"} & set(raw_case):
                checker.at(doc, ("cases", i), f"cases[{i}]: {MISSING_PROMPT}")
        case_rows: list[int] = list(range(len(spec.cases))) if spec is not None else []
        dataset_rows: list[int] = list(range(len(spec.datasets))) if spec is not None else []
        if spec is None:
            # the file has errors, so nothing will run; still check what it holds: the parts
            # valid on their own go on as usual, and every other expectation is parsed now
            salvaged = salvage(data)
            spec, case_rows, dataset_rows = salvaged.spec, salvaged.cases, salvaged.datasets
            checker.vars_trusted = checker.vars_trusted and salvaged.vars_trusted
            for i, raw_case in enumerate(raw_cases if isinstance(raw_cases, list) else []):
                if i in case_rows:
                    continue
                raw_expect = raw_case.get("expect") if isinstance(raw_case, dict) else None
                for rx in checker.raw_expectations(doc, raw_expect, ("cases", i, "expect")):
                    if not rx.templated:
                        checker.parse(rx, {})
        if spec.name is not None:
            merged.name = spec.name
        if spec.description is not None:
            merged.description = spec.description
        if spec.emulator is not None:
            merged.emulator = (doc, unit.path, spec.emulator)
        if spec.concurrency is not None:
            merged.concurrency = spec.concurrency
        if spec.request_timeout_s is not None:
            merged.request_timeout_s = spec.request_timeout_s
        if spec.retries is not None:
            merged.retries = spec.retries
        if spec.warmup is not None:
            merged.warmup = spec.warmup
        if spec.order_seed is not None:
            merged.order_seed = spec.order_seed
        if spec.execution is not None:  # key by key: a later file overrides what it sets
            base = merged.execution.model_dump(exclude_unset=True) if merged.execution else {}
            merged.execution = ExecutionSpec(**base | spec.execution.model_dump(exclude_unset=True))
        _merge_defaults(merged, spec.defaults)
        for i, case in zip(case_rows, spec.cases, strict=True):
            raw_case = data["cases"][i]
            merged.cases.append(
                (
                    doc,
                    i,
                    case,
                    checker.raw_expectations(doc, raw_case.get("expect"), ("cases", i, "expect")),
                )
            )
        for i, ds in zip(dataset_rows, spec.datasets, strict=True):
            merged.datasets.append((doc, unit.path, i, ds))
    return merged


def _merge_defaults(merged: MergedSuite, d: DefaultsSpec) -> None:
    merged.generation.update(d.generation.model_dump(exclude_none=True))
    merged.vars.update(d.vars)
    if d.matrix is not None:
        merged.matrix = d.matrix
    rule = as_pass_rule(d.pass_rule)
    if rule is not None:
        merged.pass_rule = rule
    if "repeat" in d.model_fields_set:
        merged.repeat = d.repeat
