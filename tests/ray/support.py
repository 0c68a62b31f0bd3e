"""Helpers of the Ray executor's tests: suites over the embedded emulator, reading runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.records.store import read_records

Write = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
TOKEN = "tok-9c2e77b1d04f4e3a8b5f"


def cli(cwd: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """``harness ARGS`` in a subprocess (this checkout importable)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args], cwd=cwd, env=env, text=True, **popen
    )


def wait_for_lines(path: Path, lines: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_text().count("\n") >= lines:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {lines} lines (exit {proc.poll()})")


def emulated_suite(
    write_suite: Write,
    cases: int = 20,
    delay_ms: int = 5,
    extra: str = "",
    concurrency: int = 4,
    token: str | None = None,
    expect: str = "",
    base_extra: str = "",
) -> Path:
    """Two emulated adapters; odd cases fail their expectation (verdicts to compare);
    ``expect`` adds expectations to every case."""
    write_suite(
        (f"access_token: {token}\n" if token else "") + "models:\n"
        "  - {name: base, slug: base, default: 'base says {{ prompt }}', "
        f"latency: {{delay_ms: {delay_ms}}}}}\n"
        f"  - {{id: {ID}, name: echo, base_model: base, default: 'echo {{{{ prompt }}}}', "
        f"latency: {{delay_ms: {delay_ms}}}}}\n",
        "models.yaml",
    )
    body = "".join(
        f"  - {{id: c{i:02d}, prompt: 'p{i}', "
        f"expect: [contains: {'p' if i % 2 else 'x'}{i}{expect}]}}\n"
        for i in range(cases)
    )
    return write_suite(
        f"name: rayrun\nemulator: {{config: models.yaml}}\nconcurrency: {concurrency}\n"
        "adapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}{extra}}}\n"
        f"  base: {{type: gradient-base, served_by: emulator, base_model_slug: base{base_extra}}}\n"
        "cases:\n" + body
    )


def verdicts(run_dir: Path) -> dict[tuple[str, str, int], tuple[Any, ...]]:
    """Per key: the verdict, the plan position and every expectation's (name, passed)."""
    return {
        (r.case_id, r.adapter, r.repeat): (
            r.passed,
            r.seq,
            tuple((e.name, e.passed) for e in r.expectations),
        )
        for r in read_records(run_dir)
    }


def key_counts(run_dir: Path) -> Counter[tuple[str, str, int]]:
    return Counter((r.case_id, r.adapter, r.repeat) for r in read_records(run_dir))


def files_holding(root: Path, secret: bytes) -> list[Path]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                try:
                    if secret in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue  # a socket or a file Ray removed meanwhile
    return found
