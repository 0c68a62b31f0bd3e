"""Emulated streaming is decided from what arrived, not only from the adapter's word (issue 10).

Two generic llama-index LLMs run through the real runner: one waits and then yields its whole
reply in one chunk (it declares nothing), one truly streams (chunks 20 ms apart). The record,
the analysis and the console totals must flag the first as emulated and leave the second.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness import RunOptions, load_suite, run_suite
from harness.analysis.summarize import summarize_run
from harness.analysis.totals import run_totals
from harness.records.store import read_records
from harness.report.content import ttft_label

Write = Callable[..., Path]

LLMS = '''
import time
from typing import Any

from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata

REPLY = ("one ", "two ", "three ", "four")


class _Base(CustomLLM):
    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=type(self).__name__)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(REPLY))


class OnePiece(_Base):
    """Thinks for 50 ms, then sends the whole reply as one chunk."""

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
        time.sleep(0.05)
        yield CompletionResponse(text="".join(REPLY), delta="".join(REPLY))


class Streams(_Base):
    """Sends four chunks 20 ms apart."""

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
        text = ""
        for word in REPLY:
            time.sleep(0.02)
            text += word
            yield CompletionResponse(text=text, delta=word)
'''


def test_one_chunk_reply_is_flagged_as_observed_emulation(
    write_suite: Write, tmp_path: Path
) -> None:
    write_suite(LLMS, "observed_llms.py")
    path = write_suite(
        "name: observed\nadapters:\n"
        "  piece: {type: llama-index, class_path: 'observed_llms:OnePiece'}\n"
        "  stream: {type: llama-index, class_path: 'observed_llms:Streams'}\n"
        "cases: [{id: a, prompt: hi, repeat: 2}]\n"
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path / "out", run_id="r"))
    records = list(read_records(outcome.run_dir))
    piece = [r for r in records if r.adapter == "piece"]
    stream = [r for r in records if r.adapter == "stream"]
    assert len(piece) == 2 and len(stream) == 2
    for r in piece:
        assert r.error is None and r.output == "one two three four"
        assert r.streaming_emulated is True
        assert r.streaming_emulated_by == "observed"
        assert r.timing is not None and r.timing.streaming_emulated is True
        assert len(r.timing.chunk_ns) == 1
        assert r.ttft_ms is not None and r.ttft_ms >= 45
        assert r.decode_tokens_per_s is None  # no decode speed from one chunk
    for r in stream:
        assert r.error is None and r.output == "one two three four"
        assert r.streaming_emulated is False
        assert r.streaming_emulated_by is None
        assert r.timing is not None and len(r.timing.chunk_ns) == 4
        assert r.timing.streaming_emulated is False
        assert r.latency_ms is not None and r.ttft_ms is not None
        assert r.ttft_ms < r.latency_ms - 40  # three more 20 ms gaps after the first chunk

    # The reports and the console read the record's flag.
    summary = {a.name: a for a in summarize_run(outcome.run_dir).adapters}
    assert summary["piece"].ttft_emulated and ttft_label(summary["piece"]) == "emulated"
    assert not summary["stream"].ttft_emulated and ttft_label(summary["stream"]) == ""
    totals = {a.name: a for a in run_totals(outcome.run_dir).adapters}
    assert totals["piece"].ttft_emulated and not totals["stream"].ttft_emulated
