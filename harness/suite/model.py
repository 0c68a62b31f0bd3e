"""The YAML suite format as pydantic models: what a user may write, and nothing else.

A file is a ``SuiteFileSpec`` (every key optional, so that ``include:``d files can be partial);
the merged result must name the suite and have adapters and cases (see ``load.py``).
Expectations and adapter options are kept raw here and validated against their registries in
a second pass, so that each type gets precise errors.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from harness.gatespec import Gate, GateSyntaxError, parse_gate

__all__ = [
    "AdapterSpec",
    "CaseSpec",
    "ChatMessageSpec",
    "DefaultsSpec",
    "EmulatorRef",
    "GateSpec",
    "GenerationOptions",
    "MatrixSpec",
    "PassRule",
    "RetryPolicy",
    "SuiteFileSpec",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
# What `served_by: emulator` fills in at run time (stand-ins let the rest be checked at load).
EMULATOR_STAND_INS = {
    "host": "http://emulator/api",
    "access_token": "emulator",
    "workspace_id": "emulator",
    "api_base": "http://emulator/v1",
    "api_key": "emulator",
}
MISSING_PROMPT = "missing required key 'prompt' (or 'messages' for a chat)"
BOTH_PROMPTS = "give either 'prompt' or 'messages', not both"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmulatorRef(_Strict):
    """The embedded emulator for this suite's ``served_by: emulator`` adapters.

    Either a model file (``config``), or the models inline (``models``, with optional ``seed``,
    ``access_token``, ``workspace_id``: the emulator config format); neither means the
    emulator's built-in models. A bare string is a ``config`` path.
    """

    config: str | None = Field(
        default=None, description="Emulator model file (YAML), relative to the suite file"
    )
    seed: int | None = Field(default=None, description="Inline models: the random seed")
    access_token: str | None = Field(default=None, description="Inline: the accepted token")
    workspace_id: str | None = Field(default=None, description="Inline: the accepted workspace")
    models: list[dict[str, Any]] | None = Field(
        default=None, description="Simulated models inline (the emulator config's `models`)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> EmulatorRef:
        if self.config is not None and (
            self.models is not None
            or self.seed is not None
            or self.access_token is not None
            or self.workspace_id is not None
        ):
            raise ValueError("give either 'config' (a file) or the models inline, not both")
        return self


RetryableError = Literal["rate_limited", "server_error", "timeout", "connection"]


class RetryPolicy(_Strict):
    """Retries with exponential backoff and jitter; a server's Retry-After is honoured."""

    max_attempts: int = Field(
        default=3, ge=1, le=20, description="Requests per case at most (1: never retry)"
    )
    backoff_s: float = Field(default=0.5, ge=0, description="First wait; doubles each retry")
    max_backoff_s: float = Field(default=30.0, ge=0, description="Longest wait between tries")
    jitter: float = Field(
        default=0.25, ge=0, le=1, description="Each wait is stretched by up to this fraction"
    )
    retry_on: list[RetryableError] = Field(
        default_factory=lambda: list[RetryableError](["rate_limited"]),
        description="Error kinds worth another try (default: only rate limiting, which says "
        "nothing about the model's quality)",
    )


class AdapterSpec(BaseModel):
    """An adapter: its registered ``type`` plus that type's options (validated per type).

    Option values may hold ``${ENV_VAR}`` references, resolved when the run starts and never
    written to any output.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Registered adapter type, e.g. gradient-adapter, gradient-base")
    served_by: Literal["emulator"] | None = Field(
        default=None,
        description="'emulator': host and credentials come from the suite's embedded emulator",
    )
    role: Literal["candidate", "judge"] = "candidate"
    concurrency: int | None = Field(
        default=None, ge=1, le=1024, description="Requests in flight to this adapter at once"
    )
    rpm: float | None = Field(
        default=None, gt=0, description="Requests per minute to this adapter at most"
    )


class GenerationOptions(_Strict):
    """Completion options passed to the adapter with each request."""

    temperature: float | None = Field(default=None, ge=0, description="Sampling temperature")
    top_k: int | None = Field(default=None, gt=0, description="Consider only the top k tokens")
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling mass")
    max_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate")


class MatrixSpec(_Strict):
    """Expand a case (or every case) over the cartesian product of these lists."""

    vars: dict[str, list[Any]] = Field(
        default_factory=dict, description="Template variables, each with its list of values"
    )
    generation: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="Generation options (temperature, top_k, top_p, max_tokens), each a list",
    )

    @model_validator(mode="after")
    def _non_empty_lists(self) -> MatrixSpec:
        for group, values in (("vars", self.vars), ("generation", self.generation)):
            for key, options in values.items():
                if not options:
                    raise ValueError(f"matrix.{group}.{key} needs at least one value")
        unknown = set(self.generation) - set(GenerationOptions.model_fields)
        if unknown:
            raise ValueError(
                f"matrix.generation: unknown option(s) {sorted(unknown)}; expected any of: "
                + ", ".join(GenerationOptions.model_fields)
            )
        return self


class PassRule(_Strict):
    """How a case's expectations combine into one verdict."""

    mode: Literal["all", "any", "weighted"] = Field(
        default="all",
        description="all: every expectation passes; any: at least one; weighted: the "
        "weight-averaged score reaches min_score",
    )
    min_score: float = Field(
        default=1.0, ge=0, le=1, description="For mode 'weighted': the score a case needs"
    )


