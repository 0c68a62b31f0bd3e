"""What a suite may write for ``type: replay``: the cassette, the adapter and the timing.

Plain pydantic, so validating a suite never imports llama-index (the LLM is ``replay_llm.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from harness.records.jsonl import iter_jsonl
from harness.registry import suggest

__all__ = ["ReplayOptions", "ReplayTiming"]

ReplayTiming = Literal["recorded", "instant"]


class ReplayOptions(BaseModel):
    """Options of ``type: replay`` in a suite."""

    model_config = ConfigDict(extra="forbid")

    cassette: Path = Field(
        description="A cassette.jsonl written by `harness run --record` (a relative path is "
        "relative to the suite file's folder)"
    )
    adapter: str | None = Field(
        default=None,
        description="The recorded adapter to replay; required when the cassette holds several",
    )
    timing: ReplayTiming = Field(
        default="instant",
        description="'recorded': each chunk arrives at its recorded offset (TTFT and latency "
        "as recorded, as lower bounds); 'instant': no waiting",
    )

    @property
    def model(self) -> str:
        """How reports name the model: the replayed adapter, or the cassette file."""
        return f"replay:{self.adapter or self.cassette.name}"

    def load_problems(self, from_env: frozenset[str]) -> list[tuple[str, str]]:
        """(option, problem) pairs a run would fail on: no cassette, or nothing of the adapter.

        Reads only each line's ``adapter``; damaged entries are reported when the run loads
        them. A cassette path read from ``${ENV}`` is checked when the run starts instead.
        """
        if "cassette" in from_env:
            return []
        path = self.cassette
        if not path.is_file():
            return [
                (
                    "cassette",
                    f"cassette file not found: {path} (record one with `harness run "
                    "--record`; a relative path is relative to the suite file)",
                )
            ]
        try:
            names = sorted(set(iter_jsonl(path, _adapter_of)))
        except HarnessError as exc:
            return [("cassette", f"cannot read the cassette: {exc}")]
        if not names:
            return [("cassette", f"cassette {path} holds no recordings")]
        if self.adapter is None:
            if len(names) > 1:
                return [
                    (
                        "adapter",
                        f"cassette {path} holds several adapters "
                        f"({', '.join(names)}): say which to replay with 'adapter'",
                    )
                ]
        elif self.adapter not in names:
            return [
                (
                    "adapter",
                    f"cassette {path} has no recordings of adapter "
                    f"'{self.adapter}'{suggest(self.adapter, names)}; it holds: {', '.join(names)}",
                )
            ]
        return []


def _adapter_of(line: bytes) -> str:
    """The recorded adapter of one cassette line (ValueError when it names none)."""
    entry: Any = json.loads(line)
    if not isinstance(entry, dict) or not isinstance(entry.get("adapter"), str):
        raise ValueError("a cassette entry needs an 'adapter'")
    return str(entry["adapter"])
