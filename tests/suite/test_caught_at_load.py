"""What runs used to fail on is caught when the suite loads, with file:line:col.

Gate values out of range, Gradient model adapter ids the API can never accept, replay adapters
whose cassette holds nothing to replay, and expectation options YAML turned into numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.load import load_suite

Write = Callable[..., Path]

ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
BASE = "  a: {type: gradient-base, served_by: emulator, base_model_slug: llama3-8b-chat}\n"


def _errors(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return [str(loc).removeprefix(f"{path.parent}/") for loc in info.value.locations]


# -- gates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (
            "{adapter: a, metric: pass_rate, min: 2}",
            "suite.yaml:6:42: gates[0].min: pass_rate is a rate from 0 to 1, got 2",
        ),
        (
            "{adapter: a, metric: error_rate, max: -0.1}",
            "suite.yaml:6:43: gates[0].max: error_rate is a rate from 0 to 1, got -0.1",
        ),
        (
            "{adapter: a, metric: 'expectation:contains', min: 90}",
            "suite.yaml:6:55: gates[0].min: expectation:contains is a rate from 0 to 1, got 90",
        ),
        (
            "{baseline: a, candidate: a, metric: pass_rate, max_regression: 5}",
            "suite.yaml:6:68: gates[0].max_regression: pass_rate is a rate from 0 to 1, got 5",
        ),
        (
            "{adapter: a, metric: latency_p90_ms, max: 0}",
            "suite.yaml:6:47: gates[0].max: latency_p90_ms is a time in ms; a limit must be "
            "more than 0, got 0",
        ),
        (
            "{adapter: a, metric: pass_rate, min: 0.9, max: 0.5}",
            "suite.yaml:6:42: gates[0].min: min (0.9) is above max (0.5): no result can pass",
        ),
    ],
)
def test_gate_values_out_of_range(write_suite: Write, gate: str, expected: str) -> None:
    path = write_suite(f"name: g\nadapters:\n{BASE}cases: [{{prompt: p}}]\ngates:\n  - {gate}\n")
    errors = _errors(path)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_gate_values_in_range_load(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            f"name: g\nadapters:\n{BASE}cases: [{{prompt: p}}]\ngates:\n"
            "  - {adapter: a, metric: pass_rate, min: 0, max: 1}\n"
            "  - {adapter: a, metric: latency_p50_ms, max: 250}\n"
            "  - {baseline: a, candidate: a, metric: ttft_p90_ms, max_regression: 500}\n"
        )
    )
    assert len(suite.gates) == 3


# -- Gradient model adapter ids --------------------------------------------------------------


@pytest.mark.parametrize("served", ["served_by: emulator, ", ""])
def test_a_model_adapter_id_the_api_never_accepts(write_suite: Write, served: str) -> None:
    short = ADAPTER_ID[:-1]
    path = write_suite(
        f"name: g\nadapters:\n  v1: {{type: gradient-adapter, {served}model_adapter_id: {short}}}\n"
        "cases: [{prompt: p}]\n"
    )
    (error,) = _errors(path)
    assert (
        error.startswith("suite.yaml:3:") and ": adapters.v1.model_adapter_id: expected " in error
    )
    assert "exactly 50 characters" in error and "got 49" in error


def test_a_model_adapter_id_from_the_environment_is_left_to_the_run(
    write_suite: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_ADAPTER_ID", "too-short")
    suite = load_suite(
        write_suite(
            "name: g\nadapters:\n"
            "  v1: {type: gradient-adapter, served_by: emulator, "
            "model_adapter_id: '${MY_ADAPTER_ID}'}\n"
            "cases: [{prompt: p}]\n"
        )
    )
    assert suite.adapters[0].raw_options["model_adapter_id"] == "${MY_ADAPTER_ID}"


def test_the_shipped_suites_still_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [
        ("GRADIENT_API_URL", "http://127.0.0.1:9/api"),
        ("GRADIENT_ACCESS_TOKEN", "token"),
        ("GRADIENT_WORKSPACE_ID", "workspace"),
    ]:
        monkeypatch.setenv(name, value)  # real-service.yaml reads them
    repo = Path(__file__).resolve().parents[2]
    for path in [repo / "suites" / "quickstart.yaml", *sorted(repo.glob("suites/examples/*.yaml"))]:
        assert load_suite(path).cases, path


# -- replay cassettes ------------------------------------------------------------------------


def _cassette(write_suite: Write, *adapters: str) -> None:
    lines = [
        f'{{"adapter": "{name}", "case_id": "c", "prompt": "p", "chunks": ["x"], '
        '"chunk_offsets_ns": [1], "end_offset_ns": 2}'
        for name in adapters
    ]
    write_suite("\n".join(lines) + ("\n" if lines else ""), "cassette.jsonl")


REPLAY_SUITE = (
    "name: r\nadapters:\n  old: {{type: replay, cassette: cassette.jsonl{extra}}}\n"
    "cases: [{{prompt: p}}]\n"
)


@pytest.mark.parametrize(
    ("recorded", "extra", "expected"),
    [
        ((), "", "suite.yaml:3:33: adapters.old.cassette: cassette "),
        (("v1", "v2"), "", "suite.yaml:3:8: adapters.old: cassette "),
        (("v1", "v2"), ", adapter: v3", "suite.yaml:3:58: adapters.old.adapter: cassette "),
    ],
)
def test_a_replay_cassette_without_recordings_of_the_adapter(
    write_suite: Write, recorded: tuple[str, ...], extra: str, expected: str
) -> None:
    _cassette(write_suite, *recorded)
    (error,) = _errors(write_suite(REPLAY_SUITE.format(extra=extra)))
    assert error.startswith(expected), error
    if not recorded:
        assert error.endswith("holds no recordings")
    elif extra:
        assert "has no recordings of adapter 'v3'" in error and "it holds: v1, v2" in error
    else:
        assert "holds several adapters (v1, v2): say which to replay with 'adapter'" in error


def test_a_missing_replay_cassette(write_suite: Write) -> None:
    (error,) = _errors(write_suite(REPLAY_SUITE.format(extra="")))
    assert error.startswith("suite.yaml:3:33: adapters.old.cassette: cassette file not found: ")
    assert "cassette.jsonl" in error and "harness run --record" in error


def test_a_replay_cassette_with_the_adapter_loads(write_suite: Write) -> None:
    _cassette(write_suite, "v1", "v2")
    suite = load_suite(write_suite(REPLAY_SUITE.format(extra=", adapter: v2")))
    assert suite.adapters[0].model == "v2"


# -- numbers where text is meant -------------------------------------------------------------


def _expectations(write_suite: Write, expect: str) -> dict[str, object]:
    suite = load_suite(
        write_suite(
            f"name: n\nadapters:\n{BASE}cases:\n  - id: c\n    prompt: p\n    expect:\n{expect}"
        )
    )
    return {
        e.metric.name + str(i): e.options.model_dump()
        for i, e in enumerate(suite.cases[0].expectations)
    }


def test_numbers_become_the_text_as_written(write_suite: Write) -> None:
    found = _expectations(
        write_suite,
        "      - equals: 42\n"
        "      - contains: 3.50\n"
        "      - contains_any: [1_000, .5, '7']\n"
        "      - equals: {value: 0x1F, ignore_case: true}\n"
        "      - regex: 4\n"
        "      - one_of: {values: [1.0, 2]}\n"
        "      - rouge_l: {reference: 12, min: 0.5}\n",
    )
    assert found["equals0"]["value"] == "42"
    assert found["contains1"]["value"] == "3.50"
    assert found["contains_any2"]["values"] == ["1_000", ".5", "7"]
    assert found["equals3"]["value"] == "0x1F" and found["equals3"]["ignore_case"] is True
    assert found["regex4"]["value"] == "4"
    assert found["one_of5"]["values"] == ["1.0", "2"]
    assert found["rouge_l6"]["reference"] == ["12"] and found["rouge_l6"]["min"] == 0.5


def test_numbers_stay_numbers_where_numbers_are_meant(write_suite: Write) -> None:
    found = _expectations(
        write_suite,
        "      - json_path: {path: $.a, equals: 42}\n      - max_length: 400\n",
    )
    assert found["json_path0"]["equals"] == 42
    assert found["max_length1"]["value"] == 400


def test_a_bool_where_text_is_meant_is_still_an_error(write_suite: Write) -> None:
    path = write_suite(
        f"name: n\nadapters:\n{BASE}cases:\n  - id: c\n    prompt: p\n    expect:\n"
        "      - contains: yes\n      - equals: {value: false}\n"
    )
    errors = _errors(path)
    assert errors == [
        "suite.yaml:8:19: cases[0].expect[0].contains: expected a string, got True",
        "suite.yaml:9:25: cases[0].expect[1].equals.value: expected a string, got False",
    ]


def test_a_number_elsewhere_says_how_to_quote_it(write_suite: Write) -> None:
    (error,) = _errors(write_suite(f"name: 3.50\nadapters:\n{BASE}cases: [{{prompt: p}}]\n"))
    assert error == (
        "suite.yaml:1:7: name: expected a string, got 3.5 (YAML reads 3.50 as a number; "
        'quote it to make it text: "3.50")'
    )


def test_a_bad_id_shows_beside_the_adapters_other_errors(write_suite: Write) -> None:
    path = write_suite(
        "name: g\nadapters:\n"
        "  v1: {type: gradient-adapter, model_adapter_id: abc, acces_token: t}\n"
        "cases: [{prompt: p}]\n"
    )
    messages = "\n".join(_errors(path))
    assert "adapters.v1.model_adapter_id: expected exactly 50 characters" in messages
    assert "unknown key 'acces_token'" in messages


def test_the_schema_accepts_numbers_where_the_loader_reads_them_as_text() -> None:
    import jsonschema

    from harness.suite.schema import suite_schema

    validator = jsonschema.Draft202012Validator(suite_schema())
    expect = [{"equals": 42}, {"contains": 3.5}, {"contains_any": [1, "a"]}, {"regex": 4}]
    assert not list(
        validator.iter_errors({"name": "x", "cases": [{"prompt": "p", "expect": expect}]})
    )
    bools = [{"contains": True}]
    assert list(validator.iter_errors({"name": "x", "cases": [{"prompt": "p", "expect": bools}]}))
