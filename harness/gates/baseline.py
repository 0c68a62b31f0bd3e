"""``harness baseline save``: a run's results as a small, deterministic, reviewable JSON file.

Sorted keys, floats rounded to a fixed precision (timings to 1 µs, scores to 1e-6), one
case per line, so saving the same run twice gives the same bytes and a changed baseline
reads as a line diff in review. Reading it back is ``harness.analysis.paired.baseline``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from harness.analysis.paired.baseline import (
    BaselineAdapter,
    BaselineCase,
    BaselineConditions,
    BaselineFile,
    BaselineRun,
    BaselineSuite,
)
from harness.analysis.paired.frame import SCORE_PREFIX
from harness.gates.figures import summary_figures
from harness.gates.inputs import GateInput

__all__ = ["baseline_json", "make_baseline"]

_TIMING_DIGITS = 3
_SCORE_DIGITS = 6


def _rounded(value: Any, digits: int) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) + 0.0  # + 0.0: no "-0.0"


def _cases(loaded: GateInput, adapter: str) -> list[BaselineCase]:
    table = loaded.cases(adapter)
    scores = [str(c) for c in table.columns if str(c).startswith(SCORE_PREFIX)]
    out = []
    for case_id, row in table.iterrows():  # once per save, not a statistic's hot path
        case_scores = {
            name.removeprefix(SCORE_PREFIX): _rounded(row[name], _SCORE_DIGITS) for name in scores
        }
        cluster = row["cluster"]
        out.append(
            BaselineCase(
                id=str(case_id),
                cluster=None if cluster is None or cluster != cluster else str(cluster),
                tags=loaded.tags.get(str(case_id), []),
                repeats=int(row["repeats"]),
                passes=int(row["passes"]),
                errors=int(row["errors"]),
                latency_ms=_rounded(row["latency_ms"], _TIMING_DIGITS),
                ttft_ms=_rounded(row["ttft_ms"], _TIMING_DIGITS),
                ttft_emulated=bool(row["ttft_emulated"]),
                itl_ms=_rounded(row["itl_ms"], _TIMING_DIGITS),
                tokens_per_s=_rounded(row["tokens_per_s"], _TIMING_DIGITS),
                scores={k: v for k, v in case_scores.items() if v is not None},
            )
        )
    return out


def make_baseline(loaded: GateInput, *, harness_version: str) -> BaselineFile:
    """The baseline of a loaded run (every adapter it has records of; judges left out)."""
    manifest = loaded.source.manifest
    names = list(loaded.source.adapters)
    infos = {a.name: a for a in manifest.adapters}
    adapters = [
        BaselineAdapter(
            name=name,
            type=infos[name].type if name in infos else "unknown",
            model=infos[name].model if name in infos else "unknown",
            served_by=infos[name].served_by if name in infos else None,
            streaming_emulated=infos[name].streaming_emulated if name in infos else False,
        )
        for name in names
    ]
    summary = {
        name: {
            k: _rounded(v, _SCORE_DIGITS) for k, v in summary_figures(loaded.cases(name)).items()
        }
        for name in names
    }
    return BaselineFile(
        saved_by=harness_version,
        suite=BaselineSuite(
            name=manifest.suite_name, sha256=manifest.suite_sha256, path=manifest.suite_path
        ),
        run=BaselineRun(
            run_id=manifest.run_id,
            status=manifest.status,
            started_at=manifest.started_at,
            finished_at=manifest.finished_at,
        ),
        conditions=BaselineConditions(
            harness_version=manifest.harness_version,
            versions=manifest.versions,
            execution=manifest.execution,
            machine=manifest.machine,
        ),
        adapters=adapters,
        summary=summary,
        cases={name: _cases(loaded, name) for name in names},
    )


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _cases_block(cases: dict[str, list[BaselineCase]]) -> str:
    lines = ["{"]
    adapters = sorted(cases.items())
    for i, (adapter, rows) in enumerate(adapters):
        lines.append(f"    {json.dumps(adapter)}: [")
        texts = [_dump(c.model_dump(mode="json", exclude_defaults=True)) for c in rows]
        lines.extend(f"      {text}," for text in texts[:-1])
        lines.extend(f"      {text}" for text in texts[-1:])
        lines.append("    ]" + ("," if i < len(adapters) - 1 else ""))
    lines.append("  }")
    return "\n".join(lines)


def baseline_json(baseline: BaselineFile) -> str:
    """The file's text: readable JSON, sorted keys, one case per line, a final newline."""
    data = baseline.model_dump(mode="json", exclude={"cases"})
    blocks = {
        key: json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        for key, value in data.items()
    }
    blocks["cases"] = _cases_block(baseline.cases)
    body = ",\n".join(f"  {json.dumps(key)}: {blocks[key]}" for key in sorted(blocks))
    return "{\n" + body + "\n}\n"
