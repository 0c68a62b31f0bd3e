"""The offline token counter: cl100k_base from llama-index's bundled file, else a regex."""

from __future__ import annotations

import hashlib
import importlib.util
import socket
from pathlib import Path
from typing import Any

import pytest

from harness.metrics import Observation, parse_expectation
from harness.metrics import tokens as tokens_module
from harness.metrics.tokens import TokenCounter, count_tokens, token_counter

URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
spec = importlib.util.find_spec("llama_index.core")
assert spec is not None and spec.submodule_search_locations
BUNDLED = Path(spec.submodule_search_locations[0]) / "_static" / "tiktoken_cache"
BUNDLED_FILE = BUNDLED / hashlib.sha1(URL.encode()).hexdigest()

SAMPLES = [
    "",
    "hello world",
    "Ünïcödé text, emoji 🎉 and CJK 漢字",
    "def f(x):\n    return x ** 2\n\n\n",
    "looks special: <|endoftext|> <|fim_prefix|>",
    "   leading and trailing   ",
    "12345678901234567890",
]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process-wide counter, and make any network use an error."""
    monkeypatch.setattr(tokens_module, "_counter", None)

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the token counter tried to use the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)


@pytest.mark.usefixtures("fresh")
def test_cl100k_matches_tiktokens_own_encoding_from_the_same_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tiktoken = pytest.importorskip("tiktoken")
    assert BUNDLED_FILE.exists()
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    counter = token_counter()
    assert counter.name == "cl100k_base"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(BUNDLED))
    reference = tiktoken.get_encoding("cl100k_base")
    for text in SAMPLES:
        assert counter.count(text) == len(reference.encode(text, disallowed_special=()))


@pytest.mark.usefixtures("fresh")
def test_a_user_cache_dir_is_tried_first_and_a_corrupt_file_is_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / BUNDLED_FILE.name).write_bytes(b"not the encoding")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert token_counter().name == "cl100k_base"  # from the bundled file after the bad one
    assert (tmp_path / BUNDLED_FILE.name).read_bytes() == b"not the encoding"  # left alone


@pytest.mark.usefixtures("fresh")
def test_regex_fallback_when_no_encoding_file_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module, "_cache_files", lambda: [])
    counter = token_counter()
    assert counter.name == "regex estimate"
    assert counter.count("Hello, world!") == 4  # Hello , world !
    assert counter.count("don't stop") == 4  # don ' t stop
    assert count_tokens("") == 0
    r = parse_expectation({"max_output_tokens": 1}).evaluate(Observation(output="a b"))
    assert r.reason == "expected at most 1 tokens (regex estimate), got 2"


def test_counter_is_built_once() -> None:
    assert token_counter() is token_counter()


def test_regex_counter_directly() -> None:
    assert TokenCounter("regex estimate").count("x = f(1, 2)") == 8
