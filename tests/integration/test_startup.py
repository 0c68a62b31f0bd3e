"""Start-up: run.json's launch → first request figure; the collector left as it was found."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_manifest

Write = Callable[..., Path]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base}}
  - {{id: {ADAPTER_ID}, name: echo, base_model: base, default: "echo: {{{{ prompt }}}}"}}
"""


def _suite(write_suite: Write) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(
        "name: startup\nemulator: {config: models.yaml}\nadapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ADAPTER_ID}}}\n"
        "cases: [{id: a, prompt: one}, {id: b, prompt: two}]\n"
    )


def test_run_json_records_launch_to_first_request(write_suite: Write, tmp_path: Path) -> None:
    path = _suite(write_suite)
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(path), "--run-id", "r", "--no-reports"]
        + ["-q", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall_ms = (time.perf_counter() - began) * 1000
    assert proc.returncode == 0, proc.stderr
    startup = json.loads((tmp_path / "out" / "r" / "run.json").read_text())["startup"]
    assert set(startup) == {"first_request_ms", "from", "since_run_suite_ms"}
    assert 0 < startup["since_run_suite_ms"] <= startup["first_request_ms"] < wall_ms
    if sys.platform == "linux":
        assert startup["from"] == "process start"
    else:
        assert startup["from"] in {"harness import", "runner import"}


def test_a_run_that_sends_nothing_has_no_startup_figure(write_suite: Write, tmp_path: Path) -> None:
    suite = load_suite(_suite(write_suite))
    first = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="r"))
    assert first.manifest.startup is not None and first.manifest.startup["first_request_ms"] > 0
    again = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="r", resume=True))
    assert again.records == 0
    assert read_manifest(again.run_dir).startup is None


def test_the_collector_is_as_it_was_after_a_run(write_suite: Write, tmp_path: Path) -> None:
    before = gc.get_threshold(), gc.isenabled()
    run_suite(load_suite(_suite(write_suite)), RunOptions(output_dir=tmp_path, run_id="r"))
    assert (gc.get_threshold(), gc.isenabled()) == before
    assert gc.get_freeze_count() == 0
