"""The emulator's config format: simulated models, their canned answers, latency and faults.

Everything a user writes in an emulator YAML file is one of these pydantic models. Checks
that span several models (duplicate ids, ``base_model`` references) live in
:func:`config_problems`, so the loader can point each one at its own line.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, Literal

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from harness.emulator.noise import Distribution
from harness.yamlio import describe_path

__all__ = [
    "ANSWER_VARIABLES",
    "BASE_MODEL_SUFFIX",
    "DEFAULT_ANSWER",
    "DEFAULT_LATEST_UPDATE_TIME",
    "DEFER_CROSS_CHECKS",
    "MODEL_ADAPTER_SUFFIX",
    "MODEL_ID_LENGTH",
    "Distribution",
    "EmulatorConfig",
    "Faults",
    "Latency",
    "ResponseRule",
    "SimulatedModel",
    "config_problems",
    "derive_model_id",
    "template_environment",
]

MODEL_ID_LENGTH = 50  # the SDK's constr(min_length=50, max_length=50) on every model id
MODEL_ADAPTER_SUFFIX = "_model_adapter"
BASE_MODEL_SUFFIX = "_base_ml_model"
ANSWER_VARIABLES = frozenset({"prompt", "match", "model"})
DEFAULT_ANSWER = "Simulated answer from {{ model.name }}."
DEFAULT_LATEST_UPDATE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
# validation context key: the loader runs config_problems itself, to report file:line per problem
DEFER_CROSS_CHECKS = "harness.emulator.defer_cross_checks"

# Fixed namespace: a model's derived id must not change between runs or machines.
_ID_NAMESPACE = uuid.UUID("5b0c2f4e-9a57-4d0e-8a53-3c1f1e4d2b6a")
_ID_CHARS = re.compile(r"[A-Za-z0-9_.~-]+")

ModelType = Literal["modelAdapter", "baseModel"]
ChatPrompt = Literal["last_user", "transcript"]
Capability = Literal["complete", "fineTune"]
Path_ = tuple[str | int, ...]

_ENVIRONMENT = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
)


def template_environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed Jinja2 environment answers are compiled in (StrictUndefined)."""
    return _ENVIRONMENT


def derive_model_id(name: str, model_type: ModelType) -> str:
    """A stable 50-char id shaped like Gradient's: uuid5 + `_model_adapter` or `_base_ml_model`."""
    suffix = BASE_MODEL_SUFFIX if model_type == "baseModel" else MODEL_ADAPTER_SUFFIX
    return f"{uuid.uuid5(_ID_NAMESPACE, f'{model_type}:{name}')}{suffix}"


def _check_template(text: str) -> str:
    try:
        ast = _ENVIRONMENT.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(
            f"invalid Jinja2 template (template line {exc.lineno}): {exc.message}"
        ) from None
    unknown = sorted(meta.find_undeclared_variables(ast) - ANSWER_VARIABLES)
    if unknown:
        raise ValueError(
            f"the template uses undefined variable(s) {', '.join(unknown)}; "
            f"available: {', '.join(sorted(ANSWER_VARIABLES))}"
        )
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResponseRule(_Strict):
    """One canned answer: the first rule whose ``prompt`` equals or ``regex`` matches wins.

    The query is the Gradient ``query``, the OpenAI completion ``prompt``, or the chat
    messages rendered as the model's ``chat_prompt`` says.
    """

    prompt: str | None = Field(
        default=None, description="Answer when the query is exactly this string."
    )
    regex: str | None = Field(
        default=None,
        description="Answer when this Python regex matches anywhere in the query (re.search); "
        "its groups are available to the answer as match[1], match['name'].",
    )
    answer: str = Field(
        description="Jinja2 template of the answer; variables: prompt (the query), match (regex "
        "groups; match[0] is the whole match), model (id, name, slug, type, base_model_id)."
    )
    wrong: str | None = Field(
        default=None,
        description="Jinja2 template of the wrong answer a model with a 'skill' gives instead "
        "(same variables); default: the model's wrong_answer.",
    )

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @field_validator("answer", "wrong")
    @classmethod
    def _answer_template(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)

    @model_validator(mode="after")
    def _one_matcher(self) -> ResponseRule:
        if (self.prompt is None) == (self.regex is None):
            raise ValueError("a response rule needs exactly one of 'prompt' or 'regex'")
        return self


