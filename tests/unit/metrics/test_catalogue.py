"""The registered catalogue: names, metadata, and options models that document themselves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.metrics import MetricDef, metrics

# name: (shorthand, higher_is_better, supports_threshold, needs_judge)
CATALOGUE: dict[str, tuple[str | None, bool, bool, bool]] = {
    "equals": ("value", True, False, False),
    "one_of": ("values", True, False, False),
    "contains": ("value", True, False, False),
    "not_contains": ("value", True, False, False),
    "contains_any": ("values", True, False, False),
    "contains_all": ("values", True, False, False),
    "starts_with": ("value", True, False, False),
    "ends_with": ("value", True, False, False),
    "regex": ("value", True, False, False),
    "max_length": ("value", True, False, False),
    "min_length": ("value", True, False, False),
    "max_words": ("value", True, False, False),
    "min_words": ("value", True, False, False),
    "max_output_tokens": ("value", True, False, False),
    "min_output_tokens": ("value", True, False, False),
    "json_valid": ("value", True, False, False),
    "json_schema": ("schema", True, False, False),
    "json_path": ("path", True, False, False),
    "is_number": ("value", True, False, False),
    "in_range": (None, True, False, False),
    "rouge1": ("reference", True, True, False),
    "rouge2": ("reference", True, True, False),
    "rouge_l": ("reference", True, True, False),
    "bleu": ("reference", True, True, False),
    "chrf": ("reference", True, True, False),
    "exact_match": ("reference", True, False, False),
    "token_f1": ("reference", True, True, False),
    "embedding_similarity": ("reference", True, True, False),
    "max_latency_ms": ("value", False, True, False),
    "max_ttft_ms": ("value", False, True, False),
    "custom": ("function", True, True, False),
    "llm_judge": ("rubric", True, True, True),
}


def test_every_metric_of_the_catalogue_is_registered() -> None:
    assert set(CATALOGUE) <= set(metrics.names())


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_metadata(name: str) -> None:
    metric: MetricDef[object] = metrics.get(name)  # type: ignore[type-var]
    assert metric.name == name
    assert metric.description
    shorthand, higher, threshold, judge = CATALOGUE[name]
    assert (metric.shorthand, metric.higher_is_better) == (shorthand, higher)
    assert (metric.supports_threshold, metric.needs_judge) == (threshold, judge)
    assert (metric.evaluate_async is not None) is judge


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_options_models_forbid_unknown_keys_and_describe_every_field(name: str) -> None:
    options = metrics.get(name).options
    assert options.model_config.get("extra") == "forbid"
    schema = options.model_json_schema()
    assert schema.get("additionalProperties") is False
    for key, prop in schema["properties"].items():
        assert prop.get("description"), f"{name}.{key} has no description"
    shorthand = CATALOGUE[name][0]
    if shorthand is not None:
        assert shorthand in schema["properties"]
    if CATALOGUE[name][2]:  # a threshold on a 0..1 score is called `min`; a bound is `value`
        assert "min" in schema["properties"] or "value" in schema["properties"]


def test_importing_the_metrics_loads_no_heavy_scoring_library() -> None:
    code = (
        "import sys, harness.metrics; "
        "heavy = [m for m in ('rouge_score', 'sacrebleu', 'jsonschema', 'tiktoken', "
        "'llama_index.core', 'nltk') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
