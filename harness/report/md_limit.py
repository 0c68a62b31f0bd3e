"""Markdown that fits a GitHub comment: cut at whole blocks, never inside a table or a fence.

GitHub refuses a PR comment (and a step summary shows nothing) past 65,536 characters. A
long report keeps its beginning (verdicts and summary come first) and drops whole lines,
table rows and fenced blocks from the end, then says what it left out and where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["GITHUB_COMMENT_LIMIT", "fit_markdown"]

GITHUB_COMMENT_LIMIT = 65_536
"""Characters GitHub accepts in an issue or pull-request comment body."""

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


@dataclass(frozen=True)
class _Unit:
    """Lines that are kept or dropped together; ``rows`` counts the table rows among them."""

    lines: tuple[str, ...]
    rows: int = 0
    section: str = ""  # the heading it is under

    @property
    def size(self) -> int:
        return sum(len(line) + 1 for line in self.lines)

    @property
    def droppable_tail(self) -> bool:
        """A blank line or a heading: nothing to keep at the end of a cut report."""
        return len(self.lines) == 1 and (not self.lines[0].strip() or self.lines[0][:1] == "#")


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (the last line if none)."""
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
            return j
    return len(lines) - 1


def _units(lines: list[str]) -> list[_Unit]:
    units: list[_Unit] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            end = _closing(lines, i, fence.group(1))
            units.append(_Unit(tuple(lines[i : end + 1]), section=section))
            i = end + 1
        elif line.startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            # header and separator go with the first row: a table is never left empty
            end = i + 3 if i + 2 < len(lines) and lines[i + 2].startswith("|") else i + 2
            units.append(_Unit(tuple(lines[i:end]), rows=end - i - 2, section=section))
            i = end
            while i < len(lines) and lines[i].startswith("|"):
                units.append(_Unit((lines[i],), rows=1, section=section))
                i += 1
        else:
            if line.startswith("#"):
                section = line.lstrip("#").strip()
            units.append(_Unit((line,), section=section))
            i += 1
    return units


def _note(dropped: list[_Unit], limit: int, where: str) -> str:
    headings = {u.lines[0].lstrip("#").strip() for u in dropped if u.lines[0][:1] == "#"}
    rows: dict[str, int] = {}  # rows cut from tables whose heading is kept
    for u in dropped:
        if u.rows and u.section not in headings:
            rows[u.section] = rows.get(u.section, 0) + u.rows
    parts = [f"{n:,} rows of {name or 'a table'}" for name, n in rows.items()]
    sections = [u.lines[0].lstrip("#").strip() for u in dropped if u.lines[0][:1] == "#"]
    if sections:
        more = ", ..." if len(sections) > 8 else ""
        parts.append("the sections " + ", ".join(sections[:8]) + more)
    left = "; ".join(parts) or "the end of the report"
    return (
        f"*Truncated to fit GitHub's {limit:,}-character comment limit: left out {left}. {where}*"
    )


def fit_markdown(text: str, where: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """``text`` unchanged when it fits in ``limit`` characters, else cut with a closing note.

    Whole units are kept from the start: a line, a fenced block, a table's header with its
    first row, or one more table row. ``where`` tells the reader where the rest is.
    """
    if len(text) <= limit:
        return text
    units = _units(text.rstrip("\n").split("\n"))
    # the note names what it drops, so it is sized for the longest it can be
    budget = limit - len(_note(units, limit, where)) - 2
    kept, used = 0, 0
    while kept < len(units) and used + units[kept].size <= budget:
        used += units[kept].size
        kept += 1
    while True:
        while kept and units[kept - 1].droppable_tail:
            kept -= 1
        body = [line for unit in units[:kept] for line in unit.lines]
        fitted = "\n".join([*body, "", _note(units[kept:], limit, where)]) + "\n"
        if len(fitted) <= limit or not kept:
            return fitted
        kept -= 1  # the note for what is left out came out longer than planned
