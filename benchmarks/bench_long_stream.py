"""Cost per chunk of a long streamed reply: the runner's delta path against llama-index responses.

Run ``python benchmarks/bench_long_stream.py`` (about 30 s, no network). A replay adapter serves
one recorded reply of N chunks (``timing: instant``, so only the harness's own work is timed);
it is read (1) through the runner's ``send`` (bare deltas, joined once) and (2) as llama-index
responses, whose ``text`` is the reply so far (what the runner read before issue 10). Prints µs
per chunk, median of 3, for each N: flat for (1), growing with N for (2).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.adapters.replay_llm import ReplayLLM  # noqa: E402
from harness.records.cassette import CassetteEntry, CassetteWriter  # noqa: E402
from harness.runner.send import send  # noqa: E402
from harness.suite.expand import Case  # noqa: E402

SIZES = (1_000, 10_000, 100_000)


def write_cassette(path: Path) -> None:
    with CassetteWriter(path) as writer:
        for n in SIZES:
            chunks = [f"w{i} " for i in range(n)]
            writer.write(
                CassetteEntry(
                    adapter="long",
                    prompt=f"go {n}",
                    chunks=chunks,
                    chunk_offsets_ns=[0] * n,
                    finish_reason="stop",
                )
            )


async def runner_path(llm: ReplayLLM, n: int) -> None:
    await send(llm, Case(id="long", prompt=f"go {n}", expectations=()), timeout_s=600)


async def responses_path(llm: ReplayLLM, n: int) -> None:
    async for _response in await llm.astream_complete(f"go {n}"):
        pass


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "cassette.jsonl"
        write_cassette(cassette)
        print("chunks | runner (deltas) µs/chunk | llama-index responses µs/chunk")
        for n in SIZES:
            times = {}
            for name, path in (("runner", runner_path), ("responses", responses_path)):
                runs = []
                for _ in range(3):
                    llm = ReplayLLM.from_cassette(cassette)
                    start = time.perf_counter()
                    asyncio.run(path(llm, n))
                    runs.append((time.perf_counter() - start) / n * 1e6)
                times[name] = statistics.median(runs)
            print(f"{n:,} | {times['runner']:.2f} | {times['responses']:.2f}")


if __name__ == "__main__":
    main()
