"""The response cache: hits and misses on disk, keys that are stable and secret-free."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.runner.cache import (
    AdapterIdentity,
    CachedResponse,
    CacheError,
    ResponseCache,
    cache_key,
    strip_secrets,
)

ADAPTER = AdapterIdentity(
    type="gradient-base",
    options={"base_model_slug": "llama3-8b-chat", "access_token": "tok-SECRET", "max_tokens": 64},
)


def _key(adapter: AdapterIdentity = ADAPTER, **generation: object) -> str:
    return cache_key(adapter, prompt="What is 2+2?", generation=generation)


def test_miss_then_hit_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "responses.sqlite3"
    key = _key(temperature=0.0)
    answer = CachedResponse(
        text="4", chunks=["4"], finish_reason="stop", usage={"completion_tokens": 1}
    )
    with ResponseCache(path) as cache:
        assert cache.get(key) is None
        cache.put(key, answer, adapter_type="gradient-base")
        assert cache.get(key) == answer
        assert (cache.hits, cache.misses) == (1, 1)
        assert len(cache) == 1
    with ResponseCache(path) as cache:  # on disk, for the next run
        assert cache.get(key) == answer
        cache.put(key, answer.model_copy(update={"text": "four", "chunks": ["four"]}))
        hit = cache.get(key)
        assert hit is not None and hit.text == "four"
        assert len(cache) == 1


def test_the_key_is_stable_across_processes() -> None:
    code = (
        "from harness.runner.cache import AdapterIdentity, cache_key; "
        "print(cache_key(AdapterIdentity('t', {'b': 1, 'a': [1, 2]}, 'v1'), "
        "prompt='p', generation={'temperature': 0.5}))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    local = cache_key(
        AdapterIdentity("t", {"a": [1, 2], "b": 1}, "v1"),
        prompt="p",
        generation={"temperature": 0.5},
    )
    assert outs == {local}
    assert len(local) == 64


def test_secrets_are_not_part_of_the_key() -> None:
    rotated = AdapterIdentity(
        type=ADAPTER.type, options={**ADAPTER.options, "access_token": "tok-OTHER"}
    )
    no_token = AdapterIdentity(
        type=ADAPTER.type,
        options={k: v for k, v in ADAPTER.options.items() if k != "access_token"},
    )
    assert _key(rotated) == _key(ADAPTER) == _key(no_token)
    nested = {"class_path": "x:Y", "kwargs": {"api_key": "sk-1", "model": "m", "n": [{"key": 1}]}}
    assert strip_secrets(nested) == {"class_path": "x:Y", "kwargs": {"model": "m", "n": [{}]}}


def test_what_changes_the_key() -> None:
    base = _key(temperature=0.2)
    assert _key(temperature=0.7) != base
    assert _key(temperature=0.2, max_tokens=10) != base
    assert _key(temperature=0.2, top_k=None) == base  # None: the adapter's default
    assert _key(temperature=1) == _key(temperature=1.0)
    model = AdapterIdentity(ADAPTER.type, {**ADAPTER.options, "base_model_slug": "other"})
    assert _key(model, temperature=0.2) != base
    versioned = AdapterIdentity(ADAPTER.type, ADAPTER.options, version="2")
    assert _key(versioned, temperature=0.2) != base
    served = AdapterIdentity(ADAPTER.type, ADAPTER.options, served_by="emulator")
    assert _key(served, temperature=0.2) != base
    chat = cache_key(ADAPTER, messages=[("user", "What is 2+2?")], generation={"temperature": 0.2})
    assert chat != base
    assert chat == cache_key(
        ADAPTER, messages=(("user", "What is 2+2?"),), generation={"temperature": 0.2}
    )


def test_from_reply_reads_finish_reason_and_usage() -> None:
    reply = CachedResponse.from_reply(
        "Paris", raw={"finishReason": "length", "usage": {"completion_tokens": 2}}
    )
    assert reply.chunks == ["Paris"]
    assert reply.finish_reason == "length"
    assert reply.raw == {"finish_reason": "length", "usage": {"completion_tokens": 2}}
    assert CachedResponse.from_reply("", raw=None).chunks == []


def test_a_row_that_no_longer_validates_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with ResponseCache(path) as cache:
        cache.put("k", CachedResponse(text="x"))
    db = sqlite3.connect(path)
    db.execute("UPDATE responses SET response = '{\"nope\": 1}'")
    db.commit()
    db.close()
    with ResponseCache(path) as cache:
        assert cache.get("k") is None


def test_a_file_that_is_not_a_cache_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CacheError, match="cannot be used as a response cache"):
        ResponseCache(junk)
    other = tmp_path / "other.sqlite3"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('format', 'something-else/9')")
    db.commit()
    db.close()
    with pytest.raises(CacheError, match="another format"):
        ResponseCache(other)
