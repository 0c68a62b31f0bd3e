"""Properties that hold for any text (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.metrics import Observation, parse_expectation
from harness.metrics.reference import normalize_answer, token_f1_score
from harness.metrics.structured import _render_path, find_json_path, parse_json_path

words = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@given(words, words)
def test_token_f1_is_in_0_1_and_symmetric(a: str, b: str) -> None:
    f1 = token_f1_score(a, b)
    assert 0 <= f1 <= 1
    assert f1 == token_f1_score(b, a)
    if normalize_answer(a) and normalize_answer(a) == normalize_answer(b):
        assert f1 == 1


@given(st.data(), words)
def test_contains_all_of_words_taken_from_the_output_passes(data: st.DataObject, out: str) -> None:
    tokens = out.split()
    picked = data.draw(st.lists(st.sampled_from(tokens), min_size=1)) if tokens else [out]
    r = parse_expectation({"contains_all": picked}).evaluate(Observation(output=out))
    assert r.passed and r.score == 1 and r.reason == ""


keys = st.one_of(st.text(max_size=8), st.integers(min_value=-5, max_value=5))


@given(st.lists(keys, max_size=6))
def test_rendered_json_paths_parse_back(segments: list[str | int]) -> None:
    assert parse_json_path(_render_path(tuple(segments))) == tuple(segments)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=50)
@given(json_values, st.lists(keys, max_size=3))
def test_json_path_equals_whatever_is_found_at_the_path(
    doc: object, segments: list[str | int]
) -> None:
    found, value, _ = find_json_path(doc, tuple(segments))
    path = _render_path(tuple(segments))
    raw = {"json_path": {"path": path, "equals": value}} if found else {"json_path": path}
    r = parse_expectation(raw).evaluate(Observation(output=json.dumps(doc)))
    assert r.passed is found
