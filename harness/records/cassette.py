"""Cassettes: every request of a run and its answer, on disk, to replay offline later.

``harness run --record`` appends one JSON line per request to ``<run>/cassette.jsonl``: the
adapter, case and repeat, the request (prompt or chat messages, generation options), the
answer as the chunks that arrived with their offsets in ns from the request start, the
finish reason and usage, or the error. The ``replay`` adapter type
(``harness.adapters.replay``) serves a cassette as a llama-index LLM, so a suite, its
metrics, reports and gates can be re-run without a model, deterministically.

A request is identified by :func:`request_identity` (prompt or messages, generation options,
in canonical JSON); the response cache (``harness.runner.cache``) keys on the same identity.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import AdapterError, ConfigurationError, RateLimitedError
from harness.records.jsonl import FsyncPolicy, JsonlAppender, iter_jsonl
from harness.records.models import CaseRecord
from harness.records.redaction import Redactor
from harness.records.store import CASSETTE_FILE


class RequestedCase(Protocol):
    """What a cassette keeps of a case: the request itself (``harness.suite.expand.Case`` fits)."""

    @property
    def prompt(self) -> str: ...

    @property
    def messages(self) -> Sequence[tuple[str, str]] | None: ...

    @property
    def generation(self) -> Mapping[str, Any]: ...


__all__ = [
    "CASSETTE_FILE",
    "CASSETTE_SCHEMA_VERSION",
    "CassetteEntry",
    "CassetteError",
    "CassetteWriter",
    "ReplayMissError",
    "ReplayedError",
    "RequestedCase",
    "canonical_json",
    "current_request",
    "error_from_cassette",
    "read_cassette",
    "replay_context",
    "request_fingerprint",
    "request_identity",
]

CASSETTE_SCHEMA_VERSION = 1


# -- request identity ------------------------------------------------------------------------


def _normalize(value: Any) -> Any:
    """JSON-ready and canonical: 1.0 and 1 are the same number; tuples are lists."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, Enum):
        return _normalize(value.value)
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_normalize(v) for v in value), key=canonical_json)
    if isinstance(value, BaseModel):
        return _normalize(value.model_dump(mode="json"))
    return str(value)


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, integral floats as ints, tuples as lists."""
    return json.dumps(_normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _message_pairs(messages: Sequence[Any]) -> list[list[str]]:
    """(role, content) pairs from tuples or llama-index ChatMessages."""
    pairs: list[list[str]] = []
    for m in messages:
        if isinstance(m, (tuple, list)):
            role, content = m
        else:
            role, content = getattr(m, "role", ""), getattr(m, "content", "")
        role = role.value if isinstance(role, Enum) else role
        pairs.append([str(role), "" if content is None else str(content)])
    return pairs


def request_identity(
    *,
    prompt: str | None = None,
    messages: Sequence[Any] | None = None,
    generation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What makes two requests the same: the prompt, or the chat messages, and the options.

    Generation options set to None are left out (None means "the adapter's default").
    """
    options = {k: v for k, v in (generation or {}).items() if v is not None}
    request: dict[str, Any] = {"generation": _normalize(options)}
    if messages is not None:
        request["messages"] = _message_pairs(messages)
    else:
        request["prompt"] = prompt if prompt is not None else ""
    return request


