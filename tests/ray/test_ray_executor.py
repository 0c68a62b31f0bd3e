"""The Ray executor (issue 15) against the embedded emulator, on one local Ray per module.

Ray starts once (``ray_temp``, two CPUs, no dashboard, its files in a temp dir of its own)
and every test of this file shares it: a Ray start costs seconds on a loaded 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.emulator.state import EmulatorState
from harness.records.store import read_manifest, read_records
from harness.runner.executors.ray_driver import worker_shares

ray = pytest.importorskip("ray")

Write = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
TOKEN = "tok-9c2e77b1d04f4e3a8b5f"


@pytest.fixture(scope="module")
def ray_temp() -> Iterator[Path]:
    """One local Ray for the module; its temp dir (sessions, logs) is what the secrets test
    searches. A short path: Ray's socket names must fit in 107 characters."""
    temp = Path(tempfile.mkdtemp(prefix="hr-"))
    env = {"PYTHONPATH": str(REPO)}  # the workers import harness from this checkout
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=str(temp),
        log_to_driver=False,
        runtime_env={"env_vars": env},
    )
    try:
        yield temp
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def _suite(
    write_suite: Write,
    cases: int = 20,
    delay_ms: int = 5,
    extra: str = "",
    concurrency: int = 4,
    token: str | None = None,
) -> Path:
    """Two emulated adapters; odd cases fail their expectation (verdicts to compare)."""
    write_suite(
        (f"access_token: {token}\n" if token else "") + "models:\n"
        "  - {name: base, slug: base, default: 'base says {{ prompt }}', "
        f"latency: {{delay_ms: {delay_ms}}}}}\n"
        f"  - {{id: {ID}, name: echo, base_model: base, default: 'echo {{{{ prompt }}}}', "
        f"latency: {{delay_ms: {delay_ms}}}}}\n",
        "models.yaml",
    )
    body = "".join(
        f"  - {{id: c{i:02d}, prompt: 'p{i}', expect: [contains: {'p' if i % 2 else 'x'}{i}]}}\n"
        for i in range(cases)
    )
    return write_suite(
        f"name: rayrun\nemulator: {{config: models.yaml}}\nconcurrency: {concurrency}\n"
        "adapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}{extra}}}\n"
        "  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
        "cases:\n" + body
    )


def _verdicts(run_dir: Path) -> dict[tuple[str, str, int], tuple[bool, int]]:
    return {(r.case_id, r.adapter, r.repeat): (r.passed, r.seq) for r in read_records(run_dir)}


def _keys(run_dir: Path) -> Counter[tuple[str, str, int]]:
    return Counter((r.case_id, r.adapter, r.repeat) for r in read_records(run_dir))


def test_shares_split_the_concurrency_exactly() -> None:
    assert worker_shares(8, 3) == [3, 3, 2]
    assert worker_shares(2, 4) == [1, 1]  # no worker without a slot
    assert sum(worker_shares(1000, 7)) == 1000


def test_ray_and_local_runs_give_the_same_keys_and_verdicts(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    suite = load_suite(_suite(write_suite))
    local = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="local", repeat=2))
    remote = run_suite(
        suite,
        RunOptions(output_dir=tmp_path, run_id="ray", repeat=2, executor="ray", workers=2),
    )
    assert remote.records == local.records == 80
    assert _verdicts(remote.run_dir) == _verdicts(local.run_dir)  # same plan (seq), verdicts
    assert max(_keys(remote.run_dir).values()) == 1
    records = read_records(remote.run_dir)
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
    suite = load_suite(_suite(write_suite, cases=40, delay_ms=40))
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
    keys = _keys(outcome.run_dir)
    assert set(keys) == {(f"c{i:02d}", a, 0) for i in range(40) for a in ("echo", "base")}
    assert max(keys.values()) == 1
    execution = read_manifest(outcome.run_dir).execution
    assert execution["workers_lost"] == ["ray-0"]
    assert execution["requests_reassigned"] > 0  # it died holding work, given to ray-1
    assert Counter(r.worker for r in read_records(outcome.run_dir))["ray-1"] > 40


def test_rpm_holds_across_workers_at_the_emulator(
    ray_temp: Path, write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrivals: dict[str, list[float]] = {}
    real = EmulatorState.next_hit

    def counted(self: EmulatorState, model_id: str, prompt: str) -> int:
        arrivals.setdefault(model_id, []).append(time.monotonic())
        return real(self, model_id, prompt)

    monkeypatch.setattr(EmulatorState, "next_hit", counted)
    # echo: 600 rpm (a turn every 0.1 s) for both workers together; base: unlimited
    suite = load_suite(_suite(write_suite, cases=16, delay_ms=1, extra=", rpm: 600"))
    run_suite(
        suite,
        RunOptions(output_dir=tmp_path, run_id="rpm", executor="ray", workers=2, warmup=0),
    )
    echo = sorted(arrivals[ID])
    assert len(echo) == 16 and sum(map(len, arrivals.values())) == 32
    # one turn every 0.1 s whoever asks: 16 requests span at least 1.5 s at the emulator (some
    # slack for the round trip to the limits actor); two workers at 600 rpm each: 0.75 s
    assert echo[-1] - echo[0] >= 1.5 * 0.9
    # and no burst: in any 1 s window at most 600/60 requests (+1 for a boundary)
    assert max(sum(1 for t in echo if s <= t < s + 1.0) for s in echo) <= 11


def test_without_ray_the_ray_executor_says_how_to_install_it_and_exits_4(
    write_suite: Write, tmp_path: Path
) -> None:
    hidden = tmp_path / "no_ray"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None\n")
    suite = _suite(write_suite, cases=2)
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
