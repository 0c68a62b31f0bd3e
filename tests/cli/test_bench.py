"""`harness bench`: a throughput/latency curve per adapter, written to disk."""

from __future__ import annotations

import json
from pathlib import Path

from harness.percentiles import percentile
from tests.cli.conftest import REPO, RunCli


def test_bench_writes_points_table_and_chart(run_cli: RunCli, tmp_path: Path) -> None:
    proc = run_cli(
        "bench",
        str(REPO / "suites" / "quickstart.yaml"),
        "--concurrency",
        "1,4",
        "--rate",
        "40",
        "--requests",
        "8",
        "--adapter",
        "support-bot-v1",
        "--adapter",
        "support-bot-v2",
        "--run-id",
        "b",
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "reports" / "b"
    data = json.loads((out / "bench.json").read_text())
    points = data["points"]
    assert {(p["adapter"], p["mode"], p["load"]) for p in points} == {
        (a, m, load)
        for a in ("support-bot-v1", "support-bot-v2")
        for m, load in (("concurrency", 1), ("concurrency", 4), ("rate", 40))
    }
    for p in points:
        assert p["requests"] == 8 and p["errors"] == 0
        assert p["throughput_rps"] > 0 and p["latency_p50_ms"] <= p["latency_p99_ms"]
        assert p["ttft_emulated"] is True
        assert p["latency_p50_ms"] >= 20  # v1's injected delay is 20 ms, v2's 60 ms
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| support-bot-v2 | concurrency | 4 |" in (out / "bench.md").read_text()
    assert "throughput vs latency" in proc.stdout


def test_bench_rejects_bad_levels_and_adapters(run_cli: RunCli) -> None:
    suite = str(REPO / "suites" / "quickstart.yaml")
    assert run_cli("bench", suite, "--concurrency", "0,4").returncode == 4
    assert run_cli("bench", suite, "--concurrency", "a").returncode == 4
    proc = run_cli("bench", suite, "--adapter", "nope", "--requests", "1")
    assert proc.returncode == 4 and "unknown adapter(s) ['nope']" in proc.stderr


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(i) for i in range(101)], 99) == 99.0
