"""An embedded Gradient REST API emulator: simulated models served over real loopback HTTP."""

from __future__ import annotations

from harness.emulator.load import load_emulator_config
from harness.emulator.profiles import EmulatorConfig, SimulatedModel
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
