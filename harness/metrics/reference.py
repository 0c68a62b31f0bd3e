"""Scores against reference answers: ROUGE, BLEU, chrF, SQuAD exact match and F1, embeddings.

Every score is in 0..1 and the expectation passes when it is at least ``min``. With several
references the best one counts. rouge-score, sacrebleu and llama-index are imported on first
use, so loading a suite that does not use them stays fast.
"""

from __future__ import annotations

import functools
import math
import re
import string
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics, preview
from harness.records import MetricResult
from harness.records.redaction import clip
from harness.user_code import current_scope, find_user_object, import_user_object

__all__ = [
    "BleuOptions",
    "ChrfOptions",
    "EmbedModelSpec",
    "EmbeddingSimilarityOptions",
    "ExactMatchOptions",
    "ReferenceOptions",
    "Rouge2Options",
    "RougeLOptions",
    "RougeOptions",
    "TokenF1Options",
    "exact_match_score",
    "normalize_answer",
    "token_f1_score",
]

_EPS = 1e-9  # a score computed as exactly `min` must pass despite float rounding


_ONE_OR_MANY = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
        ],
        "description": "The reference answer, or a list of them (the best one counts)",
    }
)


class ReferenceOptions(MetricOptions):
    # A single string is accepted too (see _one_or_many); the schema says so for editors.
    reference: Annotated[list[str], _ONE_OR_MANY] = Field(
        min_length=1, description="The reference answer, or a list of them (the best one counts)"
    )

    @field_validator("reference", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


def _threshold_field(default: float, what: str) -> Any:
    # Any: pydantic's Field() returns Any by design
    return Field(default=default, ge=0, le=1, description=f"Least {what} that passes (0..1)")


def _verdict(
    name: str, score: float, minimum: float, o: ReferenceOptions, obs: Observation
) -> MetricResult:
    score = min(1.0, max(0.0, score))
    ok = score >= minimum - _EPS
    refs = (
        "the reference" if len(o.reference) == 1 else f"the best of {len(o.reference)} references"
    )
    reason = (
        f"expected {name} >= {minimum:g} against {refs} ({preview(o.reference[0], 60)}"
        f"{', …' if len(o.reference) > 1 else ''}); got {score:.3f} for {preview(obs.output)}"
    )
    return MetricResult(
        name=name, passed=ok, score=score, threshold=minimum, reason="" if ok else reason
    )


# --- ROUGE --------------------------------------------------------------------------------------


class RougeOptions(ReferenceOptions):
    min: float = _threshold_field(0.5, "ROUGE-1 F-measure")
    use_stemmer: bool = Field(
        default=False, description="Porter-stem words before matching (rouge-score's option)"
    )


class Rouge2Options(RougeOptions):
    min: float = _threshold_field(0.3, "ROUGE-2 F-measure")


class RougeLOptions(RougeOptions):
    min: float = _threshold_field(0.4, "ROUGE-L F-measure")


@functools.lru_cache(maxsize=8)
def _rouge_scorer(rouge_type: str, use_stemmer: bool) -> Any:
    # Any: rouge_score ships no type hints
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([rouge_type], use_stemmer=use_stemmer)


def _rouge(name: str, rouge_type: str) -> Any:
    def evaluate(o: RougeOptions, obs: Observation) -> MetricResult:
        scorer = _rouge_scorer(rouge_type, o.use_stemmer)
        # score_multi(targets, prediction) keeps the reference with the best F-measure
        score = scorer.score_multi(o.reference, obs.output)[rouge_type].fmeasure
        return _verdict(name, float(score), o.min, o, obs)

    return evaluate


# --- BLEU, chrF ---------------------------------------------------------------------------------


class BleuOptions(ReferenceOptions):
    min: float = _threshold_field(0.3, "sentence BLEU / 100")
    lowercase: bool = Field(default=False, description="Compare case-insensitively")


class ChrfOptions(ReferenceOptions):
    min: float = _threshold_field(0.5, "sentence chrF / 100")
    word_order: int = Field(
        default=0, ge=0, le=2, description="Word n-gram order: 0 is chrF, 2 is chrF++"
    )


@functools.lru_cache(maxsize=4)
def _bleu_metric(lowercase: bool) -> Any:
    from sacrebleu.metrics.bleu import BLEU

    # the settings of sacrebleu.sentence_bleu: 13a tokenizer, exp smoothing, effective order
    return BLEU(lowercase=lowercase, effective_order=True)


@functools.lru_cache(maxsize=4)
def _chrf_metric(word_order: int) -> Any:
    from sacrebleu.metrics.chrf import CHRF

    return CHRF(word_order=word_order)


def _bleu(o: BleuOptions, obs: Observation) -> MetricResult:
    score = _bleu_metric(o.lowercase).sentence_score(obs.output, o.reference).score / 100
    return _verdict("bleu", float(score), o.min, o, obs)


def _chrf(o: ChrfOptions, obs: Observation) -> MetricResult:
    score = _chrf_metric(o.word_order).sentence_score(obs.output, o.reference).score / 100
    return _verdict("chrf", float(score), o.min, o, obs)


# --- SQuAD v1.1 exact match and token F1 --------------------------------------------------------
# As in the official SQuAD v1.1 evaluation script (evaluate-v1.1.py), function for function.

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCTUATION)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def token_f1_score(prediction: str, ground_truth: str) -> float:
    """SQuAD v1.1 F1 over normalised tokens; 0 when nothing is shared (even two empty answers)."""
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(ground_truth)


class ExactMatchOptions(ReferenceOptions):
    pass


