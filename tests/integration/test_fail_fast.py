"""Fail fast on errors that cannot heal: an adapter refused for its key or its model is stopped
after a few errors in a row; its other requests are recorded, unsent, saying why. Rate limits
and server errors keep their retries. Real emulator over loopback, real llama-index clients.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.analysis.errors import error_groups
from harness.emulator import EmulatorServer
from harness.emulator.profiles import EmulatorConfig
from harness.records.store import read_records
from harness.runner.drive import UNHEALABLE_STREAK, Driver
from harness.runner.plan import plan_requests
from harness.runner.prepare import close_llms
from harness.runner.settings import RunSettings
from harness.runner.setup import EmulatorHandle, build_llm

Write = Callable[..., Path]
KEY = "right-key"
CASES = 24
CONCURRENCY = 4


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig.model_validate(
        {"access_token": KEY, "models": [{"name": "base", "slug": "base", "default": "hi"}]}
    )
    emu = EmulatorServer(config)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def _openai_like(server: EmulatorServer, *, model: str, key: str) -> str:
    # llama-index's own OpenAILike: it has no aprepare, so nothing is checked before the run
    # and every refusal reaches the driver, as with any third-party llama-index LLM.
    return (
        "    type: llama-index\n"
        "    class_path: 'llama_index.llms.openai_like:OpenAILike'\n"
        f"    kwargs: {{model: {model}, api_base: '{server.openai_base_url}', api_key: {key},"
        " is_chat_model: false, max_retries: 0, timeout: 10}\n"
    )


def _run(path: Path, out: Path) -> Path:
    outcome = run_suite(load_suite(path), RunOptions(output_dir=out, run_id="r"))
    # OpenAILike has no aclose/close, so the harness cannot close its httpx client; collect
    # it here, where its unclosed-socket warning is expected, not at the end of the session.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return outcome.run_dir


def _cases() -> str:
    return "cases:\n" + "".join(f"  - {{id: c{i:02d}, prompt: 'q {i}'}}\n" for i in range(CASES))


@pytest.mark.parametrize(
    ("model", "key", "kind", "status"),
    [
        ("base", "wrong-key", "authentication", "401"),
        ("no-such-model", KEY, "model not found", "404"),
    ],
)
def test_adapter_refused_is_stopped_after_a_few_errors_and_every_record_says_why(
    server: EmulatorServer,
    write_suite: Write,
    tmp_path: Path,
    model: str,
    key: str,
    kind: str,
    status: str,
) -> None:
    path = write_suite(
        f"name: fail-fast\nconcurrency: {CONCURRENCY}\nadapters:\n"
        f"  bad:\n{_openai_like(server, model=model, key=key)}"
        f"  good:\n{_openai_like(server, model='base', key=KEY)}" + _cases()
    )
    run_dir = _run(path, tmp_path)
    stats = server.stats()
    refused = stats["by_status"].get(status, 0)
    # The streak, plus at most what was already in flight when it was reached.
    assert UNHEALABLE_STREAK <= refused <= UNHEALABLE_STREAK + CONCURRENCY - 1, stats
    assert stats["by_status"]["200"] == CASES  # the other adapter ran every case

    records = list(read_records(run_dir))
    assert len(records) == 2 * CASES
    bad = [r for r in records if r.adapter == "bad"]
    assert len(bad) == CASES and all(r.error is not None for r in bad)
    sent = [r for r in bad if r.attempts]
    unsent = [r for r in bad if not r.attempts]
    assert len(sent) == refused and len(unsent) == CASES - refused
    for r in unsent:
        assert r.error is not None
        assert r.error.message == f"not sent: adapter failing with {kind} errors"
        assert r.latency_ms is None and r.output is None
    for r in sent:
        assert r.error is not None and r.error.status == int(status)
    assert all(r.error is None for r in records if r.adapter == "good")

    (group,) = error_groups(bad)
    assert group.kind == kind.replace("model ", "")
    assert (group.count, group.not_sent) == (CASES, CASES - refused)
    assert "not sent" not in group.example  # the example is a real refusal


MODELS_WITH_FAULTS = """
models:
  - {name: base, slug: base}
  - id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter
    name: flaky
    base_model: base
    faults: {%s: 1.0, retry_after_s: 0}
"""


@pytest.mark.parametrize(
    ("fault", "kind"), [("rate_limit", "rate_limited"), ("server_error", "server_error")]
)
def test_rate_limits_and_server_errors_keep_their_retries(
    write_suite: Write, tmp_path: Path, fault: str, kind: str
) -> None:
    write_suite(MODELS_WITH_FAULTS % fault, "models.yaml")
    path = write_suite(
        "name: retries\nconcurrency: 4\nemulator: {config: models.yaml}\n"
        f"retries: {{max_attempts: 2, backoff_s: 0, retry_on: [{kind}]}}\n"
        "adapters:\n  flaky: {type: gradient-adapter, served_by: emulator,\n"
        "    model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter}\n" + _cases()
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
    records = list(read_records(outcome.run_dir))
    assert len(records) == CASES
    for r in records:
        assert r.error is not None and r.error.type == kind
        assert r.attempts == 2 and not r.error.message.startswith("not sent")


def test_driver_stops_a_gradient_adapter_whose_token_is_refused(write_suite: Write) -> None:
    """The Driver seam alone: a Gradient adapter whose token the server refuses after it was
    prepared (a token revoked mid-run), driven concurrently."""
    adapter_id = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
    write_suite(
        f"access_token: {KEY}\nmodels:\n  - {{name: base, slug: base}}\n"
        f"  - {{id: {adapter_id}, name: a, base_model: base}}\n",
        "models.yaml",
    )
    suite = load_suite(
        write_suite(
            "name: drive\nemulator: {config: models.yaml}\nadapters:\n"
            f"  a: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {adapter_id},"
            " access_token: revoked}\n" + _cases()
        )
    )
    settings = RunSettings.of(suite, RunOptions(concurrency=CONCURRENCY))
    plan = list(plan_requests(suite.cases, suite.candidates, seed=1, repeat=1))

    async def drive(llms: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
        try:
            with Driver(llms, settings, run_id="r") as driver:
                return [r async for r in driver.drive(plan)], driver.stopped
        finally:
            await close_llms(llms.values())

    with EmulatorHandle(suite) as emu:
        llms = {a.name: build_llm(a, emu.options_for(a, resolve=True)) for a in suite.adapters}
        records, stopped = asyncio.run(drive(llms))
        stats = emu.server.stats()
    assert stopped == {"a": "authentication"}
    assert UNHEALABLE_STREAK <= stats["by_status"]["401"] <= UNHEALABLE_STREAK + CONCURRENCY - 1
    assert len(records) == CASES
    unsent = [r for r in records if r.attempts == 0]
    assert len(unsent) == CASES - stats["by_status"]["401"]
    assert {r.error.message for r in unsent} == {
        "not sent: adapter failing with authentication errors"
    }
