"""Per-adapter totals in one streaming pass over a run's records: the CLI's summary table.

Unlike ``summarize`` (which keeps a row per record for the reports), this keeps only counters
and an array of floats per adapter, so a 100,000-record run summarises in a few MB.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

from harness.percentiles import percentile
from harness.records.store import read_manifest, read_records

__all__ = ["AdapterTotals", "adapter_totals"]


@dataclass
class AdapterTotals:
    """Counts and latency percentiles of one adapter's records."""

    name: str
    records: int = 0
    passed: int = 0
    errored: int = 0
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))
    ttfts_ms: array[float] = field(default_factory=lambda: array("d"))
    ttft_emulated: bool = True

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.records if self.records else None

    def latency(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q)

    def ttft(self, q: float) -> float | None:
        return percentile(self.ttfts_ms, q)


def adapter_totals(run_dir: Path) -> list[AdapterTotals]:
    """Totals per candidate adapter, in the manifest's order (judges left out)."""
    manifest = read_manifest(run_dir)
    totals = {a.name: AdapterTotals(a.name) for a in manifest.adapters if a.role != "judge"}
    for record in read_records(run_dir):
        t = totals.setdefault(record.adapter, AdapterTotals(record.adapter))
        t.records += 1
        t.passed += record.passed
        if record.error is not None:
            t.errored += 1
            continue
        if record.latency_ms is not None:
            t.latencies_ms.append(record.latency_ms)
        if record.ttft_ms is not None:
            t.ttfts_ms.append(record.ttft_ms)
            t.ttft_emulated = t.ttft_emulated and record.streaming_emulated
    return list(totals.values())
