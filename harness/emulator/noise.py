"""Seeded noise for simulated models: per-prompt difficulty, right-or-wrong draws, drawn delays.

Pure functions of their inputs, no state: every draw is a blake2b hash of (stream name, seed,
model id, occurrence index, prompt), so the same seed gives the same outcomes in any order of
requests, and different seeds give independent ones. The model is documented in
``docs/emulator.md`` ("Noisy models").
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import struct
import unicodedata
from statistics import NormalDist
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DISCRIMINATION",
    "WRONG_ANSWERS",
    "Distribution",
    "RequestDraws",
    "default_wrong_answer",
    "difficulty",
    "is_correct",
    "latent_draw",
    "normalise_prompt",
    "p_correct",
    "request_draws",
]

DISCRIMINATION = 2.0
"""How strongly difficulty decides correctness (the IRT discrimination ``a``); see p_correct."""

WRONG_ANSWERS = ("I am not sure.", "No idea, sorry.", "Cannot say.", "...")
"""The built-in wrong answers, tried in order: the first sharing no word with the right one."""

_UNIT = NormalDist()
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_TWO_52 = float(1 << 52)
_FOUR_WORDS = struct.Struct("<4Q")


def normalise_prompt(prompt: str) -> str:
    """What difficulty is computed from: NFKC, case-folded, whitespace collapsed and stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", prompt).casefold()).strip()


def _open_unit(digest: bytes) -> float:
    # 52 bits plus a half step: strictly inside (0, 1), so inv_cdf never sees 0 or 1.
    return ((int.from_bytes(digest[:8], "little") >> 12) + 0.5) / _TWO_52


@functools.lru_cache(maxsize=65536)
def difficulty(prompt: str) -> float:
    """The prompt's difficulty in (0, 1), uniform over prompts; the same for every model and seed.

    It is the prompt's percentile among all prompts: 0.9 means harder than 90% of them.
    """
    text = normalise_prompt(prompt)
    digest = hashlib.blake2b(
        f"harness.emulator.difficulty\x1f{text}".encode(), digest_size=8
    ).digest()
    return _open_unit(digest)


class RequestDraws(NamedTuple):
    """The independent uniforms in (0, 1) of one request: its own noise streams."""

    keep: float  # keeps the latent outcome when below the model's consistency
    redraw: float  # else: right when below p
    delay: float  # the drawn delay's quantile
    per_token: float  # the drawn per-token delay's quantile


def request_draws(seed: int, model_id: str, prompt: str, n: int) -> RequestDraws:
    """The draws of the ``n``-th (0-based) request of ``prompt`` to the model."""
    digest = hashlib.blake2b(
        f"harness.emulator.request\x1f{seed}\x1f{model_id}\x1f{n}\x1f{prompt}".encode(),
        digest_size=32,
    ).digest()
    a, b, c, d = _FOUR_WORDS.unpack(digest)
    return RequestDraws(
        ((a >> 12) + 0.5) / _TWO_52,
        ((b >> 12) + 0.5) / _TWO_52,
        ((c >> 12) + 0.5) / _TWO_52,
        ((d >> 12) + 0.5) / _TWO_52,
    )


def latent_draw(seed: int, model_id: str, prompt: str) -> float:
    """The uniform in (0, 1) behind the model's latent outcome for ``prompt``: right when < p."""
    digest = hashlib.blake2b(
        f"harness.emulator.latent\x1f{seed}\x1f{model_id}\x1f{prompt}".encode(), digest_size=8
    ).digest()
    return _open_unit(digest)


@functools.lru_cache(maxsize=1024)
def _ability(skill: float) -> float:
    a = DISCRIMINATION
    return math.sqrt(1 + a * a) * _UNIT.inv_cdf(skill)


def p_correct(skill: float, difficulty_: float) -> float:
    """The probability of a right answer: a normal-ogive IRT model calibrated so that skill is
    the expected accuracy over prompts.

    ``p = Φ(√(1+a²)·Φ⁻¹(skill) − a·Φ⁻¹(difficulty))`` with ``a`` = :data:`DISCRIMINATION`.
    Since Φ⁻¹(difficulty) is standard normal over prompts, the mean of ``p`` over prompts is
    exactly ``skill``; two models share the item term, so the latent scores behind their
    answers correlate by ``a²/(1+a²)`` (0.8).
    """
    if skill <= 0.0:
        return 0.0
    if skill >= 1.0:
        return 1.0
    return _UNIT.cdf(_ability(skill) - DISCRIMINATION * _UNIT.inv_cdf(difficulty_))


def is_correct(
    seed: int, model_id: str, prompt: str, draws: RequestDraws, skill: float, consistency: float
) -> bool:
    """Whether a request of ``prompt`` with these ``draws`` gets the right answer.

    A latent outcome is drawn once per (seed, model, prompt); each request keeps it with
    probability ``consistency`` and otherwise redraws from its own (seed, model, prompt, n)
    stream. Either way P(right) is :func:`p_correct`, and repeats are exchangeable.
    """
    p = p_correct(skill, difficulty(prompt))
    if consistency >= 1.0 or draws.keep < consistency:
        return latent_draw(seed, model_id, prompt) < p
    return draws.redraw < p


def default_wrong_answer(right: str) -> str:
    """The first built-in wrong answer that shares no word (case-folded) with ``right``."""
    words = set(_WORD.findall(right.casefold()))
    for candidate in WRONG_ANSWERS:
        if words.isdisjoint(_WORD.findall(candidate.casefold())):
            return candidate
    return WRONG_ANSWERS[-1]


class Distribution(BaseModel):
    """A drawn delay: ``median_ms × exp(spread × Z)`` with Z standard normal (lognormal), or
    exactly ``median_ms`` (fixed)."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["lognormal", "fixed"] = Field(
        description="'lognormal': median_ms × exp(spread × Z), Z standard normal, drawn per "
        "request; 'fixed': always median_ms."
    )
    median_ms: float = Field(ge=0, description="The median delay in milliseconds.")
    spread: float = Field(
        default=0.0,
        ge=0,
        le=3,
        description="The sigma of the log of the delay (lognormal only): 0.3 puts about two "
        "draws in three between 0.74x and 1.35x the median.",
    )

    @model_validator(mode="after")
    def _spread_needs_lognormal(self) -> Distribution:
        if self.distribution == "fixed" and self.spread:
            raise ValueError("'spread' applies to distribution: lognormal only")
        return self

    def draw_s(self, u: float) -> float:
        """The delay in seconds for a uniform draw ``u`` in (0, 1) (inverse-CDF sampling)."""
        if self.distribution == "fixed" or self.spread == 0.0:
            return self.median_ms / 1000.0
        return self.median_ms * math.exp(self.spread * _UNIT.inv_cdf(u)) / 1000.0
