"""The emulator stands alone: importing it loads nothing of the harness but the shared low layer."""

from __future__ import annotations

import subprocess
import sys

SHARED = (
    "harness.emulator",
    "harness.errors",
    "harness.lazy",
    "harness.registry",
    "harness.yamlio",
)


def test_importing_the_emulator_loads_only_the_shared_low_layer() -> None:
    code = (
        "import sys, harness.emulator, harness.emulator.server; "
        "print('\\n'.join(m for m in sys.modules if m.startswith('harness.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.split()
    assert "harness.emulator.server" in loaded
    assert [m for m in loaded if not m.startswith(SHARED)] == []
