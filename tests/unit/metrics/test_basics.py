"""Each built-in expectation, table-driven: passes, fails, and says why."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from harness.metrics import Observation, metrics, parse_expectation
from harness.registry import UnknownNameError


@pytest.mark.parametrize(
    ("raw", "output", "passed"),
    [
        ({"contains": "Paris"}, "It is Paris.", True),
        ({"contains": "Paris"}, "It is paris.", False),
        ({"contains": {"value": "paris", "ignore_case": True}}, "PARIS", True),
        ({"not_contains": "sorry"}, "Hello!", True),
        ({"not_contains": {"value": "sorry", "ignore_case": True}}, "Sorry!", False),
        ({"equals": "42"}, " 42\n", True),
        ({"equals": "42"}, "42.", False),
        (
            {"equals": {"value": "hello world", "ignore_case": True, "ignore_punctuation": True}},
            "Hello, World!",
            True,
        ),
        ({"equals": {"value": "a b", "collapse_whitespace": True}}, "a    b", True),
        ({"equals": {"value": "42", "strip": False}}, " 42", False),
        ({"regex": r"^\d+$"}, "123", True),
        ({"regex": r"^\d+$"}, "12a", False),
        ({"regex": {"value": "^abc$", "full_match": True, "ignore_case": True}}, "ABC", True),
        ({"regex": {"value": "b", "full_match": True}}, "abc", False),
        ({"max_length": 5}, "12345", True),
        ({"max_length": 5}, "123456", False),
        ({"min_length": 2}, "a", False),
        ({"json_valid": True}, '{"a": 1}', True),
        ({"json_valid": True}, '```json\n{"a": 1}\n```', True),
        ({"json_valid": True}, '{"a": 1', False),
        ({"json_valid": False}, "plain text", True),
        ({"json_valid": False}, "[1, 2]", False),
    ],
)
def test_expectation_verdicts(raw: dict[str, Any], output: str, passed: bool) -> None:
    result = parse_expectation(raw).evaluate(Observation(output=output))
    assert result.passed is passed
    assert result.name == next(iter(raw))
    assert result.score == float(passed)
    assert (result.reason == "") is passed


def test_failure_reasons_say_what_was_expected_and_what_came() -> None:
    r = parse_expectation({"contains": "Canberra"}).evaluate(Observation(output="Sydney"))
    assert "Canberra" in r.reason and "Sydney" in r.reason
    r = parse_expectation({"max_length": 3}).evaluate(Observation(output="abcdef"))
    assert r.reason == "expected at most 3 characters, got 6"
    assert r.threshold == 3


def test_long_output_is_shortened_in_reasons() -> None:
    r = parse_expectation({"equals": "x"}).evaluate(Observation(output="y" * 500))
    assert len(r.reason) < 200 and "..." in r.reason


def test_unknown_metric_suggests_the_nearest() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'contains'"):
        parse_expectation({"contians": "x"})


def test_invalid_regex_is_rejected_at_parse_time() -> None:
    with pytest.raises(ValidationError, match="invalid regular expression"):
        parse_expectation({"regex": "(unclosed"})


def test_expectation_must_be_single_key_mapping() -> None:
    with pytest.raises(ValueError, match="single-key mapping"):
        parse_expectation({"contains": "a", "regex": "b"})
    with pytest.raises(ValueError, match="single-key mapping"):
        parse_expectation("contains")


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_expectation({"contains": {"value": "a", "ignorecase": True}})


def test_catalogue_has_the_foundation_metrics() -> None:
    assert {"contains", "not_contains", "regex", "equals", "max_length", "json_valid"} <= set(
        metrics.names()
    )
    for entry in metrics:
        assert entry.load().description
