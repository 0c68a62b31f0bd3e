"""The second pass, on each file's raw data: every piece checked against its registry or model.

Adapter options against their registered type (``${ENV}`` references present), expectations
against their metric, datasets, the emulator section and gates; every error is collected.
It runs on raw data, so it runs even when the file failed its ``SuiteFileSpec`` pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.adapters.base import adapters, is_secret_option, is_secret_variable
from harness.errors import Location, SuiteError
from harness.metrics import Expectation, metrics, parse_expectation
from harness.registry import UnknownNameError, suggest
from harness.suite.as_text import numbers_as_text
from harness.suite.dataset_spec import DatasetSpec
from harness.suite.datasets import DatasetError, DatasetRow, load_dataset_rows
from harness.suite.envref import find_env_refs, resolve_env_refs
from harness.suite.loaded import AdapterConfig
from harness.suite.model import EMULATOR_STAND_INS, AdapterSpec, EmulatorRef, GateSpec
from harness.suite.template import TemplateProblem, is_template, render_value
from harness.user_code import UserCodeScope, user_code_scope
from harness.yamlio import (
    KeyPath,
    YamlDocument,
    describe_path,
    is_number,
    locations_from_validation_error,
    number_hint,
)

__all__ = ["Checker", "RawExpectation"]

_ENVELOPE_KEYS = ("type", "served_by", "role", "concurrency", "rpm")
# dataset keys that do not change which rows a dataset has, nor their prompts and ids
_DATASET_EXTRAS = frozenset({"expect", "tags", "generation"})
_GATE_METRICS = (
    "pass_rate",
    "error_rate",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "ttft_p50_ms",
    "ttft_p90_ms",
)


@dataclass(frozen=True)
class RawExpectation:
    """An expectation as written; ``templated`` ones are parsed per case, the rest once."""

    doc: YamlDocument
    path: KeyPath
    raw: Any
    templated: bool


class Checker:
    """Checks the pieces of a suite, adding every problem to ``errors``."""

    def __init__(self, errors: list[Location], *, run_code: bool = True) -> None:
        self.errors = errors
        # False (harness validate): custom checks and class paths are parsed, never imported;
        # what parsing cannot decide becomes a warning
        self.run_code = run_code
        self.warnings: list[Location] = []
        self.adapter_names: list[str] = []  # every adapter declared, valid or not
        # False when a vars mapping failed validation: "undefined variable" would be noise then
        self.vars_trusted = True

    def at(self, doc: YamlDocument, path: KeyPath, message: str, *, key: bool = False) -> None:
        self.errors.append(doc.location(path, message, key=key))

    def template_problem(self, doc: YamlDocument, path: KeyPath, exc: TemplateProblem) -> None:
        """Report a template that failed, unless it only misses a variable from broken vars."""
        if exc.undefined and not self.vars_trusted:
            return
        self.at(doc, path, f"{describe_path(path)}: {exc}")

    @contextmanager
    def _user_code(self, doc: YamlDocument, path: KeyPath) -> Iterator[None]:
        """Resolve the code the options at ``path`` name beside ``doc``'s file."""
        scope = UserCodeScope(Path(doc.file).resolve().parent, self.run_code)
        with user_code_scope(scope):
            yield
        for note in scope.notes:
            warning = doc.location(path, f"{describe_path(path)}: not checked statically: {note}")
            if warning not in self.warnings:
                self.warnings.append(warning)

    def adapter(self, doc: YamlDocument, name: str, raw: Any) -> AdapterConfig | None:
        with self._user_code(doc, ("adapters", name)):
            return self._adapter(doc, name, raw)

    def _adapter(self, doc: YamlDocument, name: str, raw: Any) -> AdapterConfig | None:
        path: KeyPath = ("adapters", name)
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
        unset_keys: set[str] = set()
        for var in dict.fromkeys(missing):
            for key in [k for k, v in options.items() if var in find_env_refs(v)]:
                if key not in unset_keys:
                    self.at(
                        doc,
                        (*path, key),
                        f"{describe_path((*path, key))}: environment variable "
                        f"{var} is not set (referenced as ${{{var}}})",
                    )
                unset_keys.add(key)
        # the other options are still checked: an unset option is left out, or, when the type
        # requires it (or does not know it), kept as its reference text
        fields = kind.options.model_fields
        env = {**os.environ, **{var: f"${{{var}}}" for var in missing}}
        to_check = resolve_env_refs(
            {
                k: v
                for k, v in options.items()
                if k not in unset_keys or k not in fields or fields[k].is_required()
            },
            env,
        )
        if raw.get("served_by") == "emulator":
            # the emulator fills these in at run time; stand-ins let the rest be checked now
            for key, stand_in in EMULATOR_STAND_INS.items():
                if key in fields:
                    to_check.setdefault(key, stand_in)
        try:
            validated = kind.options.model_validate(to_check)
        except ValidationError as exc:
            found = locations_from_validation_error(exc, doc, kind.options, path)
            self.errors.extend(_scrub(found, options, env))
            # the options that did validate may still hold what a run would fail on
            bad = {e["loc"][0] if e["loc"] else None for e in exc.errors(include_url=False)}
            try:
                rest = kind.options.model_validate(
                    {k: v for k, v in to_check.items() if k not in bad}
                )
            except ValidationError:
                return None
            self._load_problems(doc, path, raw, rest, options)
            return None
        if self._load_problems(doc, path, raw, validated, options) or missing:
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

    def _load_problems(
        self,
        doc: YamlDocument,
        path: KeyPath,
        raw: dict[str, Any],
        validated: BaseModel,
        options: dict[str, Any],
    ) -> bool:
        """Ask an options model that can check itself (``load_problems``) what a run would fail on.

        E.g. a Gradient id the API can never accept, a replay cassette without that adapter.
        Options holding ``${ENV}`` references are named, so their values are checked at run time.
        """
        check = getattr(validated, "load_problems", None)
        if not callable(check):
            return False
        from_env = frozenset(k for k, v in options.items() if find_env_refs(v))
        problems: list[tuple[str, str]] = check(from_env)
        for key, message in problems:
            where = (*path, key) if key in raw else path
            self.at(doc, where, f"{describe_path(where)}: {message}")
        return bool(problems)

    def raw_expectations(self, doc: YamlDocument, raw: Any, path: KeyPath) -> list[RawExpectation]:
        if not isinstance(raw, list):
            return []
        return [
            RawExpectation(doc, (*path, j), item, _has_template(item)) for j, item in enumerate(raw)
        ]

    def parse(self, rx: RawExpectation, variables: dict[str, Any]) -> Expectation | None:
        with self._user_code(rx.doc, rx.path):
            return self._parse(rx, variables)

    def _parse(self, rx: RawExpectation, variables: dict[str, Any]) -> Expectation | None:
        raw = rx.raw
        if rx.templated:
            try:
                raw = render_value(raw, variables)
            except TemplateProblem as exc:
                self.template_problem(rx.doc, rx.path, exc)
                return None
        try:
            try:
                expectation = parse_expectation(raw)
            except ValidationError as exc:
                metric = metrics.get(str(next(iter(raw))))
                shorthand = not isinstance(next(iter(raw.values())), dict) and bool(
                    metric.shorthand
                )
                as_text = numbers_as_text(rx.doc, rx.path, raw, shorthand, exc)
                if as_text is None:
                    raise
                try:  # `- equals: 42` means the text "42", as written
                    expectation = parse_expectation(as_text)
                except ValidationError:
                    raise exc from None  # the problem as the user wrote it
                raw = as_text
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
                    if err["type"] == "string_type":
                        msg = f"expected a string, got {err['input']!r}"
                        if is_number(err["input"]):
                            msg += number_hint(rx.doc, base, err["input"])
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

    def dataset(
        self, doc: YamlDocument, file: Path, i: int, raw: dict[str, Any]
    ) -> tuple[DatasetSpec, list[DatasetRow]] | None:
        """The spec and selected rows of ``datasets[i]`` in ``file``, or None after an error."""
        at: KeyPath = ("datasets", i)
        try:
            spec = DatasetSpec.model_validate(raw)
        except ValidationError as exc:
            self.errors.extend(locations_from_validation_error(exc, doc, DatasetSpec, at))
            # bad tags or generation leave the rows meaningful: still read and check them
            bad = {e["loc"][0] if e["loc"] else None for e in exc.errors(include_url=False)}
            if not bad <= _DATASET_EXTRAS:
                return None
            try:
                spec = DatasetSpec.model_validate({k: v for k, v in raw.items() if k not in bad})
            except ValidationError:
                return None
        try:
            rows = load_dataset_rows(spec, file.parent)
        except DatasetError as exc:
            for problem in exc.problems:
                where = (*at, *problem.path)
                self.at(doc, where, f"{describe_path(where)}: {problem.message}")
            return None
        return spec, rows

    def emulator(
        self,
        section: tuple[YamlDocument, Path, EmulatorRef | str] | None,
        suite_adapters: dict[str, AdapterConfig],
    ) -> tuple[Any, Path | None]:
        """The emulator config the run will start (validated now), and its file if it has one.

        ``served_by: emulator`` with no ``emulator:`` section means the built-in models.
        """
        from harness.emulator.load import (
            load_default_config,
            load_emulator_config,
            validate_config_data,
        )

        if section is None:
            if any(a.served_by == "emulator" for a in suite_adapters.values()):
                return load_default_config(), None
            return None, None
        doc, file, ref = section
        rel = ref if isinstance(ref, str) else ref.config
        if rel is not None:
            where: KeyPath = ("emulator",) if isinstance(ref, str) else ("emulator", "config")
            path = (file.parent / rel).resolve()
            if not path.is_file():
                self.at(doc, where, f"{describe_path(where)}: file not found: {rel}")
                return None, None
            try:
                return load_emulator_config(path), path
            except SuiteError as exc:
                self.errors.extend(exc.locations)
                return None, None
        assert not isinstance(ref, str)
        if ref.models is None:
            return load_default_config(), None
        inline = ref.model_dump(exclude={"config"}, exclude_none=True)
        try:
            return validate_config_data(doc, inline, ("emulator",)), None
        except SuiteError as exc:
            self.errors.extend(exc.locations)
            return None, None

    def gates(self, raw_gates: list[tuple[YamlDocument, int, Any]]) -> tuple[GateSpec, ...]:
        """Validate each gate on its own (so one bad gate hides no other) and its references."""
        names = self.adapter_names
        known = list(_GATE_METRICS) + [f"expectation:{m}" for m in metrics.names()]
        out: list[GateSpec] = []
        for doc, i, raw in raw_gates:
            at: KeyPath = ("gates", i)
            try:
                gate = GateSpec.model_validate(raw)
            except ValidationError as exc:
                self.errors.extend(locations_from_validation_error(exc, doc, GateSpec, at))
                continue
            line, col = doc.position(at)
            out.append(gate.located(f"{doc.file}:{line}:{col}"))
            if gate.metric is None:
                self._expression_adapters(doc, at, gate)
                continue
            for key in ("adapter", "baseline", "candidate"):
                value = getattr(gate, key)
                if value is not None and value not in names:
                    self.at(
                        doc,
                        (*at, key),
                        f"{describe_path((*at, key))}: unknown adapter "
                        f"'{value}'{suggest(value, names)}; adapters: {', '.join(names)}",
                    )
            if gate.metric not in known:
                self.at(
                    doc,
                    (*at, "metric"),
                    f"{describe_path((*at, 'metric'))}: unknown gate "
                    f"metric '{gate.metric}'{suggest(gate.metric, known)}; expected one of: "
                    f"{', '.join(_GATE_METRICS)}, expectation:<metric>",
                )
            self._gate_values(doc, at, gate)
        return tuple(out)

    def _expression_adapters(self, doc: YamlDocument, at: KeyPath, gate: GateSpec) -> None:
        """Adapters an expression names (``[v2]``, ``against=v1``) must be the suite's."""
        names = self.adapter_names
        for parsed in gate.to_gates():
            for value in (parsed.adapter, parsed.against):
                if value is not None and value not in names:
                    self.at(
                        doc,
                        at,
                        f"{describe_path(at)}: gate {parsed.text!r} names unknown adapter "
                        f"'{value}'{suggest(value, names)}; adapters: {', '.join(names)}",
                    )

    def _gate_values(self, doc: YamlDocument, at: KeyPath, gate: GateSpec) -> None:
        """Values no result can meet or miss: rates outside 0..1, latency limits <= 0."""
        assert gate.metric is not None  # expression gates were checked by their parser
        rate = gate.metric in ("pass_rate", "error_rate") or gate.metric.startswith("expectation:")
        timed = gate.metric in _GATE_METRICS and gate.metric.endswith("_ms")
        for key in ("min", "max", "max_regression"):
            value = getattr(gate, key)
            if value is None:
                continue
            where = (*at, key)
            shown = _number(value)
            if rate and not 0 <= value <= 1:
                self.at(
                    doc,
                    where,
                    f"{describe_path(where)}: {gate.metric} is a rate from 0 to 1, got {shown} "
                    "(write 90% as 0.9)",
                )
            elif timed and key != "max_regression" and value <= 0:
                self.at(
                    doc,
                    where,
                    f"{describe_path(where)}: {gate.metric} is a time in ms; a limit must be "
                    f"more than 0, got {shown}",
                )
        if gate.min is not None and gate.max is not None and gate.min > gate.max:
            where = (*at, "min")
            self.at(
                doc,
                where,
                f"{describe_path(where)}: min ({_number(gate.min)}) is above max "
                f"({_number(gate.max)}): no result can pass",
            )


