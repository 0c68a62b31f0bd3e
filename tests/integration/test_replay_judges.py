"""Judge calls are recorded with --record and replayed: a recorded run re-scores offline."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import RunOptions, load_suite, run_suite
from harness.emulator import EmulatorServer, load_emulator_config
from harness.records.store import read_records

Write = Callable[..., Path]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base says {{{{ prompt }}}}"}}
  - {{id: {ID}, name: echo, base_model: base, default: "echo {{{{ prompt }}}}",
     latency: {{delay_ms: 20}}}}
  - {{name: judge, slug: judge, default: "Looks right.\\nSCORE: 8"}}
"""
# min 0.5 passes on 8/10, min 0.9 fails: both verdicts must survive the replay
CASES = """cases:
  - id: kind
    prompt: ping
    expect: [llm_judge: {judge: grader, rubric: Echoes the prompt., min: 0.5}]
  - id: strict
    prompt: pong
    expect: [llm_judge: {judge: grader, rubric: Echoes it perfectly., min: 0.9}]
"""


def _requests(base_url: str) -> int:
    root = base_url.removesuffix("/api")
    with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=10) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return sum(sum(by_status.values()) for by_status in stats["by_model"].values())


def _verdicts(run_dir: Path) -> dict[str, tuple[bool, list[tuple[bool, float | None, str]]]]:
    return {
        r.case_id: (r.passed, [(e.passed, e.score, e.reason) for e in r.expectations])
        for r in read_records(run_dir)
    }


def test_judged_run_replays_offline_with_the_same_verdicts(
    write_suite: Write, tmp_path: Path
) -> None:
    config = load_emulator_config(write_suite(MODELS, "models.yaml"))
    with EmulatorServer(config) as base_url:
        where = f"host: '{base_url}', access_token: t, workspace_id: w"
        live = write_suite(
            "name: judged\nadapters:\n"
            f"  echo: {{type: gradient-adapter, model_adapter_id: {ID}, {where}}}\n"
            f"  grader: {{type: gradient-base, base_model_slug: judge, role: judge, {where}}}\n"
            + CASES
        )
        recorded = run_suite(
            load_suite(live), RunOptions(output_dir=tmp_path, run_id="rec", record=True)
        )
        sent_live = _requests(base_url)
        cassette = recorded.run_dir / "cassette.jsonl"
        entries = [json.loads(line) for line in cassette.read_text().splitlines()]
        judged = [e for e in entries if e["adapter"] == "grader"]
        assert len(judged) == 2 and all(e["role"] == "judge" for e in judged)
        assert all(e["chunks"] == ["Looks right.\nSCORE: 8"] for e in judged)

        replay = write_suite(
            "name: judged\nadapters:\n"
            "  echo: {type: replay, cassette: rec/cassette.jsonl, adapter: echo}\n"
            "  grader: {type: replay, cassette: rec/cassette.jsonl, adapter: grader, "
            "role: judge}\n" + CASES,
            "replay.yaml",
        )
        replayed = run_suite(load_suite(replay), RunOptions(output_dir=tmp_path, run_id="rep"))
        assert _requests(base_url) == sent_live  # the replay sent nothing to the server

    before, after = _verdicts(recorded.run_dir), _verdicts(replayed.run_dir)
    assert before == after
    assert after["kind"][0] is True and after["strict"][0] is False
    assert all(r.error is None for r in read_records(replayed.run_dir))
