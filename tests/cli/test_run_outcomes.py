"""An adapter that never answered exits 5 (unless allowed); the lag line says what it means."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import RunCli
from tests.cli.test_run_failures import MODELS, OK_ID, _adapter, _flaky_id, _suite

Write = Callable[..., Path]

BLOCKING = '''
import time
from typing import Any

from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata


class BlockingLLM(CustomLLM):
    """Async in name only: it blocks the event loop for 60 ms per answer."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="blocking")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        time.sleep(0.06)

        async def gen() -> Any:
            yield CompletionResponse(text="ok", delta="ok")

        return gen()

    async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
        return await self.astream_complete("")
'''


def _mixed_suite(write_suite: Write) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(
        _suite(_adapter("good", OK_ID) + "\n" + _adapter("flaky", _flaky_id()), cases=3)
    )


def test_an_adapter_that_never_answered_exits_5_and_is_named(
    write_suite: Write, run_cli: RunCli, tmp_path: Path
) -> None:
    suite = _mixed_suite(write_suite)
    proc = run_cli("run", str(suite), "--run-id", "m", "-q", "--no-reports")
    assert proc.returncode == 5, proc.stderr
    err = " ".join(proc.stderr.split())  # the console wraps long lines
    assert "error: adapter 'flaky' never answered: all 3 of its requests failed" in err
    assert "1 adapter(s) never answered: flaky (3 errors)" in err
    assert "--allow-adapter-errors" in err
    assert "good" not in err.split("never answered")[0].rsplit("error:", 1)[-1]
    assert "│ good" in proc.stdout  # the summary table is still printed
    assert (tmp_path / "reports" / "m" / "results.jsonl").read_text().count("\n") == 6


def test_allow_adapter_errors_exits_0_but_still_says_so(
    write_suite: Write, run_cli: RunCli
) -> None:
    suite = _mixed_suite(write_suite)
    proc = run_cli(
        "run", str(suite), "--run-id", "a", "-q", "--no-reports", "--allow-adapter-errors"
    )
    assert proc.returncode == 0, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "warning: adapter 'flaky' never answered: all 3 of its requests failed" in err


def test_failed_expectations_alone_still_exit_0(write_suite: Write, run_cli: RunCli) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(
        _suite(_adapter("good", OK_ID), cases=2).replace("contains: fine", "contains: nope")
    )
    proc = run_cli("run", str(suite), "--run-id", "f", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    assert "never answered" not in proc.stderr


def test_lag_line_says_the_wait_is_the_configured_limits_and_does_not_warn(
    write_suite: Write, run_cli: RunCli
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = write_suite(_suite(_adapter("good", OK_ID), cases=6, concurrency=1))
    proc = run_cli("run", str(suite), "--run-id", "l", "-q", "--no-reports", "--rpm", "600")
    assert proc.returncode == 0, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "mean queue wait" not in err
    assert "for a free slot under the configured limits (concurrency 1, rpm 600 (good))" in err
    assert "not counted in latency" in err
    assert "warning" not in err


def test_lag_warning_only_when_the_harness_event_loop_was_the_bottleneck(
    write_suite: Write, run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "blocking.py").write_text(BLOCKING)
    cases = "".join(f"  - {{id: c{i}, prompt: p{i}}}\n" for i in range(8))
    suite = write_suite(
        "name: blocking\nadapters:\n"
        "  b: {type: llama-index, class_path: 'blocking:BlockingLLM'}\n"
        "cases:\n" + cases
    )
    proc = run_cli("run", str(suite), "--run-id", "b", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "warning: the harness's event loop ran up to" in err
    assert "the harness itself, not the model or the configured limits" in err


def test_run_help_documents_the_exit_codes_and_the_flag(run_cli: RunCli) -> None:
    proc = run_cli("run", "--help")
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "--allow-adapter-errors" in out
    assert "Exit codes:" in out
    assert "2 interrupted (Ctrl-C or SIGTERM)" in out
    assert "5 the run could not complete: every request failed, or an adapter never" in out
