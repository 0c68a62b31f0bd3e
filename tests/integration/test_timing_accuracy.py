"""Measured timings against the emulator's injected ones, through the whole runner.

Tolerances are one-sided where physics allows (nothing can arrive before the injected delay)
and generous above (a loaded 2-core machine adds scheduling delay); speed is benchmarked in
benchmarks/, never asserted here.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_records

Write = Callable[..., Path]
TTFT_MS, ITL_MS, TOKENS = 150, 40, 6
SLACK_MS = 120  # above the truth; never below it
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"


def _suite(write_suite: Write, concurrency: int, cases: int) -> Path:
    write_suite(
        "models:\n  - {name: base, slug: base}\n"
        f"  - {{id: {ID}, name: timed, base_model: base, default: 'one two three four five six',\n"
        f"     latency: {{delay_ms: {TTFT_MS}, per_token_ms: {ITL_MS}}}}}\n",
        "models.yaml",
    )
    body = "".join(f"  - {{id: c{i}, prompt: 'q{i}'}}\n" for i in range(cases))
    return write_suite(
        f"name: timing\nemulator: {{config: models.yaml}}\nconcurrency: {concurrency}\n"
        "adapters:\n"
        f"  stream: {{type: openai-compatible, served_by: emulator, model: {ID}}}\n"
        f"  gradient: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
        "cases:\n" + body
    )


@pytest.mark.parametrize(("concurrency", "cases"), [(1, 4), (16, 24)])
def test_ttft_itl_and_latency_match_the_injected_truth(
    write_suite: Write, tmp_path: Path, concurrency: int, cases: int
) -> None:
    suite = load_suite(_suite(write_suite, concurrency, cases))
    outcome = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="t"))
    records = list(read_records(outcome.run_dir))
    assert all(r.error is None for r in records)
    stream = [r for r in records if r.adapter == "stream"]
    gradient = [r for r in records if r.adapter == "gradient"]
    total_ms = TTFT_MS + (TOKENS - 1) * ITL_MS  # the emulator's streaming schedule
    for r in stream:
        assert r.timing is not None and len(r.timing.chunk_ns) == TOKENS
        assert r.ttft_ms is not None and r.ttft_ms >= TTFT_MS - 1
        assert r.latency_ms is not None and r.latency_ms >= total_ms - 1
        assert r.timing.itl_mean_ms is not None and r.timing.itl_mean_ms >= ITL_MS - 5
        assert r.output_tokens == TOKENS and not r.streaming_emulated
    assert statistics.median(r.ttft_ms or 0 for r in stream) <= TTFT_MS + SLACK_MS
    assert statistics.median(r.timing.itl_p50_ms or 0 for r in stream if r.timing) <= (
        ITL_MS + SLACK_MS / 2
    )
    # the Gradient API answers all at once after delay + per-token time
    for r in gradient:
        assert r.streaming_emulated and r.latency_ms is not None
        assert r.latency_ms >= TTFT_MS + TOKENS * ITL_MS - 1
    assert statistics.median(r.latency_ms or 0 for r in gradient) <= (
        TTFT_MS + TOKENS * ITL_MS + SLACK_MS
    )
