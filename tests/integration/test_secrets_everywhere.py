"""Secrets, both ways (issue 10): a distinctive secret is planted in every place a run can meet
one, and every file the run writes (records, run.json, cassette, reports, a merge) and
everything it prints is searched for each. None may appear.

The places: ``model: ${PLANTED_SECRET_MODEL}`` and ``api_key: ${PLANTED_KEY}`` of an adapter
served by the embedded emulator, whose model echoes both; ``kwargs: {api_key: ${...}}`` and a
literal ``access_token`` nested in ``kwargs`` of a llama-index LLM that echoes its arguments; a
custom check beside the suite that prints, logs and raises its ``args.api_key``; an embedding
model that fails with its key in the exception; and a judge whose server answers 401 quoting
the key it was sent. The second half runs the same scenario with redaction turned off (two
mutants): each secret then does reach the files, so the search above is not vacuous.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.redaction import Redactor
from harness.records.store import read_manifest, read_records
from harness.report import write_reports

Write = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]

LLMS = '''
from typing import Any

from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata


class EchoLLM(CustomLLM):
    """Answers with the arguments it was built with (a client that echoes its key)."""

    api_key: str = ""
    settings: dict[str, Any] = {}

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="echo")

    def _text(self) -> str:
        return f"built with {self.api_key} and {self.settings['access_token']}; 4"

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._text())

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
        text, sent = self._text(), ""
        for cut in (15, 30, 50, len(text)):  # the secrets are split over chunks
            piece, sent = text[len(sent):cut], text[:cut]
            yield CompletionResponse(text=sent, delta=piece)
'''

CHECKS = """
import logging


def leak(output, case, api_key):
    print(f"debug: calling the checker with key {api_key}")
    logging.getLogger("planted.check").warning("checker refused key %s", api_key)
    raise RuntimeError(f"checker service refused key {api_key}")
"""

EMBED = """
from llama_index.core.base.embeddings.base import BaseEmbedding


