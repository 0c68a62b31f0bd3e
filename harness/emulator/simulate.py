"""What a simulated model answers, how long it takes and whether it fails: pure, no HTTP.

A config is compiled once (regexes, templates, lookup tables) so the per-request path is a
dict lookup, a few regex searches and one hash. Random draws come from
``blake2b(seed, model id, prompt, n)``, where n counts earlier hits of that prompt on that
model, so concurrent interleaving cannot change what any one request gets.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Literal

import jinja2

from harness.emulator.profiles import (
    DEFAULT_LATEST_UPDATE_TIME,
    EmulatorConfig,
    SimulatedModel,
    template_environment,
)

__all__ = [
    "CompiledModel",
    "Outcome",
    "TemplateFailed",
    "compile_models",
    "draw_uniforms",
    "truncate_tokens",
]

OutcomeKind = Literal["ok", "rate_limit", "server_error"]
_TOKEN = re.compile(r"\S+")
_TWO_64 = float(1 << 64)


class TemplateFailed(Exception):
    """An answer template raised while rendering (e.g. ``match[3]`` on a 1-group regex)."""


@dataclass(frozen=True)
class Outcome:
    """The emulator's decision for one completion request."""

    kind: OutcomeKind
    text: str = ""
    finish_reason: str = "stop"
    delay_s: float = 0.0
    hang_s: float = 0.0
    retry_after_s: int = 0


def draw_uniforms(seed: int, model_id: str, prompt: str, n: int) -> tuple[float, float, float]:
    """Three independent uniforms in [0, 1) for (seed, model, prompt, n-th hit)."""
    digest = hashlib.blake2b(
        f"{seed}\x1f{model_id}\x1f{n}\x1f{prompt}".encode(), digest_size=24
    ).digest()
    return (
        int.from_bytes(digest[0:8], "little") / _TWO_64,
        int.from_bytes(digest[8:16], "little") / _TWO_64,
        int.from_bytes(digest[16:24], "little") / _TWO_64,
    )


def truncate_tokens(text: str, max_tokens: int | None) -> tuple[str, int, bool]:
    """Cut ``text`` after ``max_tokens`` whitespace-separated tokens, keeping its spacing.

    Returns the text, its token count and whether it was cut.
    """
    count = len(text.split())
    if max_tokens is None or count <= max_tokens:
        return text, count, False
    end = 0
    for i, m in enumerate(_TOKEN.finditer(text)):
        if i == max_tokens - 1:
            end = m.end()
            break
    return text[:end], max_tokens, True


class _Answer:
    """A compiled answer: a literal string, or a Jinja2 template when it has markup."""

    __slots__ = ("literal", "template", "where")

    def __init__(self, source: str, where: str) -> None:
        self.where = where
        if "{{" in source or "{%" in source or "{#" in source:
            self.literal: str | None = None
            self.template: jinja2.Template | None = template_environment().from_string(source)
        else:
            self.literal = source
            self.template = None

    def render(self, context: dict[str, Any]) -> str:
        if self.template is None:
            assert self.literal is not None
            return self.literal
        try:
            return self.template.render(context)
        except Exception as exc:  # any template error is the config author's to fix
            raise TemplateFailed(f"{self.where}: {type(exc).__name__}: {exc}") from None


