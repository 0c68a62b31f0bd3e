"""The Redactor and where it is in effect: text, chunks, JSON lines, run.json, reports, logs,
the console; and the rule for what is a secret (secret-named options and variables only)."""

from __future__ import annotations

import json
import logging
import random
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from harness import load_suite
from harness.adapters.base import is_secret_variable
from harness.records import CaseRecord, ErrorInfo, RunManifest
from harness.records.redaction import Redactor, current, held, in_effect, redacted_stdio
from harness.records.store import read_manifest, write_manifest
from harness.report.base import write_text
from harness.runner.setup import manifest_options, run_secrets

Write = Callable[..., Path]
SECRET = "sk-test-5e1f0a9c"


def _record(output: str, message: str = "") -> CaseRecord:
    return CaseRecord(
        run_id="r",
        case_id="c",
        adapter="a",
        prompt="p",
        output=output,
        passed=False,
        error=ErrorInfo(type="x", message=message) if message else None,
        started_at="2026-01-01T00:00:00+00:00",
    )


def test_text_replaces_the_longest_secret_first_and_ignores_short_values() -> None:
    redactor = Redactor([SECRET, "sk-test", "500", ""])
    assert redactor.secrets == (SECRET, "sk-test")  # "500" is too short to scrub in text
    assert redactor.text(f"HTTP 500: key {SECRET} or sk-test") == "HTTP 500: key *** or ***"
    assert not Redactor(["abc"]) and Redactor([SECRET])
    assert SECRET not in repr(redactor)


def test_pieces_scrub_a_secret_split_over_chunks_and_keep_the_count() -> None:
    redactor = Redactor([SECRET, "other-secret"])
    rng = random.Random(7)
    words = ["a ", SECRET, " b", "other-secret", "sk-", "x"]
    for _ in range(500):
        text = "".join(rng.choice(words) for _ in range(6))
        cuts = sorted(rng.sample(range(len(text) + 1), 3))
        pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        out = redactor.pieces(pieces)
        assert len(out) == len(pieces)
        assert "".join(out) == redactor.text(text)
        assert all(SECRET not in p for p in out)
    assert redactor.pieces(["key sk-te", "st-5e1f", "0a9c!"]) == ["key ***", "", "!"]


def test_json_bytes_is_pydantics_own_line_unless_a_secret_is_in_it() -> None:
    redactor = Redactor([SECRET, 'quo"te-secret'])
    clean = _record("nothing to hide")
    assert redactor.json_bytes(clean) == clean.__pydantic_serializer__.to_json(clean)
    leaky = _record(f"echo {SECRET}", message='refused quo"te-secret')
    line = redactor.json_bytes(leaky)
    assert SECRET.encode() not in line and b"quo" not in line
    back = CaseRecord.model_validate_json(line)
    assert back.output == "echo ***" and back.error is not None
    assert back.error.message == "refused ***"


def test_write_manifest_scrubs_every_string(tmp_path: Path) -> None:
    manifest = RunManifest(
        run_id="r",
        suite_name="s",
        suite_path="s.yaml",
        suite_sha256="0" * 64,
        description=f"uses {SECRET}",
        harness_version="0",
        adapters=[],
        case_count=0,
        started_at="now",
        execution={"note": [f"x {SECRET}"]},
    )
    write_manifest(tmp_path, manifest, Redactor([SECRET]))
    assert SECRET not in (tmp_path / "run.json").read_text()
    back = read_manifest(tmp_path)
    assert back.description == "uses ***" and back.execution == {"note": ["x ***"]}


def test_log_records_are_scrubbed_while_a_run_is_in_effect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("harness.test.redaction")
    with caplog.at_level(logging.INFO, logger=log.name):
        with in_effect(Redactor([SECRET])):
            log.info("key %s", SECRET)
            try:
                raise RuntimeError(f"refused {SECRET}")
            except RuntimeError:
                log.exception("failed")
        log.info("after %s", SECRET)  # out of effect: nothing to scrub
    assert [r.getMessage() for r in caplog.records] == ["key ***", "failed", f"after {SECRET}"]
    assert "refused ***" in caplog.text and f"refused {SECRET}" not in caplog.text


def test_held_keeps_a_finished_runs_secrets_until_it_ends() -> None:
    with held():
        with in_effect(Redactor([SECRET])):
            pass
        assert current().text(SECRET) == "***"  # the CLI prints errors after run_suite
    assert current().text(SECRET) == SECRET


def test_the_console_is_scrubbed_under_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with redacted_stdio(), in_effect(Redactor([SECRET])):
        print(f"print {SECRET}")
        click.echo(f"echo {SECRET}", err=True)
        assert not hasattr(sys.stdout, "buffer")  # click must not write around the wrapper
    out, err = capsys.readouterr()
    assert out == "print ***\n" and err == "echo ***\n"


