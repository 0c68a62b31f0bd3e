"""The YAML suite format as pydantic models: what a user may write, and nothing else."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdapterSpec",
    "CaseSpec",
    "DefaultsSpec",
    "EmulatorRef",
    "GenerationOptions",
    "SuiteSpec",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmulatorRef(_Strict):
    """Run the embedded Gradient API emulator for this suite's ``served_by: emulator`` adapters."""

    config: str = Field(description="Emulator model file (YAML), relative to the suite file")


class AdapterSpec(BaseModel):
    """An adapter: its registered ``type`` plus that type's options (validated per type)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Registered adapter type, e.g. gradient-adapter, gradient-base")
    served_by: Literal["emulator"] | None = Field(
        default=None,
        description="'emulator': host and credentials come from the suite's embedded emulator",
    )

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class GenerationOptions(_Strict):
    """Completion options passed to the adapter for each request."""

    temperature: float | None = Field(default=None, ge=0, description="Sampling temperature")
    top_k: int | None = Field(default=None, gt=0, description="Consider only the top k tokens")
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling mass")
    max_tokens: int | None = Field(default=None, gt=0, description="Most tokens to generate")


class DefaultsSpec(_Strict):
    """Applied to every case: expectations are added, generation options are the base."""

    expect: list[Any] = Field(default_factory=list, description="Expectations for every case")
    generation: GenerationOptions = Field(default_factory=GenerationOptions)


class CaseSpec(_Strict):
    """One prompt and the properties its answer must have."""

    id: str | None = Field(
        default=None, pattern=_NAME, description="Unique id; derived from the prompt when absent"
    )
    description: str = ""
    prompt: str = Field(min_length=1, description="The prompt sent to every adapter")
    expect: list[Any] = Field(
        default_factory=list,
        description="Expectations, each a single-key mapping: '- contains: Paris'",
    )
    tags: list[str] = Field(default_factory=list)
    generation: GenerationOptions | None = None


class SuiteSpec(_Strict):
    """A suite file."""

    name: str = Field(min_length=1, description="Name of the suite")
    description: str = ""
    emulator: EmulatorRef | None = None
    concurrency: int = Field(default=8, ge=1, le=1024, description="Requests in flight at once")
    request_timeout_s: float = Field(
        default=120.0, gt=0, description="Upper bound on one request, whatever the adapter"
    )
    adapters: dict[str, AdapterSpec] = Field(
        min_length=1, description="Adapters to compare, by name"
    )
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    cases: list[CaseSpec] = Field(min_length=1)
