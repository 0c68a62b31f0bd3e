"""The figures of a run the summary keeps no column for: ITL, tokens/s, retries, metric scores.

One streaming pass over ``results.jsonl`` into the paired engine's table per adapter
(:class:`FrameBuilder`: the latest record of a (case_id, adapter, repeat) counts, as
``counting`` defines it; times only where this run measured them), so ``summary.json`` and
``harness compare`` read the same numbers. Only ``attempts`` is kept beside the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.paired.frame import FrameBuilder, RecordView, gc_paused
from harness.records.jsonl import iter_jsonl
from harness.records.store import RESULTS_FILE

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AdapterExtras", "ExtrasView", "read_extras"]


class ExtrasView(RecordView):
    """A record as the paired engine reads it, plus the requests it took (retries)."""

    attempts: int = 1


@dataclass
class AdapterExtras:
    """One adapter's counted records: the engine's table and each row's attempts."""

    builder: FrameBuilder = field(default_factory=FrameBuilder)
    attempts: list[int] = field(default_factory=list)

    def add(self, record: ExtrasView) -> None:
        row = self.builder.add(record)
        if row == len(self.attempts):
            self.attempts.append(record.attempts)
        else:  # a superseded key: the later record's attempts replace the earlier's
            self.attempts[row] = record.attempts

    def frame(self) -> pd.DataFrame:
        return self.builder.frame()

    @property
    def retried(self) -> int:
        """Counted requests that needed more than one attempt."""
        return sum(1 for n in self.attempts if n > 1)

    @property
    def extra_attempts(self) -> int:
        """Attempts beyond the first, summed: the retries sent."""
        return sum(n - 1 for n in self.attempts if n > 1)


def read_extras(run_dir: Path) -> dict[str, AdapterExtras]:
    """Adapter name -> its extras, from ``run_dir/results.jsonl`` (first-seen adapter order)."""
    extras: dict[str, AdapterExtras] = {}
    with gc_paused():
        for record in iter_jsonl(run_dir / RESULTS_FILE, ExtrasView.model_validate_json):
            side = extras.get(record.adapter)
            if side is None:
                side = extras[record.adapter] = AdapterExtras()
            side.add(record)
    return extras
