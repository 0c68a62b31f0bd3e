"""Nothing lost, nothing repeated: resume after kill -9, shards + merge, cache, record/replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_manifest, read_records

Write = Callable[..., Path]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base says {{{{ prompt }}}}"}}
  - {{id: {ID}, name: echo, base_model: base, default: "echo {{{{ prompt }}}}",
     latency: {{delay_ms: DELAY, per_token_ms: 1}}}}
"""


def _suite(write_suite: Write, cases: int = 12, delay_ms: int = 5) -> Path:
    write_suite(MODELS.replace("DELAY", str(delay_ms)), "models.yaml")
    body = "".join(
        f"  - {{id: c{i:02d}, prompt: 'p{i}', expect: [contains: p{i}]}}\n" for i in range(cases)
    )
    return write_suite(
        "name: durable\nemulator: {config: models.yaml}\nconcurrency: 2\nadapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
        "  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
        "cases:\n" + body
    )


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _keys(run_dir: Path) -> Counter[tuple[str, str, int]]:
    return Counter((r.case_id, r.adapter, r.repeat) for r in read_records(run_dir))


def test_resume_after_kill_9_completes_without_repeating(
    write_suite: Write, tmp_path: Path
) -> None:
    suite = _suite(write_suite, cases=12, delay_ms=250)
    run_dir = tmp_path / "reports" / "r"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(suite), "--run-id", "r", "-q"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = run_dir / "results.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if results.exists() and results.read_text().count("\n") >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    before = _keys(run_dir)
    assert 3 <= sum(before.values()) < 24
    with results.open("a") as f:  # what a kill in the middle of a write leaves behind
        f.write('{"schema_version":1,"run_id":"r","case_id":"c0')
    done = _cli(tmp_path, "run", str(suite), "--resume", "r", "-q", "--no-reports")
    assert done.returncode == 0, done.stderr
    after = _keys(run_dir)
    assert set(after) == {(f"c{i:02d}", a, 0) for i in range(12) for a in ("echo", "base")}
    assert max(after.values()) == 1  # exactly one record per case x adapter
    for key in before:  # finished work was kept, not redone
        assert after[key] == 1
    manifest = read_manifest(run_dir)
    assert manifest.status == "completed" and len(manifest.resumed_at) == 1


def test_resume_refuses_a_changed_suite(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite, cases=2)
    assert _cli(tmp_path, "run", str(suite), "--run-id", "r", "-q", "--no-reports").returncode == 0
    suite.write_text(suite.read_text().replace("p0", "changed"))
    proc = _cli(tmp_path, "run", str(suite), "--resume", "r", "-q")
    assert proc.returncode == 4 and "the suite changed" in proc.stderr


def test_shards_merge_into_one_complete_run(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite, cases=15)
    for i in (1, 2, 3):
        proc = _cli(
            tmp_path,
            "run",
            str(suite),
            "--shard",
            f"{i}/3",
            "--run-id",
            f"s{i}",
            "-q",
            "--no-reports",
        )
        assert proc.returncode == 0, proc.stderr
        assert read_manifest(tmp_path / "reports" / f"s{i}").shard == f"{i}/3"
    shard_keys = [_keys(tmp_path / "reports" / f"s{i}") for i in (1, 2, 3)]
    assert all(shard_keys) and not (set(shard_keys[0]) & set(shard_keys[1]))
    proc = _cli(tmp_path, "merge", "reports/s1", "reports/s2", "reports/s3", "--run-id", "all")
    assert proc.returncode == 0, proc.stderr
    merged = _keys(tmp_path / "reports" / "all")
    assert set(merged) == {(f"c{i:02d}", a, 0) for i in range(15) for a in ("echo", "base")}
    assert max(merged.values()) == 1
    assert read_manifest(tmp_path / "reports" / "all").status == "completed"
    assert _cli(tmp_path, "run", str(suite), "--shard", "4/3").returncode == 4


def test_cache_serves_answers_without_timing_them(write_suite: Write, tmp_path: Path) -> None:
    suite = load_suite(_suite(write_suite, cases=3))
    cache = tmp_path / "cache.sqlite"
    first = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="a", cache_path=cache))
    second = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="b", cache_path=cache))
    a = {(r.case_id, r.adapter): r for r in read_records(first.run_dir)}
    b = {(r.case_id, r.adapter): r for r in read_records(second.run_dir)}
    assert not any(r.cached for r in a.values()) and all(r.cached for r in b.values())
    for key, rec in b.items():
        assert rec.output == a[key].output and rec.passed == a[key].passed
        assert rec.latency_ms is None and rec.ttft_ms is None and rec.timing is None
    assert read_manifest(second.run_dir).execution["cache_hits"] == 6


def test_record_then_replay_offline(write_suite: Write, tmp_path: Path) -> None:
    suite = load_suite(_suite(write_suite, cases=4, delay_ms=30))
    recorded = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="rec", record=True))
    cassette = recorded.run_dir / "cassette.jsonl"
    assert len(cassette.read_text().splitlines()) == 8
    replay = write_suite(
        "name: durable\nadapters:\n"
        "  echo: {type: replay, cassette: rec/cassette.jsonl, adapter: echo, "
        "timing: recorded}\n"
        + "cases:\n"
        + "".join(
            f"  - {{id: c{i:02d}, prompt: 'p{i}', expect: [contains: p{i}]}}\n" for i in range(4)
        ),
        "replay.yaml",
    )
    replayed = run_suite(load_suite(replay), RunOptions(output_dir=tmp_path, run_id="rep"))
    original = {r.case_id: r for r in read_records(recorded.run_dir) if r.adapter == "echo"}
    for r in read_records(replayed.run_dir):
        assert r.error is None and r.output == original[r.case_id].output and r.passed
        assert r.latency_ms is not None and r.latency_ms >= 30  # the recorded delay, replayed
    assert json.loads(cassette.read_text().splitlines()[0])["case_id"].startswith("c")
