"""Start-up: the garbage collector is left as it was found."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from harness import RunOptions, load_suite, run_suite

Write = Callable[..., Path]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base}}
  - {{id: {ADAPTER_ID}, name: echo, base_model: base, default: "echo: {{{{ prompt }}}}"}}
"""


def _suite(write_suite: Write) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(
        "name: startup\nemulator: {config: models.yaml}\nadapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ADAPTER_ID}}}\n"
        "cases: [{id: a, prompt: one}, {id: b, prompt: two}]\n"
    )


def test_the_collector_is_as_it_was_after_a_run(write_suite: Write, tmp_path: Path) -> None:
    before = gc.get_threshold(), gc.isenabled()
    run_suite(load_suite(_suite(write_suite)), RunOptions(output_dir=tmp_path, run_id="r"))
    assert (gc.get_threshold(), gc.isenabled()) == before
    assert gc.get_freeze_count() == 0