class Latency(_Strict):
    """When an answer is sent; one profile serves both APIs (tokens are whitespace-separated words).

    Streaming (OpenAI routes with ``stream: true``): the first token is written
    ``delay_ms + jitter`` after the request arrived (the time to first token), and each later
    token ``per_token_ms + itl_jitter`` after the previous one was due (the inter-token
    latency). Non-streaming (Gradient ``complete``, OpenAI routes without ``stream``): the
    whole answer is sent after ``delay_ms + jitter + Σ(per_token_ms + itl_jitter)`` over
    every output token, one inter-token step later than its last token would have streamed.
    ``jitter`` is drawn once per request from [0, jitter_ms); each ``itl_jitter`` once per
    token from [0, itl_jitter_ms); both are seeded like faults. ``delay`` and ``per_token``
    (drawn once per request, seeded) replace ``delay_ms`` and ``per_token_ms``.
    """

    delay_ms: float = Field(
        default=0.0,
        ge=0,
        description="Fixed delay before every answer; when streaming, the time to first token.",
    )
    per_token_ms: float = Field(
        default=0.0,
        ge=0,
        description="Delay per output token (whitespace-separated word of the answer); when "
        "streaming, the gap between one token and the next.",
    )
    jitter_ms: float = Field(
        default=0.0,
        ge=0,
        description="Extra delay drawn uniformly from [0, jitter_ms) once per request, seeded; "
        "when streaming it delays the first token (and so every later one).",
    )
    itl_jitter_ms: float = Field(
        default=0.0,
        ge=0,
        description="Extra delay drawn uniformly from [0, itl_jitter_ms) for each token, seeded; "
        "when streaming it lengthens the gap before that token.",
    )
    delay: Distribution | None = Field(
        default=None,
        description="Instead of delay_ms: the delay (time to first token) drawn per request, "
        "e.g. {distribution: lognormal, median_ms: 200, spread: 0.3}.",
    )
    per_token: Distribution | None = Field(
        default=None,
        description="Instead of per_token_ms: the delay per output token, drawn once per "
        "request (the request's decoding pace).",
    )

    @model_validator(mode="after")
    def _fixed_or_drawn(self) -> Latency:
        for drawn, fixed in (("delay", "delay_ms"), ("per_token", "per_token_ms")):
            if getattr(self, drawn) is not None and fixed in self.model_fields_set:
                raise ValueError(f"give either '{fixed}' or '{drawn}', not both")
        return self


class Faults(_Strict):
    """Injected failures for completions; probabilities share one draw, so they must sum to <= 1.

    429 and 500 are answered at once, before any streaming starts. A hang holds the request
    (before the response headers) for ``hang_s``, then the answer follows its latency profile.
    A disconnect closes the connection where the answer reaches half its tokens (rounded
    down): a stream stops after those tokens, with no final chunk and no ``[DONE]``; a
    non-streaming request gets no response at all, at the moment that token would have streamed.
    """

    rate_limit: float = Field(
        default=0.0, ge=0, le=1, description="Probability of a 429 with a Retry-After header."
    )
    retry_after_s: int = Field(
        default=1, ge=0, description="Seconds sent in Retry-After with a 429."
    )
    server_error: float = Field(default=0.0, ge=0, le=1, description="Probability of a 500.")
    hang: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Probability that the answer is held back for hang_s (released at stop).",
    )
    hang_s: float = Field(
        default=600.0, gt=0, description="How long a hanging request is held before it answers."
    )
    disconnect: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Probability that the connection is closed halfway through the answer "
        "(a stream after half its tokens; a non-streaming request without a response).",
    )

    @model_validator(mode="after")
    def _sum_at_most_one(self) -> Faults:
        if self.rate_limit + self.server_error + self.hang + self.disconnect > 1.0 + 1e-9:
            raise ValueError(
                "rate_limit + server_error + hang + disconnect must be at most 1 "
                "(they share one draw)"
            )
        return self


