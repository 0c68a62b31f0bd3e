"""Gate inputs for tests: run folders by the real writer, or per-record tables as sources."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.analysis.paired.sources import AdapterRecords, LoadedSource
from harness.gates.inputs import GateInput
from tests.analysis.test_compare_frame_sources import manifest

if TYPE_CHECKING:
    import pandas as pd


def frame_input(run_id: str, frames: dict[str, pd.DataFrame], **changes: object) -> GateInput:
    """A gate input whose adapters hold the given per-record tables (simulations)."""
    adapters = {name: AdapterRecords(name, _frame=frame) for name, frame in frames.items()}
    source = LoadedSource(
        path=Path(run_id), manifest=manifest(run_id, list(frames), **changes), adapters=adapters
    )
    return GateInput(source, {}, is_baseline=False)
