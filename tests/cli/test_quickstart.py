"""End to end: `harness run suites/quickstart.yaml` in a subprocess, then read what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import REPO, RunCli


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, int]:
    import os
    import subprocess
    import sys

    from harness.report.forked import ENV_SWITCH

    out = tmp_path_factory.mktemp("qs")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            str(REPO / "suites" / "quickstart.yaml"),
            "--output-dir",
            str(out),
            "--run-id",
            "qs",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, ENV_SWITCH: "1"},  # as a user runs it: report worker and all
    )
    return out / "qs", proc.stdout, proc.stderr, proc.returncode


def _records(run_dir: Path) -> list[dict[str, object]]:
    lines = (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_exit_code_and_summary(quickstart_run: tuple[Path, str, str, int]) -> None:
    run_dir, stdout, stderr, code = quickstart_run
    assert code == 0, stderr
    assert "support-bot-v1" in stdout and "support-bot-v2" in stdout
    assert f"run folder: {run_dir}" in stdout
    assert "Traceback" not in stderr


def test_one_record_per_case_and_adapter(quickstart_run: tuple[Path, str, str, int]) -> None:
    run_dir = quickstart_run[0]
    records = _records(run_dir)
    suite = yaml.safe_load((REPO / "suites" / "quickstart.yaml").read_text())
    n_cases, n_adapters = len(suite["cases"]), len(suite["adapters"])
    assert len(records) == n_cases * n_adapters
    assert len({(r["case_id"], r["adapter"]) for r in records}) == len(records)
    for r in records:
        for key in (
            "case_id",
            "adapter",
            "output",
            "passed",
            "expectations",
            "latency_ms",
            "ttft_ms",
            "error",
        ):
            assert key in r
        assert r["error"] is None
        # the Gradient API cannot stream; the OpenAI-compatible client truly does
        assert r["streaming_emulated"] is (not str(r["adapter"]).endswith("-stream"))
        for e in r["expectations"]:  # type: ignore[attr-defined]
            assert set(e) >= {"name", "passed", "reason"}
            assert (e["reason"] == "") == e["passed"]


def test_streaming_adapter_measures_true_ttft(quickstart_run: tuple[Path, str, str, int]) -> None:
    records = [r for r in _records(quickstart_run[0]) if r["adapter"] == "support-bot-v2-stream"]
    multi = [r for r in records if len(r["timing"]["chunk_ns"]) > 1]  # type: ignore[index]
    assert multi, "answers of several tokens arrive in several chunks"
    for r in multi:
        assert r["ttft_ms"] < r["latency_ms"]  # type: ignore[operator]
        assert r["timing"]["itl_mean_ms"] is not None  # type: ignore[index]
        assert r["output_tokens_source"] == "usage"


def test_v2_beats_v1(quickstart_run: tuple[Path, str, str, int]) -> None:
    records = _records(quickstart_run[0])

    def rate(name: str) -> float:
        mine = [r for r in records if r["adapter"] == name]
        return sum(bool(r["passed"]) for r in mine) / len(mine)

    assert rate("support-bot-v2") > rate("support-bot-v1")


def test_latency_at_least_the_injected_delay(quickstart_run: tuple[Path, str, str, int]) -> None:
    records = _records(quickstart_run[0])
    config = yaml.safe_load((REPO / "suites/emulator/quickstart-models.yaml").read_text())
    suite = yaml.safe_load((REPO / "suites" / "quickstart.yaml").read_text())
    by_model = {m["id"]: m for m in config["models"]}
    by_slug = {m.get("slug"): m for m in config["models"]}
    for r in records:
        spec = suite["adapters"][r["adapter"]]
        model = (
            by_model.get(spec.get("model_adapter_id"))
            or by_model.get(spec.get("model"))
            or by_slug[spec["base_model_slug"]]
        )
        lat = model["latency"]
        tokens = len(str(r["output"]).split())
        if not r["streaming_emulated"]:  # streamed: first token after delay, then per token
            tokens -= 1
        floor = lat["delay_ms"] + lat.get("per_token_ms", 0) * tokens
        assert r["latency_ms"] >= floor, (r["adapter"], r["case_id"], r["latency_ms"], floor)
        assert r["ttft_ms"] is not None and r["ttft_ms"] <= r["latency_ms"]


def test_manifest(quickstart_run: tuple[Path, str, str, int]) -> None:
    run_dir = quickstart_run[0]
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["suite_name"] == "quickstart"
    assert manifest["status"] == "completed"
    assert manifest["started_at"] <= manifest["finished_at"]
    assert manifest["harness_version"]
    assert {"python", "gradientai", "llama-index-core"} <= set(manifest["versions"])
    names = [a["name"] for a in manifest["adapters"]]
    assert "support-bot-v1" in names and "support-bot-v2" in names
    for adapter in manifest["adapters"]:
        secret = "api_key" if adapter["type"] == "openai-compatible" else "access_token"
        assert adapter["options"][secret] == "***"
        assert adapter["options"]["max_tokens"] == 256  # not mistaken for a secret


def test_no_token_in_any_output(quickstart_run: tuple[Path, str, str, int]) -> None:
    run_dir, stdout, stderr, _ = quickstart_run
    assert "emulator-token" not in stdout + stderr
    for path in run_dir.iterdir():
        assert b"emulator-token" not in path.read_bytes(), path.name


def test_reports_written(quickstart_run: tuple[Path, str, str, int]) -> None:
    run_dir = quickstart_run[0]
    md = (run_dir / "report.md").read_text()
    assert "support-bot-v1" in md and "support-bot-v2" in md
    html = (run_dir / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "data:image/png;base64," in html
    for chart in ("pass_rate.png", "latency.png", "ttft.png"):
        assert (run_dir / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_lists_exit_codes(run_cli: RunCli) -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    for line in ("0  the run completed", "2  interrupted", "4  bad input", "5  the run could not"):
        assert line in proc.stdout


def test_report_command_rebuilds_from_disk(
    quickstart_run: tuple[Path, str, str, int], run_cli: RunCli
) -> None:
    run_dir = quickstart_run[0]
    (run_dir / "report.md").unlink()
    proc = run_cli("report", str(run_dir), "--only", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(run_dir / "report.md")
    assert "support-bot-v2" in (run_dir / "report.md").read_text()
    proc = run_cli("report", str(run_dir.parent / "nope"))
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
