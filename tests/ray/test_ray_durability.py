"""The Ray executor's durability: a killed driver resumed, Ctrl-C, a stopped run's workers,
and the response cache, cassette and judges across workers."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_manifest, read_records
from tests.ray.support import (
    ID,
    Write,
    cli,
    emulated_suite,
    key_counts,
    wait_for_lines,
)

ray = pytest.importorskip("ray")


def test_driver_killed_mid_run_then_resume_finishes_with_one_record_per_key(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    suite = emulated_suite(write_suite, cases=20, delay_ms=120)
    address = ray.get_runtime_context().gcs_address
    ray_args = ("--executor", "ray", "--workers", "1", "--ray-address", address)
    results = tmp_path / "reports" / "r" / "results.jsonl"
    proc = cli(tmp_path, "run", str(suite), "--run-id", "r", "-q", "--no-reports", *ray_args)
    wait_for_lines(results, 4, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    before = key_counts(results.parent)
    assert 4 <= sum(before.values()) < 40
    assert read_manifest(results.parent).execution["executor"] == "ray"  # written at start
    resume = cli(
        tmp_path,
        "run",
        str(suite),
        "--resume",
        "r",
        "-q",
        "--no-reports",
        *ray_args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = resume.communicate(timeout=180)
    assert resume.returncode == 0, err
    after = key_counts(results.parent)
    assert set(after) == {(f"c{i:02d}", a, 0) for i in range(20) for a in ("echo", "base")}
    assert max(after.values()) == 1
    assert all(after[key] == 1 for key in before)  # kept, not redone
    assert len(read_manifest(results.parent).resumed_at) == 1


def test_ctrl_c_keeps_the_records_stops_the_workers_and_exits_2(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    suite = emulated_suite(write_suite, cases=40, delay_ms=200)
    address = ray.get_runtime_context().gcs_address
    results = tmp_path / "reports" / "c" / "results.jsonl"
    proc = cli(
        tmp_path,
        "run",
        str(suite),
        "--run-id",
        "c",
        "-q",
        "--no-reports",
        "--executor",
        "ray",
        "--workers",
        "1",
        "--ray-address",
        address,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_lines(results, 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "--resume c" in err
    manifest = read_manifest(results.parent)
    assert manifest.status == "interrupted"
    kept = key_counts(results.parent)
    assert 2 <= sum(kept.values()) < 80 and max(kept.values()) == 1


def test_an_interrupted_run_stops_its_workers_at_once(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    """In-process, so the driver outlives the run: only the executor's own stop ends them."""
    suite = load_suite(emulated_suite(write_suite, cases=40, delay_ms=100))

    def interrupt(record: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_suite(
            suite,
            RunOptions(output_dir=tmp_path, run_id="stop", executor="ray", workers=1),
            on_record=interrupt,
        )
    assert read_manifest(tmp_path / "stop").status == "interrupted"
    assert sum(key_counts(tmp_path / "stop").values()) == 1  # the record was written first
    names = [str(n) for n in ray.util.list_named_actors(all_namespaces=True)]
    assert not [n for n in names if "harness-stop-" in n]


def test_cache_record_and_judges_work_across_workers(
    ray_temp: Path, write_suite: Write, tmp_path: Path
) -> None:
    write_suite(
        "models:\n  - {name: base, slug: base}\n"
        f"  - {{id: {ID}, name: echo, base_model: base, default: 'echo {{{{ prompt }}}}'}}\n"
        '  - {name: judge, slug: judge, default: "Looks right.\\nSCORE: 8"}\n',
        "models.yaml",
    )
    body = "".join(f"  - {{id: c{i}, prompt: 'p{i}'}}\n" for i in range(8))
    suite = load_suite(
        write_suite(
            "name: judged\nemulator: {config: models.yaml}\nconcurrency: 4\nadapters:\n"
            f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
            "  grader: {type: gradient-base, served_by: emulator, base_model_slug: judge, "
            "role: judge}\n"
            "defaults:\n  expect: [{llm_judge: {judge: grader, rubric: Echoes it., min: 0.5}}]\n"
            "cases:\n" + body
        )
    )
    cache = tmp_path / "cache.sqlite"
    ray_run = {"executor": "ray", "workers": 2, "cache_path": cache}
    first = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="a", record=True, **ray_run))
    assert first.records == first.passed == 8  # judged 8/10 by the grader, in the workers
    execution = read_manifest(first.run_dir).execution
    assert execution["judges"]["grader"]["calls"] == 8  # the workers' tallies, summed
    assert execution["cache_misses"] == 8
    cassette = (first.run_dir / "cassette.jsonl").read_text().splitlines()
    assert len(cassette) == 16  # each answer and each judge call, written by the driver
    again = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="b", **ray_run))
    assert again.passed == 8
    assert all(r.cached for r in read_records(again.run_dir))
    assert read_manifest(again.run_dir).execution["cache_hits"] == 8
