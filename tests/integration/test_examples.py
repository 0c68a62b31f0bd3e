"""Every example suite in suites/ runs on the emulator and shows what it is there to show."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.emulator import EmulatorServer, load_emulator_config
from harness.records import CaseRecord
from harness.records.store import read_records

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "suites" / "examples"


def _run(name: str, tmp_path: Path) -> list[CaseRecord]:
    outcome = run_suite(
        load_suite(EXAMPLES / name), RunOptions(output_dir=tmp_path, run_id=name.split(".")[0])
    )
    records = list(read_records(outcome.run_dir))
    assert all(r.error is None for r in records), [r.error for r in records if r.error]
    return records


def _rate(records: list[CaseRecord], adapter: str) -> float:
    mine = [r for r in records if r.adapter == adapter]
    return sum(r.passed for r in mine) / len(mine)


def test_trivia_dataset(tmp_path: Path) -> None:
    records = _run("trivia-dataset.yaml", tmp_path)
    assert len(records) == 2 * (30 + 10)
    ids = {r.case_id for r in records}
    assert "trivia-capital-france" in ids
    assert len([i for i in ids if i.startswith("trivia-sample-")]) == 10
    assert _rate(records, "support-bot-v2") == 1.0
    assert _rate(records, "support-bot-v1") < 0.8
    france = next(r for r in records if r.case_id == "trivia-capital-france")
    assert "geography" in france.tags
    assert {e.name for e in france.expectations} == {"contains", "token_f1"}


def test_templating_matrix_chat_repeat(tmp_path: Path) -> None:
    records = _run("templating.yaml", tmp_path)
    ids = Counter(r.case_id for r in records)
    assert ids == Counter(
        {
            **{
                f"greet[language={lang},temperature={t}]": 1
                for lang in ("English", "French", "Spanish")
                for t in ("0.0", "0.7")
            },
            "chat-topic": 1,
            "flaky-check": 3,
        }
    )
    assert all(r.passed for r in records), [(r.case_id, r.output) for r in records]
    french = next(r for r in records if r.case_id.startswith("greet[language=French"))
    assert french.output.startswith("Bonjour")  # type: ignore[union-attr]


def test_metrics_tour(tmp_path: Path) -> None:
    records = _run("metrics-tour.yaml", tmp_path)
    assert {r.adapter for r in records} == {"support-bot-v1", "support-bot-v2"}  # no judge rows
    assert _rate(records, "support-bot-v2") == 1.0
    by = {(r.adapter, r.case_id): r for r in records}
    summary_v1 = by[("support-bot-v1", "summary")]
    assert not summary_v1.passed and summary_v1.score is not None and summary_v1.score < 0.8
    assert not by[("support-bot-v1", "colours")].passed
    judged = next(
        e for e in by[("support-bot-v2", "judged-fact")].expectations if e.name == "llm_judge"
    )
    assert judged.passed and judged.score == pytest.approx(0.9)
    assert "correctly" in judged.reason  # the judge's reasoning is kept
    names = {e.name for r in records for e in r.expectations}
    assert {
        "json_schema",
        "json_path",
        "is_number",
        "in_range",
        "one_of",
        "rouge_l",
        "bleu",
        "chrf",
        "contains_all",
        "contains_any",
        "custom",
        "llm_judge",
        "max_latency_ms",
        "max_ttft_ms",
        "max_output_tokens",
        "max_words",
    } <= names


def test_composed_with_include_and_gates(tmp_path: Path) -> None:
    suite = load_suite(EXAMPLES / "composed.yaml")
    assert [c.id for c in suite.cases][:1] == ["fact-capital-japan"]
    assert suite.cases[0].generation == {"temperature": 0.0, "max_tokens": 32}
    assert len(suite.gates) == 2
    records = _run("composed.yaml", tmp_path)
    assert len(records) == 8


def test_real_service_suite_with_env_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_emulator_config(REPO / "suites" / "emulator" / "examples-models.yaml")
    config = config.model_copy(update={"access_token": "real-looking-token-77"})
    with EmulatorServer(config) as base_url:
        monkeypatch.setenv("GRADIENT_API_URL", base_url)
        monkeypatch.setenv("GRADIENT_ACCESS_TOKEN", "real-looking-token-77")
        monkeypatch.setenv("GRADIENT_WORKSPACE_ID", "ws-1")
        records = _run("real-service.yaml", tmp_path)
    assert _rate(records, "support-bot-v2") == 1.0
    for f in (tmp_path / "real-service").iterdir():
        assert b"real-looking-token-77" not in f.read_bytes()


def test_every_suite_validates() -> None:
    suites = sorted(REPO.glob("suites/*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
    suites = [s for s in suites if s.name != "real-service.yaml"]  # needs credentials in env
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "validate", *map(str, suites)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok (") == len(suites)


def test_metric_warm_up_happens_before_the_run() -> None:
    code = (
        "import sys; from harness import load_suite; from harness.runner.prepare import "
        "warm_up_metrics; s = load_suite('suites/examples/metrics-tour.yaml'); "
        "before = 'rouge_score' in sys.modules; warm_up_metrics(s.cases); "
        "print(before, all(m in sys.modules for m in ('rouge_score', 'sacrebleu', 'jsonschema')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]
