"""Text checks: containment lists, prefixes, one_of, word and token bounds."""

from __future__ import annotations

from typing import Any

import pytest

from harness.metrics import Observation, parse_expectation


def run(raw: dict[str, Any], output: str) -> Any:
    return parse_expectation(raw).evaluate(Observation(output=output))


@pytest.mark.parametrize(
    ("raw", "output", "passed"),
    [
        ({"contains_any": ["Paris", "Lyon"]}, "I like Lyon.", True),
        ({"contains_any": ["Paris", "Lyon"]}, "I like Nice.", False),
        ({"contains_any": {"values": ["PARIS"], "ignore_case": True}}, "paris", True),
        ({"contains_all": ["red", "blue"]}, "red and blue", True),
        ({"contains_all": ["red", "blue"]}, "red and green", False),
        ({"contains_all": {"values": ["RED", "Blue"], "ignore_case": True}}, "red, blue", True),
        ({"starts_with": "Yes"}, "  Yes, it is.", True),
        ({"starts_with": {"value": "Yes", "strip": False}}, "  Yes, it is.", False),
        ({"starts_with": "Yes"}, "yes, it is.", False),
        ({"starts_with": {"value": "Yes", "ignore_case": True}}, "yes, it is.", True),
        ({"ends_with": "."}, "Done.\n", True),
        ({"ends_with": {"value": ".", "strip": False}}, "Done.\n", False),
        ({"ends_with": "!"}, "Done.", False),
        ({"one_of": ["A", "B", "C"]}, " B\n", True),
        ({"one_of": ["A", "B", "C"]}, "b", False),
        ({"one_of": {"values": ["A", "B"], "ignore_case": True}}, "b", True),
        ({"one_of": {"values": ["yes", "no"], "ignore_punctuation": True}}, "no.", True),
        ({"one_of": {"values": ["new york"], "collapse_whitespace": True}}, "new   york", True),
        ({"one_of": {"values": ["x"], "strip": False}}, " x", False),
        ({"max_words": 3}, "one two  three", True),
        ({"max_words": 3}, "one two three four", False),
        ({"min_words": 2}, "one", False),
        ({"min_words": 2}, "one\ntwo", True),
        ({"max_words": 0}, "   ", True),
        ({"max_output_tokens": 5}, "hello world", True),
        ({"max_output_tokens": 1}, "hello world", False),
        ({"min_output_tokens": 2}, "hello world", True),
        ({"min_output_tokens": 3}, "hello world", False),
    ],
)
def test_verdicts(raw: dict[str, Any], output: str, passed: bool) -> None:
    result = run(raw, output)
    assert result.passed is passed
    assert result.name == next(iter(raw))
    assert (result.reason == "") is passed


def test_contains_all_names_the_missing_ones_and_scores_the_fraction_found() -> None:
    r = run({"contains_all": ["alpha", "beta", "gamma", "delta"]}, "alpha and gamma")
    assert not r.passed
    assert r.score == 0.5
    assert "missing: ['beta', 'delta']" in r.reason
    assert "'alpha and gamma'" in r.reason


def test_contains_any_reason_lists_the_values_and_the_output() -> None:
    r = run({"contains_any": ["Paris", "Lyon"]}, "Nice")
    assert r.reason == "expected output to contain any of ['Paris', 'Lyon']; got 'Nice'"


def test_long_value_lists_are_shortened_in_reasons() -> None:
    values = [f"word{i}" for i in range(20)]
    r = run({"contains_any": values}, "nothing")
    assert "(12 more)" in r.reason and len(r.reason) < 300


@pytest.mark.parametrize(
    ("raw", "output", "reason"),
    [
        ({"starts_with": "Yes"}, "No", "expected output to start with 'Yes'; got 'No'"),
        ({"ends_with": "."}, "No", "expected output to end with '.'; got 'No'"),
        ({"one_of": ["A", "B"]}, "C", "expected output to equal one of ['A', 'B'], got 'C'"),
        ({"max_words": 1}, "a b", "expected at most 1 words, got 2"),
        ({"min_words": 3}, "a b", "expected at least 3 words, got 2"),
    ],
)
def test_reasons(raw: dict[str, Any], output: str, reason: str) -> None:
    assert run(raw, output).reason == reason


def test_word_and_token_bounds_carry_the_bound_as_threshold() -> None:
    assert run({"max_words": 7}, "x").threshold == 7
    r = run({"max_output_tokens": 1}, "hello world")
    assert r.threshold == 1
    assert r.reason == "expected at most 1 tokens (cl100k_base), got 2"


def test_equals_keeps_its_normalisation_options() -> None:
    raw = {
        "equals": {
            "value": "Hello world",
            "ignore_case": True,
            "ignore_punctuation": True,
            "collapse_whitespace": True,
        }
    }
    assert run(raw, "  hello,   WORLD! ").passed
