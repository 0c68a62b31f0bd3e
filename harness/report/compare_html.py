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
    cols: dict[str, list[Any]] = {k: [] for k in "cakolfxenmtiup"}
    metrics: dict[str, int] = {}
    for pair in doc.pairs:
        title = f"{pair.pair.candidate} vs {pair.pair.base}"
        if several:
            tags.append(title)
        for flip in pair.flipped:
            c = len(ids)
            ids.append(f"{title} / {flip.case_id}" if several else flip.case_id)
            case_tags.append(
                [tags.index(DIRECTIONS[flip.direction])] + ([tags.index(title)] if several else [])
            )
            for a, side in enumerate((flip.base, flip.candidate)):
                _side(cols, metrics, c, a, side)
    return {
        "v": DATA_SCHEMA,
        "mode": "compare",
        "A": _sides(doc),
        "T": tags,
        "E": list(metrics),
        "C": {"id": ids, "p": [""] * len(ids), "g": case_tags},
        "R": cols,
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


def _side(
    cols: dict[str, list[Any]], metrics: dict[str, int], c: int, a: int, side: FlipSide
) -> None:
    cols["c"].append(c)
    cols["a"].append(a)
    cols["k"].append(0)
    cols["o"].append(ERROR if side.error else PASS if side.passed else FAIL)
    for key in "lftiup":
        cols[key].append(None if key != "u" else 0)
    cols["x"].append(_clip(side.output))
    share = f"passed {side.pass_share:.0%} of {side.repeats} graded repeat(s)"
    cols["e"].append(
        f"{side.error} ({share})" if side.error else share if side.repeats > 1 else None
    )
    cols["n"].append(1)
    cols["m"].append(
        [
            [metrics.setdefault(f.name, len(metrics)), 0, None, _clip(f.reason) or ""]
            for f in side.failing
        ]
    )


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
