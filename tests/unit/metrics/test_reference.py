"""Reference-based scores: ROUGE, BLEU, chrF, SQuAD exact match and F1, embedding similarity."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
import sacrebleu
from llama_index.core.base.embeddings.base import BaseEmbedding
from rouge_score import rouge_scorer

from harness.metrics import Observation, parse_expectation
from harness.metrics.reference import (
    cosine_similarity,
    exact_match_score,
    normalize_answer,
    token_f1_score,
)

CAT_REF = "the cat sat on the mat"
CAT_OUT = "the cat is on the mat"


def run(raw: dict[str, Any], output: str) -> Any:
    return parse_expectation(raw).evaluate(Observation(output=output))


# --- ROUGE ---------------------------------------------------------------------------------------
# By hand for CAT_OUT against CAT_REF (6 tokens each):
#   unigrams shared: the, the, cat, on, mat = 5        → P = R = F = 5/6
#   bigrams shared: the-cat, on-the, the-mat = 3 of 5   → F = 3/5
#   longest common subsequence: the cat on the mat = 5  → F = 5/6


@pytest.mark.parametrize(
    ("name", "expected"), [("rouge1", 5 / 6), ("rouge2", 3 / 5), ("rouge_l", 5 / 6)]
)
def test_rouge_hand_computed(name: str, expected: float) -> None:
    r = run({name: {"reference": CAT_REF, "min": 0}}, CAT_OUT)
    assert r.score == pytest.approx(expected)
    assert r.passed and r.threshold == 0


def test_rouge_agrees_with_rouge_score() -> None:
    out, ref = "Police killed the gunman in the morning", "the gunman was shot dead by police"
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    expected = scorer.score(ref, out)
    for name, key in [("rouge1", "rouge1"), ("rouge2", "rouge2"), ("rouge_l", "rougeL")]:
        r = run({name: {"reference": ref, "min": 0}}, out)
        assert r.score == pytest.approx(expected[key].fmeasure)


def test_rouge_stemmer_option() -> None:
    # rouge-score stems tokens longer than 3 characters: cats → cat, running → run
    assert run({"rouge1": {"reference": "cat run", "min": 0}}, "cats running").score == 0
    r = run({"rouge1": {"reference": "cat run", "use_stemmer": True}}, "cats running")
    assert r.score == pytest.approx(1.0)


def test_rouge_takes_the_best_reference_and_fails_below_min() -> None:
    r = run({"rouge_l": {"reference": ["a dog barked", CAT_REF], "min": 0.9}}, CAT_OUT)
    assert r.score == pytest.approx(5 / 6)
    assert not r.passed
    assert r.threshold == 0.9
    assert r.reason == (
        "expected rouge_l >= 0.9 against the best of 2 references ('a dog barked', …); "
        "got 0.833 for 'the cat is on the mat'"
    )


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("rouge1", 0.5),
        ("rouge2", 0.3),
        ("rouge_l", 0.4),
        ("bleu", 0.3),
        ("chrf", 0.5),
        ("token_f1", 0.5),
        ("embedding_similarity", 0.75),
    ],
)
def test_default_thresholds(name: str, default: float) -> None:
    raw: dict[str, Any] = {"reference": "x"}
    if name == "embedding_similarity":
        raw["embed_model"] = {"class_path": CHARS}
    assert parse_expectation({name: raw}).options.min == default  # type: ignore[attr-defined]


# --- BLEU, chrF ----------------------------------------------------------------------------------


def test_bleu_and_chrf_match_sacrebleu_scaled_to_one() -> None:
    bleu = sacrebleu.sentence_bleu(CAT_OUT, [CAT_REF]).score / 100
    chrf = sacrebleu.sentence_chrf(CAT_OUT, [CAT_REF]).score / 100
    assert 0 < bleu < 1 and 0 < chrf < 1
    assert run({"bleu": {"reference": CAT_REF, "min": 0}}, CAT_OUT).score == pytest.approx(bleu)
    assert run({"chrf": {"reference": CAT_REF, "min": 0}}, CAT_OUT).score == pytest.approx(chrf)


def test_bleu_hand_computed() -> None:
    # 1-4-gram precisions 5/6, 3/5, 1/4, 0/3 (exp smoothing: 1/2 for the zero count),
    # brevity penalty 1: BLEU = (5/6 · 3/5 · 1/4 · 1/2 / 3)^(1/4)
    expected = (5 / 6 * 3 / 5 * 1 / 4 * (1 / 2) / 3) ** 0.25
    assert run({"bleu": {"reference": CAT_REF, "min": 0}}, CAT_OUT).score == pytest.approx(
        expected, rel=1e-6
    )


def test_bleu_and_chrf_identical_is_one_and_empty_is_zero() -> None:
    for name in ("bleu", "chrf"):
        assert run({name: CAT_REF}, CAT_REF).score == pytest.approx(1.0)
        r = run({name: CAT_REF}, "")
        assert r.score == 0 and not r.passed


def test_bleu_multiple_references_and_options() -> None:
    refs = ["the cat sat on the mat", "a cat is on the mat"]
    expected = sacrebleu.sentence_bleu(CAT_OUT, refs).score / 100
    assert run({"bleu": {"reference": refs}}, CAT_OUT).score == pytest.approx(expected)
    assert run({"bleu": {"reference": "THE CAT", "lowercase": True}}, "the cat").score == 1.0
    chrf_pp = sacrebleu.sentence_chrf(CAT_OUT, [CAT_REF], word_order=2).score / 100
    r = run({"chrf": {"reference": CAT_REF, "word_order": 2}}, CAT_OUT)
    assert r.score == pytest.approx(chrf_pp)


# --- SQuAD v1.1 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an apple,  a pear ", "apple pear"),
        ("theatre", "theatre"),  # articles are whole words only
        ("Denver Broncos.", "denver broncos"),
        ("don't", "dont"),
    ],
)
def test_normalize_answer(text: str, normalised: str) -> None:
    assert normalize_answer(text) == normalised


@pytest.mark.parametrize(
    ("prediction", "truth", "f1"),
    [
        # 4 predicted tokens, 2 true, 2 shared: P = 1/2, R = 1 → F1 = 2/3
        ("the Eiffel Tower in Paris", "Eiffel Tower", 2 / 3),
        # P = 1, R = 2/4 → 2/3
        ("a cat sat", "cat sat on the mat", 2 / 3),
        # counts are clipped: cat ×3 against cat ×1 → 1 shared; P = 1/3, R = 1/2 → 2/5
        ("the cat cat cat", "cat dog", 2 / 5),
        ("Denver Broncos", "The Denver Broncos!", 1.0),
        ("Carolina Panthers", "Denver Broncos", 0.0),
        # v1.1: two empty answers share nothing, so 0 (v2.0 changed this to 1)
        ("the", "a", 0.0),
    ],
)
def test_token_f1_hand_computed(prediction: str, truth: str, f1: float) -> None:
    assert token_f1_score(prediction, truth) == pytest.approx(f1)
    r = run({"token_f1": {"reference": truth, "min": 0.6}}, prediction)
    assert r.score == pytest.approx(f1)
    assert r.passed is (f1 >= 0.6)


def test_token_f1_is_the_max_over_references() -> None:
    # "paris france" vs "paris": 2/3; vs "city of paris": P = 1/2, R = 1/3 → 2/5
    r = run({"token_f1": ["the city of Paris", "Paris"]}, "Paris, France")
    assert r.score == pytest.approx(2 / 3)


def test_token_f1_passes_at_exactly_min() -> None:
    # "a" would be dropped as an article; P = 1, R = 1/2
    r = run({"token_f1": {"reference": "x y z w", "min": 2 / 3}}, "x y")
    assert r.passed and r.score == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("prediction", "truths", "em"),
    [
        ("Denver Broncos", ["The Denver Broncos!"], True),
        ("denver broncos team", ["Denver Broncos"], False),
        ("Saint Bernadette", ["Saint Bernadette Soubirous", "Saint Bernadette"], True),
        ("", [""], True),
    ],
)
def test_exact_match(prediction: str, truths: list[str], em: bool) -> None:
    assert any(exact_match_score(prediction, t) for t in truths) is em
    r = run({"exact_match": truths}, prediction)
    assert r.passed is em and r.score == float(em)


def test_exact_match_reason_shows_normalised_texts() -> None:
    r = run({"exact_match": ["The Denver Broncos", "Broncos"]}, "The Carolina Panthers.")
    assert r.reason == (
        "expected the output to match 'denver broncos' or 'broncos' after SQuAD "
        "normalisation; got 'carolina panthers'"
    )


# --- embedding similarity -----------------------------------------------------------------------


class CharEmbedding(BaseEmbedding):
    """Deterministic 26-dimensional bag of letters a–z; counts its instances."""

    instances: ClassVar[int] = 0
    embedded: ClassVar[list[str]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        type(self).instances += 1

    @staticmethod
    def _vector(text: str) -> list[float]:
        counts = [0.0] * 26
        for ch in text.lower():
            if "a" <= ch <= "z":
                counts[ord(ch) - ord("a")] += 1
        return counts

    def _get_text_embedding(self, text: str) -> list[float]:
        type(self).embedded.append(text)
        return self._vector(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


class BrokenEmbedding(CharEmbedding):
    def _get_text_embedding(self, text: str) -> list[float]:
        raise ConnectionError("embedding service down")


CHARS = f"{__name__}:CharEmbedding"
NOT_AN_EMBEDDING = f"{__name__}:run"


def similarity(output: str, reference: str | list[str], **extra: Any) -> Any:
    raw = {"reference": reference, "embed_model": {"class_path": CHARS}, **extra}
    return run({"embedding_similarity": raw}, output)


@pytest.mark.parametrize(
    ("output", "reference", "score"),
    [
        ("ab", "ab", 1.0),
        ("ab", "BA", 1.0),
        ("ab", "cd", 0.0),
        ("aab", "ab", 3 / 10**0.5),  # (2,1)·(1,1) / (√5 · √2) = 3/√10 ≈ 0.95
        ("", "ab", 0.0),  # a zero vector has no direction: 0
        ("ab", ["cd", "ab"], 1.0),
    ],
)
def test_embedding_similarity_hand_computed(output: str, reference: Any, score: float) -> None:
    r = similarity(output, reference)
    assert r.score == pytest.approx(score)
    assert r.passed is (score >= 0.75)


def test_cosine_similarity_by_hand() -> None:
    assert cosine_similarity([2, 1], [1, 1]) == pytest.approx(3 / 10**0.5)
    assert cosine_similarity([1, 0], [-1, 0]) == -1
    with pytest.raises(ValueError, match="different sizes"):
        cosine_similarity([1], [1, 2])


def test_embedding_model_is_built_once_per_options_object_and_references_embedded_once() -> None:
    expectation = parse_expectation(
        {
            "embedding_similarity": {
                "reference": "reference text",
                "embed_model": {"class_path": CHARS, "kwargs": {"model_name": "letters"}},
            }
        }
    )
    before = CharEmbedding.instances
    CharEmbedding.embedded.clear()
    for output in ("one", "two", "three"):
        expectation.evaluate(Observation(output=output))
    assert CharEmbedding.instances == before + 1
    assert CharEmbedding.embedded == ["reference text", "one", "two", "three"]
    model, _ = expectation.options.model_and_references()  # type: ignore[attr-defined]
    assert model.model_name == "letters"


def test_embedding_model_failure_fails_the_expectation_with_a_reason() -> None:
    raw = {"reference": "x", "embed_model": {"class_path": f"{__name__}:BrokenEmbedding"}}
    r = run({"embedding_similarity": raw}, "x")
    assert not r.passed
    assert r.reason == (
        f"embedding model {__name__}:BrokenEmbedding failed: "
        "ConnectionError: embedding service down"
    )
    raw = {
        "reference": "x",
        "embed_model": {"class_path": CHARS, "kwargs": {"embed_batch_size": "lots"}},
    }
    r = run({"embedding_similarity": raw}, "x")
    assert not r.passed and r.reason.startswith(f"embedding model {CHARS} failed: ")


def test_embedding_similarity_async_path_uses_the_same_evaluator() -> None:
    expectation = parse_expectation(
        {"embedding_similarity": {"reference": "ab", "embed_model": {"class_path": CHARS}}}
    )
    r = asyncio.run(expectation.evaluate_async(Observation(output="ba"), judge=None))  # type: ignore[arg-type]
    assert r.passed and r.score == pytest.approx(1.0)
