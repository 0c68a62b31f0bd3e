"""What a simulated model answers, how long it takes and whether it fails: pure, no HTTP.

A config is compiled once (regexes, templates, lookup tables) so the per-request path is a
dict lookup, a few regex searches and one hash. Random draws come from
``blake2b(seed, model id, prompt, n)``, where n counts earlier hits of that prompt on that
model, so concurrent interleaving cannot change what any one request gets. Models with a
``skill`` answer right or wrong, and drawn delays are sampled, from the same kind of seeded
streams (:mod:`harness.emulator.noise`).

Tokens are whitespace-separated words (``str.split()``): they are what ``max_tokens`` cuts,
what ``per_token_ms`` is charged for and what OpenAI ``usage`` counts. A streamed token
carries the whitespace before it (:func:`split_pieces`), so the deltas join to the answer.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Literal

import jinja2

from harness.emulator.noise import (
    RequestDraws,
    default_wrong_answer,
    is_correct,
    request_draws,
)
from harness.emulator.profiles import (
    DEFAULT_LATEST_UPDATE_TIME,
    ChatPrompt,
    EmulatorConfig,
    SimulatedModel,
    template_environment,
)

__all__ = [
    "CompiledModel",
    "Outcome",
    "TemplateFailed",
    "compile_models",
    "cut_at_stop",
    "draw_uniforms",
    "render_chat_prompt",
    "split_pieces",
    "truncate_tokens",
]

OutcomeKind = Literal["ok", "rate_limit", "server_error"]
_TOKEN = re.compile(r"\S+")
_PIECE = re.compile(r"\s*\S+")
_TWO_64 = float(1 << 64)


class TemplateFailed(Exception):
    """An answer template raised while rendering (e.g. ``match[3]`` on a 1-group regex)."""


@dataclass(frozen=True)
class Outcome:
    """The emulator's decision for one completion request.

    Times are seconds after the request arrived plus ``hang_s``: token ``k`` (0-based) of a
    stream is due at :meth:`token_due_s`, a non-streaming answer at ``delay_s``.
    """

    kind: OutcomeKind
    text: str = ""
    finish_reason: str = "stop"
    tokens: int = 0
    delay_s: float = 0.0
    ttft_s: float = 0.0
    per_token_s: float = 0.0
    itl_jitter_s: tuple[float, ...] = ()
    hang_s: float = 0.0
    retry_after_s: int = 0
    disconnect_after: int | None = None
    correct: bool | None = None  # a model with a skill: whether it gave its right answer

    def token_due_s(self, k: int) -> float:
        """When token ``k`` of a stream is due: TTFT, then one inter-token gap per token."""
        extra = self.itl_jitter_s
        return self.ttft_s + self.per_token_s * k + sum(extra[1 : k + 1] if extra else ())

    @property
    def disconnect_s(self) -> float:
        """When a disconnect fault cuts the connection: when its first unsent token is due."""
        return self.token_due_s(self.disconnect_after or 0)


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


def cut_at_stop(text: str, stop: Iterable[str]) -> str:
    """``text`` up to (not including) the earliest occurrence of any stop string."""
    end = len(text)
    for s in stop:
        found = text.find(s)
        if 0 <= found < end:
            end = found
    return text[:end]


def split_pieces(text: str) -> list[str]:
    """One piece per token, each with the whitespace before it; ``"".join`` gives ``text``.

    Trailing whitespace goes with the last token. A text without tokens is one piece
    (or none when empty), so even then the pieces join to the text.
    """
    pieces = _PIECE.findall(text)
    if not pieces:
        return [text] if text else []
    used = sum(map(len, pieces))
    if used < len(text):
        pieces[-1] += text[used:]
    return pieces


def render_chat_prompt(messages: Sequence[tuple[str, str]], mode: ChatPrompt) -> str:
    """The query response rules see for chat ``messages`` of (role, content).

    ``last_user``: the content of the last user message (``""`` when there is none).
    ``transcript``: ``"role: content"`` per message, joined by ``"\\n"``.
    """
    if mode == "transcript":
        return "\n".join(f"{role}: {content}" for role, content in messages)
    for role, content in reversed(messages):
        if role == "user":
            return content
    return ""


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
        self.chat_prompt: ChatPrompt = model.chat_prompt
        # What the OpenAI routes list and echo: the slug of a base model, else the id.
        self.openai_id = model.slug if model.is_base and model.slug else self.id
        self.capabilities = tuple(model.capabilities or ())
        self.base_model_id = (
            base_ids.get(model.base_model, model.base_model) if model.base_model else None
        )
        updated = model.latest_update_time or DEFAULT_LATEST_UPDATE_TIME
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=timezone.utc)
        self.created = int(updated.timestamp())
        self.latest_update_time = (
            updated.astimezone(timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        # Exact prompts: first rule index per prompt; regexes keep their rule index for ordering.
        self._exact: dict[str, int] = {}
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        self._answers: list[_Answer] = []
        self._wrong: list[_Answer | None] = []
        for i, rule in enumerate(model.responses):
            self._answers.append(_Answer(rule.answer, f"{self.name}: responses[{i}].answer"))
            wrong = rule.wrong if rule.wrong is not None else model.wrong_answer
            where = f"responses[{i}].wrong" if rule.wrong is not None else "wrong_answer"
            self._wrong.append(None if wrong is None else _Answer(wrong, f"{self.name}: {where}"))
            if rule.prompt is not None:
                self._exact.setdefault(rule.prompt, i)
            elif rule.regex is not None:
                self._regexes.append((i, re.compile(rule.regex)))
        self._default = _Answer(model.default, f"{self.name}: default")
        self._default_wrong = (
            None
            if model.wrong_answer is None
            else _Answer(model.wrong_answer, f"{self.name}: wrong_answer")
        )
        self.skill = model.skill
        self.consistency = 1.0 if model.consistency is None else model.consistency
        latency, faults = model.latency, model.faults
        self._delay_s = latency.delay_ms / 1000.0
        self._per_token_s = latency.per_token_ms / 1000.0
        self._delay = latency.delay
        self._per_token = latency.per_token
        # Only these need a request's noise draws (one hash); others skip it.
        self._noisy = (
            model.skill is not None or latency.delay is not None or latency.per_token is not None
        )
        self._jitter_s = latency.jitter_ms / 1000.0
        self._itl_jitter_s = latency.itl_jitter_ms / 1000.0
        self._p_rate_limit = faults.rate_limit
        self._p_server_error = faults.rate_limit + faults.server_error
        self._p_hang = self._p_server_error + faults.hang
        self._p_disconnect = self._p_hang + faults.disconnect
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

    def _rule(self, prompt: str) -> tuple[int, dict[int | str, Any]]:
        """The first matching rule's index (-1: none, the default answers) and its ``match``."""
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
                return i, groups
        return index, ({0: prompt} if index != -1 else {})

    def answer(self, prompt: str, correct: bool = True) -> str:
        """The rendered answer for ``prompt``: first matching rule, else the default.

        ``correct=False`` gives the wrong answer instead: the rule's ``wrong``, else the
        model's ``wrong_answer``, else a built-in reply sharing no word with the right one.
        """
        index, match = self._rule(prompt)
        context = {"prompt": prompt, "match": match, "model": self.template_model}
        right = (self._answers[index] if index != -1 else self._default).render(context)
        if correct:
            return right
        wrong = self._wrong[index] if index != -1 else self._default_wrong
        return default_wrong_answer(right) if wrong is None else wrong.render(context)

    def decide(
        self,
        prompt: str,
        n: int,
        max_tokens: int | None,
        choices: list[str] | None = None,
        stop: Sequence[str] = (),
    ) -> Outcome:
        """The outcome of the ``n``-th (0-based) request of ``prompt`` to this model.

        The answer is cut at the first stop string, then after ``max_tokens`` tokens
        (``finish_reason`` "length" only for the latter).
        """
        u_fault, u_jitter, u_choice = draw_uniforms(self.seed, self.id, prompt, n)
        if u_fault < self._p_rate_limit:
            return Outcome("rate_limit", retry_after_s=self._retry_after_s)
        if u_fault < self._p_server_error:
            return Outcome("server_error")
        hang_s = self._hang_s if u_fault < self._p_hang else 0.0
        draws = request_draws(self.seed, self.id, prompt, n) if self._noisy else None
        correct = None
        if self.skill is not None and draws is not None:
            correct = is_correct(self.seed, self.id, prompt, draws, self.skill, self.consistency)
        if choices:
            text = _choose(self.answer(prompt), choices, u_choice)
            if correct is False:
                text = _choose_other(text, choices, u_choice)
        else:
            text = self.answer(prompt, correct is not False)
        if stop:
            text = cut_at_stop(text, stop)
        text, tokens, cut = truncate_tokens(text, max_tokens)
        delay_s, per_token_s = self._delays(draws)
        ttft_s = delay_s + self._jitter_s * u_jitter
        itl_jitter: tuple[float, ...] = ()
        if self._itl_jitter_s > 0 and tokens:
            rng = random.Random(f"{self.seed}\x1f{self.id}\x1f{n}\x1f{prompt}")
            itl_jitter = tuple(self._itl_jitter_s * rng.random() for _ in range(tokens))
        disconnect = self._p_hang <= u_fault < self._p_disconnect
        return Outcome(
            "ok",
            text=text,
            finish_reason="length" if cut else "stop",
            tokens=tokens,
            delay_s=ttft_s + per_token_s * tokens + sum(itl_jitter),
            ttft_s=ttft_s,
            per_token_s=per_token_s,
            itl_jitter_s=itl_jitter,
            hang_s=hang_s,
            disconnect_after=tokens // 2 if disconnect else None,
            correct=correct,
        )

    def _delays(self, draws: RequestDraws | None) -> tuple[float, float]:
        """A request's delay (before jitter) and per-token delay, in seconds.

        Drawn ones come from the request's own seeded draws, so changing a median scales
        every request's delay by the same factor.
        """
        delay_s, per_token_s = self._delay_s, self._per_token_s
        if draws is not None:
            if self._delay is not None:
                delay_s = self._delay.draw_s(draws.delay)
            if self._per_token is not None:
                per_token_s = self._per_token.draw_s(draws.per_token)
        return delay_s, per_token_s


def _choose(text: str, choices: list[str], u: float) -> str:
    """Guidance: the answer when it is a choice, else the first choice it contains, else a draw."""
    stripped = text.strip()
    if stripped in choices:
        return stripped
    for choice in choices:
        if choice in text:
            return choice
    return choices[min(int(u * len(choices)), len(choices) - 1)]


def _choose_other(right: str, choices: list[str], u: float) -> str:
    """A wrong guided answer: a choice other than the right one, drawn (the right one if alone)."""
    others = [c for c in choices if c != right]
    return others[min(int(u * len(others)), len(others) - 1)] if others else right


def compile_models(config: EmulatorConfig) -> dict[str, CompiledModel]:
    """Compile every model of a validated config, keyed by model id, in declaration order."""
    base_ids: dict[str, str] = {}
    for m in config.models:
        if m.is_base:
            base_ids[m.model_id] = m.model_id
            if m.slug is not None:
                base_ids[m.slug] = m.model_id
    return {m.model_id: CompiledModel(m, base_ids, config.seed) for m in config.models}
