"""A response cache for development runs: the same request to the same adapter is sent once.

Off by default (``harness run --cache``). Meant for iterating on expectations, templates and
reports without paying for the model again; never for measuring it. A record served from the
cache is marked ``cached`` and carries no timing: latency metrics report "no latency was
measured" for it, and summaries must leave it out of latency statistics.

Storage: one SQLite file (stdlib ``sqlite3``; WAL mode, so CI shards and parallel runs may
share it). SQLite rather than JSONL because a lookup must not load the whole cache, and
concurrent writers must not interleave lines. Tables: ``meta(name, value)`` holds the format
name and version; ``responses(key, adapter_type, created_at, response)`` holds one
CachedResponse as JSON per key. A row that no longer validates is a miss, never an error.

The key is the sha256 of the canonical JSON of: the key-format version; the adapter's
identity (type, options with every secret-named option removed at any depth, its version
string, ``served_by``); and the request identity shared with cassettes (prompt or chat
messages, generation options; ``harness.records.cassette.request_identity``). Secrets never reach
the key, so rotating a token keeps the cache; any other option (model, temperature,
max_tokens, host...) changes it. Options as written in the suite (``${ENV}`` resolved) are
the ones to pass: not options a run injects, such as the random port of the emulator.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from harness.adapters.base import is_secret_option
from harness.errors import HarnessError
from harness.records.cassette import canonical_json, request_identity

__all__ = [
    "AdapterIdentity",
    "CACHE_FORMAT",
    "CACHE_KEY_VERSION",
    "CacheError",
    "CachedResponse",
    "ResponseCache",
    "cache_key",
    "strip_secrets",
]

CACHE_FORMAT = "harness-response-cache/1"
#: Part of every key: bump it when what goes into a key changes, and old entries stop hitting.
CACHE_KEY_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    adapter_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    response TEXT NOT NULL
);
"""


class CacheError(HarnessError):
    """The cache file cannot be used (not SQLite, another format, unwritable)."""


def strip_secrets(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without any secret-named key (``access_token``, ``api_key``…), at any depth.

    Nested mappings matter: ``llama-index`` adapters keep ``api_key`` inside ``kwargs``.
    """

    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): clean(v) for k, v in value.items() if not is_secret_option(str(k))}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    cleaned: dict[str, Any] = clean(options)
    return cleaned


@dataclass(frozen=True)
class AdapterIdentity:
    """What, besides the request, decides an adapter's answer.

    ``options`` may hold secrets: they are removed when a key is computed. ``version`` is the
    adapter's own version string, if it has one (bump it to invalidate its entries).
    """

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    version: str | None = None
    served_by: str | None = None


def cache_key(
    adapter: AdapterIdentity,
    *,
    prompt: str | None = None,
    messages: Sequence[Any] | None = None,
    generation: Mapping[str, Any] | None = None,
) -> str:
    """The cache key (64 hex characters) of one request to one adapter; stable across runs."""
    payload = {
        "v": CACHE_KEY_VERSION,
        "adapter": {
            "type": adapter.type,
            "options": strip_secrets(adapter.options),
            "version": adapter.version,
            "served_by": adapter.served_by,
        },
        "request": request_identity(prompt=prompt, messages=messages, generation=generation),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class CachedResponse(BaseModel):
    """A successful answer as the cache keeps it: text, chunks, finish reason, usage.

    No timing on purpose: an answer from the cache has no latency of its own.
    """

    schema_version: int = 1
    text: str
    chunks: list[str] = Field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    streaming_emulated: bool = False

    @property
    def raw(self) -> dict[str, Any]:
        """A llama-index-style ``raw`` dict, for code that reads finish_reason and usage."""
        return {"finish_reason": self.finish_reason, "usage": self.usage}

    @classmethod
    def from_reply(
        cls,
        text: str,
        *,
        chunks: Sequence[str] | None = None,
        raw: Any = None,
        streaming_emulated: bool = False,
    ) -> CachedResponse:
        """From what a request returned: its text, chunk texts and the last response's raw."""
        finish: Any = None
        usage: Any = None
        if isinstance(raw, Mapping):
            finish = raw.get("finishReason", raw.get("finish_reason"))
            usage = raw.get("usage")
        return cls(
            text=text,
            chunks=list(chunks) if chunks is not None else ([text] if text else []),
            finish_reason=None if finish is None else str(finish),
            usage=dict(usage) if isinstance(usage, Mapping) else None,
            streaming_emulated=streaming_emulated,
        )


class ResponseCache:
    """The on-disk cache: ``get(key)`` / ``put(key, response)``; safe to share between runs.

    Lookups are single-row SQLite reads (tens of µs), so the runner may call them on the event
    loop. Counts ``hits`` and ``misses`` for the run's summary.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
        except sqlite3.Error as exc:
            raise CacheError(f"{path} cannot be used as a response cache: {exc}") from None
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (name, value) VALUES ('format', ?)",
                    (CACHE_FORMAT,),
                )
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path} cannot be used as a response cache: {exc}") from None
        if row is not None and row[0] != CACHE_FORMAT:
            raise CacheError(
                f"{self.path} is a cache of another format ({row[0]!r}, expected "
                f"{CACHE_FORMAT!r}); delete it or choose another cache file"
            )

    def get(self, key: str) -> CachedResponse | None:
        """The cached answer for ``key``, or None (also for a row that no longer validates)."""
        with self._lock:
            row = self._db.execute(
                "SELECT response FROM responses WHERE key = ?", (key,)
            ).fetchone()
        if row is not None:
            try:
                response = CachedResponse.model_validate_json(row[0])
            except ValidationError:
                response = None
            if response is not None:
                self.hits += 1
                return response
        self.misses += 1
        return None

    def put(self, key: str, response: CachedResponse, *, adapter_type: str = "") -> None:
        """Store (or replace) the answer for ``key``. Only successful answers belong here."""
        created = datetime.now(timezone.utc).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, adapter_type, created_at, response) "
                "VALUES (?, ?, ?, ?)",
                (key, adapter_type, created, response.model_dump_json()),
            )

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
