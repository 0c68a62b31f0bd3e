"""Secret scrubbing keeps ordinary settings: a host from ${ENV} stays readable in errors,
while a token from ${ENV} appears in no file the run writes (records, run.json, reports)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_records
from harness.report.base import write_reports
from harness.runner.setup import run_secrets

Write = Callable[..., Path]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
TOKEN = "tok-3f9a1c77e2b84d05a6c1"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the socket closes: nothing listens


def test_host_from_env_shows_in_connection_errors_and_token_never_appears(
    write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api"
    monkeypatch.setenv("SOME_URL", url)
    monkeypatch.setenv("SOME_TOKEN", TOKEN)
    path = write_suite(
        "name: scrub\nadapters:\n"
        "  remote:\n    type: gradient-adapter\n"
        f"    model_adapter_id: {ADAPTER_ID}\n"
        "    host: ${SOME_URL}\n    access_token: ${SOME_TOKEN}\n    workspace_id: ws-1\n"
        "    timeout: 5\n"
        "cases: [{id: a, prompt: one}, {id: b, prompt: two}]\n"
    )
    suite = load_suite(path)
    outcome = run_suite(suite, RunOptions(output_dir=tmp_path / "out", run_id="r"))
    records = list(read_records(outcome.run_dir))
    assert len(records) == 2
    for record in records:
        assert record.error is not None and record.error.type == "connection"
        assert url in record.error.message, record.error.message
        assert "***" not in record.error.message

    write_reports(outcome.run_dir)
    written = sorted(p for p in outcome.run_dir.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {"results.jsonl", "run.json", "report.md", "report.html"}
    for file in written:
        assert TOKEN.encode() not in file.read_bytes(), file.name


def test_run_secrets_are_secret_options_and_their_variables_only(
    write_suite: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_URL", "http://models.internal:8080/api")
    monkeypatch.setenv("SOME_MODEL", "llama3")
    monkeypatch.setenv("INNER_KEY", "inner-key-value")
    monkeypatch.setenv("PREFIXED", "abc123")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    suite = load_suite(
        write_suite(
            "name: scrub\nadapters:\n"
            "  a:\n    type: openai-compatible\n    model: ${SOME_MODEL}\n"
            "    api_base: ${SOME_URL}\n    api_key: 'Bearer-${PREFIXED}'\n"
            "  b:\n    type: llama-index\n"
            "    class_path: 'llama_index.core.llms.mock:MockLLM'\n"
            "    kwargs: {max_tokens: 5, api_key: '${INNER_KEY}'}\n"
            "cases: [{id: a, prompt: one}]\n"
        )
    )
    resolved = {a.name: a.resolved_options() for a in suite.adapters}
    secrets = run_secrets(suite, resolved)
    assert set(secrets) == {"Bearer-abc123", "abc123", "inner-key-value"}
    assert secrets.index("Bearer-abc123") < secrets.index("abc123")  # longest first
