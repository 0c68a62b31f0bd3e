"""``compare.md``: a comparison for people, verdicts first, then figures, then the cases.

Built from the :class:`CompareDocument` alone (what ``compare.json`` holds), so it can be
rebuilt from that file. Model output is untrusted: it goes into fenced code blocks (clipped
to ``FLIP_OUTPUT_LIMIT`` characters) or code spans; other text is escaped.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.analysis.paired.document import CompareDocument, PairEntry
from harness.analysis.paired.flips import FlippedCase, FlipSide
from harness.analysis.text import clip_text
from harness.report.compare_format import (
    VERDICT_LABELS,
    figure_cells,
    figure_label,
    grouped_notes,
)
from harness.report.files import write_text
from harness.report.markdown import md_code, md_text
from harness.report.md_limit import fit_markdown

__all__ = [
    "COMPARE_MD_FILE",
    "FLIPS_SHOWN",
    "FLIP_OUTPUT_LIMIT",
    "render_compare_md",
    "write_compare_md",
]

COMPARE_MD_FILE = "compare.md"
FLIP_OUTPUT_LIMIT = 2000
"""Characters of each side's output shown per flipped case (compare.json has all of it)."""
FLIPS_SHOWN = 50
"""Flipped cases shown per direction; the rest are counted and left to compare.json."""
IDS_SHOWN = 50
"""Case ids listed per one-side-only group."""

_COLUMNS = ("Figure", "Base", "Candidate", "Delta", "95% CI", "p", "p (Holm)", "Verdict", "MDE")
_BACKTICKS = re.compile(r"`{3,}")


def _block(text: str | None) -> list[str]:
    if text is None:
        return ["*(no output)*"]
    if not text:
        return ["*(empty)*"]
    body = clip_text(text, FLIP_OUTPUT_LIMIT)
    fence = "`" * max(3, max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    return [f"{fence}text", body, fence]


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(md_text(c) for c in cells) + " |"


def _verdict_lines(doc: CompareDocument) -> list[str]:
    out = ["## Verdicts", ""]
    for pair in doc.pairs:
        out.append(f"- **{md_text(pair.headline)}**")
        for figure in pair.figures:
            if figure.verdict != "no_difference":
                cells = figure_cells(figure, doc.alpha)
                out.append(
                    f"  - {md_text(VERDICT_LABELS[figure.verdict])}: {md_text(cells[0])} "
                    f"{md_text(cells[1])} → {md_text(cells[2])} (delta {md_text(cells[3])}, "
                    f"95% CI {md_text(cells[4])}, p (Holm) {md_text(cells[6])})"
                )
        worse = sum(f.direction == "pass_to_fail" for f in pair.flipped)
        if pair.flipped:
            out.append(
                f"  - flipped cases: {worse} pass → fail, {len(pair.flipped) - worse} fail → pass"
            )
    return [*out, ""]


def _ids(label: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    shown = ", ".join(md_code(i, 120) for i in ids[:IDS_SHOWN])
    more = f" and {len(ids) - IDS_SHOWN} more (see compare.json)" if len(ids) > IDS_SHOWN else ""
    return [f"- {label} ({len(ids)}): {shown}{more}"]


def _side_lines(name: str, side: FlipSide) -> list[str]:
    verdict = "passed" if side.passed else "failed"
    share = f", passed {side.pass_share:.0%} of {side.repeats} repeats" if side.repeats > 1 else ""
    out = [f"**{md_text(name)}** ({verdict}{share}):", ""]
    if side.error:
        out += [f"- error: {md_text(side.error)}"]
    out += [f"- {md_text(f.name)}: {md_text(f.reason or 'failed')}" for f in side.failing]
    if side.error or side.failing:
        out.append("")
    return [*out, *_block(side.output), ""]


def _flip_lines(pair: PairEntry, flips: list[FlippedCase], title: str) -> list[str]:
    if not flips:
        return []
    out = [f"### {title} ({len(flips)})", ""]
    for flip in flips[:FLIPS_SHOWN]:
        out += [f"#### {md_code(flip.case_id, 200)}", ""]
        out += _side_lines(f"base {pair.pair.base}", flip.base)
        out += _side_lines(f"candidate {pair.pair.candidate}", flip.candidate)
    if len(flips) > FLIPS_SHOWN:
        out += [f"*{len(flips) - FLIPS_SHOWN} more in compare.json.*", ""]
    return out


def _pair_lines(doc: CompareDocument, pair: PairEntry) -> list[str]:
    out = [
        f"## {md_text(pair.pair.candidate)} vs {md_text(pair.pair.base)}",
        "",
        f"{pair.shared_cases} cases on both sides. Verdicts use Holm-adjusted p-values at "
        f"alpha {doc.alpha:g}; MDE is the smallest change these cases could detect at 80% "
        "power, so 'no difference' means none larger than the MDE.",
        "",
        _row(_COLUMNS),
        "|" + "|".join("---" for _ in _COLUMNS) + "|",
        *(_row(figure_cells(f, doc.alpha)) for f in pair.figures),
        "",
    ]
    notes = grouped_notes(pair)
    if notes:
        out += ["Notes:", "", *(f"- {md_text(n)}" for n in notes), ""]
    methods: dict[str, list[str]] = {}
    for f in pair.figures:
        methods.setdefault(f.method, []).append(figure_label(f.figure))
    if methods:
        lines = [f"- {md_text(', '.join(names))}: {md_text(m)}" for m, names in methods.items()]
        out += ["Methods:", "", *lines, ""]
    one_side = _ids(f"only in the base ({pair.pair.base})", pair.base_only)
    one_side += _ids(f"only in the candidate ({pair.pair.candidate})", pair.candidate_only)
    if one_side:
        out += ["Cases on one side only (not compared):", "", *one_side, ""]
    flips = [f for f in pair.flipped if f.direction == "pass_to_fail"]
    back = [f for f in pair.flipped if f.direction == "fail_to_pass"]
    out += _flip_lines(pair, flips, "Flipped: pass → fail")
    out += _flip_lines(pair, back, "Flipped: fail → pass")
    return out


def render_compare_md(doc: CompareDocument) -> str:
    """The whole compare.md text, cut to GitHub's comment limit (verdicts come first)."""
    base, cand = doc.base, doc.candidate
    if doc.same_run:
        title = f"# Compare: adapters of run {md_text(base.run_id)}"
        sources = f"Run `{base.path}` (suite {md_text(base.suite_name)})."
    else:
        title = f"# Compare: {md_text(cand.run_id)} against {md_text(base.run_id)}"
        sources = (
            f"Base: run `{base.path}`; candidate: run `{cand.path}` "
            f"(suite {md_text(cand.suite_name)})."
        )
    out = [title, "", f"{sources} Seed {doc.seed}, alpha {doc.alpha:g}.", ""]
    out += _verdict_lines(doc)
    if doc.warnings:
        out += ["## Warnings", "", *(f"- {md_text(w)}" for w in doc.warnings), ""]
    for pair in doc.pairs:
        out += _pair_lines(doc, pair)
    text = "\n".join(out).rstrip("\n") + "\n"
    return fit_markdown(text, "Every figure and flipped case is in compare.json.")


def write_compare_md(doc: CompareDocument, out_dir: Path) -> Path:
    """Write ``compare.md`` into ``out_dir``; its path."""
    path = out_dir / COMPARE_MD_FILE
    write_text(path, render_compare_md(doc))
    return path