class CompiledModel:
    """One simulated model, ready to answer; built once per server start."""

    def __init__(self, model: SimulatedModel, base_ids: dict[str, str], seed: int) -> None:
        self.id = model.model_id
        self.name = model.name
        self.is_base = model.is_base
        self.slug = model.slug
        self.seed = seed
        self.capabilities = tuple(model.capabilities or ())
        self.base_model_id = (
            base_ids.get(model.base_model, model.base_model) if model.base_model else None
        )
        updated = model.latest_update_time or DEFAULT_LATEST_UPDATE_TIME
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=timezone.utc)
        self.latest_update_time = (
            updated.astimezone(timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        # Exact prompts: first rule index per prompt; regexes keep their rule index for ordering.
        self._exact: dict[str, int] = {}
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        self._answers: list[_Answer] = []
        for i, rule in enumerate(model.responses):
            self._answers.append(_Answer(rule.answer, f"{self.name}: responses[{i}].answer"))
            if rule.prompt is not None:
                self._exact.setdefault(rule.prompt, i)
            elif rule.regex is not None:
                self._regexes.append((i, re.compile(rule.regex)))
        self._default = _Answer(model.default, f"{self.name}: default")
        latency, faults = model.latency, model.faults
        self._delay_s = latency.delay_ms / 1000.0
        self._per_token_s = latency.per_token_ms / 1000.0
        self._jitter_s = latency.jitter_ms / 1000.0
        self._p_rate_limit = faults.rate_limit
        self._p_server_error = faults.rate_limit + faults.server_error
        self._p_hang = self._p_server_error + faults.hang
        self._retry_after_s = faults.retry_after_s
        self._hang_s = faults.hang_s
        self.template_model = {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "type": "baseModel" if self.is_base else "modelAdapter",
            "base_model_id": self.base_model_id,
        }
        self.listing = self._listing()

    def _listing(self) -> dict[str, Any]:
        if self.is_base:
            return {
                "id": self.id,
                "name": self.name,
                "slug": self.slug,
                "capabilities": list(self.capabilities),
                "type": "baseModel",
            }
        return {
            "id": self.id,
            "name": self.name,
            "baseModelId": self.base_model_id,
            "latestUpdateTime": self.latest_update_time,
            "type": "modelAdapter",
        }

    def has_capability(self, capability: str) -> bool:
        """Adapters match every filter: they can be completed and fine-tuned further."""
        return capability == "any" or not self.is_base or capability in self.capabilities

    def answer(self, prompt: str) -> str:
        """The rendered answer for ``prompt``: first matching rule, else the default."""
        index = self._exact.get(prompt, -1)
        for i, pattern in self._regexes:
            if index != -1 and i > index:
                break
            found = pattern.search(prompt)
            if found is not None:
                groups: dict[int | str, Any] = {0: found.group(0)}
                for g, value in enumerate(found.groups(), start=1):
                    groups[g] = value
                groups.update(found.groupdict())
                return self._answers[i].render(
                    {"prompt": prompt, "match": groups, "model": self.template_model}
                )
        if index != -1:
            return self._answers[index].render(
                {"prompt": prompt, "match": {0: prompt}, "model": self.template_model}
            )
        return self._default.render({"prompt": prompt, "match": {}, "model": self.template_model})

    def decide(
        self,
        prompt: str,
        n: int,
        max_tokens: int | None,
        choices: list[str] | None = None,
    ) -> Outcome:
        """The outcome of the ``n``-th (0-based) request of ``prompt`` to this model."""
        u_fault, u_jitter, u_choice = draw_uniforms(self.seed, self.id, prompt, n)
        if u_fault < self._p_rate_limit:
            return Outcome("rate_limit", retry_after_s=self._retry_after_s)
        if u_fault < self._p_server_error:
            return Outcome("server_error")
        hang_s = self._hang_s if u_fault < self._p_hang else 0.0
        text = self.answer(prompt)
        if choices:
            text = _choose(text, choices, u_choice)
        text, tokens, cut = truncate_tokens(text, max_tokens)
        delay_s = self._delay_s + self._per_token_s * tokens + self._jitter_s * u_jitter
        return Outcome(
            "ok",
            text=text,
            finish_reason="length" if cut else "stop",
            delay_s=delay_s,
            hang_s=hang_s,
        )


def _choose(text: str, choices: list[str], u: float) -> str:
    """Guidance: the answer when it is a choice, else the first choice it contains, else a draw."""
    stripped = text.strip()
    if stripped in choices:
        return stripped
    for choice in choices:
        if choice in text:
            return choice
    return choices[min(int(u * len(choices)), len(choices) - 1)]


def compile_models(config: EmulatorConfig) -> dict[str, CompiledModel]:
    """Compile every model of a validated config, keyed by model id, in declaration order."""
    base_ids: dict[str, str] = {}
    for m in config.models:
        if m.is_base:
            base_ids[m.model_id] = m.model_id
            if m.slug is not None:
                base_ids[m.slug] = m.model_id
    return {m.model_id: CompiledModel(m, base_ids, config.seed) for m in config.models}