class ChatMessageSpec(_Strict):
    """One chat message; ``content`` is a template over the case's vars."""

    role: Literal["system", "user", "assistant"]
    content: str


class DefaultsSpec(_Strict):
    """Applied to every case: expectations are added, the rest is the base a case overrides."""

    expect: list[Any] = Field(default_factory=list, description="Expectations for every case")
    generation: GenerationOptions = Field(default_factory=GenerationOptions)
    vars: dict[str, Any] = Field(default_factory=dict, description="Template variables")
    matrix: MatrixSpec | None = Field(default=None, description="Expand every case")
    pass_rule: PassRule | Literal["all", "any"] | None = Field(
        default=None, alias="pass", description="Default pass rule for every case"
    )
    repeat: int = Field(default=1, ge=1, le=1000, description="Send every case N times")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CaseSpec(_Strict):
    """One prompt (or chat) and the properties its answer must have."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(
        default=None, pattern=_NAME, description="Unique id; derived from the prompt when absent"
    )
    description: str = ""
    prompt: str | None = Field(
        default=None, min_length=1, description="Prompt text (a Jinja2 template over vars)"
    )
    messages: list[ChatMessageSpec] | None = Field(
        default=None, min_length=1, description="Chat messages instead of a prompt"
    )
    vars: dict[str, Any] = Field(default_factory=dict, description="Template variables")
    expect: list[Any] = Field(
        default_factory=list,
        description="Expectations, each a single-key mapping: '- contains: Paris'",
    )
    tags: list[str] = Field(default_factory=list)
    cluster: str | None = Field(
        default=None,
        min_length=1,
        description="Cases that share a context (a document, a conversation) share a cluster; "
        "kept in records so comparisons can use clustered standard errors",
    )
    generation: GenerationOptions | None = None
    matrix: MatrixSpec | None = None
    pass_rule: PassRule | Literal["all", "any"] | None = Field(default=None, alias="pass")
    repeat: int | None = Field(default=None, ge=1, le=1000, description="Send this case N times")

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> CaseSpec:
        if self.prompt is None and self.messages is None:
            raise ValueError(MISSING_PROMPT)
        if self.prompt is not None and self.messages is not None:
            raise ValueError(BOTH_PROMPTS)
        return self


class GateSpec(_Strict):
    """A quality gate: an expression (docs/gates.md), or the older mapping form.

    ``- pass_rate[v2]>=0.9`` (a string) is the expression form; the mapping form (a threshold
    on one adapter, or ``baseline``/``candidate``/``max_regression``) still loads and is
    translated into expressions by :meth:`to_gates`. Both are enforced by ``harness gate`` and
    ``harness run``.
    """

    expr: str | None = Field(
        default=None,
        description="A gate expression: pass_rate>=0.9, latency_p95_ms[v2]<=800, "
        "no_regression(pass_rate, margin=0.05)... (a plain string item is the same)",
    )
    min_pass_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="A case passes a pass-rate threshold only if it passes this share of "
        "its repeats",
    )
    name: str | None = None
    metric: str | None = Field(
        default=None,
        description="pass_rate, error_rate, latency_p50_ms, latency_p90_ms, latency_p99_ms, "
        "ttft_p50_ms, ttft_p90_ms, or expectation:<metric name> (that expectation's pass rate)",
    )
    adapter: str | None = Field(default=None, description="The adapter a threshold applies to")
    min: float | None = None
    max: float | None = None
    baseline: str | None = Field(default=None, description="Adapter compared against")
    candidate: str | None = Field(default=None, description="Adapter that must not regress")
    max_regression: float | None = Field(
        default=None, ge=0, description="Largest allowed change for the worse, in metric units"
    )
    _origin: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"expr": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _shape(self) -> GateSpec:
        if self.expr is not None or self.min_pass_share is not None:
            others = self.model_dump(exclude={"expr", "min_pass_share", "name"}, exclude_none=True)
            if others or (self.expr is not None and self.min_pass_share is not None):
                raise ValueError("a gate expression stands alone: write it as a plain string")
            if self.expr is not None:
                try:  # a syntax error fails the load, with file:line
                    parse_gate(self.expr, origin="")
                except GateSyntaxError as exc:
                    raise ValueError(str(exc)) from None
            return self
        if self.metric is None:
            raise ValueError("a gate needs an expression (pass_rate>=0.9) or a 'metric'")
        threshold = self.adapter is not None
        compare = self.baseline is not None or self.candidate is not None
        if threshold == compare:
            raise ValueError(
                "a gate needs either 'adapter' with 'min'/'max', or 'baseline' and 'candidate' "
                "with 'max_regression'"
            )
        if threshold and self.min is None and self.max is None:
            raise ValueError("a threshold gate needs 'min' or 'max'")
        if compare and (self.baseline is None or self.candidate is None):
            raise ValueError("a comparison gate needs both 'baseline' and 'candidate'")
        return self

    def located(self, origin: str) -> GateSpec:
        """Remember where the gate was written (file:line:col), for messages at evaluation."""
        self._origin = origin
        return self

    @property
    def origin(self) -> str:
        return self._origin or "suite"

    def to_gates(self) -> list[Gate]:
        """The gate(s) this entry means in the expression grammar.

        Raises:
            GateSyntaxError: a mapping the grammar cannot express (a regression limit on a
                figure the paired comparison does not compute, such as latency_p90_ms).
        """
        if self.expr is not None:
            return [parse_gate(self.expr, self.origin)]
        if self.min_pass_share is not None:
            return [parse_gate(f"min_pass_share={self.min_pass_share:g}", self.origin)]
        assert self.metric is not None
        if self.adapter is not None:
            ops = ((">=", self.min), ("<=", self.max))
            return [
                parse_gate(f"{self.metric}[adapter={self.adapter}]{op}{value:g}", self.origin)
                for op, value in ops
                if value is not None
            ]
        margin = self.max_regression if self.max_regression is not None else 0.0
        return [
            parse_gate(
                f"no_regression({self.metric}[adapter={self.candidate}], margin={margin:g}, "
                f"against={self.baseline})",
                self.origin,
            )
        ]


def _string_or_gate(schema: dict[str, Any]) -> None:
    """A plain string item is an expression (GateSpec's before-validator): tell editors."""
    expression = {"type": "string", "description": "A gate expression (docs/gates.md)"}
    schema["items"] = {"anyOf": [expression, schema["items"]]}


class ExecutionSpec(_Strict):
    """Where a suite's requests run (``harness run --executor`` etc. override each key)."""

    executor: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="'local' (one process, the default) or 'ray' (Ray workers: docs/scale-out.md)",
    )
    workers: int | None = Field(
        default=None, ge=1, le=1024, description="Ray workers (default: one per CPU)"
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to join ('auto', 'ray://host:10001'); default: a local Ray",
    )


