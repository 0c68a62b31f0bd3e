"""custom: Python callables by import path, every kind of return value, and their failures."""

from __future__ import annotations

from typing import Any

import pytest

from harness.metrics import Observation, parse_expectation
from harness.records import MetricResult

HERE = __name__


# The callables under test, imported by path as a suite would name them.


def has_word(output: str, case: Observation, word: str) -> bool:
    return word in output.split()


def length_score(output: str, case: Observation, target: int = 10) -> float:
    return min(len(output), target) / target


def full_result(output: str, case: Observation) -> MetricResult:
    return MetricResult(name="mine", passed=False, score=0.25, reason=f"case {case.case_id} bad")


def as_dict(output: str, case: Observation, **args: Any) -> dict[str, Any]:
    return dict(args["reply"])


def raises(output: str, case: Observation) -> bool:
    raise ZeroDivisionError("division by zero")


def returns(output: str, case: Observation, value: Any) -> Any:
    return value


def sees_the_case(output: str, case: Observation) -> bool:
    return case.prompt == "Q?" and case.vars["lang"] == "fr" and case.latency_ms == 12.0


class Checks:
    @staticmethod
    def nested(output: str, case: Observation) -> bool:
        return True


async def async_check(output: str, case: Observation) -> bool:
    return True


NOT_CALLABLE = 42


def run(raw: dict[str, Any], output: str = "hello world", **obs: Any) -> MetricResult:
    return parse_expectation({"custom": raw}).evaluate(Observation(output=output, **obs))


@pytest.mark.parametrize(
    ("raw", "output", "passed", "score"),
    [
        ({"function": f"{HERE}:has_word", "args": {"word": "hello"}}, "hello world", True, 1.0),
        ({"function": f"{HERE}:has_word", "args": {"word": "bye"}}, "hello world", False, 0.0),
        ({"function": f"{HERE}:length_score"}, "12345", True, 0.5),  # min defaults to 0.5
        ({"function": f"{HERE}:length_score"}, "1234", False, 0.4),
        ({"function": f"{HERE}:length_score", "min": 0.3}, "1234", True, 0.4),
        ({"function": f"{HERE}:length_score", "args": {"target": 4}}, "1234", True, 1.0),
        ({"function": f"{HERE}:returns", "args": {"value": 1}}, "x", True, 1.0),
        ({"function": f"{HERE}:returns", "args": {"value": 0}}, "x", False, 0.0),
        ({"function": f"{HERE}:Checks.nested"}, "x", True, 1.0),
    ],
)
def test_bool_and_score_returns(
    raw: dict[str, Any], output: str, passed: bool, score: float
) -> None:
    r = run(raw, output)
    assert r.name == "custom"
    assert r.passed is passed
    assert r.score == pytest.approx(score)
    assert (r.reason == "") is passed


def test_shorthand_is_the_function_path() -> None:
    assert run(f"{HERE}:sees_the_case", prompt="Q?", vars={"lang": "fr"}, latency_ms=12.0).passed  # type: ignore[arg-type]


def test_reasons_for_bool_and_score() -> None:
    assert run({"function": f"{HERE}:has_word", "args": {"word": "x"}}).reason == (
        f"{HERE}:has_word returned False"
    )
    r = run({"function": f"{HERE}:length_score"}, "12")
    assert r.reason == f"expected a score of at least 0.5 from {HERE}:length_score; got 0.2"
    assert r.threshold == 0.5


def test_metric_result_return_is_kept_under_the_name_custom() -> None:
    r = run({"function": f"{HERE}:full_result"}, case_id="c7")
    assert (r.name, r.passed, r.score, r.reason) == ("custom", False, 0.25, "case c7 bad")


@pytest.mark.parametrize(
    ("reply", "passed", "score", "reason"),
    [
        ({"passed": True}, True, None, ""),
        ({"passed": False, "reason": "too short"}, False, None, "too short"),
        ({"passed": True, "score": 0.9}, True, 0.9, ""),
        ({"score": 0.9}, True, 0.9, ""),
        ({"score": 0.1, "reason": "weak"}, False, 0.1, "weak"),
        ({"score": 0.1}, False, 0.1, "expected a score of at least 0.5"),
        ({"score": 1.5}, False, None, "returned score 1.5, outside 0..1"),
        ({"passed": True, "score": -0.5}, False, None, "returned score -0.5, outside 0..1"),
        ({"score": "high"}, False, None, "returned score 'high'; expected a number in 0..1"),
        ({"reason": "?"}, False, None, "returned a dict with keys ['reason']"),
        (
            {"passed": True, "extra": 1},
            False,
            None,
            "returned a dict with keys ['extra', 'passed']",
        ),
        ({"passed": [1]}, False, None, "returned an invalid result"),
    ],
)
def test_dict_returns(
    reply: dict[str, Any], passed: bool, score: float | None, reason: str
) -> None:
    r = run({"function": f"{HERE}:as_dict", "args": {"reply": reply}})
    assert r.passed is passed
    assert r.score == score
    assert reason in r.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "returned NoneType; expected a bool, a score in 0..1, a MetricResult or a dict"),
        ("yes", "returned str; expected a bool"),
        (2, "returned score 2.0, outside 0..1"),
        (float("nan"), "returned score nan, outside 0..1"),
    ],
)
def test_unusable_returns_fail_with_a_reason(value: Any, reason: str) -> None:
    r = run({"function": f"{HERE}:returns", "args": {"value": value}})
    assert not r.passed
    assert reason in r.reason


def test_an_exception_inside_fails_the_expectation_not_the_run() -> None:
    r = run({"function": f"{HERE}:raises"})
    assert not r.passed
    assert r.reason == f"{HERE}:raises raised ZeroDivisionError: division by zero"


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        ("no_such_module_xyz:fn", {}, "cannot import module 'no_such_module_xyz'"),
        (f"{HERE}:missing", {}, f"module '{HERE}' has no attribute 'missing'"),
        ("no_colon_here", {}, "expected 'package.module:name'"),
        (":fn", {}, "expected 'package.module:name'"),
        (f"{HERE}:NOT_CALLABLE", {}, "is not callable"),
        (f"{HERE}:async_check", {}, "is an async function"),
        (f"{HERE}:has_word", {}, "cannot be called as fn(output, observation)"),
        (f"{HERE}:has_word", {"word": "a", "other": 1}, "other=…"),
    ],
)
def test_load_time_errors(function: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="custom|Custom") as info:
        parse_expectation({"custom": {"function": function, "args": args}})
    assert message in str(info.value)


PLANTED = "sk-PLANTED-0123456789abcdef0123456789"


def raises_with_a_key_at_the_limit(output: str, case: Observation) -> bool:
    """The key straddles the 500-character clip of the reason."""
    prefix = f"{HERE}:raises_with_a_key_at_the_limit raised RuntimeError: "
    raise RuntimeError("x" * (490 - len(prefix)) + PLANTED)


def test_a_secret_cut_by_the_reason_limit_does_not_leak_its_first_half() -> None:
    """Reasons are scrubbed before they are clipped: half a key matches nothing at the writer."""
    from harness.records.redaction import Redactor, in_effect

    raw = {"function": f"{HERE}:raises_with_a_key_at_the_limit"}
    unscrubbed = run(raw).reason
    assert PLANTED[:10] in unscrubbed and PLANTED not in unscrubbed  # the cut falls in the key
    with in_effect(Redactor([PLANTED])):
        reason = run(raw).reason
    assert PLANTED[:6] not in reason
    assert reason.endswith("***")
