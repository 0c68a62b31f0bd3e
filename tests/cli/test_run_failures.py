"""`harness run` when things go wrong: bad input, failing adapters, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import RunCli

OK_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
BAD_ID = "5a1e5b07-0009-4000-8000-00000000000f_model_adapter"

MODELS = f"""
seed: 1
models:
  - name: base
    slug: base
  - id: {OK_ID}
    name: good
    base_model: base
    default: "fine"
    latency: {{delay_ms: 5}}
  - name: flaky
    base_model: base
    default: "never"
    faults: {{server_error: 1.0}}
  - name: slow
    base_model: base
    default: "slow"
    latency: {{delay_ms: 1500}}
"""


def _suite(adapters: str, cases: int = 3, concurrency: int = 4) -> str:
    body = "\n".join(
        f"  - id: c{i}\n    prompt: p{i}\n    expect: [contains: fine]" for i in range(cases)
    )
    return (
        f"name: failing\nemulator: {{config: models.yaml}}\nconcurrency: {concurrency}\n"
        f"adapters:\n{adapters}\ncases:\n{body}\n"
    )


def _adapter(name: str, model_id: str) -> str:
    options = f"type: gradient-adapter, served_by: emulator, model_adapter_id: {model_id}"
    return f"  {name}: {{{options}}}"


def _flaky_id() -> str:
    from harness.emulator import SimulatedModel

    return SimulatedModel(name="flaky", base_model="base").model_id


def _slow_id() -> str:
    from harness.emulator import SimulatedModel

    return SimulatedModel(name="slow", base_model="base").model_id


def _records(run_dir: Path) -> list[dict[str, object]]:
    text = (run_dir / "results.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_failing_adapter_fails_its_cases_not_the_run(
    write_suite: Callable[..., Path], run_cli: RunCli, tmp_path: Path
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(
        _suite(
            "\n".join(
                [
                    _adapter("good", OK_ID),
                    _adapter("flaky", _flaky_id()),
                    _adapter("missing", BAD_ID),
                ]
            )
        )
    )
    # flaky and missing never answer: accepted here, else exit 5 (test_run_outcomes.py)
    proc = run_cli("run", str(suite), "--run-id", "r1", "-q", "--allow-adapter-errors")
    assert proc.returncode == 0, proc.stderr
    records = _records(tmp_path / "reports" / "r1")
    assert len(records) == 9
    by = {a: [r for r in records if r["adapter"] == a] for a in ("good", "flaky", "missing")}
    assert all(r["passed"] and r["error"] is None for r in by["good"])
    for r in by["flaky"]:
        assert r["passed"] is False
        assert r["error"]["type"] == "server_error" and r["error"]["status"] == 500  # type: ignore[index]
    for r in by["missing"]:
        assert r["error"]["type"] == "not_found"  # type: ignore[index]
        assert BAD_ID in r["error"]["message"]  # type: ignore[index]
    html = (tmp_path / "reports" / "r1" / "report.html").read_text()
    assert "server_error" in html or "500" in html


def test_every_request_failing_exits_5(
    write_suite: Callable[..., Path], run_cli: RunCli, tmp_path: Path
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(_suite(_adapter("flaky", _flaky_id())))
    proc = run_cli("run", str(suite), "--run-id", "r2", "-q")
    assert proc.returncode == 5, proc.stderr
    assert "every request failed" in proc.stderr
    assert len(_records(tmp_path / "reports" / "r2")) == 3


def test_bad_suite_exits_4_and_sends_nothing(
    write_suite: Callable[..., Path], run_cli: RunCli, tmp_path: Path
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(
        _suite(
            f"  good: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {OK_ID}, "
            "max_tokens: 0}"
        )
    )
    proc = run_cli("run", str(suite))
    assert proc.returncode == 4
    assert "suite.yaml:5:" in proc.stderr and "max_tokens" in proc.stderr
    assert "nothing was run" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_validate(write_suite: Callable[..., Path], run_cli: RunCli) -> None:
    write_suite(MODELS, "models.yaml")
    good = write_suite(
        _suite(_adapter("good", OK_ID)),
        "good.yaml",
    )
    bad = write_suite("name: x\nadapters: {}\ncases: []\nextra: 1\n", "bad.yaml")
    proc = run_cli("validate", str(good))
    assert proc.returncode == 0 and "ok (3 cases, 1 adapters: good)" in proc.stdout
    proc = run_cli("validate", str(good), str(bad))
    assert proc.returncode == 4
    assert "bad.yaml:4:1: unknown key 'extra'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_exits_4(run_cli: RunCli) -> None:
    proc = run_cli("run")
    assert proc.returncode == 4
    assert "Missing argument" in proc.stderr


def test_ctrl_c_keeps_records_and_exits_2(write_suite: Callable[..., Path], tmp_path: Path) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(
        _suite(
            _adapter("good", OK_ID) + "\n" + _adapter("slow", _slow_id()),
            cases=6,
            concurrency=2,
        )
    )
    run_dir = tmp_path / "reports" / "r3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(suite), "--run-id", "r3", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    results = run_dir / "results.jsonl"
    while time.monotonic() < deadline:
        if results.exists() and results.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert "interrupted" in stderr
    records = _records(run_dir)
    assert 1 <= len(records) < 12
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
