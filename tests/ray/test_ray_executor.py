"""The Ray executor (issue 15) against the embedded emulator: the same records as a local run,
workers lost or rate-limited together, no Ray without the extra, secrets kept out of files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.emulator.state import EmulatorState
from harness.records.store import read_manifest, read_records
from harness.runner.executors.ray_driver import worker_shares
from tests.ray.support import (
    ID,
    REPO,
    TOKEN,
    Write,
    emulated_suite,
    files_holding,
    key_counts,
    verdicts,
)

ray = pytest.importorskip("ray")


def test_shares_split_the_concurrency_exactly() -> None:
    assert worker_shares(8, 3) == [3, 3, 2]
    assert worker_shares(2, 4) == [1, 1]  # no worker without a slot
    assert sum(worker_shares(1000, 7)) == 1000


def test_ray_and_local_runs_give_the_same_keys_and_verdicts(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    # a check from a module beside the suite (importable nowhere else) and ROUGE (a closure):
    # both must reach the workers
    write_suite("def says_base(output, observation):\n    return 'base' in output\n", "checks.py")
    extra = ", {custom: {function: 'checks:says_base'}}, {rouge_l: {reference: 'echo p3'}}"
    suite = load_suite(emulated_suite(write_suite, expect=extra))
    local = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="local", repeat=2))
    remote = run_suite(
        suite,
        RunOptions(output_dir=tmp_path, run_id="ray", repeat=2, executor="ray", workers=2),
    )
    assert remote.records == local.records == 80
    assert verdicts(remote.run_dir) == verdicts(local.run_dir)  # same plan (seq), verdicts
    assert max(key_counts(remote.run_dir).values()) == 1
    records = list(read_records(remote.run_dir))
    checked = Counter((e.name, e.passed) for r in records for e in r.expectations)
    assert checked[("custom", True)] == 40 and checked[("custom", False)] == 40, checked
    assert {r.worker for r in records} == {"ray-0", "ray-1"}  # both measured
    assert all(r.host and r.latency_ms for r in records)
    assert all(r.worker is None for r in read_records(local.run_dir))
    execution = read_manifest(remote.run_dir).execution
    assert execution["executor"] == "ray"
    assert [w["concurrency"] for w in execution["workers"]] == [2, 2]
    assert all(node["cpu_count"] for node in execution["nodes"].values())


def test_a_worker_killed_mid_run_loses_nothing_and_repeats_nothing(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    suite = load_suite(emulated_suite(write_suite, cases=40, delay_ms=40))
    killed: list[str] = []

    def kill_first_worker(record: Any) -> None:
        if not killed and record.worker == "ray-0":
            killed.append(record.case_id)
            ray.kill(ray.get_actor("harness-killed-ray-0"), no_restart=True)

    outcome = run_suite(
        suite,
        RunOptions(output_dir=tmp_path, run_id="killed", executor="ray", workers=2),
        on_record=kill_first_worker,
    )
    keys = key_counts(outcome.run_dir)
    assert set(keys) == {(f"c{i:02d}", a, 0) for i in range(40) for a in ("echo", "base")}
    assert max(keys.values()) == 1
    execution = read_manifest(outcome.run_dir).execution
    assert execution["workers_lost"] == ["ray-0"]
    assert execution["requests_reassigned"] > 0  # it died holding work, given to ray-1
    assert Counter(r.worker for r in read_records(outcome.run_dir))["ray-1"] > 40


def test_rpm_and_concurrency_hold_across_workers_at_the_emulator(
    ray_temp: Path, write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrivals: dict[str, list[float]] = {}
    real = EmulatorState.next_hit

    def counted(self: EmulatorState, model_id: str, prompt: str) -> int:
        arrivals.setdefault(model_id, []).append(time.monotonic())
        return real(self, model_id, prompt)

    monkeypatch.setattr(EmulatorState, "next_hit", counted)
    # for both workers together: echo 600 rpm (a turn every 0.1 s), base one request at a time
    # (each takes 60 ms at the emulator)
    path = emulated_suite(
        write_suite, cases=16, delay_ms=60, extra=", rpm: 600", base_extra=", concurrency: 1"
    )
    run_suite(
        load_suite(path),
        RunOptions(output_dir=tmp_path, run_id="rpm", executor="ray", workers=2, warmup=0),
    )
    echo = sorted(arrivals.pop(ID))
    (base,) = (sorted(times) for times in arrivals.values())
    assert len(echo) == 16 and len(base) == 16
    # one turn every 0.1 s whoever asks: 16 requests span at least 1.5 s at the emulator (some
    # slack for the round trip to the limits actor); two workers at 600 rpm each: 0.75 s
    assert echo[-1] - echo[0] >= 1.5 * 0.9
    # and no burst: in any 1 s window at most 600/60 requests (+1 for a boundary)
    assert max(sum(1 for t in echo if s <= t < s + 1.0) for s in echo) <= 11
    # one base request at a time: each arrives after the one before was answered (60 ms);
    # one slot per worker would let two arrive together
    assert min(b - a for a, b in zip(base, base[1:], strict=False)) >= 0.05


def test_without_ray_the_ray_executor_says_how_to_install_it_and_exits_4(
    write_suite: Write, tmp_path: Path
) -> None:
    hidden = tmp_path / "no_ray"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None\n")
    suite = emulated_suite(write_suite, cases=2)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(suite), "--executor", "ray", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert 'pip install "llm-adapter-harness[ray]"' in done.stderr
    assert not (tmp_path / "reports").exists()  # refused before anything was written


def test_no_secret_in_the_run_folder_or_the_ray_temp_dir(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    # the emulator wants TOKEN; the adapters get it as served_by: emulator fills it in, and
    # the workers get it with their job
    suite = load_suite(emulated_suite(write_suite, cases=6, token=TOKEN))
    outcome = run_suite(
        suite,
        RunOptions(output_dir=tmp_path / "reports", run_id="s", executor="ray", workers=2),
    )
    assert outcome.passed == 6 and outcome.errored == 0  # the token reached the workers
    assert files_holding(tmp_path / "reports", TOKEN.encode()) == []
    assert files_holding(ray_temp, TOKEN.encode()) == []


def test_bench_splits_each_level_between_workers(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from harness.cli.bench import bench

    suite = emulated_suite(write_suite, cases=4, delay_ms=20)
    args = [str(suite), "--executor", "ray", "--workers", "2", "--concurrency", "1,4"]
    args += ["--rate", "40", "--requests", "12", "--adapter", "echo"]
    args += ["-o", str(tmp_path), "--run-id", "b"]
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "b" / "bench.json").read_text())
    assert data["executor"]["executor"] == "ray"
    points = {(p["adapter"], p["mode"], p["load"]): p for p in data["points"]}
    assert set(points) == {
        ("echo", "concurrency", 1.0),
        ("echo", "concurrency", 4.0),
        ("echo", "rate", 40.0),
    }
    # every request of a level counted once, whichever worker sent it
    assert all(p["requests"] == 12 and p["errors"] == 0 for p in points.values())


def test_the_suites_execution_key_chooses_the_executor_and_flags_override_it(
    write_suite: Write,
) -> None:
    write_suite("execution: {executor: ray, ray_address: auto}\n", "base.yaml")
    path = emulated_suite(write_suite, cases=1)
    path.write_text("include: [base.yaml]\nexecution: {workers: 3}\n" + path.read_text())
    suite = load_suite(path)
    chosen = RunOptions().with_execution(suite)
    assert (chosen.executor, chosen.workers, chosen.ray_address) == ("ray", 3, "auto")
    assert RunOptions(workers=1).with_execution(suite).workers == 1
    assert RunOptions(executor="local").with_execution(suite).executor == "local"
    plain = load_suite(emulated_suite(write_suite, cases=1))
    assert RunOptions().with_execution(plain).executor == "local"
    assert RunOptions(workers=2).with_execution(plain).executor == "ray"


def test_a_suite_that_says_ray_runs_on_ray(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    path = emulated_suite(write_suite, cases=3)
    path.write_text("execution: {executor: ray, workers: 2}\n" + path.read_text())
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="x"))
    assert read_manifest(outcome.run_dir).execution["executor"] == "ray"
    assert {r.worker for r in read_records(outcome.run_dir)} <= {"ray-0", "ray-1"}
    assert all(r.worker for r in read_records(outcome.run_dir))
