"""What a gate reads: a run folder or a baseline file, as the paired source loader sees it,
plus each case's tags (for ``pass_rate[tag=geo]``), which the engine's tables do not carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from harness.analysis.paired.sources import LoadedSource, load_source
from harness.records.jsonl import iter_jsonl
from harness.records.store import RESULTS_FILE

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GateInput", "load_gate_input"]


class _Tags(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    tags: list[str] = []


@dataclass
class GateInput:
    """A loaded side with its case tags and, per adapter, its per-case table (built once)."""

    source: LoadedSource
    tags: dict[str, list[str]]
    is_baseline: bool
    _cases: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def label(self) -> str:
        kind = "baseline" if self.is_baseline else "run"
        return f"{kind} {self.source.run_id} ({self.source.path})"

    def cases(self, adapter: str) -> pd.DataFrame:
        """The adapter's per-case table (``harness.gates.figures.case_table``)."""
        from harness.gates.figures import case_table

        if adapter not in self._cases:
            self._cases[adapter] = case_table(self.source.adapters[adapter].frame)
        return self._cases[adapter]

    def tagged(self, tag: str) -> set[str]:
        return {case for case, tags in self.tags.items() if tag in tags}


def _run_tags(path: Path) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for row in iter_jsonl(path / RESULTS_FILE, _Tags.model_validate_json):
        if row.tags:
            tags[row.case_id] = row.tags
    return tags


def load_gate_input(path: Path, param: str) -> GateInput:
    """Load ``path`` (run folder or baseline file) with the paired loader, and its tags.

    Raises:
        CompareInputError: as :func:`harness.analysis.paired.sources.load_source`.
    """
    source = load_source(path, param)
    if path.is_file():
        from harness.analysis.paired.baseline import read_baseline_file

        baseline = read_baseline_file(path)
        tags = {c.id: c.tags for cases in baseline.cases.values() for c in cases if c.tags}
        return GateInput(source, tags, is_baseline=True)
    return GateInput(source, _run_tags(path), is_baseline=False)
