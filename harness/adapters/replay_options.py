"""What a suite may write for ``type: replay``: the cassette, the adapter and the timing.

Plain pydantic, so validating a suite never imports llama-index (the LLM is ``replay_llm.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