class TokenF1Options(ReferenceOptions):
    min: float = _threshold_field(0.5, "token F1")


def _exact_match(o: ExactMatchOptions, obs: Observation) -> MetricResult:
    ok = any(exact_match_score(obs.output, ref) for ref in o.reference)
    refs = _refs_preview(o.reference)
    reason = (
        f"expected the output to match {refs} after SQuAD normalisation; got "
        f"{preview(normalize_answer(obs.output))}"
    )
    return MetricResult(name="exact_match", passed=ok, score=float(ok), reason="" if ok else reason)


def _refs_preview(refs: Sequence[str]) -> str:
    shown = " or ".join(preview(normalize_answer(r), 40) for r in refs[:5])
    return shown + (f" or … ({len(refs) - 5} more)" if len(refs) > 5 else "")


def _token_f1(o: TokenF1Options, obs: Observation) -> MetricResult:
    score = max(token_f1_score(obs.output, ref) for ref in o.reference)
    return _verdict("token_f1", score, o.min, o, obs)


# --- embedding similarity -----------------------------------------------------------------------


class EmbedModelSpec(BaseModel):
    """A llama-index embedding model: its class by import path and its constructor kwargs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    class_path: str = Field(
        description="Import path of a llama-index BaseEmbedding subclass, 'package.module:Class'"
    )
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for the class's constructor"
    )

    _base_dir: Path | None = PrivateAttr(default=None)  # the suite's folder, for local modules

    @field_validator("class_path")
    @classmethod
    def _embedding_class(cls, v: str) -> str:
        scope = current_scope()
        if not scope.execute:  # harness validate: find and parse the module, never import it
            found = find_user_object(v, scope.base_dir)
            if found.note is not None:
                scope.notes.append(f"{v}: {found.note}")
            return v
        obj = import_user_object(v, scope.base_dir)
        from llama_index.core.base.embeddings.base import BaseEmbedding

        if not (isinstance(obj, type) and issubclass(obj, BaseEmbedding)):
            raise ValueError(f"{v!r} is not a llama-index BaseEmbedding subclass")
        return v

    @model_validator(mode="after")
    def _remember_folder(self) -> EmbedModelSpec:
        self._base_dir = current_scope().base_dir
        return self

    def folder(self) -> Path | None:
        """The folder of the suite that named the class (its own modules are loaded there)."""
        return self._base_dir


class EmbeddingSimilarityOptions(ReferenceOptions):
    embed_model: EmbedModelSpec = Field(
        description="The embedding model: {class_path: 'package.module:Class', kwargs: {...}}"
    )
    min: float = _threshold_field(0.75, "cosine similarity")
    # Built on first use, once per options object, with the references' vectors.
    _model: Any = PrivateAttr(default=None)
    _reference_vectors: list[list[float]] | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_and_references(self) -> tuple[Any, list[list[float]]]:
        """The embedding model (Any: its class is the user's) and the references' vectors."""
        with self._lock:
            if self._model is None:
                spec = self.embed_model
                cls = import_user_object(spec.class_path, spec.folder())
                self._model = cls(**self.embed_model.kwargs)
            if self._reference_vectors is None:
                vectors = self._model.get_text_embedding_batch(list(self.reference))
                self._reference_vectors = [list(map(float, v)) for v in vectors]
            return self._model, self._reference_vectors


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine of the angle between two vectors; 0 when either is all zeros."""
    if len(a) != len(b):
        raise ValueError(f"embeddings of different sizes: {len(a)} and {len(b)}")
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _embedding_similarity(o: EmbeddingSimilarityOptions, obs: Observation) -> MetricResult:
    name = "embedding_similarity"
    try:
        model, references = o.model_and_references()
        vector = [float(x) for x in model.get_text_embedding(obs.output)]
        score = max(cosine_similarity(vector, ref) for ref in references)
    except Exception as exc:  # the model's failure fails this expectation, not the run
        return MetricResult(
            name=name,
            passed=False,
            threshold=o.min,
            reason=clip(
                f"embedding model {o.embed_model.class_path} failed: {type(exc).__name__}: {exc}",
                500,
            ),
        )
    return _verdict(name, score, o.min, o, obs)


# --- registration -------------------------------------------------------------------------------


def _register(name: str, options: type[ReferenceOptions], evaluate: Any, description: str) -> None:
    threshold = name != "exact_match"
    metrics.add(
        name,
        MetricDef(
            name,
            options,
            evaluate,
            description,
            shorthand="reference",
            supports_threshold=threshold,
        ),
    )


_register("rouge1", RougeOptions, _rouge("rouge1", "rouge1"), "ROUGE-1 F-measure (rouge-score)")
_register("rouge2", Rouge2Options, _rouge("rouge2", "rouge2"), "ROUGE-2 F-measure (rouge-score)")
_register("rouge_l", RougeLOptions, _rouge("rouge_l", "rougeL"), "ROUGE-L F-measure (rouge-score)")
_register("bleu", BleuOptions, _bleu, "sentence BLEU (sacrebleu), scaled to 0..1")
_register("chrf", ChrfOptions, _chrf, "sentence chrF (sacrebleu), scaled to 0..1")
_register(
    "exact_match", ExactMatchOptions, _exact_match, "SQuAD v1.1 exact match after normalisation"
)
_register("token_f1", TokenF1Options, _token_f1, "SQuAD v1.1 token F1 after normalisation")
_register(
    "embedding_similarity",
    EmbeddingSimilarityOptions,
    _embedding_similarity,
    "cosine similarity of llama-index embeddings of output and reference",
)