class SimulatedModel(_Strict):
    """A base model or model adapter the emulator lists and answers for."""

    id: str | None = Field(
        default=None,
        description="The 50-character model id; derived from name and type when absent "
        "(uuid5 + '_model_adapter' or '_base_ml_model', as Gradient's ids are shaped).",
    )
    name: str = Field(min_length=1, description="Display name; also the seed of a derived id.")
    type: ModelType | None = Field(
        default=None,
        description="'baseModel' or 'modelAdapter'; when absent, a slug means baseModel.",
    )
    slug: str | None = Field(
        default=None, min_length=1, description="Base models only: the slug clients look up."
    )
    base_model: str | None = Field(
        default=None,
        description="Model adapters only: slug or id of a base model declared in the same file.",
    )
    capabilities: list[Capability] | None = Field(
        default=None,
        description="Base models only: 'complete' and/or 'fineTune' (default: both).",
    )
    latest_update_time: datetime | None = Field(
        default=None,
        description="Model adapters only: the latestUpdateTime reported (default 2024-01-01Z).",
    )
    responses: list[ResponseRule] = Field(
        default_factory=list, description="Ordered answer rules; the first match wins."
    )
    default: str = Field(
        default=DEFAULT_ANSWER,
        description="Jinja2 template of the answer when no rule matches.",
    )
    chat_prompt: ChatPrompt = Field(
        default="last_user",
        description="What response rules match for an OpenAI chat request: 'last_user', the "
        "content of the last user message ('' when there is none), or 'transcript', every "
        "message as 'role: content', joined by newlines.",
    )
    latency: Latency = Field(default_factory=Latency, description="Simulated answer latency.")
    faults: Faults = Field(default_factory=Faults, description="Injected failures.")
    skill: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The expected accuracy over prompts: each answer is right (by the rules) "
        "with a probability from this skill and the prompt's difficulty, else wrong. "
        "Absent: always right (deterministic).",
    )
    consistency: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="With skill: the probability that a repeat of a prompt keeps the model's "
        "first-drawn outcome for it instead of drawing afresh (default 1: repeats agree).",
    )
    wrong_answer: str | None = Field(
        default=None,
        description="With skill: Jinja2 template of the wrong answer (rules may set their own "
        "'wrong'); default: 'I am not sure.', or another built-in reply sharing no word with "
        "the right answer.",
    )

    @field_validator("default", "wrong_answer")
    @classmethod
    def _default_template(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)

    @model_validator(mode="after")
    def _resolve(self) -> SimulatedModel:
        # Fill derived values here so every consumer sees one resolved model.
        if self.type is None:
            self.type = "baseModel" if self.slug is not None else "modelAdapter"
        if self.id is None:
            self.id = derive_model_id(self.name, self.type)
        if self.type == "baseModel" and self.capabilities is None:
            self.capabilities = ["complete", "fineTune"]
        return self

    @property
    def model_id(self) -> str:
        """The resolved id (always set after validation)."""
        return self.id or derive_model_id(self.name, self.type or "modelAdapter")

    @property
    def is_base(self) -> bool:
        return self.type == "baseModel"


def _id_is_derived(model: SimulatedModel) -> bool:
    return model.model_id == derive_model_id(model.name, model.type or "modelAdapter")


