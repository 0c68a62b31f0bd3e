"""The gate grammar: good expressions parse into the model; bad ones name the expression."""

from __future__ import annotations

import pytest

from harness.gatespec import GateSyntaxError, parse_gate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pass_rate>=0.9", {"kind": "threshold", "figure": "pass_rate", "op": ">=", "value": 0.9}),
        ("pass_rate[v2]>=0.9", {"adapter": "v2", "value": 0.9}),
        ("pass_rate[tag=geo]>=80%", {"tag": "geo", "value": 0.8}),
        ("pass_rate[adapter=v2, tag=geo] >= 0.8", {"adapter": "v2", "tag": "geo"}),
        ("latency_p95_ms<=800", {"figure": "latency_p95_ms", "op": "<=", "value": 800.0}),
        ("ttft_p50_ms[v2] <= 300ms", {"figure": "ttft_p50_ms", "value": 300.0}),
        ("score:rouge_l>=0.4", {"figure": "score:rouge_l", "value": 0.4}),
        ("error_rate<=0.02", {"figure": "error_rate", "op": "<=", "value": 0.02}),
        (
            "no_regression(pass_rate, margin=0.02)",
            {"kind": "no_regression", "margin": 0.02, "relative": False, "confidence": 0.95},
        ),
        ("no_regression(pass_rate, margin=2pts)", {"margin": 0.02, "relative": False}),
        ("no_regression(latency_p50_ms, margin=10%)", {"margin": 0.1, "relative": True}),
        (
            "no_regression(pass_rate[v2], margin=0.05, against=v1, confidence=0.975)",
            {"adapter": "v2", "against": "v1", "confidence": 0.975},
        ),
        (
            "no_significant_regression(pass_rate)",
            {"kind": "no_significant_regression", "alpha": 0.05, "margin": None},
        ),
        ("no_significant_regression(score:f1, alpha=0.01)", {"alpha": 0.01}),
        ("min_pass_share=0.8", {"kind": "min_pass_share", "value": 0.8}),
    ],
)
def test_good_expressions(text: str, expected: dict[str, object]) -> None:
    gate = parse_gate(text)
    got = gate.model_dump()
    assert {k: got[k] for k in expected} == expected
    assert gate.text == text.strip() and gate.origin == "--gate"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("pass_rate>0.9", "use >= (at least) or <= (at most), not '>'"),
        ("pass_rat>=0.9", "unknown figure 'pass_rat'"),
        ("pass_rate>=1.5", "pass_rate is a share from 0 to 1, got 1.5"),
        ("latency_p95_ms<=0", "must be compared with a number above 0"),
        ("no_regression(pass_rate)", "no_regression needs a margin"),
        ("no_regression(pass_rate, margn=0.1)", "unknown option 'margn'"),
        ("no_regression(latency_p90_ms, margin=5)", "takes a figure of the paired comparison"),
        ("no_regression(pass_rate[tag=geo], margin=0.1)", "a tag selects cases of a threshold"),
        ("no_regression(pass_rate, margin=0.1", "expected ',' or ')'"),
        ("pass_rate[tag=geo>=1", "expected ',' or ']'"),
        ("pass_rate[colour=red]>=0.5", "unknown selector 'colour'"),
        ("latency_p95_ms<=800 ms2", "unexpected 'ms2' after a complete gate"),
        ("pass_rate >= $", "unexpected character '$'"),
        ("", "empty gate"),
        ("min_pass_share=1.5", "min_pass_share is a share of repeats in (0, 1]"),
        ("no_regression(pass_rate, margin=0.1, confidence=1.2)", "confidence"),
    ],
)
def test_bad_expressions_name_the_expression(text: str, fragment: str) -> None:
    with pytest.raises(GateSyntaxError) as caught:
        parse_gate(text, origin="suite.yaml:7:5")
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(f"suite.yaml:7:5: gate {text.strip()!r}: ")


def test_the_caret_points_at_the_offending_token() -> None:
    with pytest.raises(GateSyntaxError) as caught:
        parse_gate("no_regression(pass_rate, margn=0.1)")
    lines = str(caught.value).splitlines()
    assert lines[1].strip() == "no_regression(pass_rate, margn=0.1)"
    assert lines[2].index("^") == lines[1].index("margn")