class SuiteFileSpec(_Strict):
    """One suite file. Included files may omit anything; the merged suite must be complete."""

    name: str | None = Field(default=None, min_length=1, description="Name of the suite")
    description: str | None = None
    include: list[str] = Field(
        default_factory=list,
        description="Other suite files (relative paths), merged before this one",
    )
    emulator: EmulatorRef | str | None = Field(
        default=None,
        description="The embedded emulator: a model file, {config: FILE}, or models inline",
    )
    concurrency: int | None = Field(
        default=None, ge=1, le=1024, description="Requests in flight at once (default 8)"
    )
    request_timeout_s: float | None = Field(
        default=None, gt=0, description="Upper bound on one request, whatever the adapter"
    )
    retries: RetryPolicy | None = Field(default=None, description="Retry policy")
    warmup: int | None = Field(
        default=None, ge=0, le=100, description="Uncounted warm-up requests per adapter"
    )
    order_seed: int | None = Field(
        default=None, description="Seed of the (recorded) order in which adapters take turns"
    )
    execution: ExecutionSpec | None = Field(
        default=None, description="Where the requests run: executor, workers, Ray address"
    )
    adapters: dict[str, AdapterSpec] = Field(
        default_factory=dict, description="Adapters to compare, by name"
    )
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    cases: list[CaseSpec] = Field(default_factory=list)
    datasets: list[dict[str, Any]] = Field(
        default_factory=list, description="Cases generated from dataset rows"
    )
    gates: list[GateSpec] = Field(
        default_factory=list,
        description="Quality gates: expressions such as 'pass_rate>=0.9' (docs/gates.md)",
        json_schema_extra=_string_or_gate,
    )
