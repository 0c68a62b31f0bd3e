"""A merged suite's cases: case specs and dataset rows × matrix points → frozen Cases.

Templates are rendered per point, expectations parsed (once when not templated), and every
case id must be unique across the suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.metrics import Expectation
from harness.suite.checks import Checker, RawExpectation
from harness.suite.expand import Case, derive_case_id, matrix_points
from harness.suite.merge import MergedSuite, as_pass_rule
from harness.suite.model import CaseSpec
from harness.suite.template import TemplateProblem, render
from harness.yamlio import KeyPath, YamlDocument, describe_path

__all__ = ["expand_cases"]

_MAX_DATASET_ERRORS = 200  # a broken template in a 10,000-row dataset: 200 messages are plenty


def expand_cases(checker: Checker, merged: MergedSuite) -> list[Case]:
    """Every case of the suite, in file order; problems go to ``checker``."""
    expansion = _Expansion(checker, merged)
    for doc, i, spec, raws in merged.cases:
        expansion.case_spec(doc, i, spec, raws)
    for doc, file, i, raw in merged.datasets:
        expansion.dataset(doc, file, i, raw)
    return expansion.out


class _Expansion:
    def __init__(self, checker: Checker, merged: MergedSuite) -> None:
        self.checker = checker
        self.merged = merged
        self.out: list[Case] = []
        self.seen: dict[str, str] = {}
        self.parsed_cache: dict[int, Expectation | None] = {}

    def expectations(
        self, raws: list[RawExpectation], variables: dict[str, Any]
    ) -> list[Expectation]:
        result = []
        for rx in raws:
            if rx.templated:
                e = self.checker.parse(rx, variables)
            else:  # parse once, share across every case that uses it
                key = id(rx)
                if key not in self.parsed_cache:
                    self.parsed_cache[key] = self.checker.parse(rx, variables)
                e = self.parsed_cache[key]
            if e is not None:
                result.append(e)
        return result

    def claim(self, case_id: str, doc: YamlDocument, path: KeyPath) -> bool:
        """Take ``case_id`` for the case at ``path``; False (and reported) when it is taken.

        Claimed even for a case whose templates failed, so that its id still clashes.
        """
        if case_id in self.seen:
            self.checker.at(
                doc,
                path,
                f"{describe_path(path)}: duplicate case id '{case_id}', "
                f"first used at {self.seen[case_id]}",
            )
            return False
        line, col = doc.position(path)
        self.seen[case_id] = f"{doc.file}:{line}"
        return True

    def add(self, case: Case, doc: YamlDocument, path: KeyPath) -> None:
        if self.claim(case.id, doc, path):
            self.out.append(case)

    def render(
        self, doc: YamlDocument, path: KeyPath, text: str, variables: dict[str, Any]
    ) -> str | None:
        try:
            return render(text, variables)
        except TemplateProblem as exc:
            self.checker.template_problem(doc, path, exc)
            return None

    def case_spec(
        self, doc: YamlDocument, i: int, spec: CaseSpec, raws: list[RawExpectation]
    ) -> None:
        merged = self.merged
        at: KeyPath = ("cases", i)
        written = (
            spec.prompt
            if spec.prompt is not None
            else json.dumps([m.model_dump() for m in spec.messages or []], sort_keys=True)
        )
        base_id = spec.id or derive_case_id(written)
        rule = as_pass_rule(spec.pass_rule) or merged.pass_rule
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
                    self.render(doc, (*at, "messages", k, "content"), m.content, variables)
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
                prompt = self.render(doc, (*at, "prompt"), spec.prompt, variables)
            exp = self.expectations(merged.default_expect + raws, variables)
            where = (*at, "id") if spec.id else at
            if prompt is None:
                self.claim(base_id + point.suffix, doc, where)
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
                cluster=spec.cluster,
            )
            self.add(case, doc, where)

    def dataset(self, doc: YamlDocument, file: Path, i: int, raw: dict[str, Any]) -> None:
        merged = self.merged
        at: KeyPath = ("datasets", i)
        loaded = self.checker.dataset(doc, file, i, raw)
        if loaded is None:
            return
        spec, rows = loaded
        raws = self.checker.raw_expectations(doc, raw.get("expect"), (*at, "expect"))
        generation = {**merged.generation, **(spec.generation or {})}
        broken = False  # the prompt template failed once: said once, the ids are still checked
        for row in rows:
            for point in matrix_points(merged.matrix):
                variables = {**merged.vars, **row.vars, **point.vars}
                prompt: str | None = row.prompt
                if prompt is None and not broken:
                    assert spec.prompt is not None
                    prompt = self.render(doc, (*at, "prompt"), spec.prompt, variables)
                    broken = prompt is None
                if prompt is None:
                    self.claim(row.case_id + point.suffix, doc, at)
                    continue
                case = Case(
                    id=row.case_id + point.suffix,
                    prompt=prompt,
                    expectations=tuple(self.expectations(merged.default_expect + raws, variables)),
                    generation={**generation, **point.generation},
                    tags=tuple(spec.tags) + tuple(row.tags),
                    vars=variables,
                    repeat=merged.repeat,
                    pass_rule=merged.pass_rule,
                    cluster=row.cluster,
                )
                self.add(case, doc, at)
            errors = self.checker.errors
            if errors and len(errors) > _MAX_DATASET_ERRORS:
                return
