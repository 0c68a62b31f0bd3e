"""``compare.json``: the document ``harness compare`` writes, and how it is assembled.

The models here are the file's versioned schema (``schema_version``, ``kind``); each pair
carries the engine's :class:`PairComparisonResult` fields unchanged, plus its flipped cases
and a one-line headline. Nothing in the document depends on the clock or the machine, so
the same inputs and seed give a byte-identical file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.paired.conditions import condition_warnings, status_warnings
from harness.analysis.paired.flips import FlippedCase, flipped_cases
from harness.analysis.paired.frame import gc_paused, metric_directions, score_metrics
from harness.analysis.paired.results import PairComparisonResult
from harness.analysis.paired.sources import CompareInputError, LoadedSource

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPARE_KIND",
    "COMPARE_SCHEMA_VERSION",
    "CompareDocument",
    "CompareFn",
    "PairEntry",
    "SourceInfo",
    "compare_schema_json",
    "compare_sources",
    "headline",
    "resolve_pairs",
]

COMPARE_SCHEMA_VERSION: Literal[1] = 1
COMPARE_KIND: Literal["harness.compare"] = "harness.compare"

#: The engine's signature (``harness.analysis.paired.engine.compare_frames``).
CompareFn = Callable[..., PairComparisonResult]


class SourceInfo(BaseModel):
    """One side of the comparison: which run, where, and how many records it counted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    path: str = Field(description="The run folder as given on the command line")
    suite_name: str
    suite_sha256: str
    status: str = Field(description="The run's status in run.json (completed, interrupted...)")
    harness_version: str = Field(description="The harness version that made the run")
    adapters: list[str] = Field(description="Adapters with records in this run")
    records_read: int = Field(description="Records in results.jsonl")
    superseded_records: int = Field(
        description="Records replaced by a later record of the same (case_id, adapter, repeat)"
    )

    @classmethod
    def of(cls, source: LoadedSource) -> SourceInfo:
        m = source.manifest
        return cls(
            run_id=m.run_id,
            path=str(source.path),
            suite_name=m.suite_name,
            suite_sha256=m.suite_sha256,
            status=m.status,
            harness_version=m.harness_version,
            adapters=list(source.adapters),
            records_read=source.records_read,
            superseded_records=source.superseded,
        )


class PairEntry(PairComparisonResult):
    """One base/candidate adapter pair: the engine's result, its flipped cases, a headline."""

    headline: str = Field(description="'v2 vs v1: 2 better, 1 worse, 6 no difference'")
    counts: dict[str, int] = Field(description="Figures per verdict: better, worse, no_difference")
    flipped: list[FlippedCase] = Field(
        description="Cases whose verdict flipped: pass_to_fail first, then fail_to_pass"
    )


