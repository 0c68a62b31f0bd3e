"""What a failed suite item prints: a short assertion-style message, never harness internals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.analysis.text import clip_text

if TYPE_CHECKING:
    from harness.records import CaseRecord

__all__ = ["CaseFailed", "case_message", "gate_message", "shares_message"]

PROMPT_LIMIT = 400
OUTPUT_LIMIT = 600


class CaseFailed(AssertionError):
    """A case or gate that failed: ``repr_failure`` prints its message alone, no traceback."""


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def _timing(record: CaseRecord) -> str:
    ttft = _ms(record.ttft_ms)
    if record.streaming_emulated and record.ttft_ms is not None:
        ttft += " (emulated streaming: the whole reply in one chunk)"
    line = f"latency {_ms(record.latency_ms)}, TTFT {ttft}"
    if record.attempts > 1:
        line += f", {record.attempts} attempts"
    return line


def case_message(record: CaseRecord, where: str) -> str:
    """Why ``record`` did not pass: its error, or the prompt, output and failed expectations."""
    head = f"{record.adapter} on case {record.case_id!r}"
    if record.repeat:
        head += f" (repeat {record.repeat + 1})"
    lines = []
    if record.error is not None and record.error.origin == "adapter":
        status = f", status {record.error.status}" if record.error.status is not None else ""
        lines.append(f"{head}: the adapter failed ({record.error.type}{status})")
        lines.append(f"  error: {_indent(clip_text(record.error.message, OUTPUT_LIMIT))}")
    else:
        lines.append(f"{head}: {_failed_count(record)}")
    lines.append(f"  prompt: {_indent(clip_text(record.prompt, PROMPT_LIMIT))}")
    if record.output is not None:
        lines.append(f"  output: {_indent(clip_text(record.output, OUTPUT_LIMIT))}")
    for result in record.expectations:
        if not result.passed:
            reason = result.reason or "failed"
            lines.append(f"  ✗ {result.name}: {_indent(reason)}")
    if record.error is not None and record.error.origin == "judge":
        lines.append(f"  judge error ({record.error.type}): {record.error.message}")
    lines.append(f"  {_timing(record)}")
    lines.append(f"  record: {where}")
    return "\n".join(lines)


def _failed_count(record: CaseRecord) -> str:
    failed = sum(not r.passed for r in record.expectations)
    total = len(record.expectations)
    return f"{failed} of {total} expectation(s) failed"


def shares_message(
    case_id: str, adapter: str, records: Sequence[CaseRecord], share: float, where: str
) -> str:
    """An aggregated item (min_pass_share): how many repeats passed, then the first failure."""
    passed = sum(r.passed for r in records)
    lines = [
        f"{adapter} on case {case_id!r}: {passed} of {len(records)} repeats passed; "
        f"min_pass_share is {share:g}"
    ]
    first = next((r for r in records if not r.passed), None)
    if first is not None:
        lines.append("first failing repeat:")
        lines.append("  " + _indent(case_message(first, where)))
    return "\n".join(lines)


def gate_message(text: str, results: Sequence[Any], problems: Sequence[str]) -> str:
    """A failed gate: each adapter's figure against the limit, or why it could not be evaluated."""
    lines = [f"gate {text!r} failed"]
    for result in results:
        lines.append(f"  {'pass' if result.passed else 'FAIL'}: {result.message}")
    for problem in problems:
        lines.append(f"  cannot be evaluated: {problem}")
    return "\n".join(lines)
