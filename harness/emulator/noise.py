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
import unicodedata
from statistics import NormalDist
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DISCRIMINATION",
    "WRONG_ANSWERS",
    "Distribution",
    "default_wrong_answer",
    "difficulty",
    "is_correct",
    "normalise_prompt",
    "p_correct",
    "unit_draw",
]

DISCRIMINATION = 2.0
"""How strongly difficulty decides correctness (the IRT discrimination ``a``); see p_correct."""

WRONG_ANSWERS = ("I am not sure.", "No idea, sorry.", "Cannot say.", "...")
"""The built-in wrong answers, tried in order: the first sharing no word with the right one."""

_UNIT = NormalDist()
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_TWO_52 = float(1 << 52)


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


def unit_draw(stream: str, seed: int, model_id: str, prompt: str, n: int | None = None) -> float:
    """One uniform draw in (0, 1) of ``stream`` for (seed, model, prompt[, n-th occurrence])."""
    occurrence = "latent" if n is None else str(n)
    digest = hashlib.blake2b(
        f"{stream}\x1f{seed}\x1f{model_id}\x1f{occurrence}\x1f{prompt}".encode(), digest_size=8
    ).digest()
    return _open_unit(digest)


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
    a = DISCRIMINATION
    return _UNIT.cdf(math.sqrt(1 + a * a) * _UNIT.inv_cdf(skill) - a * _UNIT.inv_cdf(difficulty_))


def is_correct(
    seed: int, model_id: str, prompt: str, n: int, skill: float, consistency: float
) -> bool:
    """Whether the ``n``-th (0-based) request of ``prompt`` to the model gets the right answer.

    A latent outcome is drawn once per (seed, model, prompt); each request keeps it with
    probability ``consistency`` and otherwise redraws from its own (seed, model, prompt, n)
    stream. Either way P(right) is :func:`p_correct`, and repeats are exchangeable.
    """
    p = p_correct(skill, difficulty(prompt))
    if consistency >= 1.0 or unit_draw("keep", seed, model_id, prompt, n) < consistency:
        return unit_draw("latent", seed, model_id, prompt) < p
    return unit_draw("redraw", seed, model_id, prompt, n) < p


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
