"""What load_suite returns: the frozen Suite and its AdapterConfigs, ready to run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.adapters.base import AdapterType
from harness.errors import Location
from harness.suite.envref import resolve_env_refs
from harness.suite.expand import Case
from harness.suite.model import ExecutionSpec, GateSpec, RetryPolicy

__all__ = ["AdapterConfig", "Suite", "SuiteInput"]


@dataclass(frozen=True)
class AdapterConfig:
    """A named adapter of a suite, its options validated against its type.

    ``raw_options`` keep ``${ENV}`` references as written; ``resolved_options()`` reads the
    environment when the run starts. ``role: judge`` adapters only serve LLM-as-judge metrics.
    """

    name: str
    type: AdapterType
    options: BaseModel
    served_by: str | None = None
    raw_options: dict[str, Any] = field(default_factory=dict)
    role: str = "candidate"
    concurrency: int | None = None
    rpm: float | None = None

    @property
    def model(self) -> str:
        return str(getattr(self.options, self.type.model_option, ""))

    def resolved_options(self) -> dict[str, Any]:
        resolved: dict[str, Any] = resolve_env_refs(self.raw_options)
        return resolved


@dataclass(frozen=True)
class SuiteInput:
    """One input file of a suite: what it is (``dataset`` …), its path and its sha256."""

    kind: str
    path: str  # relative to the suite file's folder, posix-style
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class Suite:
    """A loaded suite: everything a run needs, validated."""

    name: str
    description: str
    path: Path
    sha256: str
    adapters: tuple[AdapterConfig, ...]
    cases: tuple[Case, ...]
    concurrency: int
    request_timeout_s: float
    emulator_config: Path | None = None  # the emulator's model file, when it has one
    gates: tuple[GateSpec, ...] = ()
    files: tuple[Path, ...] = ()
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    warmup: int = 0
    order_seed: int = 0
    emulator: Any = None  # the EmulatorConfig to start for `served_by: emulator` adapters
    # every file that shapes the cases (YAML, datasets, emulator models, custom checks,
    # cassettes) with its sha256; ``sha256`` covers them all
    inputs: tuple[SuiteInput, ...] = ()
    # what `harness validate` could not check without running the suite's code
    warnings: tuple[Location, ...] = ()
    execution: ExecutionSpec | None = None  # where the requests run (the `execution:` key)

    def input_digests(self) -> list[dict[str, str]]:
        """``inputs`` as run.json records them: kind, path and sha256 of each."""
        return [item.as_dict() for item in self.inputs]

    @property
    def candidates(self) -> tuple[AdapterConfig, ...]:
        """The adapters every case is sent to (judges excluded)."""
        return tuple(a for a in self.adapters if a.role == "candidate")
