"""load_suite(): suite file(s) → validated, frozen Suite, with every error of every file at once.

1. Each file is parsed and validated as a ``SuiteFileSpec``; its ``include:`` files are loaded
   first (depth first, cycles refused). Errors in an included file name that file.
2. Second pass, per file, on the raw data: adapter options against their registered type (with
   ``${ENV}`` references checked), expectations against their metrics, gates against adapters.
3. The files merge (see ``docs/suite-format.md``: later wins for settings and adapters; lists
   concatenate), then cases and dataset rows expand into frozen ``Case``s.
Nothing is sent to any model until this has succeeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.adapters.base import AdapterType, adapters
from harness.errors import Location, SuiteError
from harness.metrics import Expectation, metrics, parse_expectation
from harness.registry import UnknownNameError, suggest
from harness.suite.envref import find_env_refs, resolve_env_refs
from harness.suite.expand import Case, derive_case_id, matrix_points
from harness.suite.model import (
    EMULATOR_STAND_INS,
    MISSING_PROMPT,
    AdapterSpec,
    CaseSpec,
    DefaultsSpec,
    EmulatorRef,
    GateSpec,
    MatrixSpec,
    PassRule,
    RetryPolicy,
    SuiteFileSpec,
)
from harness.suite.template import TemplateProblem, is_template, render, render_value
from harness.yamlio import YamlDocument, describe_path, load_yaml, locations_from_validation_error

__all__ = ["AdapterConfig", "Case", "Suite", "load_suite"]

_ENVELOPE_KEYS = ("type", "served_by", "role", "concurrency", "rpm")
_GATE_METRICS = (
    "pass_rate",
    "error_rate",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "ttft_p50_ms",
    "ttft_p90_ms",
)
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class AdapterConfig:
    """A named adapter of a suite, its options validated against its type.

    ``raw_options`` keep ``${ENV}`` references as written; ``resolved_options()`` reads the
    environment when the run starts. ``role: judge`` adapters only serve LLM-as-judge metrics.
    """

    name: str
    type: AdapterType
    options: BaseModel
    served_by: str | None = None
    raw_options: dict[str, Any] = field(default_factory=dict)
    role: str = "candidate"
    concurrency: int | None = None
    rpm: float | None = None

    @property
    def model(self) -> str:
        return str(getattr(self.options, self.type.model_option, ""))

    def resolved_options(self) -> dict[str, Any]:
        resolved: dict[str, Any] = resolve_env_refs(self.raw_options)
        return resolved


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
    emulator_config: Path | None = None  # the emulator's model file, when it has one
    gates: tuple[GateSpec, ...] = ()
    files: tuple[Path, ...] = ()
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    warmup: int = 0
    order_seed: int = 0
    emulator: Any = None  # the EmulatorConfig to start for `served_by: emulator` adapters

    @property
    def candidates(self) -> tuple[AdapterConfig, ...]:
        """The adapters every case is sent to (judges excluded)."""
        return tuple(a for a in self.adapters if a.role == "candidate")


@dataclass
class _Unit:
    """One loaded file: its document, validated spec and where it was included from."""

    path: Path
    doc: YamlDocument
    spec: SuiteFileSpec | None
    includes: list[_Unit] = field(default_factory=list)


@dataclass(frozen=True)
class _RawExpect:
    doc: YamlDocument
    path: Path_
    raw: Any
    templated: bool


class _Loader:
    def __init__(self) -> None:
        self.errors: list[Location] = []
        self.files: list[Path] = []
        self.adapter_names: list[str] = []  # every adapter declared, valid or not

    # -- errors ---------------------------------------------------------------------------------

    def at(self, doc: YamlDocument, path: Path_, message: str, *, key: bool = False) -> None:
        self.errors.append(doc.location(path, message, key=key))

    # -- files and includes ---------------------------------------------------------------------

    def load_file(self, path: Path, chain: tuple[Path, ...], suffix: str) -> _Unit | None:
        real = path.resolve()
        before = len(self.errors)
        try:
            doc = load_yaml(path, display_name=_display(path))
        except SuiteError as exc:
            self.errors.extend(_suffixed(exc.locations, suffix))
            return None
        self.files.append(real)
        spec: SuiteFileSpec | None = None
        if not isinstance(doc.data, dict):
            self.at(doc, (), "expected a mapping at the top level")
            return _Unit(path, doc, None)
        try:
            spec = SuiteFileSpec.model_validate(doc.data)
        except ValidationError as exc:
            self.errors.extend(locations_from_validation_error(exc, doc, SuiteFileSpec))
        unit = _Unit(path, doc, spec)
        raw_includes = doc.data.get("include")
        if isinstance(raw_includes, list):
            for i, inc in enumerate(raw_includes):
                if not isinstance(inc, str):
                    continue
                target = (path.parent / inc).resolve()
                line, col = doc.position(("include", i))
                where = f"{doc.file}:{line}:{col}"
                if target in chain or target == real:
                    top = (chain or (real,))[0].parent
                    cycle = " -> ".join(os.path.relpath(p, top) for p in (*chain, real, target))
                    self.at(doc, ("include", i), f"include cycle: {cycle}")
                    continue
                if not target.is_file():
                    self.at(doc, ("include", i), f"include: file not found: {inc}")
                    continue
                child = self.load_file(target, (*chain, real), f" (included from {where})")
                if child is not None:
                    unit.includes.append(child)
        if suffix:
            self.errors[before:] = _suffixed(self.errors[before:], suffix)
        return unit

    # -- second pass ----------------------------------------------------------------------------

    def adapter(self, doc: YamlDocument, name: str, raw: Any) -> AdapterConfig | None:
        path: Path_ = ("adapters", name)
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            return None  # the envelope pass reports it
        try:
            kind = adapters.get(raw["type"])
        except UnknownNameError as exc:
            self.at(doc, (*path, "type"), f"{describe_path((*path, 'type'))}: {exc}")
            return None
        options = {k: v for k, v in raw.items() if k not in _ENVELOPE_KEYS}
        base_dir = Path(doc.file).resolve().parent
        for key in kind.path_options:  # e.g. a replay cassette beside the suite
            value = options.get(key)
            if isinstance(value, str) and "${" not in value and not Path(value).is_absolute():
                options[key] = str(base_dir / value)
        missing = [n for n in find_env_refs(options) if n not in os.environ]
        for var in dict.fromkeys(missing):
            key = next(k for k, v in options.items() if var in find_env_refs(v))
            self.at(
                doc,
                (*path, key),
                f"{describe_path((*path, key))}: environment variable "
                f"{var} is not set (referenced as ${{{var}}})",
            )
        if missing:
            return None
        to_check = resolve_env_refs(options)
        if raw.get("served_by") == "emulator":
            # the emulator fills these in at run time; stand-ins let the rest be checked now
            fields = kind.options.model_fields
            for key, stand_in in EMULATOR_STAND_INS.items():
                if key in fields:
                    to_check.setdefault(key, stand_in)
        try:
            validated = kind.options.model_validate(to_check)
        except ValidationError as exc:
            found = locations_from_validation_error(exc, doc, kind.options, path)
            self.errors.extend(_scrub(found, options))
            return None
        served = raw.get("served_by")
        try:
            envelope = AdapterSpec.model_validate({k: raw[k] for k in _ENVELOPE_KEYS if k in raw})
        except ValidationError:
            return None  # the envelope pass reports it
        return AdapterConfig(
            name,
            kind,
            validated,
            served if isinstance(served, str) else None,
            options,
            envelope.role,
            envelope.concurrency,
            envelope.rpm,
        )

    def raw_expectations(self, doc: YamlDocument, raw: Any, path: Path_) -> list[_RawExpect]:
        if not isinstance(raw, list):
            return []
        return [
            _RawExpect(doc, (*path, j), item, _has_template(item)) for j, item in enumerate(raw)
        ]

    def parse(self, rx: _RawExpect, variables: dict[str, Any]) -> Expectation | None:
        raw = rx.raw
        if rx.templated:
            try:
                raw = render_value(raw, variables)
            except TemplateProblem as exc:
                self.at(rx.doc, rx.path, f"{describe_path(rx.path)}: {exc}")
                return None
        try:
            expectation = parse_expectation(raw)
        except UnknownNameError as exc:
            name = next(iter(raw))
            self.at(rx.doc, (*rx.path, name), f"{describe_path(rx.path)}: {exc}", key=True)
        except ValidationError as exc:
            name = next(iter(raw))
            metric = metrics.get(str(name))
            base = (*rx.path, name)
            if not isinstance(raw[name], dict) and metric.shorthand:
                for err in exc.errors(include_url=False):
                    msg = err["msg"].removeprefix("Value error, ")
                    self.at(rx.doc, base, f"{describe_path(base)}: {msg}")
            else:
                self.errors.extend(
                    locations_from_validation_error(exc, rx.doc, metric.options, base)
                )
        except ValueError as exc:
            self.at(rx.doc, rx.path, f"{describe_path(rx.path)}: {exc}")
        else:
            names = self.adapter_names
            for judge in expectation.metric.judge_adapters(expectation.options):
                if judge not in names:
                    where = (*rx.path, next(iter(raw)))
                    self.at(
                        rx.doc,
                        where,
                        f"{describe_path(where)}: judge adapter '{judge}' "
                        f"is not defined{suggest(judge, names)}; adapters: {', '.join(names)}",
                    )
                    return None
            return expectation
        return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _suffixed(locations: list[Location], suffix: str) -> list[Location]:
    if not suffix:
        return locations
    return [Location(x.file, x.line, x.column, x.message + suffix) for x in locations]


def _scrub(locations: list[Location], options: dict[str, Any]) -> list[Location]:
    """Drop values read from the environment from messages (a bad ${TOKEN} must not print it)."""
    secrets = [str(resolve_env_refs(raw)) for raw in options.values() if find_env_refs(raw)]
    out = []
    for loc in locations:
        msg = loc.message
        for secret in secrets:
            if secret:
                msg = msg.replace(secret, "***")
        out.append(Location(loc.file, loc.line, loc.column, msg))
    return out


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return is_template(value)
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def _units_in_order(unit: _Unit) -> list[_Unit]:
    """Depth first: an included file's content comes before the file that includes it."""
    out: list[_Unit] = []
    for child in unit.includes:
        out.extend(_units_in_order(child))
    out.append(unit)
    return out


