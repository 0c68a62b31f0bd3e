"""summary.json: the published schema, figures equal to the summary's, extras from the records."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from scipy.stats import t

from harness.analysis.summarize import summarize_run
from harness.analysis.summary_document import SummaryDocument, summary_schema_json
from harness.records import CaseRecord, MetricResult, Timing
from harness.report import write_reports

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "docs" / "summary.schema.json"


def _load(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return data


def test_the_published_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == summary_schema_json(), (
        "regenerate docs/summary.schema.json: python -c 'from harness.analysis.summary_document "
        'import summary_schema_json as s; open("docs/summary.schema.json", "w").write(s())\''
    )


def test_written_with_the_reports_valid_and_equal_to_the_summary(
    written_reports: dict[str, Any],
) -> None:
    run_dir = written_reports["run_dir"]
    assert run_dir / "summary.json" in written_reports["paths"]
    data = _load(run_dir)
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    SummaryDocument.model_validate(data)
    assert (data["schema_version"], data["kind"]) == (1, "harness.summary")
    summary = summarize_run(run_dir)
    assert [a["name"] for a in data["adapters"]] == summary.adapter_names
    for figures, a in zip(data["adapters"], summary.adapters, strict=True):
        assert (figures["cases"], figures["requests"]) == (a.cases, a.requests)
        assert (figures["passed"], figures["failed"], figures["errored"]) == (
            a.passed,
            a.failed,
            a.errored,
        )
        rate = figures["pass_rate"]
        assert (rate["value"], rate["low"], rate["high"]) == (a.pass_rate, *a.pass_rate_ci)
        assert rate["n"] == a.distinct_cases and rate["method"] == "wilson"
        lat = figures["latency_ms"]
        assert (lat["p50"], lat["p90"], lat["p99"]) == (
            a.latency_ms.p50,
            a.latency_ms.p90,
            a.latency_ms.p99,
        )
        assert lat["p95"] == pytest.approx(np.percentile(a.latency_samples_ms, 95))
    v1, v2 = data["adapters"]
    assert v1["errors"] == [{"kind": "timeout", "count": 1, "not_sent": 0}]
    assert (v1["ttft_emulated"], v2["ttft_emulated"]) == ("no", "yes")
    assert v2["ttft_emulated_requests"] == 12
    pair = data["pairs"][0]
    c = summary.comparisons[0]
    assert (pair["a_passed_b_failed"], pair["b_passed_a_failed"]) == (1, 7)
    assert pair["verdict"] == c.verdict and pair["p_value"] == c.p_value
    assert [f["figure"] for f in pair["figures"]] == [f.figure for f in c.figures]
    assert pair["figures"] and pair["engine_verdict"] == c.engine_summary


def _timed(make_record: Callable[..., CaseRecord], case: str, **fields: Any) -> CaseRecord:
    itl = fields.pop("itl", None)
    record = make_record(case, "bot", latency_ms=fields.pop("latency_ms", 100.0))
    timing = Timing(sent_ns=0, end_ns=1, latency_ms=100.0, itl_mean_ms=itl)
    return record.model_copy(update={"timing": timing, **fields})


def test_extras_count_the_latest_record_and_join_repeats(
    make_record: Callable[..., CaseRecord], make_run: Callable[..., Path]
) -> None:
    """a: scores 1.0 and 0.0 over two repeats, b: 1.0 -> mean over cases 0.75 (not 2/3).

    a's first record is superseded by one with 3 attempts and another ITL: only the later
    one counts.
    """

    def scored(score: float) -> list[MetricResult]:
        return [MetricResult(name="rouge_l", passed=score > 0.5, score=score)]

    records = [
        _timed(make_record, "a", itl=99.0, attempts=1, expectations=scored(0.0), tokens_per_s=1.0),
        _timed(make_record, "a", itl=10.0, attempts=3, expectations=scored(1.0), tokens_per_s=20.0),
        _timed(
            make_record,
            "a",
            itl=30.0,
            repeat=1,
            expectations=scored(0.0),
            tokens_per_s=40.0,
            passed=False,
        ),
        _timed(make_record, "b", itl=20.0, attempts=2, expectations=scored(1.0), tokens_per_s=30.0),
    ]
    run_dir = make_run(records)
    write_reports(run_dir, ["summary"])
    (bot,) = _load(run_dir)["adapters"]
    assert (bot["cases"], bot["requests"]) == (2, 3)
    assert (bot["retried_requests"], bot["retries"]) == (2, 3)
    assert bot["itl_ms"]["count"] == 3 and bot["itl_ms"]["max"] == 30.0
    assert bot["itl_ms"]["p50"] == 20.0 and bot["itl_ms"]["mean"] == pytest.approx(20.0)
    assert bot["tokens_per_s"]["p50"] == 30.0
    (metric,) = bot["metrics"]
    assert metric["name"] == "rouge_l" and metric["higher_is_better"] is True
    mean = metric["mean"]
    assert mean["value"] == pytest.approx(0.75) and mean["n"] == 2
    half = t.ppf(0.975, 1) * np.std([0.5, 1.0], ddof=1) / math.sqrt(2)
    assert mean["low"] == pytest.approx(max(0.0, 0.75 - half))
    assert mean["high"] == pytest.approx(min(1.0, 0.75 + half))
    assert bot["repeated_cases"] == 1 and bot["flaky_cases"] == 1


def test_a_one_case_metric_has_no_interval(
    make_record: Callable[..., CaseRecord], make_run: Callable[..., Path]
) -> None:
    record = make_record("a", "bot").model_copy(
        update={"expectations": [MetricResult(name="bleu", passed=True, score=0.4)]}
    )
    run_dir = make_run([record])
    write_reports(run_dir, ["summary"])
    (bot,) = _load(run_dir)["adapters"]
    assert bot["metrics"][0]["mean"] == {
        "value": 0.4,
        "low": None,
        "high": None,
        "n": 1,
        "method": "t over cases",
    }
    assert bot["itl_ms"] is None and bot["tokens_per_s"] is None
    assert _load(run_dir)["pairs"] == []


def test_harness_report_cli_rebuilds_the_same_file(comparison_run: Path) -> None:
    write_reports(comparison_run, ["summary"])
    first = (comparison_run / "summary.json").read_bytes()
    (comparison_run / "summary.json").unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "report", str(comparison_run)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(comparison_run / "summary.json") in proc.stdout.splitlines()
    assert (comparison_run / "summary.json").read_bytes() == first