def request_fingerprint(identity: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a :func:`request_identity`."""
    return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


# -- the cassette file -----------------------------------------------------------------------


class CassetteError(BaseModel):
    """A failed request as recorded: ``type`` is the harness error kind (``rate_limited``…)."""

    model_config = ConfigDict(frozen=True)

    type: str
    message: str
    status: int | None = None
    retry_after_s: float | None = None


class CassetteEntry(BaseModel):
    """One request and its answer: one line of ``cassette.jsonl``.

    ``chunk_offsets_ns[i]`` is when ``chunks[i]`` arrived, in ns after the request was sent;
    ``end_offset_ns`` is when the answer (or the error) was complete.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: int = CASSETTE_SCHEMA_VERSION
    adapter: str
    case_id: str = ""
    repeat: int = 0
    prompt: str | None = None
    messages: list[tuple[str, str]] | None = None
    generation: dict[str, Any] = Field(default_factory=dict)
    chunks: list[str] = Field(default_factory=list)
    chunk_offsets_ns: list[int] = Field(default_factory=list)
    end_offset_ns: int = Field(default=0, ge=0)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    streaming_emulated: bool = False
    error: CassetteError | None = None
    role: str = Field(
        default="candidate",
        description="'candidate' (a case's request) or 'judge' (an llm_judge call, made by the "
        "runner's judge context; case_id is then empty: one judgement may serve several cases)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> CassetteEntry:
        if self.prompt is None and self.messages is None:
            raise ValueError("a cassette entry needs a prompt or messages")
        if len(self.chunks) != len(self.chunk_offsets_ns):
            raise ValueError(
                f"{len(self.chunks)} chunks but {len(self.chunk_offsets_ns)} chunk offsets"
            )
        previous = 0
        for offset in self.chunk_offsets_ns:
            if offset < previous:
                raise ValueError("chunk offsets must be >= 0 and non-decreasing")
            previous = offset
        if self.end_offset_ns < previous:
            raise ValueError("end_offset_ns is before the last chunk")
        return self

    @property
    def output(self) -> str:
        return "".join(self.chunks)

    def identity(self) -> dict[str, Any]:
        """The request's :func:`request_identity` (what replay looks it up by)."""
        return request_identity(
            prompt=self.prompt, messages=self.messages, generation=self.generation
        )

    @classmethod
    def from_record(
        cls,
        record: CaseRecord,
        case: RequestedCase,
        *,
        chunks: Sequence[str] | None = None,
        usage: Mapping[str, Any] | None = None,
        retry_after_s: float | None = None,
    ) -> CassetteEntry:
        """The entry for a finished request: its record, its case and the chunk texts.

        ``chunks`` are the non-empty deltas in arrival order (one per ``timing.chunk_ns``).
        Without them the output becomes one chunk at the first chunk's offset: TTFT and
        latency survive, the gaps between chunks do not.

        Raises:
            ValueError: ``chunks`` do not match the record (count or text).
        """
        request: dict[str, Any] = {
            "adapter": record.adapter,
            "case_id": record.case_id,
            "repeat": record.repeat,
            "generation": dict(case.generation),
            "streaming_emulated": record.streaming_emulated,
        }
        if case.messages is not None:
            request["messages"] = [tuple(m) for m in case.messages]
        else:
            request["prompt"] = case.prompt
        if record.error is not None:
            end = round((record.latency_ms or 0.0) * 1_000_000)
            error = CassetteError(
                type=record.error.type,
                message=record.error.message,
                status=record.error.status,
                retry_after_s=retry_after_s,
            )
            return cls(**request, end_offset_ns=max(end, 0), error=error)
        output = record.output or ""
        timing = record.timing
        stamps = [] if timing is None else [t - timing.sent_ns for t in timing.chunk_ns]
        end_ns = 0 if timing is None else timing.end_ns - timing.sent_ns
        if chunks is not None:
            texts = list(chunks)
            if stamps and len(texts) != len(stamps):
                raise ValueError(f"{len(texts)} chunk texts for {len(stamps)} chunk stamps")
            if "".join(texts) != output:
                raise ValueError("the chunk texts do not add up to the record's output")
            offsets = stamps or [end_ns] * len(texts)
        else:
            texts = [output] if output else []
            offsets = [stamps[0] if stamps else end_ns] if output else []
        return cls(
            **request,
            chunks=texts,
            chunk_offsets_ns=offsets,
            end_offset_ns=max(end_ns, offsets[-1] if offsets else 0),
            finish_reason=record.finish_reason,
            usage=dict(usage) if usage is not None else None,
        )

    @classmethod
    def for_judge(
        cls,
        adapter: str,
        prompt: str,
        reply: str | CassetteError,
        *,
        first_ns: int | None,
        end_ns: int,
    ) -> CassetteEntry:
        """The entry for one judge call: the judge's prompt and its reply (or error).

        The judge context asks for a whole completion, so the reply is one chunk at
        ``first_ns`` (ns after the call; ``end_ns`` when unknown).
        """
        end = max(end_ns, 0)
        if isinstance(reply, CassetteError):
            return cls(adapter=adapter, role="judge", prompt=prompt, end_offset_ns=end, error=reply)
        first = min(end, max(first_ns if first_ns is not None else end, 0))
        return cls(
            adapter=adapter,
            role="judge",
            prompt=prompt,
            chunks=[reply] if reply else [],
            chunk_offsets_ns=[first] if reply else [],
            end_offset_ns=end,
            streaming_emulated=True,
        )


class CassetteWriter:
    """Appends CassetteEntries to a ``cassette.jsonl``, one line each, as requests finish.

    Same durability as ``results.jsonl``: a line is with the OS when ``write`` returns, a torn
    last line from a killed run is cut off on open. Write from one thread (the event loop).
    Every string passes through ``redactor``; the chunks as one text, so a secret a model
    streamed over several chunks is found too (a prompt holding a secret then replays as a miss).
    """

    def __init__(
        self, path: Path, *, fsync: FsyncPolicy = "close", redactor: Redactor | None = None
    ) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        self._out = JsonlAppender(path, fsync=fsync)

    def write(self, entry: CassetteEntry) -> None:
        chunks = self.redactor.pieces(entry.chunks)
        if chunks != entry.chunks:
            entry = entry.model_copy(update={"chunks": chunks})
        self._out.write_line(self.redactor.json_bytes(entry))

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> CassetteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_cassette(path: Path) -> Iterator[CassetteEntry]:
    """Stream a cassette's entries in file order (a torn last line is skipped).

    Raises:
        ResultsCorruptError: a damaged line that is not the last one.
    """
    return iter_jsonl(path, CassetteEntry.model_validate_json)


# -- replaying -------------------------------------------------------------------------------

#: (case_id, repeat) of the request being sent, when the runner says so (see replay_context).
current_request: ContextVar[tuple[str, int] | None] = ContextVar(
    "harness_current_request", default=None
)


@contextlib.contextmanager
def replay_context(case_id: str, repeat: int) -> Iterator[None]:
    """Tell a replay adapter which case and repeat the request inside this block is for.

    Optional. Without it, identical requests recorded several times are served in recorded
    order (by repeat), whichever case asks first; with it, each case gets its own recording
    even when cases share a prompt and requests run concurrently.
    """
    token = current_request.set((case_id, repeat))
    try:
        yield
    finally:
        current_request.reset(token)


class ReplayMissError(AdapterError):
    """A replay adapter was asked a request its cassette does not hold (or holds no more of)."""

    kind = "replay_miss"


class ReplayedError(AdapterError):
    """A recorded failure whose type is not one of the harness's own AdapterErrors."""

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.kind = kind


def _adapter_errors() -> dict[str, type[AdapterError]]:
    import harness.errors as errors

    found: dict[str, type[AdapterError]] = {}
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, AdapterError):
            found.setdefault(obj.kind, obj)
    return found


def error_from_cassette(error: CassetteError) -> Exception:
    """The exception to raise for a recorded failure: the same harness error type.

    The runner turns it back into the same ErrorInfo (type, message, status) it recorded.
    """
    cls = _adapter_errors().get(error.type)
    if cls is RateLimitedError:
        return RateLimitedError(
            error.message, status=error.status, retry_after_s=error.retry_after_s
        )
    if cls is not None:
        return cls(error.message, status=error.status)
    if error.type == ConfigurationError.__name__:
        return ConfigurationError(error.message)
    return ReplayedError(error.message, kind=error.type, status=error.status)
