"""gradient_wire against the gradientai SDK's own models: the same bodies, answers and errors.

Property tests over completion options and server answers, well-formed or not: the light code
either yields exactly what the SDK yields (the JSON byte for byte, key order included) or
declines, and the async path's functions (light first, the SDK as fallback) give the same result
or raise the same error, message included, as the SDK-only code they replaced.
"""

from __future__ import annotations

import difflib
import enum
import json
import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from gradientai.openapi.client.models.complete_model_body_params import CompleteModelBodyParams
from gradientai.openapi.client.models.complete_model_success import CompleteModelSuccess
from gradientai.openapi.client.models.get_model_success import GetModelSuccess
from gradientai.openapi.client.models.list_models_success import ListModelsSuccess
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.adapters.gradient_api import (
    COMPLETION_OPTIONS,
    _parse_answer,
    base_model_id_answer,
    check_model_answer,
    completion_answer,
    completion_body,
    completion_json,
)
from harness.adapters.gradient_wire import (
    base_model_ids,
    body_json,
    completion_fields,
    is_model_adapter,
)
from harness.errors import ConfigurationError, InvalidRequestError, ModelNotFoundError

LABEL = "model adapter 'x'"
WHAT = "completion with model adapter 'x'"
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Level(enum.IntEnum):
    LOW = 3


class Ratio(float):
    pass


class Text(str):
    pass