class CompareDocument(BaseModel):
    """``compare.json``: every pair's figures and verdicts, flipped cases and warnings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = COMPARE_SCHEMA_VERSION
    kind: Literal["harness.compare"] = COMPARE_KIND
    harness_version: str = Field(description="The harness version that compared")
    base: SourceInfo
    candidate: SourceInfo
    same_run: bool = Field(description="True when both sides are adapters of one run")
    seed: int = Field(description="Seed of every resampling: same inputs and seed, same file")
    alpha: float = Field(description="Level of the verdicts (on Holm-adjusted p-values)")
    pairs: list[PairEntry]
    warnings: list[str] = Field(
        description="Conditions that differ between the runs (timings may not be comparable), "
        "runs that did not complete"
    )


def compare_schema_json() -> str:
    """The JSON Schema of ``compare.json`` (docs/compare.schema.json holds a copy)."""
    schema = CompareDocument.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "harness compare.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _adapters_of(source: LoadedSource) -> str:
    return ", ".join(source.adapters) or "none"


def _parse_pair(text: str) -> tuple[str, str]:
    base, sep, candidate = text.partition(":")
    if not sep or not base or not candidate or ":" in candidate:
        raise CompareInputError(
            f"--pair expects BASE_ADAPTER:CANDIDATE_ADAPTER (for example v1:v2), got {text!r}",
            "--pair",
        )
    return base, candidate


def resolve_pairs(
    base: LoadedSource, candidate: LoadedSource, explicit: Sequence[str]
) -> list[tuple[str, str]]:
    """The (base adapter, candidate adapter) pairs to compare.

    ``--pair v1:v2`` values choose them; without any, two runs pair the adapters found in
    both (by name, in the base run's order). Inside one run, pairs must be chosen.

    Raises:
        CompareInputError: a malformed or unknown pair, or nothing to pair.
    """
    same = base is candidate
    if explicit:
        pairs = [_parse_pair(text) for text in explicit]
        for b, c in pairs:
            base.adapter(b, "--pair")
            candidate.adapter(c, "--pair")
            if same and b == c:
                raise CompareInputError(
                    f"--pair {b}:{c} compares an adapter with itself; "
                    f"run {base.run_id} has: {_adapters_of(base)}",
                    "--pair",
                )
        return list(dict.fromkeys(pairs))
    if same:
        raise CompareInputError(
            f"comparing two adapters of one run needs --pair BASE_ADAPTER:CANDIDATE_ADAPTER; "
            f"run {base.run_id} ({base.path}) has: {_adapters_of(base)}",
            "--pair",
        )
    common = [name for name in base.adapters if name in candidate.adapters]
    if not common:
        raise CompareInputError(
            f"runs {base.run_id} and {candidate.run_id} have no adapter in common "
            f"(base {base.path}: {_adapters_of(base)}; candidate {candidate.path}: "
            f"{_adapters_of(candidate)}); choose pairs with --pair BASE_ADAPTER:CANDIDATE_ADAPTER",
            "CANDIDATE",
        )
    return [(name, name) for name in common]


def headline(result: PairComparisonResult) -> str:
    """``v2 vs v1: 2 better, 1 worse, 6 no difference`` (candidate first, as a reader asks)."""
    counts = _counts(result)
    return (
        f"{result.pair.candidate} vs {result.pair.base}: {counts['better']} better, "
        f"{counts['worse']} worse, {counts['no_difference']} no difference"
    )


def _counts(result: PairComparisonResult) -> dict[str, int]:
    counts = {"better": 0, "worse": 0, "no_difference": 0}
    for figure in result.figures:
        counts[figure.verdict] += 1
    return counts


def _engine() -> CompareFn:
    from harness.analysis.paired.engine import compare_frames

    return compare_frames


def _directions(frames: Sequence[pd.DataFrame]) -> Mapping[str, bool]:
    return metric_directions(sorted({m for f in frames for m in score_metrics(f)}))


def compare_sources(
    base: LoadedSource,
    candidate: LoadedSource,
    pairs: Sequence[tuple[str, str]],
    *,
    seed: int = 0,
    alpha: float = 0.05,
    harness_version: str,
    compare: CompareFn | None = None,
) -> CompareDocument:
    """Compare every pair and assemble the document (``compare`` defaults to the engine)."""
    compare = compare or _engine()
    entries = []
    for base_name, candidate_name in pairs:
        b = base.adapter(base_name, "--pair")
        c = candidate.adapter(candidate_name, "--pair")
        result = compare(
            b.frame,
            c.frame,
            pair=(base_name, candidate_name),
            higher_is_better=_directions((b.frame, c.frame)),
            seed=seed,
            alpha=alpha,
        )
        with gc_paused():
            flipped = flipped_cases(b, c)
        entries.append(
            PairEntry(
                **dict(result),
                headline=headline(result),
                counts=_counts(result),
                flipped=flipped,
            )
        )
    same = base is candidate
    sides = [("base", base.manifest)] + ([] if same else [("candidate", candidate.manifest)])
    warnings = status_warnings(sides) + condition_warnings(base.manifest, candidate.manifest, pairs)
    return CompareDocument(
        harness_version=harness_version,
        base=SourceInfo.of(base),
        candidate=SourceInfo.of(candidate),
        same_run=same,
        seed=seed,
        alpha=alpha,
        pairs=entries,
        warnings=warnings,
    )
