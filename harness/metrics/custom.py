"""Expectations written in Python: a callable named by an import path, checked at load time.

When a run loads the suite, the callable is imported (an import error is a suite error; a
module beside the suite is loaded by its path, see ``harness.user_code``); ``harness validate``
only parses its module for the name and signature, running none of it. It is called as

    fn(output: str, case: Observation, **args) -> bool | float | MetricResult | Mapping

``output`` is the model's text and ``case`` the whole :class:`Observation` (prompt, case id,
vars, tags, latency), both positional; ``args`` are the expectation's ``args``, as keywords.
It may return

- a bool: passed or not (score 1 or 0);
- an int or float in 0..1: the score, passed when it is at least ``min``;
- a :class:`MetricResult` (its name is replaced by ``custom``);
- a mapping with ``passed`` and/or ``score`` and an optional ``reason``; without ``passed``,
  the score is compared with ``min``.

Anything else, a score outside 0..1, or an exception raised inside the callable fails the
expectation with a reason; it does not stop the run. Async callables are refused at load.
"""

from __future__ import annotations

import ast
import inspect
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics
from harness.records import MetricResult
from harness.records.redaction import clip
from harness.user_code import current_scope, find_user_object, import_user_object

__all__ = ["CustomOptions"]

_EPS = 1e-9  # scores are floats; 0.7 computed as 7/10 must still pass `min: 0.7`


class CustomOptions(MetricOptions):
    function: str = Field(
        description="Import path of the check, 'package.module:function'; called as "
        "fn(output, observation, **args)"
    )
    args: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments passed to the function"
    )
    min: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="When the function returns a score (0..1), the least score that passes",
    )
    _fn: Callable[..., Any] | None = PrivateAttr(default=None)
    _base_dir: Path | None = PrivateAttr(default=None)  # the suite's folder, for local modules

    @field_validator("function")
    @classmethod
    def _importable(cls, v: str) -> str:
        scope = current_scope()
        if not scope.execute:  # harness validate: parse, never import
            found = find_user_object(v, scope.base_dir)
            if isinstance(found.node, ast.AsyncFunctionDef):
                raise ValueError(f"{v!r} is an async function; custom checks must be synchronous")
            if found.note is not None:
                scope.notes.append(f"{v}: {found.note}")
            return v
        fn = import_user_object(v, scope.base_dir)
        if not callable(fn):
            raise ValueError(f"{v!r} is not callable")
        if inspect.iscoroutinefunction(fn):
            raise ValueError(f"{v!r} is an async function; custom checks must be synchronous")
        return v

    @model_validator(mode="after")
    def _accepts_args(self) -> CustomOptions:
        scope = current_scope()
        self._base_dir = scope.base_dir
        signature: inspect.Signature | None
        fn = None
        if scope.execute:
            fn = import_user_object(self.function, scope.base_dir)
            try:
                signature = inspect.signature(fn)
            except (TypeError, ValueError):  # some builtins have no signature: trust the user
                signature = None
        else:
            signature = _parsed_signature(find_user_object(self.function, scope.base_dir).node)
        if signature is not None:
            try:
                signature.bind("", Observation(output=""), **self.args)
            except TypeError as exc:
                raise ValueError(
                    f"{self.function} cannot be called as fn(output, observation"
                    f"{''.join(f', {k}=…' for k in self.args)}): {exc}"
                ) from None
        self._fn = fn
        return self

    def folder(self) -> Path | None:
        """The folder of the suite that named the function (its own modules are loaded there)."""
        return self._base_dir

    def function_object(self) -> Callable[..., Any]:
        """The imported function (imported now when the suite was only validated, not run)."""
        if self._fn is None:
            self._fn = import_user_object(self.function, self._base_dir)
        return self._fn


def _parsed_signature(node: ast.AST | None) -> inspect.Signature | None:
    """The call signature a plain ``def`` declares, read from its source (no import).

    None when parsing cannot tell: a class, a decorated function, no ``def`` found.
    """
    if not isinstance(node, ast.FunctionDef) or node.decorator_list:
        return None
    a = node.args
    P = inspect.Parameter
    positional = [*a.posonlyargs, *a.args]
    first_default = len(positional) - len(a.defaults)
    params = [
        P(
            arg.arg,
            P.POSITIONAL_ONLY if i < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD,
            default=None if i >= first_default else P.empty,
        )
        for i, arg in enumerate(positional)
    ]
    if a.vararg is not None:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=P.empty if default is None else None))
    if a.kwarg is not None:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _fail(reason: str, o: CustomOptions) -> MetricResult:
    return MetricResult(name="custom", passed=False, threshold=o.min, reason=clip(reason, 500))


def _from_score(score: float, o: CustomOptions, reason: str = "") -> MetricResult:
    if math.isnan(score) or not 0 <= score <= 1:
        return _fail(f"{o.function} returned score {score!r}, outside 0..1", o)
    ok = score >= o.min - _EPS
    if not ok and not reason:
        reason = f"expected a score of at least {o.min:g} from {o.function}; got {score:.3g}"
    return MetricResult(
        name="custom", passed=ok, score=score, threshold=o.min, reason=clip(reason, 500)
    )


def _from_mapping(value: Mapping[Any, Any], o: CustomOptions) -> MetricResult:
    unknown = set(value) - {"passed", "score", "reason"}
    if unknown or ("passed" not in value and "score" not in value):
        return _fail(
            f"{o.function} returned a dict with keys {sorted(map(str, value))}; expected "
            "'passed' and/or 'score', and optionally 'reason'",
            o,
        )
    reason = value.get("reason", "")
    if not isinstance(reason, str):
        reason = str(reason)
    if "passed" not in value:
        score = value["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            return _fail(f"{o.function} returned score {score!r}; expected a number in 0..1", o)
        return _from_score(float(score), o, reason)
    try:
        result = MetricResult.model_validate(
            {"name": "custom", "threshold": o.min, **value, "reason": clip(reason, 500)}
        )
    except ValidationError as exc:
        return _fail(f"{o.function} returned an invalid result: {exc.errors()[0]['msg']}", o)
    score = result.score
    if score is not None and (math.isnan(score) or not 0 <= score <= 1):
        return _fail(f"{o.function} returned score {score!r}, outside 0..1", o)
    return result


def _custom(o: CustomOptions, obs: Observation) -> MetricResult:
    try:
        value = o.function_object()(obs.output, obs, **o.args)
    except Exception as exc:  # the user's check is broken: fail this expectation, not the run
        return _fail(f"{o.function} raised {type(exc).__name__}: {exc}", o)
    if isinstance(value, bool):
        reason = "" if value else f"{o.function} returned False"
        return MetricResult(name="custom", passed=value, score=float(value), reason=reason)
    if isinstance(value, (int, float)):
        return _from_score(float(value), o)
    if isinstance(value, MetricResult):
        return value.model_copy(update={"name": "custom", "reason": clip(value.reason, 500)})
    if isinstance(value, Mapping):
        return _from_mapping(value, o)
    return _fail(
        f"{o.function} returned {type(value).__name__}; expected a bool, a score in 0..1, "
        "a MetricResult or a dict with 'passed'/'score'/'reason'",
        o,
    )


metrics.add(
    "custom",
    MetricDef(
        "custom",
        CustomOptions,
        _custom,
        "a Python function decides: fn(output, observation, **args) → bool, score, or result",
        shorthand="function",
        supports_threshold=True,
        warm_up=False,  # user code: never called except on real outputs
    ),
)