def _scrub(
    locations: list[Location], options: dict[str, Any], env: Mapping[str, str]
) -> list[Location]:
    """Hide secrets in messages: what a secret-named option holds, and secret-named ${VAR}s.

    The same rule as a run's records: other ``${ENV}`` values are settings, and hiding them
    would turn "max_tokens: expected an integer, got 'abc'" into a riddle about ``***``.
    """
    resolved: dict[str, Any] = {}
    for key, raw in options.items():
        try:
            resolved[key] = resolve_env_refs(raw, env)
        except KeyError:  # an unset variable is reported elsewhere; nothing of it can leak
            resolved[key] = raw
    secrets = _secret_strings(resolved)
    secrets += [env.get(name, "") for name in find_env_refs(options) if is_secret_variable(name)]
    out = []
    for loc in locations:
        msg = loc.message
        for secret in sorted(set(secrets), key=len, reverse=True):
            if len(secret) >= 4:
                msg = msg.replace(secret, "***")
        out.append(Location(loc.file, loc.line, loc.column, msg))
    return out


def _secret_strings(value: Any, secret: bool = False) -> list[str]:
    """The text under secret-named keys (``api_key``, ``kwargs.access_token``), at any depth."""
    if isinstance(value, dict):
        return [
            s
            for k, v in value.items()
            for s in _secret_strings(v, secret or is_secret_option(str(k)))
        ]
    if isinstance(value, list):
        return [s for v in value for s in _secret_strings(v, secret)]
    return [str(value)] if secret and value not in (None, "") else []


def _number(value: float) -> str:
    """``2`` rather than ``2.0``: as the user most likely wrote it."""
    return str(int(value)) if value.is_integer() else str(value)


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return is_template(value)
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False