class LeakyEmbedding(BaseEmbedding):
    api_key: str = ""

    def _fail(self) -> list[float]:
        raise ConnectionError(f"401 Unauthorized: embedding key {self.api_key} was refused")

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._fail()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._fail()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._fail()
"""


class _Refuses(BaseHTTPRequestHandler):
    """An OpenAI-style server that refuses every key, quoting it (as real APIs do)."""

    calls: list[str]

    def do_POST(self) -> None:
        sent = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        type(self).calls.append(key)
        said = f"Incorrect API key provided: {key} (for model {sent.get('model')})"
        body = json.dumps({"error": {"message": said, "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def refusing_judge() -> Iterator[tuple[str, list[str]]]:
    """The base URL of a loopback server answering 401 with the key in the body; its calls."""
    calls: list[str] = []
    handler = type("Refuses", (_Refuses,), {"calls": calls})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", calls
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Planted:
    """A suite with a distinctive secret in every place, and the environment it needs."""

    suite: Path
    secrets: dict[str, str]  # where it was planted -> the secret
    env: dict[str, str] = field(default_factory=dict)


def _plant(write_suite: Write, judge_url: str) -> Planted:
    tag = uuid.uuid4().hex[:12]
    secrets = {
        "api_key from ${PLANTED_KEY}": f"sk-PLANTED-KEY-{tag}",
        "model from ${PLANTED_SECRET_MODEL}": f"sk-planted-model-{tag}",
        "kwargs.api_key from ${PLANTED_NESTED_KEY}": f"sk-PLANTED-NESTED-{tag}",
        "literal kwargs.settings.access_token": f"sk-PLANTED-LITERAL-{tag}",
        "custom check args.api_key": f"sk-PLANTED-CHECK-{tag}",
        "embedding kwargs.api_key": f"sk-PLANTED-EMBED-{tag}",
        "judge api_key": f"sk-PLANTED-JUDGE-{tag}",
        "judge model from ${PLANTED_JUDGE_SECRET_MODEL}": f"sk-planted-judge-model-{tag}",
    }
    key, model = (
        secrets["api_key from ${PLANTED_KEY}"],
        secrets["model from ${PLANTED_SECRET_MODEL}"],
    )
    write_suite(LLMS, "planted_llms.py")
    write_suite(CHECKS, "planted_checks.py")
    write_suite(EMBED, "planted_embed.py")
    write_suite(
        f"models:\n  - name: {model}\n    slug: {model}\n"
        f"    default: 'Sure, 4. The key you gave me is {key}; I am {{{{ model.name }}}}.'\n"
        "    latency: {per_token_ms: 1}\n",
        "planted_models.yaml",
    )
    suite = write_suite(
        f"""
        name: planted
        emulator: {{config: planted_models.yaml}}
        adapters:
          oa:
            type: openai-compatible
            served_by: emulator
            model: ${{PLANTED_SECRET_MODEL}}
            api_key: ${{PLANTED_KEY}}
          echo:
            type: llama-index
            class_path: 'planted_llms:EchoLLM'
            kwargs:
              api_key: ${{PLANTED_NESTED_KEY}}
              settings: {{access_token: '{secrets["literal kwargs.settings.access_token"]}'}}
          grader:
            type: openai-compatible
            role: judge
            model: ${{PLANTED_JUDGE_SECRET_MODEL}}
            api_base: '{judge_url}'
            api_key: '{secrets["judge api_key"]}'
        cases:
          - id: checked
            prompt: What is 2+2?
            expect:
              - contains: '4'
              - custom:
                  function: 'planted_checks:leak'
                  args: {{api_key: '{secrets["custom check args.api_key"]}'}}
              - embedding_similarity:
                  reference: four
                  embed_model:
                    class_path: 'planted_embed:LeakyEmbedding'
                    kwargs: {{api_key: '{secrets["embedding kwargs.api_key"]}'}}
          - id: judged
            prompt: What is 2+2, graded?
            expect: [llm_judge: {{judge: grader, rubric: The answer is 4.}}]
        """
    )
    env = {
        "PLANTED_KEY": key,
        "PLANTED_SECRET_MODEL": model,
        "PLANTED_NESTED_KEY": secrets["kwargs.api_key from ${PLANTED_NESTED_KEY}"],
        "PLANTED_JUDGE_SECRET_MODEL": secrets["judge model from ${PLANTED_JUDGE_SECRET_MODEL}"],
    }
    return Planted(suite, secrets, env)


def _files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def _found(secret: str, files: list[Path], texts: tuple[str, ...] = ()) -> list[str]:
    """Where ``secret`` occurs: file names and console streams."""
    where = [str(p) for p in files if secret.encode() in p.read_bytes()]
    return where + [f"console #{i}" for i, text in enumerate(texts) if secret in text]


def _exercised(run_dir: Path, judge_calls: list[str], planted: Planted) -> None:
    """Each planted place was really met, and shows ``***`` where its secret was."""
    records = {(r.case_id, r.adapter): r for r in read_records(run_dir)}
    assert set(records) == {(c, a) for c in ("checked", "judged") for a in ("oa", "echo")}
    oa = records["checked", "oa"]
    assert oa.output == "Sure, 4. The key you gave me is ***; I am ***.", oa.output
    echo = records["checked", "echo"]
    assert echo.output == "built with *** and ***; 4", echo.output
    reasons = {e.name: e.reason for e in oa.expectations}
    assert (
        reasons["custom"]
        == "planted_checks:leak raised RuntimeError: checker service refused key ***"
    )
    assert (
        "LeakyEmbedding failed: ConnectionError: 401 Unauthorized: embedding key ***"
        in (reasons["embedding_similarity"])
    )
    # the judge was asked, with its key, and failed: its error reached the judged records
    assert judge_calls and set(judge_calls) == {planted.secrets["judge api_key"]}
    for adapter in ("oa", "echo"):
        judged = records["judged", adapter]
        said = (judged.error.message if judged.error else "") + " ".join(
            e.reason for e in judged.expectations
        )
        assert "Incorrect API key provided: *** (for model ***)" in said, said

    manifest = {a.name: a for a in read_manifest(run_dir).adapters}
    assert manifest["oa"].model == "${PLANTED_SECRET_MODEL}"
    assert manifest["oa"].options["api_key"] == "${PLANTED_KEY}"
    assert manifest["echo"].options["kwargs"]["api_key"] == "${PLANTED_NESTED_KEY}"
    assert manifest["echo"].options["kwargs"]["settings"] == {"access_token": "***"}
    assert manifest["grader"].options["api_key"] == "***"
    assert manifest["grader"].model == "${PLANTED_JUDGE_SECRET_MODEL}"

    cassette = [json.loads(line) for line in (run_dir / "cassette.jsonl").read_text().splitlines()]
    echoed = ["".join(e["chunks"]) for e in cassette if e["adapter"] == "echo"]
    assert "built with *** and ***; 4" in echoed
    assert any(e["role"] == "judge" and e["error"] for e in cassette)


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_no_planted_secret_reaches_any_file_or_the_console(
    write_suite: Write, tmp_path: Path, refusing_judge: tuple[str, list[str]]
) -> None:
    judge_url, calls = refusing_judge
    planted = _plant(write_suite, judge_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIENT_")}
    env.update(planted.env)
    # this checkout first, whatever the installed (editable) copy points at
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    run = _cli(
        "run", planted.suite.name, "-o", "out", "--run-id", "r", "--record", cwd=tmp_path, env=env
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = _cli("report", "out/r", cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr[-3000:]
    merge = _cli("merge", "out/r", "-o", "merged", "--run-id", "m", cwd=tmp_path, env=env)
    assert merge.returncode == 0, merge.stderr[-3000:]

    files = _files(tmp_path / "out", tmp_path / "merged")
    names = {p.name for p in files}
    assert {"results.jsonl", "run.json", "cassette.jsonl", "report.md", "report.html"} <= names
    console = tuple(t for p in (run, report, merge) for t in (p.stdout, p.stderr))
    leaks = {place: _found(s, files, console) for place, s in planted.secrets.items()}
    assert leaks == {place: [] for place in planted.secrets}

    _exercised(tmp_path / "out" / "r", calls, planted)
    # the check printed and logged its key while it ran: both came out scrubbed
    assert "debug: calling the checker with key ***" in run.stdout
    assert "checker refused key ***" in run.stderr


# -- the same scenario with redaction turned off: the search would have found every secret ---


def _no_secrets(*args: Any) -> tuple[str, ...]:
    return ()


def _clear_writers() -> Any:
    """The writers serialise as if no secret were known (the producers still scrub theirs)."""
    return mock.patch.multiple(
        Redactor,
        json_bytes=lambda self, model: model.__pydantic_serializer__.to_json(model),
        value=lambda self, value: value,
        pieces=lambda self, pieces: list(pieces),
    )


MUTANTS = {
    "no secret is known": lambda: mock.patch("harness.runner.run.run_secrets", _no_secrets),
    "the writers do not scrub": _clear_writers,
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_without_redaction_the_search_finds_the_planted_secrets(
    mutant: str,
    write_suite: Write,
    tmp_path: Path,
    refusing_judge: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    judge_url, calls = refusing_judge
    planted = _plant(write_suite, judge_url)
    for name, value in planted.env.items():
        monkeypatch.setenv(name, value)
    suite = load_suite(planted.suite)
    with MUTANTS[mutant](), caplog.at_level(logging.WARNING, logger="planted.check"):
        outcome = run_suite(suite, RunOptions(output_dir=tmp_path / "out", run_id="r", record=True))
        write_reports(outcome.run_dir)
    assert calls, "the judge was never called"
    files = _files(tmp_path / "out")
    leaks = {place: _found(s, files) for place, s in planted.secrets.items()}
    # Every place carries its secret to disk when nothing scrubs. Model outputs are caught by
    # the writers alone; custom-check and embedding reasons are also scrubbed where they are
    # clipped (so half a key cannot survive the limit), which needs the run's secrets known.
    alone = ["api_key from ${PLANTED_KEY}"]
    if mutant == "no secret is known":
        alone += ["custom check args.api_key", "embedding kwargs.api_key"]
    assert all(leaks[place] for place in alone), leaks
    if mutant == "no secret is known":
        # all but the judge's own key, which the openai-compatible adapter masks in its errors
        assert [place for place, where in leaks.items() if not where] == ["judge api_key"], leaks
        assert planted.secrets["custom check args.api_key"] in caplog.text  # logs too
