"""Impossible options are rejected when the suite is parsed, never at run time."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from harness.metrics import parse_expectation

CHARS = "tests.unit.metrics.test_reference:CharEmbedding"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"regex": "(unclosed"}, "invalid regular expression"),
        ({"contains_all": []}, "at least 1 item"),
        ({"contains_any": []}, "at least 1 item"),
        ({"one_of": []}, "at least 1 item"),
        ({"contains_all": "single"}, "valid list"),
        ({"starts_with": {"value": "a", "strip_all": True}}, "Extra inputs are not permitted"),
        ({"max_words": -1}, "greater than or equal to 0"),
        ({"min_output_tokens": 1.5}, "valid integer"),
        ({"json_schema": {"schema": {"type": "objekt"}}}, "invalid JSON schema: at $.type"),
        ({"json_schema": {"schema": {"required": "name"}}}, "invalid JSON schema"),
        ({"json_schema": {"schema": {"$schema": "urn:nope"}}}, "unknown '$schema'"),
        ({"json_schema": {"type": "object"}}, "schema"),  # the schema must sit under `schema:`
        ({"json_path": "$..a"}, "malformed JSON path"),
        ({"json_path": {"path": "$.a", "equals": 1, "equal": 2}}, "Extra inputs"),
        ({"in_range": {"min": 5, "max": 1}}, "min (5) is greater than max (1)"),
        ({"in_range": {}}, "give 'min', 'max' or both"),
        ({"in_range": True}, "give 'min', 'max' or both"),
        ({"in_range": {"min": float("nan")}}, "finite number"),
        ({"in_range": 5}, "valid dictionary"),
        ({"is_number": "maybe"}, "valid boolean"),
        ({"rouge_l": {"reference": "x", "min": 1.5}}, "less than or equal to 1"),
        ({"rouge1": {"reference": []}}, "at least 1 item"),
        ({"rouge2": {"reference": "x", "stemmer": True}}, "Extra inputs"),
        ({"bleu": {"reference": "x", "min": -0.1}}, "greater than or equal to 0"),
        ({"chrf": {"reference": "x", "word_order": 3}}, "less than or equal to 2"),
        ({"token_f1": {"min": 0.5}}, "reference"),
        ({"exact_match": {"reference": "x", "min": 0.5}}, "Extra inputs"),
        ({"embedding_similarity": "x"}, "embed_model"),
        (
            {"embedding_similarity": {"reference": "x", "embed_model": {"class_path": "nope:X"}}},
            "cannot import module 'nope'",
        ),
        (
            {
                "embedding_similarity": {
                    "reference": "x",
                    "embed_model": {"class_path": "tests.unit.metrics.test_reference:run"},
                }
            },
            "is not a llama-index BaseEmbedding subclass",
        ),
        (
            {
                "embedding_similarity": {
                    "reference": "x",
                    "embed_model": {"class_path": CHARS, "kwarg": {}},
                }
            },
            "Extra inputs",
        ),
        ({"max_latency_ms": 0}, "greater than 0"),
        ({"max_ttft_ms": -5}, "greater than 0"),
        ({"max_ttft_ms": "fast"}, "valid number"),
        ({"custom": "os.path:nonexistent_fn"}, "has no attribute 'nonexistent_fn'"),
        ({"custom": {"function": "os.path:join", "min": 2}}, "less than or equal to 1"),
        ({"llm_judge": "Is it polite?"}, "judge"),
        ({"llm_judge": {"judge": "", "rubric": "r"}}, "at least 1 character"),
        ({"llm_judge": {"judge": "j", "rubric": "r", "scale": 0}}, "greater than or equal to 1"),
        ({"llm_judge": {"judge": "j", "rubric": "r", "min": 7}}, "less than or equal to 1"),
        ({"llm_judge": {"judge": "j", "rubric": "r", "model": "x"}}, "Extra inputs"),
    ],
)
def test_invalid_options_fail_at_parse_time(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_expectation(raw)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        {"contains_any": ["a"]},
        {"json_schema": {"schema": True}},
        {"json_schema": {"schema": {"type": "object"}, "weight": 2}},
        {"json_path": {"path": "$", "equals": {"a": [1, None]}}},
        {"in_range": {"min": 1, "max": 1}},
        {"rouge_l": ["a", "b"]},
        {"token_f1": {"reference": "x", "min": 0}},
        {"embedding_similarity": {"reference": "x", "embed_model": {"class_path": CHARS}}},
        {"max_ttft_ms": 0.5},
        {"custom": "tests.unit.metrics.test_custom:raises"},
        {"llm_judge": {"judge": "j", "rubric": "r", "reference": "ref", "scale": 5, "min": 0}},
    ],
)
def test_valid_options_parse(raw: dict[str, Any]) -> None:
    assert parse_expectation(raw).metric.name == next(iter(raw))