def test_a_cli_error_message_is_scrubbed() -> None:
    from harness.cli.exits import handle_errors
    from harness.errors import HarnessError

    @click.command()
    @handle_errors
    def leaky() -> None:
        with in_effect(Redactor([SECRET])):
            pass
        raise HarnessError(f"cannot use {SECRET}")  # after the run: still scrubbed

    result = CliRunner().invoke(leaky, [])
    assert result.exit_code == 4
    assert "cannot use ***" in result.output and SECRET not in result.output


def test_text_reports_are_scrubbed_in_the_runs_process(tmp_path: Path) -> None:
    with in_effect(Redactor([SECRET])):
        path = write_text(tmp_path / "report.md", f"# {SECRET}\n")
    assert path.read_text() == "# ***\n"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GRADIENT_ACCESS_TOKEN", True),
        ("OPENAI_API_KEY", True),
        ("MY_SECRET_MODEL", True),
        ("DB_PASSWORD", True),
        ("TOKEN", True),
        ("MAXT", False),
        ("MAX_TOKENS", False),
        ("GRADIENT_API_URL", False),
        ("KEYBOARD", False),
    ],
)
def test_secret_variables_have_a_secret_word_as_a_part(name: str, secret: bool) -> None:
    assert is_secret_variable(name) is secret


def test_run_json_shows_a_secret_from_a_variable_as_its_reference() -> None:
    shown = manifest_options(
        {
            "api_key": "${PLANTED_KEY}",
            "access_token": "literal-token",
            "kwargs": {"api_key": "Bearer-${X}", "auth": {"token": "${A}${B}"}, "model": "m"},
            "max_tokens": "${MAXT}",
        }
    )
    assert shown == {
        "api_key": "${PLANTED_KEY}",
        "access_token": "***",
        "kwargs": {"api_key": "***", "auth": {"token": "${A}${B}"}, "model": "m"},
        "max_tokens": "${MAXT}",
    }


def test_only_secret_named_values_are_secrets(
    write_suite: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``max_tokens: ${MAXT}`` is a setting, and a JSON schema's ``token: {type: string}`` is
    data; ``model: ${MY_SECRET_MODEL}`` and a custom check's ``args.api_key`` are secrets."""
    monkeypatch.setenv("MAXT", "5000")
    monkeypatch.setenv("MY_SECRET_MODEL", "model-kept-secret")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    write_suite("def check(output, case, api_key):\n    return True\n", "redaction_chk.py")
    suite = load_suite(
        write_suite(
            "name: rule\nadapters:\n"
            "  a:\n    type: openai-compatible\n    model: ${MY_SECRET_MODEL}\n"
            "    api_base: http://127.0.0.1:9/v1\n    max_tokens: ${MAXT}\n"
            "cases:\n  - prompt: one\n    expect:\n"
            "      - custom: {function: 'redaction_chk:check', args: {api_key: check-key-1}}\n"
            "      - json_schema: {schema: {properties: {token: {type: string}}}}\n"
        )
    )
    secrets = run_secrets(suite, {a.name: a.resolved_options() for a in suite.adapters})
    assert set(secrets) == {"model-kept-secret", "check-key-1"}
    assert json.dumps(secrets)  # plain strings


BOOM = """
from llama_index.core.llms import CustomLLM, LLMMetadata


class Boom(CustomLLM):
    def __init__(self, api_key: str) -> None:
        raise RuntimeError(f"cannot log in with {api_key}")

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata()

    def complete(self, prompt, formatted=False, **kwargs):
        raise NotImplementedError

    def stream_complete(self, prompt, formatted=False, **kwargs):
        raise NotImplementedError
"""


@pytest.mark.parametrize("command", ["run", "bench"])
def test_a_client_that_fails_to_build_does_not_print_its_key(
    command: str, write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first request: the secrets are in effect before any LLM is built."""
    from harness.cli import cli

    monkeypatch.setenv("BOOM_KEY", SECRET)
    write_suite(BOOM, f"boom_{command}.py")
    suite = write_suite(
        "name: boom\nadapters:\n"
        f"  a: {{type: llama-index, class_path: 'boom_{command}:Boom', "
        "kwargs: {api_key: '${BOOM_KEY}'}}\ncases: [{id: c, prompt: hi}]\n"
    )
    result = CliRunner().invoke(cli, [command, str(suite), "-o", str(tmp_path / "out")])
    assert result.exit_code in (3, 4), result.output
    assert "cannot log in with ***" in result.output and SECRET not in result.output
