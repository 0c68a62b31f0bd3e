"""A temporary project for the plugin's tests: two small suites on the embedded emulator.

pytester itself is enabled in the repository's root conftest.py (``pytest_plugins`` is only
honoured there); each test runs pytest in a subprocess, as a user would, with the plugin
loaded through its ``pytest11`` entry point.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOOD_ID = "0c0a0000-0000-4000-8000-00000000000a_model_adapter"
BAD_ID = "0c0a0000-0000-4000-8000-00000000000b_model_adapter"
BROKEN_ID = "0c0a0000-0000-4000-8000-00000000000c_model_adapter"

MODELS = f"""
seed: 1
models:
  - name: base
    slug: base
  - name: good
    id: {GOOD_ID}
    base_model: base
    default: "fine"
    latency: {{delay_ms: 5}}
  - name: bad
    id: {BAD_ID}
    base_model: base
    default: "wrong answer"
    latency: {{delay_ms: 5}}
  - name: broken
    id: {BROKEN_ID}
    base_model: base
    default: "never"
    faults: {{server_error: 1.0}}
"""

SMALL = f"""
name: small
emulator: {{config: models.yaml}}
adapters:
  good: {{type: openai-compatible, served_by: emulator, model: {GOOD_ID}}}
  bad: {{type: openai-compatible, served_by: emulator, model: {BAD_ID}}}
cases:
  - id: greet
    prompt: Say something fine.
    tags: [smalltalk]
    expect: [contains: fine]
  - id: other
    prompt: Another one.
    tags: [geo]
    expect: [contains: fine]
gates:
  - pass_rate[good]>=0.9
  - pass_rate>=0.9
"""

BROKEN = f"""
name: broken
emulator: {{config: models.yaml}}
retries: {{max_attempts: 1}}
adapters:
  broken: {{type: openai-compatible, served_by: emulator, model: {BROKEN_ID}}}
cases:
  - id: ping
    prompt: Anyone there?
    expect: [contains: fine]
"""

SMALL_IDS = [
    "suites/small.yaml::greet[good]",
    "suites/small.yaml::greet[bad]",
    "suites/small.yaml::other[good]",
    "suites/small.yaml::other[bad]",
    "suites/small.yaml::gate[pass_rate[good]>=0.9]",
    "suites/small.yaml::gate[pass_rate>=0.9]",
]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The temporary project: suites/{models,small,broken}.yaml and an ini opting in small."""
    suites = pytester.mkdir("suites")
    (suites / "models.yaml").write_text(MODELS)
    (suites / "small.yaml").write_text(SMALL)
    (suites / "broken.yaml").write_text(BROKEN)
    pytester.makeini("[pytest]\nharness_suites = suites/small.yaml\n")
    return pytester


QUIET_PLUGINS = ("-p", "no:hypothesispytest")
"""hypothesis's plugin costs seconds of import in every subprocess and is not used here."""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in a subprocess in the temporary project, as a user would run it.

    Without the xdist worker variables of this test run (``-n``): pytest-benchmark disables
    itself in a process that looks like an xdist worker.
    """
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("PYTEST_XDIST")]:
            env.delenv(name)
        return pytester.runpytest_subprocess(*QUIET_PLUGINS, *args, timeout=120)


def records(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def collected_ids(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]
