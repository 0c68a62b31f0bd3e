"""Record a cassette from real records, then replay it through the `replay` adapter type."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from harness.adapters.base import adapters
from harness.adapters.replay import REPLAY, ReplayLLM, ReplayMissError, ReplayOptions
from harness.errors import (
    AdapterError,
    ConfigurationError,
    RateLimitedError,
    ServerError,
)
from harness.records import ErrorInfo
from harness.records.cassette import (
    CassetteEntry,
    CassetteWriter,
    ReplayedError,
    read_cassette,
    replay_context,
)
from tests.durability.support import case, record

CHAT = (("system", "Be brief."), ("user", "Capital of Italy?"))


def _cassette(tmp_path: Path) -> Path:
    """Two adapters; a streamed completion, two repeats, a chat, and two errors."""
    path = tmp_path / "run" / "cassette.jsonl"
    capital = case("capital", "What is the capital of France?", generation={"temperature": 0.0})
    italy = case("italy", messages=CHAT)
    with CassetteWriter(path) as cassette:
        streamed = record(
            "capital",
            output="The capital is Paris.",
            chunk_offsets_ms=(40.0, 80.0, 120.0),
            end_ms=150.0,
        )
        cassette.write(
            CassetteEntry.from_record(
                streamed,
                capital,
                chunks=["The capital ", "is ", "Paris."],
                usage={"completion_tokens": 5},
            )
        )
        # repeats recorded out of order (concurrency): served by repeat
        for repeat, answer in ((1, "second"), (0, "first")):
            cassette.write(
                CassetteEntry.from_record(
                    record("count", repeat=repeat, output=answer, prompt="Count"),
                    case("count", "Count", repeat=2),
                )
            )
        cassette.write(
            CassetteEntry.from_record(record("italy", output="Rome"), italy, chunks=["Rome"])
        )
        limited = ErrorInfo(type="rate_limited", message="slow down", status=429)
        cassette.write(
            CassetteEntry.from_record(
                record("busy", error=limited, end_ms=30.0, prompt="Busy?"),
                case("busy", "Busy?"),
                retry_after_s=2.0,
            )
        )
        odd = ErrorInfo(type="ValueError", message="bad chunk")
        cassette.write(
            CassetteEntry.from_record(record("odd", error=odd, prompt="Odd?"), case("odd", "Odd?"))
        )
        cassette.write(
            CassetteEntry.from_record(
                record("capital", adapter="slow", output="Lyon?"), capital, chunks=["Lyon?"]
            )
        )
    return path


async def _collect(stream: AsyncIterator[Any], t0: float) -> tuple[list[str], list[float], Any]:
    deltas: list[str] = []
    stamps: list[float] = []
    last = None
    async for response in stream:
        if response.delta:
            stamps.append(time.perf_counter() - t0)
            deltas.append(response.delta)
        last = response
    return deltas, stamps, last


def test_cassette_lines_round_trip(tmp_path: Path) -> None:
    entries = list(read_cassette(_cassette(tmp_path)))
    assert [e.case_id for e in entries] == [
        "capital",
        "count",
        "count",
        "italy",
        "busy",
        "odd",
        "capital",
    ]
    first = entries[0]
    assert first.chunks == ["The capital ", "is ", "Paris."]
    assert first.chunk_offsets_ns == [40_000_000, 80_000_000, 120_000_000]
    assert first.end_offset_ns == 150_000_000
    assert first.generation == {"temperature": 0.0}
    assert first.usage == {"completion_tokens": 5}
    assert first.finish_reason == "stop"
    assert entries[3].messages == list(CHAT) and entries[3].prompt is None
    assert entries[4].error is not None and entries[4].error.retry_after_s == 2.0
    assert entries[4].end_offset_ns == 30_000_000
    # without chunk texts: one chunk at the first chunk's offset
    assert entries[1].chunks == ["second"] and entries[1].chunk_offsets_ns == [20_000_000]


def test_from_record_checks_the_chunks_against_the_record() -> None:
    rec = record("c", output="ab", chunk_offsets_ms=(1.0, 2.0))
    with pytest.raises(ValueError, match="2 chunk stamps"):
        CassetteEntry.from_record(rec, case("c"), chunks=["ab"])
    with pytest.raises(ValueError, match="add up"):
        CassetteEntry.from_record(rec, case("c"), chunks=["a", "c"])


def test_replay_is_registered_and_needs_an_adapter_when_several(tmp_path: Path) -> None:
    path = _cassette(tmp_path)
    assert adapters.get("replay") is REPLAY
    with pytest.raises(ConfigurationError, match=r"several adapters \(fast, slow\)"):
        REPLAY.build(ReplayOptions(cassette=path))
    with pytest.raises(ConfigurationError, match="did you mean 'fast'"):
        REPLAY.build(ReplayOptions(cassette=path, adapter="fats"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        REPLAY.build(ReplayOptions(cassette=tmp_path / "none.jsonl"))
    llm = REPLAY.build(REPLAY.options.model_validate({"cassette": str(path), "adapter": "slow"}))
    assert isinstance(llm, ReplayLLM)
    assert llm.replayed_adapter == "slow"
    assert ReplayOptions(cassette=path, adapter="slow").model == "replay:slow"


def test_instant_replay_of_completion_and_chat(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")

    async def main() -> None:
        t0 = time.perf_counter()
        stream = await llm.astream_complete("What is the capital of France?", temperature=0.0)
        deltas, _, last = await _collect(stream, t0)
        assert deltas == ["The capital ", "is ", "Paris."]
        assert last.text == "The capital is Paris."
        assert last.raw == {
            "finish_reason": "stop",
            "usage": {"completion_tokens": 5},
            "harness_replay": {  # the recording's own times, for the record (not slept)
                "case_id": "capital",
                "repeat": 0,
                "chunk_offsets_ns": [40_000_000, 80_000_000, 120_000_000],
                "end_offset_ns": 150_000_000,
            },
        }
        assert time.perf_counter() - t0 < 0.1  # no recorded waiting

        messages = [ChatMessage(role=r, content=c) for r, c in CHAT]
        deltas, _, last = await _collect(await llm.astream_chat(messages), t0)
        assert deltas == ["Rome"]
        assert last.message.content == "Rome"

    asyncio.run(main())
    assert llm.streaming_emulated is False


def test_recorded_timing_is_a_lower_bound(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast", timing="recorded")

    async def main() -> None:
        t0 = time.perf_counter()
        stream = await llm.astream_complete("What is the capital of France?", temperature=0)
        deltas, stamps, _ = await _collect(stream, t0)
        total = time.perf_counter() - t0
        assert deltas == ["The capital ", "is ", "Paris."]
        for got, recorded in zip(stamps, (0.040, 0.080, 0.120), strict=True):
            assert got >= recorded - 0.001, (got, recorded)
        assert total >= 0.150 - 0.001

        t0 = time.perf_counter()
        with pytest.raises(RateLimitedError):
            stream = await llm.astream_complete("Busy?")
            await _collect(stream, t0)
        assert time.perf_counter() - t0 >= 0.030 - 0.001

    asyncio.run(main())


def test_repeats_are_served_in_order_then_miss(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")

    async def main() -> list[str]:
        outs = []
        for _ in range(2):
            _, _, last = await _collect(await llm.astream_complete("Count"), 0.0)
            outs.append(last.text)
        with pytest.raises(ReplayMissError, match="recorded 2 times"):
            await llm.astream_complete("Count")
        return outs

    assert asyncio.run(main()) == ["first", "second"]


def test_replay_context_picks_the_cases_own_recording(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")
    with replay_context("count", 1):
        assert llm.complete("Count").text == "second"
    with replay_context("count", 0):
        assert llm.complete("Count").text == "first"
        assert llm.complete("Count").text == "first"  # a retry: served again, not a miss
    with replay_context("renamed-case", 0):  # unknown to the cassette: recorded order
        with pytest.raises(ReplayMissError):
            llm.complete("Count")


def test_a_retried_recorded_failure_fails_the_same_way(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")
    with replay_context("busy", 0):
        for _ in range(3):
            with pytest.raises(RateLimitedError, match="slow down"):
                llm.complete("Busy?")


def test_recorded_errors_come_back_as_the_same_types(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")
    with pytest.raises(RateLimitedError) as limited:
        llm.complete("Busy?")
    assert (limited.value.status, limited.value.retry_after_s) == (429, 2.0)
    assert str(limited.value) == "slow down"
    with pytest.raises(ReplayedError) as odd:
        list(llm.stream_complete("Odd?"))
    assert odd.value.kind == "ValueError" and str(odd.value) == "bad chunk"
    assert isinstance(odd.value, AdapterError) and not isinstance(odd.value, ServerError)


def test_a_miss_names_the_prompt(tmp_path: Path) -> None:
    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")
    long_prompt = "Tell me everything about the history of the Roman Empire, in detail, please."
    with pytest.raises(ReplayMissError) as info:
        llm.complete(long_prompt)
    message = str(info.value)
    assert repr(long_prompt[:60] + "…") in message
    assert "adapter 'fast'" in message
    assert isinstance(info.value, AdapterError) and info.value.kind == "replay_miss"
    with pytest.raises(
        ReplayMissError, match=r"other generation options \(\{\"temperature\":0\}\)"
    ):
        llm.complete("What is the capital of France?", temperature=0.9)


def test_sync_paths_and_emulated_streaming(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    rec = record("one", output="whole reply", chunk_offsets_ms=(50.0,), end_ms=50.0)
    rec = rec.model_copy(update={"streaming_emulated": True})
    with CassetteWriter(path) as cassette:
        cassette.write(CassetteEntry.from_record(rec, case("one", "Hi"), chunks=["whole reply"]))
        cassette.write(CassetteEntry.from_record(rec, case("one", messages=(("user", "Hi"),))))
    llm = ReplayLLM.from_cassette(path, timing="recorded")
    assert llm.streaming_emulated is True
    t0 = time.perf_counter()
    assert [r.delta for r in llm.stream_complete("Hi")] == ["whole reply"]
    assert time.perf_counter() - t0 >= 0.049
    assert llm.chat([ChatMessage(role="user", content="Hi")]).message.content == "whole reply"


def test_a_replayed_run_scores_like_the_recorded_one(tmp_path: Path) -> None:
    """Through the runner's own execute_case: same output, finish reason and error info."""
    from harness.runner.execute import execute_case

    llm = ReplayLLM.from_cassette(_cassette(tmp_path), adapter="fast")
    capital = case("capital", "What is the capital of France?", generation={"temperature": 0.0})

    async def main() -> None:
        ok = await execute_case(capital, "replayed", llm, run_id="r", timeout_s=5)
        assert ok.output == "The capital is Paris."
        assert ok.finish_reason == "stop"
        assert ok.timing is not None and len(ok.timing.chunk_ns) == 3
        failed = await execute_case(case("busy", "Busy?"), "replayed", llm, run_id="r", timeout_s=5)
        assert failed.error == ErrorInfo(type="rate_limited", message="slow down", status=429)

    asyncio.run(main())
