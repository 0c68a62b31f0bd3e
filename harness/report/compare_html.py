"""What ``compare.html`` shows, built from the compare document alone (as ``compare.md`` is).

The flipped cases become the same drill-down as ``report.html``'s: two columns (base and
candidate), one row per flipped case, searchable and filterable by direction (a tag).
"""

from __future__ import annotations

from typing import Any

from harness.analysis.paired.document import CompareDocument
from harness.analysis.paired.flips import FlipSide
from harness.report.html_charts import chart, forest_svg
from harness.report.html_data import DATA_SCHEMA, ERROR, FAIL, PASS, TEXT_LIMIT
from harness.report.html_view import PairCard, counts_of, figure_lines, forest_rows, pair_notes

__all__ = ["compare_context"]

DIRECTIONS = {"pass_to_fail": "pass → fail (regression)", "fail_to_pass": "fail → pass (fix)"}


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= TEXT_LIMIT:
        return text
    return text[:TEXT_LIMIT] + " […clipped]"


def _drilldown(doc: CompareDocument) -> dict[str, Any]:
    tags = list(DIRECTIONS.values())
    several = len(doc.pairs) > 1
    ids: list[str] = []
    case_tags: list[list[int]] = []
    sides: list[FlipSide] = []  # base then candidate of each flipped case
    for pair in doc.pairs:
        title = f"{pair.pair.candidate} vs {pair.pair.base}"
        if several:
            tags.append(title)
            ids += [f"{title} / {flip.case_id}" for flip in pair.flipped]
        else:
            ids += [flip.case_id for flip in pair.flipped]
        extra = [tags.index(title)] if several else []
        direction = {d: [tags.index(label), *extra] for d, label in DIRECTIONS.items()}
        case_tags += [direction[flip.direction] for flip in pair.flipped]
        for flip in pair.flipped:
            sides += (flip.base, flip.candidate)
    return {
        "v": DATA_SCHEMA,
        "mode": "compare",
        "A": _sides(doc),
        "T": tags,
        "E": (metrics := _metric_names(sides)),
        "C": {"id": ids, "p": [""] * len(ids), "g": case_tags},
        "R": _side_columns(sides, {name: i for i, name in enumerate(metrics)}),
    }


def _metric_names(sides: list[FlipSide]) -> list[str]:
    """Every failed expectation's name, in first-appearance order."""
    return list(dict.fromkeys(f.name for side in sides for f in side.failing))


def _note(side: FlipSide) -> str | None:
    share = f"passed {side.pass_share:.0%} of {side.repeats} graded repeat(s)"
    return f"{side.error} ({share})" if side.error else share if side.repeats > 1 else None


def _side_columns(sides: list[FlipSide], metrics: dict[str, int]) -> dict[str, list[Any]]:
    """The drill-down's row columns (as ``report.html``'s), one row per side, built column by
    column: a run can flip 30,000 cases."""
    count = len(sides)
    nothing: list[Any] = [None] * count
    return {
        "c": [i // 2 for i in range(count)],
        "a": [i % 2 for i in range(count)],
        "k": [0] * count,
        "o": [ERROR if s.error else PASS if s.passed else FAIL for s in sides],
        "l": nothing,
        "f": nothing,
        "x": [_clip(s.output) for s in sides],
        "e": [_note(s) for s in sides],
        "n": [1] * count,
        "m": [
            [[metrics[f.name], 0, None, _clip(f.reason) or ""] for f in s.failing] for s in sides
        ],
        "t": nothing,
        "i": nothing,
        "u": [0] * count,
        "p": nothing,
    }


def _sides(doc: CompareDocument) -> list[str]:
    """Column names: the adapters when one pair is compared, else the runs."""
    if len(doc.pairs) == 1:
        pair = doc.pairs[0].pair
        return [
            f"base: {pair.base} ({doc.base.run_id})",
            f"candidate: {pair.candidate} ({doc.candidate.run_id})",
        ]
    return [f"base ({doc.base.run_id})", f"candidate ({doc.candidate.run_id})"]


def compare_context(doc: CompareDocument) -> dict[str, Any]:
    """The template context of ``compare.html``."""
    cards = []
    for pair in doc.pairs:
        cards.append(
            PairCard(
                title=f"{pair.pair.candidate} vs {pair.pair.base}",
                headline=pair.headline,
                figures=figure_lines(pair.figures, doc.alpha),
                notes=pair_notes(pair),
                counts=counts_of(pair.figures),
            )
        )
    forest = forest_rows([(c.title, p.figures) for c, p in zip(cards, doc.pairs, strict=True)])
    svg_text = forest_svg(forest)
    made = chart("Compared figures: change with 95% interval", svg_text)
    header = [
        ("Base", f"{doc.base.run_id} ({doc.base.path}), suite {doc.base.suite_name}"),
        (
            "Candidate",
            f"{doc.candidate.run_id} ({doc.candidate.path}), suite {doc.candidate.suite_name}",
        ),
        ("Level", f"alpha {doc.alpha:g} on Holm-adjusted p-values; seed {doc.seed}"),
        ("Harness version", doc.harness_version),
    ]
    flips = sum(len(p.flipped) for p in doc.pairs)
    return {
        "title": f"compare: {doc.candidate.run_id} vs {doc.base.run_id}",
        "header": header,
        "warnings": list(doc.warnings),
        "cards": cards,
        "charts": [made] if made else [],
        "flips": flips,
        "data": _drilldown(doc),
    }
