"""Case expansion: matrices and templates turn case specs (and dataset rows) into frozen Cases.

Every expansion gets a distinct, stable id: the base id (given, or derived from the prompt
text) plus the matrix values, e.g. ``greet[lang=fr,temperature=0.7]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.metrics import Expectation
from harness.suite.model import MatrixSpec, PassRule

__all__ = ["Case", "MatrixPoint", "derive_case_id", "matrix_points", "passes"]


@dataclass(frozen=True)
class Case:
    """One request to send: rendered prompt (or chat messages), expectations and options."""

    id: str
    prompt: str
    expectations: tuple[Expectation, ...]
    generation: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    messages: tuple[tuple[str, str], ...] | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    repeat: int = 1
    pass_rule: PassRule = field(default_factory=PassRule)
    cluster: str | None = None  # cases sharing a context, for clustered statistics


@dataclass(frozen=True)
class MatrixPoint:
    """One combination of a matrix: its vars, its generation options and its id suffix."""

    vars: dict[str, Any]
    generation: dict[str, Any]

    @property
    def suffix(self) -> str:
        if not self.vars and not self.generation:
            return ""
        parts = [f"{k}={_show(v)}" for k, v in sorted({**self.vars, **self.generation}.items())]
        return "[" + ",".join(parts) + "]"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def matrix_points(*matrices: MatrixSpec | None) -> Iterator[MatrixPoint]:
    """The cartesian product of the given matrices (a later one overrides the same key)."""
    var_lists: dict[str, list[Any]] = {}
    gen_lists: dict[str, list[Any]] = {}
    for m in matrices:
        if m is not None:
            var_lists.update(m.vars)
            gen_lists.update(m.generation)
    keys = [("v", k) for k in var_lists] + [("g", k) for k in gen_lists]
    lists = [var_lists[k] if kind == "v" else gen_lists[k] for kind, k in keys]
    for combo in itertools.product(*lists):
        vars_ = {k: v for (kind, k), v in zip(keys, combo, strict=True) if kind == "v"}
        gen = {k: v for (kind, k), v in zip(keys, combo, strict=True) if kind == "g"}
        yield MatrixPoint(vars_, gen)


def derive_case_id(text: str) -> str:
    """A stable id from the prompt (or messages) as written, so reordering keeps ids."""
    return "case-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def passes(rule: PassRule, results: list[tuple[bool, float | None, float]]) -> tuple[bool, float]:
    """Combine (passed, score, weight) triples into the case verdict and its weighted score."""
    if not results:
        return True, 1.0
    total = sum(w for _, _, w in results)
    score = (
        sum(w * (s if s is not None else float(p)) for p, s, w in results) / total
        if total > 0
        else float(all(p for p, _, _ in results))
    )
    if rule.mode == "any":
        return any(p for p, _, _ in results), score
    if rule.mode == "weighted":
        return score >= rule.min_score - 1e-12, score
    return all(p for p, _, _ in results), score
