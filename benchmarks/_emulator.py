"""The embedded emulator in a process of its own, for benchmarks: its CPU is not the harness's.

    with emulator_process(CONFIG) as (base_url, pid): ...

yields the Gradient base URL (or, with ``openai=True``, the OpenAI-compatible one) and the
server's pid; leaving the block stops the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[2])
from harness.emulator import EmulatorConfig, EmulatorServer
server = EmulatorServer(EmulatorConfig.model_validate(json.loads(sys.argv[1])))
url = server.start()
print(server.openai_base_url if sys.argv[3] == "openai" else url, flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def emulator_process(config: dict[str, Any], *, openai: bool = False) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of an emulator serving ``config`` in a child process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(config), str(REPO), "openai" if openai else ""],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield proc.stdout.readline().strip(), proc.pid
    finally:
        proc.stdin.close()
        proc.wait(30)