def _model_problems(index: int, model: SimulatedModel) -> list[tuple[Path_, str]]:
    at: Path_ = ("models", index)
    out: list[tuple[Path_, str]] = []
    if model.skill is None:
        for key in ("consistency", "wrong_answer"):
            if getattr(model, key) is not None:
                out.append(((*at, key), f"'{key}' applies only to a model with a 'skill'"))
        for r, rule in enumerate(model.responses):
            if rule.wrong is not None:
                where = (*at, "responses", r, "wrong")
                out.append((where, "'wrong' applies only to a model with a 'skill'"))
    if model.id is not None:
        if len(model.id) != MODEL_ID_LENGTH:
            out.append(
                (
                    (*at, "id"),
                    f"expected exactly {MODEL_ID_LENGTH} characters (the SDK rejects other "
                    f"lengths), got {len(model.id)}; omit id to derive one from the name",
                )
            )
        elif not _ID_CHARS.fullmatch(model.id):
            out.append(((*at, "id"), "expected letters, digits, '_', '-', '.' or '~' only"))
    if model.is_base:
        if model.slug is None:
            out.append((at, "a base model needs a 'slug'"))
        if model.base_model is not None:
            out.append(((*at, "base_model"), "'base_model' applies to model adapters only"))
        if model.latest_update_time is not None:
            out.append(
                ((*at, "latest_update_time"), "'latest_update_time' applies to model adapters only")
            )
    else:
        if model.slug is not None:
            out.append(((*at, "slug"), "'slug' applies to base models only (type: baseModel)"))
        if model.capabilities is not None:
            out.append(((*at, "capabilities"), "'capabilities' applies to base models only"))
        if model.base_model is None:
            out.append((at, "a model adapter needs 'base_model': the slug or id of a base model"))
    return out


def config_problems(config: EmulatorConfig) -> list[tuple[Path_, str]]:
    """Checks across models: unique ids and slugs, resolvable ``base_model`` references."""
    out: list[tuple[Path_, str]] = []
    ids: dict[str, int] = {}
    slugs: dict[str, int] = {}
    for i, model in enumerate(config.models):
        out.extend(_model_problems(i, model))
        if model.model_id in ids:
            derived = _id_is_derived(model)
            how = f" (derived from name '{model.name}')" if derived else ""
            out.append(
                (
                    ("models", i, "name" if derived else "id"),
                    f"duplicate model id '{model.model_id}'{how}; first declared at "
                    f"models[{ids[model.model_id]}]",
                )
            )
        else:
            ids[model.model_id] = i
        if model.is_base and model.slug is not None:
            if model.slug in slugs:
                out.append(
                    (
                        ("models", i, "slug"),
                        f"duplicate slug '{model.slug}'; "
                        f"first declared at models[{slugs[model.slug]}]",
                    )
                )
            else:
                slugs[model.slug] = i
    bases = {m.model_id for m in config.models if m.is_base}
    bases |= {m.slug for m in config.models if m.is_base and m.slug is not None}
    for i, model in enumerate(config.models):
        ref = model.base_model
        if not model.is_base and ref is not None and ref not in bases:
            known = sorted({m.slug for m in config.models if m.is_base and m.slug is not None})
            listed = ", ".join(known) if known else "none declared"
            out.append(
                (
                    ("models", i, "base_model"),
                    f"'{ref}' is not the slug or id of a declared base model; slugs: {listed}",
                )
            )
    return out


class EmulatorConfig(_Strict):
    """What one emulator serves: its models, accepted credentials and random seed."""

    seed: int = Field(
        default=0,
        description="Seeds every random draw (faults, jitter, drawn delays, right or wrong "
        "answers); same seed, same outcomes.",
    )
    access_token: str | None = Field(
        default=None,
        min_length=1,
        description="The only bearer token accepted; any non-empty token when absent.",
    )
    workspace_id: str | None = Field(
        default=None,
        min_length=1,
        description="The only x-gradient-workspace-id accepted; any non-empty one when absent.",
    )
    models: list[SimulatedModel] = Field(
        default_factory=list, description="The simulated base models and model adapters."
    )

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> EmulatorConfig:
        context: Any = info.context
        if isinstance(context, dict) and context.get(DEFER_CROSS_CHECKS):
            return self
        problems = config_problems(self)
        if problems:
            raise ValueError(
                "; ".join(f"{describe_path(path)}: {message}" for path, message in problems)
            )
        return self

    def model(self, key: str) -> SimulatedModel:
        """The model with this id, base-model slug or name (KeyError when none)."""
        for m in self.models:
            if key in (m.model_id, m.name) or (m.is_base and m.slug == key):
                return m
        raise KeyError(key)