def _pass_rule(value: PassRule | str | None) -> PassRule | None:
    if value is None:
        return None
    if isinstance(value, PassRule):
        return value
    return PassRule(mode=value)


@dataclass
class _Merged:
    name: str | None = None
    description: str = ""
    emulator: tuple[YamlDocument, Path, EmulatorRef | str] | None = None
    concurrency: int = 8
    request_timeout_s: float = 120.0
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    warmup: int = 0
    order_seed: int = 0
    adapters: dict[str, AdapterConfig] = field(default_factory=dict)
    adapter_docs: dict[str, YamlDocument] = field(default_factory=dict)
    default_expect: list[_RawExpect] = field(default_factory=list)
    generation: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    matrix: MatrixSpec | None = None
    pass_rule: PassRule = field(default_factory=PassRule)
    repeat: int = 1
    cases: list[tuple[YamlDocument, int, CaseSpec, list[_RawExpect]]] = field(default_factory=list)
    datasets: list[tuple[YamlDocument, Path, int, dict[str, Any]]] = field(default_factory=list)
    raw_gates: list[tuple[YamlDocument, int, Any]] = field(default_factory=list)


def _merge_defaults(merged: _Merged, d: DefaultsSpec) -> None:
    merged.generation.update(d.generation.model_dump(exclude_none=True))
    merged.vars.update(d.vars)
    if d.matrix is not None:
        merged.matrix = d.matrix
    rule = _pass_rule(d.pass_rule)
    if rule is not None:
        merged.pass_rule = rule
    if "repeat" in d.model_fields_set:
        merged.repeat = d.repeat


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite (and its includes); raises SuiteError listing every problem."""
    path = Path(path)
    # `custom: checks:fn` and embedding classes may live beside the suite
    suite_dir = str(path.resolve().parent)
    if suite_dir not in sys.path:
        sys.path.insert(0, suite_dir)
    loader = _Loader()
    root = loader.load_file(path, (), "")
    if root is None:
        raise SuiteError(loader.errors)

    merged = _Merged()
    for unit in _units_in_order(root):
        spec, doc, data = unit.spec, unit.doc, unit.doc.data
        if not isinstance(data, dict):
            continue
        raw_adapters = data.get("adapters")
        if isinstance(raw_adapters, dict):
            loader.adapter_names += [str(n) for n in raw_adapters if n not in loader.adapter_names]
            for name, raw in raw_adapters.items():
                built = loader.adapter(doc, str(name), raw)
                if built is not None:
                    merged.adapters[str(name)] = built
                    merged.adapter_docs[str(name)] = doc
        raw_defaults = data.get("defaults")
        merged.default_expect += loader.raw_expectations(
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
                loader.at(doc, ("cases", i), f"cases[{i}]: {MISSING_PROMPT}")
        if spec is None:
            # the file has errors, so nothing will run; still check every expectation now
            for i, raw_case in enumerate(raw_cases if isinstance(raw_cases, list) else []):
                raw_expect = raw_case.get("expect") if isinstance(raw_case, dict) else None
                for rx in loader.raw_expectations(doc, raw_expect, ("cases", i, "expect")):
                    if not rx.templated:
                        loader.parse(rx, {})
            continue
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
        _merge_defaults(merged, spec.defaults)
        for i, case in enumerate(spec.cases):
            raw_case = data["cases"][i]
            merged.cases.append(
                (
                    doc,
                    i,
                    case,
                    loader.raw_expectations(doc, raw_case.get("expect"), ("cases", i, "expect")),
                )
            )
        for i, ds in enumerate(spec.datasets):
            merged.datasets.append((doc, unit.path, i, ds))

    root_doc = root.doc
    if root.spec is not None:
        if merged.name is None:
            loader.at(root_doc, (), "missing required key 'name' (the suite's name)")
        if not merged.adapters and not any(
            isinstance(u.doc.data, dict) and u.doc.data.get("adapters")
            for u in _units_in_order(root)
        ):
            loader.at(
                root_doc, (), "missing required key 'adapters': a suite needs at least one adapter"
            )

    emulator, emulator_config = _check_emulator(loader, merged)
    cases = _expand_cases(loader, merged)
    if root.spec is not None and not cases and not loader.errors:
        loader.at(root_doc, (), "the suite has no cases: add 'cases' or 'datasets'")
    gates = _check_gates(loader, merged)

    if loader.errors:
        raise SuiteError(loader.errors)
    assert merged.name is not None
    digest = hashlib.sha256()
    for f in loader.files:
        digest.update(f.read_bytes())
    return Suite(
        name=merged.name,
        description=merged.description,
        path=path,
        sha256=digest.hexdigest(),
        adapters=tuple(merged.adapters.values()),
        cases=tuple(cases),
        concurrency=merged.concurrency,
        request_timeout_s=merged.request_timeout_s,
        emulator_config=emulator_config,
        emulator=emulator,
        gates=gates,
        files=tuple(loader.files),
        retries=merged.retries,
        warmup=merged.warmup,
        order_seed=merged.order_seed,
    )


def _check_emulator(loader: _Loader, merged: _Merged) -> tuple[Any, Path | None]:
    """The emulator config the run will start (validated now), and its file if it has one.

    ``served_by: emulator`` with no ``emulator:`` section means the built-in models.
    """
    from harness.emulator.load import (
        load_default_config,
        load_emulator_config,
        validate_config_data,
    )

    if merged.emulator is None:
        if any(a.served_by == "emulator" for a in merged.adapters.values()):
            return load_default_config(), None
        return None, None
    doc, file, ref = merged.emulator
    rel = ref if isinstance(ref, str) else ref.config
    if rel is not None:
        where: Path_ = ("emulator",) if isinstance(ref, str) else ("emulator", "config")
        path = (file.parent / rel).resolve()
        if not path.is_file():
            loader.at(doc, where, f"{describe_path(where)}: file not found: {rel}")
            return None, None
        try:
            return load_emulator_config(path), path
        except SuiteError as exc:
            loader.errors.extend(exc.locations)
            return None, None
    assert not isinstance(ref, str)
    if ref.models is None:
        return load_default_config(), None
    inline = ref.model_dump(exclude={"config"}, exclude_none=True)
    try:
        return validate_config_data(doc, inline, ("emulator",)), None
    except SuiteError as exc:
        loader.errors.extend(exc.locations)
        return None, None


def _render_at(
    loader: _Loader, doc: YamlDocument, path: Path_, text: str, variables: dict[str, Any]
) -> str | None:
    try:
        return render(text, variables)
    except TemplateProblem as exc:
        loader.at(doc, path, f"{describe_path(path)}: {exc}")
        return None


def _expand_cases(loader: _Loader, merged: _Merged) -> list[Case]:
    out: list[Case] = []
    seen: dict[str, str] = {}
    parsed_cache: dict[int, Expectation | None] = {}

    def expectations(raws: list[_RawExpect], variables: dict[str, Any]) -> list[Expectation]:
        result = []
        for rx in raws:
            if rx.templated:
                e = loader.parse(rx, variables)
            else:  # parse once, share across every case that uses it
                key = id(rx)
                if key not in parsed_cache:
                    parsed_cache[key] = loader.parse(rx, variables)
                e = parsed_cache[key]
            if e is not None:
                result.append(e)
        return result

    def add(case: Case, doc: YamlDocument, path: Path_) -> None:
        if case.id in seen:
            loader.at(
                doc,
                path,
                f"{describe_path(path)}: duplicate case id '{case.id}', "
                f"first used at {seen[case.id]}",
            )
            return
        line, col = doc.position(path)
        seen[case.id] = f"{doc.file}:{line}"
        out.append(case)

    for doc, i, spec, raws in merged.cases:
        at: Path_ = ("cases", i)
        written = (
            spec.prompt
            if spec.prompt is not None
            else json.dumps([m.model_dump() for m in spec.messages or []], sort_keys=True)
        )
        base_id = spec.id or derive_case_id(written)
        rule = _pass_rule(spec.pass_rule) or merged.pass_rule
        repeat = spec.repeat or merged.repeat
        for point in matrix_points(merged.matrix, spec.matrix):
            variables = {**merged.vars, **spec.vars, **point.vars}
            generation = {**merged.generation}
            if spec.generation is not None:
                generation.update(spec.generation.model_dump(exclude_none=True))
            generation.update(point.generation)
            messages: tuple[tuple[str, str], ...] | None = None
            if spec.messages is not None:
                rendered = [
                    _render_at(loader, doc, (*at, "messages", k, "content"), m.content, variables)
                    for k, m in enumerate(spec.messages)
                ]
                if any(r is None for r in rendered):
                    continue
                messages = tuple(
                    (m.role, r)
                    for m, r in zip(spec.messages, rendered, strict=True)
                    if r is not None
                )
                prompt: str | None = "\n".join(f"{role}: {text}" for role, text in messages)
            else:
                assert spec.prompt is not None
                prompt = _render_at(loader, doc, (*at, "prompt"), spec.prompt, variables)
            exp = expectations(merged.default_expect + raws, variables)
            if prompt is None:
                continue
            case = Case(
                id=base_id + point.suffix,
                prompt=prompt,
                expectations=tuple(exp),
                generation=generation,
                tags=tuple(spec.tags),
                messages=messages,
                vars=variables,
                repeat=repeat,
                pass_rule=rule,
            )
            add(case, doc, (*at, "id") if spec.id else at)

    for doc, file, i, raw in merged.datasets:
        _dataset_cases(loader, merged, doc, file, i, raw, expectations, add)
    return out


def _dataset_cases(
    loader: _Loader,
    merged: _Merged,
    doc: YamlDocument,
    file: Path,
    i: int,
    raw: dict[str, Any],
    expectations: Any,
    add: Any,
) -> None:
    from harness.suite.datasets import DatasetError, DatasetSpec, load_dataset_rows

    at: Path_ = ("datasets", i)
    try:
        spec = DatasetSpec.model_validate(raw)
    except ValidationError as exc:
        loader.errors.extend(locations_from_validation_error(exc, doc, DatasetSpec, at))
        return
    try:
        rows = load_dataset_rows(spec, file.parent)
    except DatasetError as exc:
        for problem in exc.problems:
            where = (*at, *problem.path)
            loader.at(doc, where, f"{describe_path(where)}: {problem.message}")
        return
    raws = loader.raw_expectations(doc, raw.get("expect"), (*at, "expect"))
    generation = {**merged.generation, **(spec.generation or {})}
    for row in rows:
        for point in matrix_points(merged.matrix):
            variables = {**merged.vars, **row.vars, **point.vars}
            prompt: str | None = row.prompt
            if prompt is None:
                assert spec.prompt is not None
                prompt = _render_at(loader, doc, (*at, "prompt"), spec.prompt, variables)
                if prompt is None:
                    return
            case = Case(
                id=row.case_id + point.suffix,
                prompt=prompt,
                expectations=tuple(expectations(merged.default_expect + raws, variables)),
                generation={**generation, **point.generation},
                tags=tuple(spec.tags) + tuple(row.tags),
                vars=variables,
                repeat=merged.repeat,
                pass_rule=merged.pass_rule,
            )
            add(case, doc, at)
        if loader.errors and len(loader.errors) > 200:
            return  # a broken template in a 10,000-row dataset: 200 messages are plenty


def _check_gates(loader: _Loader, merged: _Merged) -> tuple[GateSpec, ...]:
    """Validate each gate on its own (so one bad gate hides no other) and its references."""
    names = loader.adapter_names
    known = list(_GATE_METRICS) + [f"expectation:{m}" for m in metrics.names()]
    out: list[GateSpec] = []
    for doc, i, raw in merged.raw_gates:
        at: Path_ = ("gates", i)
        try:
            gate = GateSpec.model_validate(raw)
        except ValidationError as exc:
            loader.errors.extend(locations_from_validation_error(exc, doc, GateSpec, at))
            continue
        for key in ("adapter", "baseline", "candidate"):
            value = getattr(gate, key)
            if value is not None and value not in names:
                loader.at(
                    doc,
                    (*at, key),
                    f"{describe_path((*at, key))}: unknown adapter "
                    f"'{value}'{suggest(value, names)}; adapters: {', '.join(names)}",
                )
        if gate.metric not in known:
            loader.at(
                doc,
                (*at, "metric"),
                f"{describe_path((*at, 'metric'))}: unknown gate "
                f"metric '{gate.metric}'{suggest(gate.metric, known)}; expected one of: "
                f"{', '.join(_GATE_METRICS)}, expectation:<metric>",
            )
        out.append(gate)
    return tuple(out)
