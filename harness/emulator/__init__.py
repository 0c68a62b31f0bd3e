"""An embedded API emulator: simulated models served over real loopback HTTP.

It speaks the Gradient REST subset ``gradientai`` uses (``/api``) and the OpenAI-compatible
API with true token streaming (``/v1``: :mod:`harness.emulator.openai_api`), both from one
YAML config of models, answer rules, latency profiles and faults
(:mod:`harness.emulator.profiles`); models may be noisy, right or wrong with a seeded
probability and with drawn delays (:mod:`harness.emulator.noise`, docs/emulator.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.emulator.load import load_emulator_config
from harness.emulator.profiles import EmulatorConfig, SimulatedModel
from harness.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.emulator.server import EmulatorServer, emulator

__all__ = [
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_WORKSPACE_ID",
    "EmulatorConfig",
    "EmulatorServer",
    "SimulatedModel",
    "emulator",
    "load_emulator_config",
]

DEFAULT_ACCESS_TOKEN = "emulator-token"
"""The bearer token ``harness run`` gives adapters it points at the emulator."""
DEFAULT_WORKSPACE_ID = "emulator-workspace"
"""The workspace id ``harness run`` gives adapters it points at the emulator."""


# The server (aiohttp) loads on first use: validating a suite's emulator section stays light.
__getattr__ = lazy_exports(
    __name__, {"EmulatorServer": "harness.emulator.server", "emulator": "harness.emulator.server"}
)
