"""The ``replay`` adapter type: answers from a cassette recorded with ``harness run --record``.

Offline and deterministic; how requests are matched to recordings and timed is described in
``replay_llm.py``. This module loads without llama-index: ``ReplayLLM`` loads on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from harness.adapters.base import AdapterType
from harness.adapters.replay_options import ReplayOptions, ReplayTiming
from harness.lazy import lazy_exports
from harness.records.cassette import ReplayMissError

if TYPE_CHECKING:
    from harness.adapters.replay_llm import ReplayLLM

__all__ = ["REPLAY", "ReplayLLM", "ReplayMissError", "ReplayOptions", "ReplayTiming"]


def _build(options: BaseModel) -> ReplayLLM:
    from harness.adapters.replay_llm import ReplayLLM

    assert isinstance(options, ReplayOptions)
    return ReplayLLM.from_cassette(options.cassette, adapter=options.adapter, timing=options.timing)


REPLAY = AdapterType(
    name="replay",
    options=ReplayOptions,
    build=_build,
    description="Answers from a cassette recorded with `harness run --record`: offline, "
    "deterministic, optionally with the recorded timing",
    model_option="adapter",
    path_options=("cassette",),
)


__getattr__ = lazy_exports(__name__, {"ReplayLLM": "harness.adapters.replay_llm"})  # llama-index
