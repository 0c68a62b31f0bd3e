"""The run engine against the emulator: retries, warm-up, sync adapters, order, measurements."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import RunOptions, load_suite, run_suite
from harness.emulator import EmulatorServer, load_emulator_config
from harness.records.store import read_manifest, read_records

Write = Callable[..., Path]
LIMITED = "5a1e5b07-0003-4000-8000-00000000000c_model_adapter"
FINE = "5a1e5b07-0004-4000-8000-00000000000d_model_adapter"
MODELS = f"""
seed: 5
models:
  - {{name: base, slug: base}}
  - {{id: {LIMITED}, name: limited, base_model: base, default: ok,
     faults: {{rate_limit: 1.0, retry_after_s: 0}}}}
  - {{id: {FINE}, name: fine, base_model: base, default: "one two three four"}}
"""


def _stats(base_url: str) -> dict[str, Any]:
    root = base_url.removesuffix("/api")
    with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=10) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return stats


def _suite(write_suite: Write, base_url: str, body: str, adapters: str = "") -> Path:
    where = f"host: '{base_url}', access_token: t, workspace_id: w"
    return write_suite(
        "name: engine\nadapters:\n"
        f"  fine: {{type: gradient-adapter, model_adapter_id: {FINE}, {where}}}\n"
        + adapters.format(where=where)
        + body
    )


def test_rate_limited_requests_are_retried_then_fail(write_suite: Write, tmp_path: Path) -> None:
    config = load_emulator_config(write_suite(MODELS, "models.yaml"))
    with EmulatorServer(config) as url:
        path = _suite(
            write_suite,
            url,
            "retries: {max_attempts: 3, backoff_s: 0.01, jitter: 0}\n"
            "cases: [{id: a, prompt: p}, {id: b, prompt: q}]\n",
            f"  limited: {{{{type: gradient-adapter, model_adapter_id: {LIMITED}, {{where}}}}}}\n",
        )
        outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
        stats = _stats(url)
    records = {(r.adapter, r.case_id): r for r in read_records(outcome.run_dir)}
    for case in ("a", "b"):
        limited = records[("limited", case)]
        assert limited.attempts == 3 and limited.error is not None
        assert limited.error.type == "rate_limited"
        assert records[("fine", case)].attempts == 1 and records[("fine", case)].passed
    assert stats["by_model"][LIMITED]["429"] == 6
    manifest = read_manifest(outcome.run_dir)
    assert manifest.execution["retries"]["max_attempts"] == 3


def test_no_retry_when_not_asked(write_suite: Write, tmp_path: Path) -> None:
    config = load_emulator_config(write_suite(MODELS, "models.yaml"))
    with EmulatorServer(config) as url:
        path = _suite(
            write_suite,
            url,
            "cases: [{id: a, prompt: p}]\n",
            f"  limited: {{{{type: gradient-adapter, model_adapter_id: {LIMITED}, {{where}}}}}}\n",
        )
        outcome = run_suite(
            load_suite(path), RunOptions(output_dir=tmp_path, run_id="r", max_attempts=1)
        )
    record = next(r for r in read_records(outcome.run_dir) if r.adapter == "limited")
    assert record.attempts == 1


def test_warm_up_requests_are_sent_but_not_recorded(write_suite: Write, tmp_path: Path) -> None:
    config = load_emulator_config(write_suite(MODELS, "models.yaml"))
    with EmulatorServer(config) as url:
        path = _suite(
            write_suite, url, "warmup: 2\ncases: [{id: a, prompt: p}, {id: b, prompt: q}]\n"
        )
        outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
        stats = _stats(url)
    assert len(list(read_records(outcome.run_dir))) == 2
    assert stats["by_route"]["complete"] == 4  # 2 warm-up + 2 counted
    assert read_manifest(outcome.run_dir).execution["warmup_requests_per_adapter"] == 2


def test_measurements_and_seeded_order(write_suite: Write, tmp_path: Path) -> None:
    config = load_emulator_config(write_suite(MODELS, "models.yaml"))
    with EmulatorServer(config) as url:
        where = f"host: '{url}', access_token: t, workspace_id: w"
        path = write_suite(
            "name: order\norder_seed: 11\nadapters:\n"
            f"  one: {{type: gradient-adapter, model_adapter_id: {FINE}, {where}}}\n"
            f"  two: {{type: gradient-adapter, model_adapter_id: {FINE}, {where}}}\n"
            "cases:\n" + "".join(f"  - {{id: c{i}, prompt: p{i}}}\n" for i in range(10))
        )
        runs = [
            list(read_records(run_suite(load_suite(path), RunOptions(tmp_path, f"r{i}")).run_dir))
            for i in range(2)
        ]
    orders = [sorted((r.seq, r.case_id, r.adapter) for r in records) for records in runs]
    assert orders[0] == orders[1]  # same seed, same order
    assert [s for s, _, _ in orders[0]] == list(range(20))
    record = runs[0][0]
    assert record.output == "one two three four"
    assert record.output_tokens == 4 and record.output_tokens_source == "cl100k_base"
    assert record.tokens_per_s is not None and record.tokens_per_s > 0
    assert record.decode_tokens_per_s is None  # one chunk: no decode speed to speak of
    assert record.queue_wait_ms >= 0 and record.attempts == 1


def test_sync_only_llm_runs_in_threads_and_streams(write_suite: Write, tmp_path: Path) -> None:
    path = write_suite(
        "name: sync\nadapters:\n"
        "  mock: {type: llama-index, class_path: 'llama_index.core.llms.mock:MockLLM', "
        "kwargs: {max_tokens: 5}}\n"
        "cases: [{id: a, prompt: 'hello there', expect: [max_words: 10]}]\n"
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
    (record,) = list(read_records(outcome.run_dir))
    assert record.passed and record.output == "text text text text text"
    assert record.timing is not None and len(record.timing.chunk_ns) == 5  # true streaming
    assert record.streaming_emulated is False
    assert record.timing.itl_mean_ms is not None and record.ttft_ms is not None
    assert read_manifest(outcome.run_dir).harness_lag["sync_adapters_in_threads"] == ["mock"]
