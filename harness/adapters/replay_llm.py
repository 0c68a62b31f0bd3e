"""``ReplayLLM``: a llama-index LLM that answers from a recorded cassette.

Offline and deterministic: a request is looked up by its prompt (or chat messages) and
generation options; a request recorded several times (repeats) is served in recorded order,
or, when the runner says which case and repeat it is sending (``replay_context``), exactly
that case's recording (again, for a retry). Chunks come back as recorded; with
``timing: recorded`` each arrives at its recorded offset from the call (an absolute
schedule, so delays do not add up), which makes recorded offsets lower bounds. A recorded
error is raised again as the same harness error type; an unknown request raises
ReplayMissError. The adapter type is ``replay.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import ConfigDict, Field, PrivateAttr

from harness.adapters.deltas import Piece, ResponseStream, listened
from harness.adapters.replay_options import ReplayTiming
from harness.errors import ConfigurationError
from harness.records.cassette import (
    CassetteEntry,
    ReplayMissError,
    canonical_json,
    current_request,
    error_from_cassette,
    read_cassette,
    request_fingerprint,
    request_identity,
)
from harness.registry import suggest

__all__ = ["REPLAY_RAW_KEY", "ReplayLLM"]

_R = TypeVar("_R")
_NS = 1e-9


class _Recordings:
    """The recordings of one request, in serving order, and which have been served."""

    def __init__(self) -> None:
        self.entries: list[CassetteEntry] = []
        self.used: list[bool] = []

    def seal(self) -> None:
        self.entries.sort(key=lambda e: e.repeat)  # stable: file order within a repeat
        self.used = [False] * len(self.entries)

    def take(self, case: tuple[str, int] | None) -> CassetteEntry | None:
        """The next recording to serve; None when every one has been served.

        With the (case_id, repeat) of the request: that case's recordings in order, and once
        they are used up its last one again, so a retried request (after a recorded 429,
        say) gets the recorded answer again rather than a miss.
        """
        if case is not None:
            mine = [i for i, e in enumerate(self.entries) if (e.case_id, e.repeat) == case]
            if mine:
                return self._first_free(mine) or self.entries[mine[-1]]
        return self._first_free(range(len(self.entries)))

    def _first_free(self, positions: Sequence[int]) -> CassetteEntry | None:
        for i in positions:
            if not self.used[i]:
                self.used[i] = True
                return self.entries[i]
        return None


def _preview(identity: dict[str, Any]) -> str:
    if "messages" in identity:
        pairs = identity["messages"]
        text = pairs[-1][1] if pairs else ""
        what = "chat request (last message)"
    else:
        text, what = identity["prompt"], "prompt"
    shown = text[:60] + ("…" if len(text) > 60 else "")
    return f"{what} {shown!r}"


REPLAY_RAW_KEY = "harness_replay"
"""The key of a replayed response's ``raw`` that holds the recording's own times (ns)."""


def _raw(entry: CassetteEntry) -> dict[str, Any]:
    recorded = {
        "case_id": entry.case_id,
        "repeat": entry.repeat,
        "chunk_offsets_ns": list(entry.chunk_offsets_ns),
        "end_offset_ns": entry.end_offset_ns,
    }
    return {"finish_reason": entry.finish_reason, "usage": entry.usage, REPLAY_RAW_KEY: recorded}


def _extra(raw: dict[str, Any]) -> dict[str, Any]:
    return {"finish_reason": raw["finish_reason"]}


def _completion(
    text: str, delta: str | None, raw: dict[str, Any], extra: dict[str, Any]
) -> CompletionResponse:
    return CompletionResponse(text=text, delta=delta, raw=raw, additional_kwargs=extra)


def _chat(text: str, delta: str | None, raw: dict[str, Any], extra: dict[str, Any]) -> ChatResponse:
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
        delta=delta,
        raw=raw,
        additional_kwargs=extra,
    )


def _whole(
    make: Callable[[str, str | None, dict[str, Any], dict[str, Any]], _R],
    text: str,
    entry: CassetteEntry,
) -> _R:
    raw = _raw(entry)
    return make(text, None, raw, _extra(raw))


async def _sleep_until(deadline: float) -> None:
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


def _block_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


class ReplayLLM(CustomLLM):
    """Serves one adapter's recordings from a cassette; build it with :meth:`from_cassette`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    cassette: str = Field(description="The cassette file served")
    replayed_adapter: str = Field(description="The recorded adapter whose answers are served")
    timing: ReplayTiming = "instant"
    streaming_emulated: bool = Field(
        default=False, description="As recorded: the adapter answered in one chunk"
    )

    _recordings: dict[str, _Recordings] = PrivateAttr(default_factory=dict)
    _generations: dict[str, list[dict[str, Any]]] = PrivateAttr(default_factory=dict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "ReplayLLM"

    @classmethod
    def from_cassette(
        cls, path: Path, *, adapter: str | None = None, timing: ReplayTiming = "instant"
    ) -> ReplayLLM:
        """Load ``path`` and serve the recordings of ``adapter``.

        Raises:
            ConfigurationError: no such file, an empty cassette, or the adapter is not
                given (several recorded) or not recorded.
            ResultsCorruptError: a damaged line in the middle of the cassette.
        """
        if not path.is_file():
            raise ConfigurationError(
                f"cassette {path} does not exist (record one with `harness run --record`)"
            )
        by_adapter: dict[str, list[CassetteEntry]] = {}
        for entry in read_cassette(path):
            by_adapter.setdefault(entry.adapter, []).append(entry)
        names = sorted(by_adapter)
        if not names:
            raise ConfigurationError(f"cassette {path} holds no recordings")
        if adapter is None:
            if len(names) > 1:
                raise ConfigurationError(
                    f"cassette {path} holds several adapters ({', '.join(names)}): "
                    "say which to replay with 'adapter'"
                )
            adapter = names[0]
        elif adapter not in by_adapter:
            raise ConfigurationError(
                f"cassette {path} has no recordings of adapter '{adapter}'"
                f"{suggest(adapter, names)}; it holds: {', '.join(names)}"
            )
        entries = by_adapter[adapter]
        answered = [e for e in entries if e.error is None]
        llm = cls(
            cassette=str(path),
            replayed_adapter=adapter,
            timing=timing,
            streaming_emulated=bool(answered) and all(e.streaming_emulated for e in answered),
        )
        llm._index(entries)
        return llm

    def _index(self, entries: list[CassetteEntry]) -> None:
        for entry in entries:
            identity = entry.identity()
            key = request_fingerprint(identity)
            self._recordings.setdefault(key, _Recordings()).entries.append(entry)
            text_key = request_fingerprint({**identity, "generation": None})
            known = self._generations.setdefault(text_key, [])
            if identity["generation"] not in known:
                known.append(identity["generation"])
        for recordings in self._recordings.values():
            recordings.seal()

    # -- lookup ------------------------------------------------------------------------------

    def _take(self, identity: dict[str, Any]) -> CassetteEntry:
        recordings = self._recordings.get(request_fingerprint(identity))
        with self._lock:
            entry = None if recordings is None else recordings.take(current_request.get())
        if entry is not None:
            return entry
        where = f"{self.cassette} (adapter '{self.replayed_adapter}')"
        if recordings is not None:
            n = len(recordings.entries)
            raise ReplayMissError(
                f"{_preview(identity)} was recorded {n} time{'s' if n != 1 else ''} in {where} "
                "and every recording has been served; the replayed run asks it more often "
                "(more repeats or cases with this request) than the recorded one"
            )
        hint = ""
        others = self._generations.get(request_fingerprint({**identity, "generation": None}))
        if others:
            shown = "; ".join(canonical_json(g) for g in others[:3])
            hint = (
                f"; it was recorded with other generation options ({shown}), "
                f"asked with {canonical_json(identity['generation'])}"
            )
        raise ReplayMissError(f"no recording in {where} matches the {_preview(identity)}{hint}")

    @staticmethod
    def _identity(
        prompt: str | None, messages: Sequence[ChatMessage] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        generation = {k: v for k, v in kwargs.items() if k != "formatted"}
        return request_identity(prompt=prompt, messages=messages, generation=generation)

    # -- serving -----------------------------------------------------------------------------

    async def _pieces_async(
        self, entry: CassetteEntry, start: float
    ) -> AsyncGenerator[Piece, None]:
        """The recorded chunks as pieces, constant work each (no running text)."""
        recorded = self.timing == "recorded"
        raw = _raw(entry)
        for chunk, offset in zip(entry.chunks, entry.chunk_offsets_ns, strict=True):
            if recorded:
                await _sleep_until(start + offset * _NS)
            yield chunk, raw, _extra(raw)
        if recorded:
            await _sleep_until(start + entry.end_offset_ns * _NS)
        if entry.error is not None:
            raise error_from_cassette(entry.error)
        if not entry.chunks:
            yield "", raw, _extra(raw)

    def _serve_sync(
        self,
        entry: CassetteEntry,
        start: float,
        make: Callable[[str, str, Any, dict[str, Any]], _R],
    ) -> Generator[_R, None, None]:
        """Responses with the text so far, as llama-index requires (a copy of it per chunk)."""
        recorded = self.timing == "recorded"
        raw = _raw(entry)
        text = ""
        for chunk, offset in zip(entry.chunks, entry.chunk_offsets_ns, strict=True):
            if recorded:
                _block_until(start + offset * _NS)
            text += chunk
            yield make(text, chunk, raw, _extra(raw))
        if recorded:
            _block_until(start + entry.end_offset_ns * _NS)
        if entry.error is not None:
            raise error_from_cassette(entry.error)
        if not entry.chunks:
            yield make("", "", raw, _extra(raw))

    def _whole_sync(self, entry: CassetteEntry, start: float) -> str:
        if self.timing == "recorded":
            _block_until(start + entry.end_offset_ns * _NS)
        if entry.error is not None:
            raise error_from_cassette(entry.error)
        return entry.output

    async def _whole_async(self, entry: CassetteEntry, start: float) -> str:
        if self.timing == "recorded":
            await _sleep_until(start + entry.end_offset_ns * _NS)
        if entry.error is not None:
            raise error_from_cassette(entry.error)
        return entry.output

    @property
    def replay_source(self) -> dict[str, str]:
        """What the runner records of this adapter: the cassette, whose answers, which timing.

        Its presence tells the runner a reply was replayed, not measured (duck-typed: the
        runner does not import llama-index adapters).
        """
        return {"cassette": self.cassette, "adapter": self.replayed_adapter, "timing": self.timing}

    # -- llama-index interface ---------------------------------------------------------------

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=f"replay:{self.replayed_adapter}")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        start = time.perf_counter()
        entry = self._take(self._identity(prompt, None, kwargs))
        return _whole(_completion, self._whole_sync(entry, start), entry)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        start = time.perf_counter()
        entry = self._take(self._identity(prompt, None, kwargs))
        return self._serve_sync(entry, start, _completion)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        start = asyncio.get_running_loop().time()
        entry = self._take(self._identity(prompt, None, kwargs))
        return _whole(_completion, await self._whole_async(entry, start), entry)

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """A :class:`ResponseStream` of the recording (``deltas()`` is the runner's path).

        llama-index's callback events (one per chunk) are sent only when a handler listens:
        their wrapper would build every response, and hide the stream's ``deltas()``.
        """
        if listened(self):
            observed: CompletionResponseAsyncGen = await self._astream_complete_observed(
                prompt, formatted, **kwargs
            )
            return observed
        return self._stream_async(prompt, None, kwargs, _completion)

    @llm_completion_callback()
    async def _astream_complete_observed(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return self._stream_async(prompt, None, kwargs, _completion)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        start = time.perf_counter()
        entry = self._take(self._identity(None, messages, kwargs))
        return _whole(_chat, self._whole_sync(entry, start), entry)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        start = time.perf_counter()
        entry = self._take(self._identity(None, messages, kwargs))
        return self._serve_sync(entry, start, _chat)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        start = asyncio.get_running_loop().time()
        entry = self._take(self._identity(None, messages, kwargs))
        return _whole(_chat, await self._whole_async(entry, start), entry)

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The recording of ``messages``; callback events as in :meth:`astream_complete`."""
        if listened(self):
            observed: ChatResponseAsyncGen = await self._astream_chat_observed(messages, **kwargs)
            return observed
        return self._stream_async(None, messages, kwargs, _chat)

    @llm_chat_callback()
    async def _astream_chat_observed(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._stream_async(None, messages, kwargs, _chat)

    def _stream_async(
        self,
        prompt: str | None,
        messages: Sequence[ChatMessage] | None,
        kwargs: dict[str, Any],
        make: Callable[[str, str, Any, dict[str, Any]], _R],
    ) -> ResponseStream[_R]:
        start = asyncio.get_running_loop().time()
        entry = self._take(self._identity(prompt, messages, kwargs))
        return ResponseStream(self._pieces_async(entry, start), make)
