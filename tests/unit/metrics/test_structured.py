"""Structured checks: JSON Schema, the JSON path subset, numbers and ranges."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from harness.metrics import Observation, parse_expectation
from harness.metrics.structured import find_json_path, parse_json_path


def run(raw: dict[str, Any], output: str) -> Any:
    return parse_expectation(raw).evaluate(Observation(output=output))


PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("output", "passed", "reason"),
    [
        ('{"name": "Ada", "age": 36}', True, ""),
        ('```json\n{"name": "Ada", "age": 36, "tags": ["x"]}\n```', True, ""),
        ('{"name": "Ada"}', False, "at $: 'age' is a required property"),
        ('{"name": "Ada", "age": -1}', False, "at $.age: -1 is less than the minimum of 0"),
        ('{"name": "Ada", "age": 1, "tags": [1]}', False, "at $.tags[0]: 1 is not of type"),
        ('{"name": "Ada", "age": 1, "x": 0}', False, "Additional properties are not allowed"),
        ("[1, 2]", False, "at $: [1, 2] is not of type 'object'"),
        ("not json", False, "not JSON: Expecting value"),
    ],
)
def test_json_schema(output: str, passed: bool, reason: str) -> None:
    r = run({"json_schema": {"schema": PERSON}}, output)
    assert r.passed is passed
    assert reason in r.reason
    if not passed:
        assert r.reason.startswith("expected JSON matching the schema")


def test_json_schema_reason_never_holds_the_whole_payload() -> None:
    big = json.dumps({"name": "x" * 5000, "age": "old"})
    r = run({"json_schema": {"schema": PERSON}}, big)
    assert not r.passed and len(r.reason) < 300


def test_json_schema_without_fence_stripping() -> None:
    raw = {"json_schema": {"schema": {"type": "object"}, "strip_code_fence": False}}
    assert not run(raw, '```json\n{"a": 1}\n```').passed


def test_json_schema_honours_an_older_draft() -> None:
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"}
    assert run({"json_schema": {"schema": schema}}, "3").passed


DOC = {
    "a": {"b": [10, 20, {"c": None}]},
    "key with space": True,
    "it's": "quoted",
    "città": 1.5,
    "n": 1,
}


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$", ()),
        ("$.a", ("a",)),
        ("$.a.b[0]", ("a", "b", 0)),
        ("$.a.b[-1]", ("a", "b", -1)),
        ("$['key with space']", ("key with space",)),
        ('$["key with space"]', ("key with space",)),
        ("$['it\\'s']", ("it's",)),
        ("$[ 2 ]", (2,)),
        ("$.città", ("città",)),
        ("$._x1", ("_x1",)),
        ("$['a']['b'][1]", ("a", "b", 1)),
        ("$['']", ("",)),
    ],
)
def test_json_path_subset_parses(path: str, segments: tuple[str | int, ...]) -> None:
    assert parse_json_path(path) == segments


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a.b", "must start with '$'"),
        ("", "must start with '$'"),
        ("$.", "at position 1"),
        ("$..a", "at position 1"),
        ("$.a[*]", "at position 3"),
        ("$.a[0:2]", "at position 3"),
        ("$[?(@.a)]", "at position 1"),
        ("$.0a", "at position 1"),
        ("$['unclosed]", "at position 1"),
        ("$.a b", "at position 3"),
        ("$[1.5]", "at position 1"),
    ],
)
def test_json_path_outside_the_subset_is_rejected_at_load(path: str, message: str) -> None:
    with pytest.raises(ValueError, match="malformed JSON path") as info:
        parse_expectation({"json_path": {"path": path, "equals": 1}})
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("raw", "passed", "reason"),
    [
        ({"path": "$.a.b[0]", "equals": 10}, True, ""),
        ({"path": "$.a.b[0]", "equals": 10.0}, True, ""),
        ({"path": "$.a.b[-1].c", "equals": None}, True, ""),
        ({"path": "$.a.b[2]", "equals": {"c": None}}, True, ""),
        ({"path": "$['key with space']", "equals": True}, True, ""),
        ({"path": "$.città", "equals": 1.5}, True, ""),
        ({"path": "$.a.b[1]"}, True, ""),
        ({"path": "$"}, True, ""),
        # true is not 1 and "1" is not 1, as in JSON
        ({"path": "$.n", "equals": True}, False, "expected $.n to equal true; found 1"),
        ({"path": "$['key with space']", "equals": 1}, False, "found true"),
        ({"path": "$.n", "equals": "1"}, False, 'expected $.n to equal "1"; found 1'),
        ({"path": "$.a.b[0]", "equals": 11}, False, "expected $.a.b[0] to equal 11; found 10"),
        ({"path": "$.a.b", "equals": [10, 20]}, False, 'found [10, 20, {"c": null}]'),
        ({"path": "$.a.x"}, False, "expected $.a.x to exist; not found: $.a has no key 'x'"),
        ({"path": "$.a.b[3]", "equals": 1}, False, "not found: $.a.b has 3 items, no index 3"),
        ({"path": "$.a.b[-4]"}, False, "$.a.b has 3 items, no index -4"),
        ({"path": "$.a[0]"}, False, "not found: $.a is an object, not an array"),
        ({"path": "$.a.b.c"}, False, "not found: $.a.b is an array, not an object"),
        ({"path": "$.n.x"}, False, "not found: $.n is 1, not an object"),
        ({"path": "$.a.b[2].c.d"}, False, "$.a.b[2].c is null, not an object"),
        ({"path": "$['it\\'s'].x"}, False, "$['it\\'s'] is \"quoted\", not an object"),
    ],
)
def test_json_path(raw: dict[str, Any], passed: bool, reason: str) -> None:
    r = run({"json_path": raw}, json.dumps(DOC))
    assert r.passed is passed
    assert reason in r.reason
    assert (r.reason == "") is passed


def test_json_path_equals_null_is_a_check_but_absent_equals_is_not() -> None:
    assert not run({"json_path": {"path": "$.n", "equals": None}}, '{"n": 1}').passed
    assert run({"json_path": "$.n"}, '{"n": 1}').passed


def test_json_path_reads_fenced_json_and_reports_non_json() -> None:
    assert run({"json_path": {"path": "$[0]", "equals": 1}}, "```json\n[1]\n```").passed
    r = run({"json_path": {"path": "$[0]", "equals": 1}}, "one")
    assert r.reason.startswith("expected $[0] to equal 1; not JSON: Expecting value")


def test_json_path_lists_only_some_keys() -> None:
    doc = {f"k{i}": i for i in range(30)}
    found, _, why = find_json_path(doc, ("zz",))
    assert not found and why.endswith("'k9', …)")


@pytest.mark.parametrize(
    ("raw", "output", "passed"),
    [
        ({"is_number": True}, "42", True),
        ({"is_number": True}, " -3.5e2\n", True),
        ({"is_number": True}, ".5", True),
        ({"is_number": True}, "+7.", True),
        ({"is_number": True}, "1,000", False),
        ({"is_number": True}, "42 apples", False),
        ({"is_number": True}, "The answer is 42", False),
        ({"is_number": True}, "nan", False),
        ({"is_number": True}, "inf", False),
        ({"is_number": True}, "0x1f", False),
        ({"is_number": True}, "", False),
        ({"is_number": None}, "42", True),
        ({"is_number": {"integer": True}}, "42", True),
        ({"is_number": {"integer": True}}, "42.0", False),
        ({"is_number": False}, "hello", True),
        ({"is_number": False}, "12", False),
        ({"in_range": {"min": 1, "max": 10}}, "10", True),
        ({"in_range": {"min": 1, "max": 10}}, "1", True),
        ({"in_range": {"min": 1, "max": 10}}, "0.999", False),
        ({"in_range": {"min": 1, "max": 10}}, "10.5", False),
        ({"in_range": {"min": 0}}, "1e9", True),
        ({"in_range": {"max": 0}}, "-2", True),
        ({"in_range": {"min": 1, "max": 10}}, "about 5", False),
        ({"in_range": {"min": 1, "max": 10, "extract": True}}, "about 5 or so", True),
        ({"in_range": {"min": 1, "max": 10, "extract": True}}, "gpt4 says -3", False),
        ({"in_range": {"min": 1, "max": 10, "extract": True}}, "v1.2.3 says 7", True),
    ],
)
def test_numbers(raw: dict[str, Any], output: str, passed: bool) -> None:
    r = run(raw, output)
    assert r.passed is passed
    assert (r.reason == "") is passed


@pytest.mark.parametrize(
    ("raw", "output", "reason"),
    [
        ({"in_range": {"min": 1, "max": 10}}, "12", "expected a number in [1, 10]; got 12"),
        ({"in_range": {"min": 1}}, "0", "expected a number >= 1; got 0"),
        ({"in_range": {"max": 1.5}}, "2", "expected a number <= 1.5; got 2"),
        (
            {"in_range": {"min": 1, "max": 2}},
            "two",
            "expected a number in [1, 2]; the output is not a number: 'two'",
        ),
        (
            {"in_range": {"min": 1, "extract": True}},
            "none",
            "expected a number >= 1; no number in the output: 'none'",
        ),
        ({"is_number": True}, "x", "expected the output to be a number; got 'x'"),
        (
            {"is_number": {"integer": True}},
            "1.5",
            "expected the output to be an integer; got '1.5'",
        ),
        ({"is_number": False}, "1", "expected output that is not a number; got '1'"),
    ],
)
def test_number_reasons(raw: dict[str, Any], output: str, reason: str) -> None:
    assert run(raw, output).reason == reason


def test_json_schema_never_fetches_a_remote_ref(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("json_schema tried to use the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    raw = {"json_schema": {"schema": {"$ref": "https://example.com/person.json"}}}
    r = run(raw, "{}")
    assert not r.passed
    assert r.reason.startswith("the schema's $ref cannot be resolved: ")
