"""The measured path does constant work per chunk for our streaming adapters (issue 10).

Counted by operations, not by time: each chunk's text is a ``Counted`` string that tallies the
characters copied whenever a longer string is built from it (``text += token`` copies the whole
running text). 10,000 and 20,000 chunks stream through the runner's ``send``: the
OpenAI-compatible adapter from the project's emulator over loopback, the replay adapter from
a cassette file. The runner's path must copy nothing per chunk (the deltas are joined once).
Iterating the same streams as llama-index responses (whose ``text`` is the text so far, as
llama-index requires) is the positive control: quadratic, so the instrument can see it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.adapters import openai_stream, replay_llm
from harness.adapters.deltas import DeltaStream
from harness.adapters.openai_compatible_llm import OpenAICompatibleLLM
from harness.adapters.replay_llm import ReplayLLM
from harness.emulator import EmulatorConfig, EmulatorServer, SimulatedModel
from harness.records.cassette import CassetteEntry, CassetteWriter, read_cassette
from harness.runner.send import send
from harness.suite.expand import Case

SIZES = (10_000, 20_000)


class Counted(str):
    """A chunk's text that tallies the characters of every longer string built from it."""

    copied = 0
    concatenations = 0

    def __add__(self, other: Any) -> str:
        return Counted._tally(str(self), str(other))

    def __radd__(self, other: Any) -> str:
        return Counted._tally(str(other), str(self))

    @staticmethod
    def _tally(left: str, right: str) -> str:
        Counted.concatenations += 1
        Counted.copied += len(left) + len(right)
        return left + right

    @staticmethod
    def reset() -> None:
        Counted.copied = Counted.concatenations = 0


def words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


# -- OpenAI-compatible, from the emulator over loopback ---------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(
        seed=0,
        models=[SimulatedModel(name=f"n{n}", slug=f"n{n}", default=words(n)) for n in SIZES],
    )
    server = EmulatorServer(config)
    with server:
        yield server


@pytest.fixture
def counted_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every token the OpenAI stream parses becomes a Counted string (the rest is unchanged)."""

    def loads(payload: Any) -> Any:
        chunk = json.loads(payload)
        for choice in chunk.get("choices") or ():
            if choice.get("text"):
                choice["text"] = Counted(choice["text"])
        return chunk

    monkeypatch.setattr(openai_stream, "json", SimpleNamespace(loads=loads, dumps=json.dumps))
    Counted.reset()


def openai_llm(emulator: EmulatorServer, n: int) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(
        model=f"n{n}", api_base=emulator.root_url + "/v1", api_key="sk-cost-test"
    )


async def _measured(llm: OpenAICompatibleLLM) -> Any:
    try:
        return await send(llm, Case(id="long", prompt="go", expectations=()), timeout_s=120)
    finally:
        await llm.aclose()


async def _last_text(llm: Any, prompt: str) -> str:
    """What a llama-index user gets: the last response's running text."""
    text = ""
    async for response in await llm.astream_complete(prompt):
        text = response.text
    if isinstance(llm, OpenAICompatibleLLM):
        await llm.aclose()
    return text


def copies(stream_one: Callable[[int], None]) -> dict[int, int]:
    """Characters copied while streaming each size (``stream_one`` checks what came back)."""
    copied = {}
    for n in SIZES:
        Counted.reset()
        stream_one(n)
        copied[n] = Counted.copied
    return copied


def check_cost(how: str, copied: dict[int, int]) -> None:
    if how == "measured":  # not one character copied per chunk (nor at all)
        assert copied == {n: 0 for n in SIZES}
    else:  # the positive control: text so far per response, quadratic, and the tally sees it
        assert 3.5 <= copied[20_000] / copied[10_000] <= 4.5


@pytest.mark.usefixtures("counted_tokens")
@pytest.mark.parametrize("how", ["measured", "responses"])
def test_openai_compatible_measured_path_copies_nothing_per_chunk(
    emulator: EmulatorServer, how: str
) -> None:
    def stream_one(n: int) -> None:
        if how == "measured":
            sent = asyncio.run(_measured(openai_llm(emulator, n)))
            assert sent.text == words(n) and len(sent.chunk_ns) == n
            assert sent.raw["usage"]["completion_tokens"] == n  # the summary's raw, as before
        else:
            assert asyncio.run(_last_text(openai_llm(emulator, n), "go")) == words(n)

    check_cost(how, copies(stream_one))


# -- replay, from a cassette file ----------------------------------------------------------


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    path = tmp_path / "cassette.jsonl"
    with CassetteWriter(path) as writer:
        for n in SIZES:
            chunks = [f"w{i} " for i in range(n)]
            writer.write(
                CassetteEntry(
                    adapter="long",
                    case_id=f"n{n}",
                    prompt=f"go {n}",
                    chunks=chunks,
                    chunk_offsets_ns=list(range(n)),
                    end_offset_ns=n,
                    finish_reason="stop",
                )
            )
    return path


@pytest.fixture
def counted_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cassette's chunks, read from the file, become Counted strings."""

    def read(path: Path) -> Iterator[CassetteEntry]:
        for entry in read_cassette(path):
            yield entry.model_copy(update={"chunks": [Counted(c) for c in entry.chunks]})

    monkeypatch.setattr(replay_llm, "read_cassette", read)
    Counted.reset()


def _replay_text(n: int) -> str:
    return "".join(f"w{i} " for i in range(n))


@pytest.mark.usefixtures("counted_chunks")
@pytest.mark.parametrize("how", ["measured", "responses"])
def test_replay_measured_path_copies_nothing_per_chunk(cassette: Path, how: str) -> None:

    def stream_one(n: int) -> None:
        llm = ReplayLLM.from_cassette(cassette)  # each recording is served once
        if how == "measured":
            case = Case(id=f"n{n}", prompt=f"go {n}", expectations=())
            sent = asyncio.run(send(llm, case, timeout_s=120))
            assert sent.text == _replay_text(n) and len(sent.chunk_ns) == n
            assert sent.raw["finish_reason"] == "stop"
        else:
            assert asyncio.run(_last_text(llm, f"go {n}")) == _replay_text(n)

    check_cost(how, copies(stream_one))


def test_our_adapters_streams_offer_the_delta_path(
    emulator: EmulatorServer, cassette: Path
) -> None:
    async def kinds() -> list[bool]:
        openai = openai_llm(emulator, SIZES[0])
        stream = await openai.astream_complete("go")
        replayed = await ReplayLLM.from_cassette(cassette).astream_complete(f"go {SIZES[0]}")
        found = [isinstance(stream, DeltaStream), isinstance(replayed, DeltaStream)]
        await stream.aclose()
        await replayed.aclose()
        await openai.aclose()
        return found

    assert asyncio.run(kinds()) == [True, True]


def test_replay_still_sends_llama_index_events_when_a_handler_listens(cassette: Path) -> None:
    from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler

    debug = LlamaDebugHandler()
    llm = ReplayLLM.from_cassette(cassette)
    llm.callback_manager = CallbackManager([debug])
    case = Case(id="n10000", prompt="go 10000", expectations=())
    sent = asyncio.run(send(llm, case, timeout_s=120))
    assert sent.text == _replay_text(10_000) and len(sent.chunk_ns) == 10_000
    [(start, end)] = debug.get_event_pairs(CBEventType.LLM)
    assert start.payload is not None and end.payload is not None
    completion = end.payload["completion"]  # the last response: the whole text, as before
    assert completion.text == _replay_text(10_000)
