"""SIGTERM is handled like Ctrl-C; every interruption prints the --resume command that works."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_run_failures import MODELS, OK_ID, _adapter, _slow_id, _suite

Write = Callable[..., Path]

STUBBORN = '''
import asyncio
from typing import Any

from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata


class StubbornLLM(CustomLLM):
    """Answers nothing and ignores cancellation: a stop that never finishes by itself."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="stubborn")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        open("in-flight", "w").close()  # the test sends SIGTERM once this exists

        async def gen() -> Any:
            while True:
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    pass
            yield CompletionResponse(text="")

        return gen()

    async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
        return await self.astream_complete("")
'''


def _slow_suite(write_suite: Write) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(
        _suite(
            _adapter("good", OK_ID) + "\n" + _adapter("slow", _slow_id()), cases=6, concurrency=2
        )
    )


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_records(results: Path, proc: subprocess.Popen[str], count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and results.read_text().count("\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no record in {results}")


def _resume_line(stderr: str) -> list[str]:
    (line,) = [ln for ln in stderr.splitlines() if ln.startswith("resume with: ")]
    return shlex.split(line.removeprefix("resume with: "))


def _keys(run_dir: Path) -> Counter[tuple[str, str, int]]:
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    return Counter((r["case_id"], r["adapter"], r["repeat"]) for r in map(json.loads, lines))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_interruption_exits_2_marks_run_json_and_prints_a_resume_that_works(
    write_suite: Write, tmp_path: Path, sig: signal.Signals
) -> None:
    suite = _slow_suite(write_suite)
    run_dir = tmp_path / "out" / "r"
    args = ("run", str(suite), "-o", "out", "--run-id", "r", "--repeat", "2", "-q")
    proc = _start(tmp_path, *args, "--no-reports")
    _wait_for_records(run_dir / "results.jsonl", proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert "Traceback" not in stderr
    by = "SIGTERM" if sig == signal.SIGTERM else "Ctrl-C"
    assert f"interrupted ({by}): records written so far are kept in" in stderr
    keys = _keys(run_dir)
    assert 1 <= sum(keys.values()) < 24 and max(keys.values()) == 1

    command = _resume_line(stderr)
    assert command[:3] == ["harness", "run", str(suite)]
    assert command[-2:] == ["--resume", "r"]
    assert "-o" in command and command[command.index("-o") + 1] == "out"
    assert "--repeat" in command and command[command.index("--repeat") + 1] == "2"
    assert "--run-id" not in command
    done = subprocess.run(
        [sys.executable, "-m", "harness", *command[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    keys = _keys(run_dir)
    assert len(keys) == 24 and set(keys.values()) == {1}  # 6 cases x 2 adapters x 2 repeats
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"


def test_sigterm_with_sigint_ignored_still_interrupts(write_suite: Write, tmp_path: Path) -> None:
    """A background job in a script has SIGINT ignored; SIGTERM must still stop it cleanly."""
    suite = _slow_suite(write_suite)
    run_dir = tmp_path / "reports" / "bg"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(suite), "--run-id", "bg", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    _wait_for_records(run_dir / "results.jsonl", proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert _resume_line(stderr) == ["harness", "run", str(suite), "--quiet", "--resume", "bg"]


def test_a_second_sigterm_stops_a_stop_that_hangs(write_suite: Write, tmp_path: Path) -> None:
    (tmp_path / "stubborn.py").write_text(STUBBORN)
    suite = write_suite(
        "name: stubborn\nadapters:\n"
        "  s: {type: llama-index, class_path: 'stubborn:StubbornLLM'}\n"
        "cases:\n  - {id: a, prompt: hi}\n"
    )
    proc = _start(tmp_path, "run", str(suite), "--run-id", "h", "--no-reports")
    in_flight = tmp_path / "in-flight"
    deadline = time.monotonic() + 60
    while not in_flight.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert in_flight.exists(), "the request was never sent"
    time.sleep(0.2)
    try:
        proc.send_signal(signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=2)  # the adapter ignores the cancel: the first stop hangs
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGTERM, stderr
    assert "send it again to stop at once" in stderr


def test_sigterm_handler_is_installed_only_while_the_command_runs() -> None:
    from harness.cli.exits import TerminateAsInterrupt

    def mine(signum: int, frame: object) -> None:
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        terminate = TerminateAsInterrupt()
        with terminate.installed():
            assert signal.getsignal(signal.SIGTERM) not in (mine, signal.SIG_DFL)
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