def wire(value: Any) -> tuple[str, str]:
    """The JSON aiohttp would send (``json.dumps``) and the repr (key order, exact types)."""
    return json.dumps(value, default=repr), repr(value)


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call yields: its value's wire form, or the exception's type and message."""
    try:
        value = call()
    except Exception as exc:  # the exception is the observed outcome
        return ("raised", type(exc), str(exc))
    return ("returned", wire(value))


# -- strategies -----------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, 1, 511, 512, -1, 2**31, 2**63, 10**40]),
    st.floats(),  # NaN and the infinities included
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 511.0, math.nan, math.inf]),
    st.text(max_size=6),
    st.sampled_from(["0.5", "1", " 7 ", "nan", "1e3", "true", "True", "", "511"]),
    st.sampled_from(
        [Level.LOW, Ratio(0.5), Text("q"), Decimal("0.5"), Fraction(1, 2), 1j, b"1", [1], {}]
    ),
)
#: Values shaped like JSON, as json.loads returns them (NaN and the infinities included).
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def near_misses(
    draw: st.DrawFn,
    valid: dict[Any, st.SearchStrategy[Any]],
    odd: dict[Any, st.SearchStrategy[Any]],
    extra: dict[Any, st.SearchStrategy[Any]],
    max_changes: int = 2,
) -> dict[Any, Any]:
    """A valid mapping with up to ``max_changes`` keys dropped or given an odd value, plus maybe
    some ``extra`` keys: every field gets to be the only thing wrong."""
    result = {key: draw(strategy) for key, strategy in valid.items()}
    keys = sorted(valid, key=repr)
    for key in draw(st.sets(st.sampled_from(keys), max_size=max_changes)):
        if draw(st.booleans()):
            del result[key]
        else:
            result[key] = draw(odd.get(key, SCALARS | JSON))
    if extra:
        for key in draw(st.sets(st.sampled_from(sorted(extra, key=repr)), max_size=2)):
            result[key] = draw(extra[key])
    return result


VALID_GUIDANCE = {
    # The SDK's enum check is a substring test: each of these passes it.
    "type": st.sampled_from(["choice", "ch", "", "oice", "c"]),
    "value": st.lists(st.text(min_size=1, max_size=32), min_size=1, max_size=10)
    | st.lists(st.sampled_from(["yes", "no", "x" * 32, "é"]), min_size=1, max_size=10),
}
ODD_GUIDANCE = {
    "type": st.sampled_from(["Choice", "choices", "regex", "choice "]) | SCALARS,
    "value": st.one_of(
        # around the bounds: 1..10 choices of 1..32 characters
        st.sampled_from([[], [""], ["x" * 33], ["é" * 33], ["a"] * 11, ["a", "x" * 40]]),
        st.lists(st.text(min_size=30, max_size=34), min_size=1, max_size=2),
        st.lists(st.text(max_size=40) | SCALARS, max_size=12),
        st.sampled_from([("a", "b"), {"a"}, frozenset({"b"}), "ab", {"a": 1}]),
        SCALARS,
    ),
}
GUIDANCE = st.one_of(
    near_misses(
        valid=VALID_GUIDANCE,
        odd=ODD_GUIDANCE,
        extra={
            "additional_properties": st.dictionaries(st.text(max_size=3), JSON, max_size=2),
            "extra": JSON,
            "__pydantic_self__": st.integers(),
            "_private": JSON,
            1: st.integers(),
        },
    ),
    # exactly one field wrong
    st.fixed_dictionaries({"type": VALID_GUIDANCE["type"], "value": ODD_GUIDANCE["value"]}),
    st.fixed_dictionaries({"type": ODD_GUIDANCE["type"], "value": VALID_GUIDANCE["value"]}),
    st.just([("type", "choice"), ("value", ["a"])]),
    SCALARS,
)
PROMPTS = st.one_of(
    st.text(),
    st.text(alphabet=st.characters() | st.characters(categories=["Cs", "Cc"]), max_size=20),
    st.sampled_from(["", " ", "\x00", "\ud800", "What is the capital of France?"]),
)
#: Valid values of every option (those the SDK accepts, as the LLM's kwargs name them).
VALID_OPTIONS = {
    "auto_template": st.booleans(),
    "guidance": st.fixed_dictionaries(VALID_GUIDANCE),
    "max_tokens": st.integers(min_value=1, max_value=511),
    "temperature": st.floats() | st.integers(),
    "top_k": st.integers() | st.sampled_from([2**63, -(2**70)]),
    "top_p": st.floats(min_value=0, max_value=1) | st.integers(0, 1),
}
ODD_OPTIONS = {
    "guidance": GUIDANCE,
    "max_tokens": st.sampled_from([0, 512, -1, True, 1.0, "5"]) | SCALARS,
    "max_generated_token_count": st.sampled_from([0, 512, -1, True, 1.0, "5"]) | SCALARS,
    "top_k": st.sampled_from([True, 1.0, "5", Level.LOW]) | SCALARS,
}
#: Options from valid to anything: wrong types, strings that coerce, None, bools, subclasses …
OPTIONS = st.one_of(
    near_misses(valid=VALID_OPTIONS, odd=ODD_OPTIONS, extra={}, max_changes=3),
    near_misses(
        valid=VALID_OPTIONS,
        odd=ODD_OPTIONS,
        extra={"temprature": SCALARS, "stream": SCALARS, "max_token": SCALARS},
    ),
)
#: The same as CompleteModelBodyParams names them (what gradient_wire.body_json takes).
SDK_PARAMS = near_misses(
    valid={
        "max_generated_token_count" if name == "max_tokens" else name: strategy
        for name, strategy in VALID_OPTIONS.items()
    },
    odd=ODD_OPTIONS,
    extra={"rag": st.none() | st.fixed_dictionaries({"collectionId": st.text(max_size=3)})},
    max_changes=3,
)


# -- request bodies -------------------------------------------------------------------------------


@PROPERTY
@given(query=st.text(min_size=1) | PROMPTS | SCALARS, params=SDK_PARAMS)
@example(query="q", params={"temperature": math.nan})
@example(query="q", params={"top_k": True})
@example(query="q", params={"guidance": {"type": "ch", "value": ["a"], "extra": 1}})
def test_body_json_is_the_sdk_body_or_declines(query: Any, params: dict[str, Any]) -> None:
    light = body_json(query, params)
    try:
        expected = CompleteModelBodyParams(query=query, **params).to_dict()
    except Exception:  # refused by the SDK, whatever the exception
        assert light is None
        return
    if light is not None:
        assert wire(light) == wire(expected)


@PROPERTY
@given(guidance=GUIDANCE)
@example(guidance={"type": "choice", "value": ["a"], "additional_properties": {"x": 1}})
@example(guidance={"type": "choice", "value": ["a"], "__pydantic_self__": 1})
@example(guidance={"type": "choice", "value": ["a"], 1: 1})
@example(guidance={"type": "choice", "value": [""]})
@example(guidance={"type": "choice", "value": ["x" * 32, "y" * 33]})
@example(guidance={"type": "choice", "value": ["a"] * 11})
@example(guidance={"type": "choice", "value": []})
def test_guidance_is_the_sdk_guidance_or_declines(guidance: Any) -> None:
    light = body_json("q", {"guidance": guidance})
    try:
        expected = CompleteModelBodyParams(query="q", guidance=guidance).to_dict()
    except Exception:  # refused by the SDK, whatever the exception
        assert light is None
        return
    if light is not None:
        assert wire(light) == wire(expected)


@PROPERTY
@given(prompt=PROMPTS, options=OPTIONS, max_tokens=st.none() | st.integers(1, 511) | SCALARS)
@example(prompt="q", options={"max_tokens": None}, max_tokens=5)
@example(prompt="", options={}, max_tokens=None)
@example(prompt="q", options={"top_k": 2**70, "temperature": math.inf}, max_tokens=None)
@example(prompt="q", options={"temperature": "0.5"}, max_tokens=None)
@example(prompt="q", options={"max_tokens": 512}, max_tokens=None)
@example(prompt="q", options={"max_tokens": 0}, max_tokens=None)
@example(prompt="q", options={}, max_tokens=0)
@example(prompt="q", options={"guidance": {"type": "choice", "value": []}}, max_tokens=None)
def test_completion_json_equals_the_sdk_body_or_raises_the_same_error(
    prompt: str, options: dict[str, Any], max_tokens: Any
) -> None:
    def sdk() -> Any:
        return completion_body(prompt, options, max_tokens=max_tokens, model_label=LABEL).to_dict()

    def light() -> Any:
        return completion_json(prompt, options, max_tokens=max_tokens, model_label=LABEL)

    assert outcome(light) == outcome(sdk)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"temperature": 0.0},
        {"temperature": 1, "top_k": 40, "top_p": 0.9, "auto_template": False},
        {"max_tokens": 511, "guidance": {"type": "choice", "value": ["yes", "no"]}},
        {"max_tokens": None, "temperature": None, "guidance": None},
    ],
)
def test_valid_requests_need_no_sdk(options: dict[str, Any]) -> None:
    # body_json declining would still be correct (the SDK answers); here it must not.
    params = {k: v for k, v in options.items() if k != "max_tokens" and v is not None}
    if options.get("max_tokens") is not None:
        params["max_generated_token_count"] = options["max_tokens"]
    light = body_json("Hello", params)
    assert light is not None
    assert wire(light) == wire(CompleteModelBodyParams(query="Hello", **params).to_dict())
    assert list(light) == [
        key
        for key in ("autoTemplate", "guidance", "maxGeneratedTokenCount", "query")
        + ("temperature", "topK", "topP")
        if key in light
    ]


def test_an_unknown_option_is_refused_before_either_model() -> None:
    assert "top_k" in COMPLETION_OPTIONS
    hint = r"'topk' \(did you mean 'top_k'\?\)"
    with pytest.raises(ConfigurationError, match=hint) as light:
        completion_json("", {"topk": 1}, max_tokens=None, model_label=LABEL)
    with pytest.raises(ConfigurationError, match=hint) as sdk:
        completion_body("", {"topk": 1}, max_tokens=None, model_label=LABEL)
    assert str(light.value) == str(sdk.value)


def test_a_refused_value_has_the_sdk_message() -> None:
    with pytest.raises(InvalidRequestError) as light:
        completion_json("q", {"top_k": "5"}, max_tokens=None, model_label=LABEL)
    assert str(light.value) == (
        f"invalid completion request for {LABEL}: topK: value is not a valid integer"
    )


# -- answers: the SDK-only code the async path used before (the reference) ------------------------


def old_completion(data: Any) -> tuple[str, str]:
    result = _parse_answer(WHAT, CompleteModelSuccess.from_dict, data)
    return result.generated_output, result.finish_reason


def old_look_up(data: Any) -> None:
    _parse_answer(WHAT, GetModelSuccess.from_dict, data)


def old_base_model_id(data: Any, slug: str) -> str:
    listing = _parse_answer(WHAT, ListModelsSuccess.from_dict, data)
    ids_by_slug: dict[str, str] = {}
    for entry in listing.models:
        model = getattr(entry, "actual_instance", entry)
        model_slug = getattr(model, "slug", None)
        if model_slug is not None:
            ids_by_slug[model_slug] = model.id
    model_id = ids_by_slug.get(slug)
    if model_id is None:
        close = difflib.get_close_matches(slug, list(ids_by_slug), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        available = ", ".join(sorted(ids_by_slug)) or "none"
        raise ModelNotFoundError(f"unknown base model slug {slug!r}{hint}; available: {available}")
    return model_id


# -- answers: strategies --------------------------------------------------------------------------

ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
assert len(ID) == 50
IDS = st.sampled_from([ID, "b" * 36 + "_base_ml_model"]) | st.text(min_size=50, max_size=50)
BAD_IDS = st.sampled_from(["x" * 49, "x" * 51, ""]) | JSON
NAMES = st.text(min_size=1, max_size=6)
NOT_NAMES = st.just("") | JSON
SLUGS = st.sampled_from(["llama2-7b-chat", "nous-hermes2", "bloom-560"]) | NAMES
#: latestUpdateTime as the API writes it.
TIMESTAMPS = st.one_of(
    st.just("2024-01-01T00:00:00.000Z"),
    st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z"),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)


@st.composite
def odd_timestamps(draw: st.DrawFn) -> Any:
    """A valid latestUpdateTime with one or two things changed: out-of-range fields, other
    separators, fractions, offsets and tails, and other forms pydantic v1 reads (numbers …)."""
    moment = draw(st.datetimes(min_value=datetime(1000, 1, 1)))
    parts = {
        "date": moment.strftime("%Y-%m-%d"),
        "sep": "T",
        "time": moment.strftime("%H:%M:%S"),
        "fraction": ".000",
        "zone": "Z",
        "tail": "",
    }
    odd = {
        "date": st.sampled_from(["0000-01-01", "2024-13-01", "2024-00-10", "2023-02-29"])
        | st.sampled_from(["2024-02-30", "2024-1-01", "2024-01-32", "20245-01-01", "202-01-01"]),
        "sep": st.sampled_from([" ", "t", "", "_"]),
        "time": st.sampled_from(["24:00:00", "23:60:00", "23:59:60", "7:00:00", "23:59"]),
        "fraction": st.sampled_from(["", ".0", ".123456", ".1234567", ".", ",5"]),
        "zone": st.sampled_from(["", "z", "+00:00", "-05:30", "+23:59", "+24:00", "-23:60"])
        | st.sampled_from(["+05", "+0530", "+99:99", "-00:00", "+05:30:15", "UTC"]),
        "tail": st.sampled_from(["\n", " ", "x", "Z"]),
    }
    for key in draw(st.sets(st.sampled_from(sorted(odd)), min_size=1, max_size=2)):
        parts[key] = draw(odd[key])
    return draw(
        st.one_of(
            st.just("".join(parts.values())),
            st.sampled_from(["1700000000", "1e9", " 12 ", "nan", 1700000000, 1.5, "2024-01-01"]),
            JSON,
        )
    )


#: The emulator's answer to GET /models/{id}.
LOOKUP = {
    "id": ID,
    "name": "adapter",
    "baseModelId": "x",
    "latestUpdateTime": "2024-01-01T00:00:00.000Z",
    "type": "modelAdapter",
}
ANSWER_EXTRAS = {"extra": JSON, "additional_properties": JSON}
ADAPTER = near_misses(
    valid={
        "baseModelId": NAMES,
        "id": IDS,
        "latestUpdateTime": TIMESTAMPS,
        "name": NAMES,
        "type": st.just("modelAdapter"),
    },
    odd={
        "baseModelId": NOT_NAMES,
        "id": BAD_IDS,
        "latestUpdateTime": odd_timestamps(),
        "name": NOT_NAMES,
        # Substrings of "modelAdapter" pass the SDK's (substring) enum check.
        "type": st.sampled_from(["model", "Adapter", "", "baseModel", "x"]) | JSON,
    },
    extra=ANSWER_EXTRAS,
)
BASE = near_misses(
    valid={
        "capabilities": st.lists(st.sampled_from(["complete", "fineTune"]), max_size=3),
        "id": IDS,
        "name": NAMES,
        "slug": SLUGS,
        "type": st.just("baseModel"),
    },
    odd={
        "capabilities": st.lists(st.sampled_from(["complete", "x", "", "finetune"]), min_size=1)
        | JSON,
        "id": BAD_IDS,
        "name": NOT_NAMES,
        "slug": NOT_NAMES,
        "type": st.sampled_from(["modelAdapter", "", "base", "BaseModel"]) | JSON,
    },
    extra=ANSWER_EXTRAS,
)


# -- answers: properties --------------------------------------------------------------------------


@PROPERTY
@given(
    data=st.one_of(
        near_misses(
            valid={
                "generatedOutput": st.text(),
                "finishReason": st.sampled_from(["stop", "length"]) | st.text(),
            },
            odd={},
            extra={**ANSWER_EXTRAS, "generated_output": JSON},
        ),
        JSON,
    )
)
@example(data=None)
@example(data=[])
@example(data={"generatedOutput": "Paris", "finishReason": "stop"})
def test_completion_answers_are_read_as_the_sdk_reads_them(data: Any) -> None:
    fields = completion_fields(data)
    if fields is not None:
        assert fields == old_completion(data)
    assert outcome(lambda: completion_answer(WHAT, data)) == outcome(lambda: old_completion(data))


@PROPERTY
@given(data=ADAPTER | JSON)
@example(data=None)
@example(data="modelAdapter")
@example(data={**LOOKUP, "type": "baseModel"})
@example(data={**LOOKUP, "type": "model"})
@example(data={**LOOKUP, "latestUpdateTime": "2024-01-01T00:00:00+24:00"})
@example(data=LOOKUP)
def test_model_lookups_are_accepted_as_the_sdk_accepts_them(data: Any) -> None:
    if is_model_adapter(data):
        old_look_up(data)  # must not raise
    assert outcome(lambda: check_model_answer(WHAT, data)) == outcome(lambda: old_look_up(data))


@PROPERTY
@given(
    data=st.one_of(
        near_misses(
            valid={"models": st.lists(BASE | ADAPTER, max_size=5)},
            odd={
                "models": st.one_of(
                    # well-formed entries and one that is not an entry at all
                    st.builds(
                        lambda good, junk, at: [*good[:at], junk, *good[at:]],
                        st.lists(BASE | ADAPTER, max_size=3),
                        st.none() | st.text(max_size=3) | st.integers() | st.just([]),
                        st.integers(0, 3),
                    ),
                    st.lists(BASE | ADAPTER | JSON, min_size=1, max_size=4),
                    st.sampled_from(["", "ab", {}, 0]),
                    JSON,
                )
            },
            extra=ANSWER_EXTRAS,
        ),
        JSON,
    ),
    slug=st.sampled_from(["llama2-7b-chat", "nous-hermes2", "llama2-7b-cht", "zzz"]),
)
@example(data={"models": []}, slug="x")
@example(data=None, slug="x")
def test_base_model_listings_are_read_as_the_sdk_reads_them(data: Any, slug: str) -> None:
    found = base_model_ids(data)
    if found is not None:
        ListModelsSuccess.from_dict(data)  # must not raise
    assert outcome(lambda: base_model_id_answer(WHAT, data, slug)) == outcome(
        lambda: old_base_model_id(data, slug)
    )


def test_the_apis_own_answers_need_no_sdk() -> None:
    assert completion_fields({"generatedOutput": "Paris", "finishReason": "stop"}) == (
        "Paris",
        "stop",
    )
    adapter = {
        "id": ID,
        "name": "a",
        "baseModelId": "x",
        "latestUpdateTime": "2024-01-01T00:00:00.000Z",
        "type": "modelAdapter",
    }
    assert is_model_adapter(adapter)
    assert is_model_adapter({**adapter, "latestUpdateTime": "2024-06-30T23:59:59.5+05:30"})
    assert not is_model_adapter({**adapter, "latestUpdateTime": "2024-02-30T00:00:00Z"})
    base = {
        "id": "b" * 36 + "_base_ml_model",
        "name": "b",
        "slug": "llama2-7b-chat",
        "capabilities": ["complete", "fineTune"],
        "type": "baseModel",
    }
    listing = {"models": [base, adapter, {**base, "slug": "other"}]}
    assert base_model_ids(listing) == [("llama2-7b-chat", base["id"]), ("other", base["id"])]
