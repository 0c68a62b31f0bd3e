"""The drill-down data of report.html: safe inside <script>, every counted record, compact."""

from __future__ import annotations

import base64
import gzip
import json
import re

from harness.records import ErrorInfo
from harness.report import html_data
from harness.report.html_data import (
    ERROR,
    FAIL,
    MISSING,
    PASS,
    TEXT_LIMIT,
    pack_json,
    read_case_data,
)

HOSTILE = 'a</script><script>alert(1)</script><!-- b --> <img src=x onerror="alert(2)">'


def test_packed_json_has_no_angle_bracket_and_round_trips(monkeypatch) -> None:
    data = {"x": [HOSTILE, "\u2028line\u2029", "é"], "n": 1.5}
    encoding, text = pack_json(data)
    assert encoding == "json"
    assert "<" not in text and "\u2028" not in text
    assert json.loads(text) == data
    monkeypatch.setattr(html_data, "PACK_ABOVE", 10)  # a large report: gzipped, base64
    encoding, text = pack_json(data)
    assert encoding == "gzip-base64"
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", text)
    assert json.loads(gzip.decompress(base64.b64decode(text))) == data


def test_packing_scrubs_first(monkeypatch) -> None:
    monkeypatch.setattr(html_data, "PACK_ABOVE", 10)
    _, text = pack_json({"x": "key sk-123"}, lambda s: s.replace("sk-123", "***"))
    assert json.loads(gzip.decompress(base64.b64decode(text))) == {"x": "key ***"}


def test_latest_record_counts_and_outcomes_are_coded(make_run, make_record) -> None:
    judge = ErrorInfo(type="JudgeError", message="judge down", origin="judge")
    timeout = ErrorInfo(type="RequestTimeoutError", message="no reply", status=504)
    run = make_run(
        [
            make_record("c1", "a", passed=False, output="first try"),
            make_record("c1", "a", passed=True, output="second try"),  # supersedes the first
            make_record("c1", "b", passed=False, output=HOSTILE, prompt="other prompt"),
            make_record("c2", "a", error=timeout, output=None),
            make_record("c2", "b", error=judge, output="graded by nobody"),
        ]
    )
    case_data = read_case_data(run, ["a", "b"])
    d = case_data.data
    assert d["A"] == ["a", "b"] and d["C"]["id"] == ["c1", "c2"]
    r = d["R"]
    assert len(r["c"]) == 4
    assert r["x"] == ["second try", HOSTILE, None, "graded by nobody"]
    assert r["o"] == [PASS, FAIL, ERROR, MISSING]
    assert r["e"][2] == "RequestTimeoutError: no reply (HTTP 504)"
    assert r["e"][3] == "judge JudgeError: judge down"
    assert d["C"]["p"] == ["Where is my order?", "Where is my order?"]
    assert r["p"] == [None, "other prompt", None, None]  # only a prompt that differs is kept
    assert r["l"][2] is None  # an errored request's duration is no latency
    failed = r["m"][1]
    assert failed == [[0, 0, None, "expected output to contain 'refund'; missing: ['refund']"]]
    assert d["E"] == ["contains"]
    assert case_data.extras["a"].retried == 0


def test_long_text_is_clipped_and_other_adapters_left_out(make_run, make_record) -> None:
    run = make_run(
        [make_record("c1", "a", output="y" * (TEXT_LIMIT + 500)), make_record("c1", "judge-x")]
    )
    d = read_case_data(run, ["a"]).data
    assert d["R"]["a"] == [0]
    (output,) = d["R"]["x"]
    assert TEXT_LIMIT <= len(output) < TEXT_LIMIT + 100 and output.startswith("y" * 100)
