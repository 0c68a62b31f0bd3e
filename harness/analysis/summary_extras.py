"""The figures of a run the summary keeps no column for: ITL, tokens/s, retries, metric scores.

They come from the paired engine's table of each adapter (:func:`column_frames`: the latest
record of a (case_id, adapter, repeat) counts, as ``counting`` defines it; times only where
this run measured them), so ``summary.json`` and ``harness compare`` read the same numbers.
The tables are the ones the run summary made from the same read of ``results.jsonl``
(:meth:`RunSummary.frames`); only ``attempts`` is taken beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.paired.frame import column_frames
from harness.records.columns import RecordColumns, read_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AdapterExtras", "extras_of", "read_extras"]


@dataclass
class AdapterExtras:
    """One adapter's counted records: the engine's table and each row's attempts."""

    table: pd.DataFrame
    attempts: list[int] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return self.table

    @property
    def retried(self) -> int:
        """Counted requests that needed more than one attempt."""
        return sum(1 for n in self.attempts if n > 1)

    @property
    def extra_attempts(self) -> int:
        """Attempts beyond the first, summed: the retries sent."""
        return sum(n - 1 for n in self.attempts if n > 1)


def extras_of(
    records: RecordColumns, frames: Mapping[str, pd.DataFrame]
) -> dict[str, AdapterExtras]:
    """Adapter name -> its extras (first-seen adapter order), from the shared read: ``frames``
    are :func:`column_frames` of ``records``."""
    rows: dict[int, list[int]] = {}
    for adapter, attempts in zip(records.adapter, records.attempts, strict=True):
        rows.setdefault(adapter, []).append(attempts)
    return {
        name: AdapterExtras(frames[name], rows.get(a, []))
        for a, name in enumerate(records.adapters)
    }


def read_extras(run_dir: Path) -> dict[str, AdapterExtras]:
    """The extras of ``run_dir/results.jsonl`` (one read; a report uses the summary's instead)."""
    records = read_columns(run_dir)
    return extras_of(records, column_frames(records))
