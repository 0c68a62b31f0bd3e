"""Peak memory of `harness run` at 1k, 10k and 100k cases: results are never all in memory.

Run: python benchmarks/bench_memory.py [1000 10000 100000]
Each size runs in its own process (so peak RSS is that run's) against an instant in-process
LLM, with --no-reports (reports summarise every record, which is a separate cost).
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

LLM_MODULE = """
from __future__ import annotations
from collections.abc import AsyncIterator, Iterator
from typing import Any
from llama_index.core.llms import (
    CompletionResponse, CompletionResponseAsyncGen, CustomLLM, LLMMetadata,
)


class InstantLLM(CustomLLM):
    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata()

    def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
        return CompletionResponse(text=prompt[::-1])

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kw: Any
    ) -> Iterator[CompletionResponse]:
        yield CompletionResponse(text=prompt[::-1], delta=prompt[::-1])

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kw: Any
    ) -> CompletionResponseAsyncGen:
        async def gen() -> AsyncIterator[CompletionResponse]:
            yield CompletionResponse(text=prompt[::-1], delta=prompt[::-1])
        return gen()
"""

SUITE = """name: memory
concurrency: 32
adapters:
  instant: {type: llama-index, class_path: "instant_llm:InstantLLM"}
datasets:
  - path: rows.csv
    columns: {prompt: question, id: id}
    expect: [max_length: 200, regex: '\\\\?']
"""

RUNNER = textwrap.dedent("""
    import resource, sys, time
    from harness.cli import main
    sys.argv = ["harness", "run", "suite.yaml", "-q", "--no-reports", "--run-id", "r"]
    start = time.perf_counter()
    try:
        main()
    except SystemExit:
        pass
    elapsed = time.perf_counter() - start
    print("RESULT", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, elapsed, file=sys.stderr)
""")


def measure(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "instant_llm.py").write_text(LLM_MODULE)
        (folder / "suite.yaml").write_text(SUITE)
        with (folder / "rows.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "question"])
            for i in range(n):
                writer.writerow([f"q{i}", f"What is the reverse of item number {i}?"])
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        line = next(x for x in proc.stderr.splitlines() if x.startswith("RESULT"))
        _, rss_kb, elapsed = line.split()
        lines = (folder / "reports" / "r" / "results.jsonl").read_text().count("\n")
        assert lines == n, (lines, n, proc.stderr[-2000:])
        return int(rss_kb) / 1024, float(elapsed)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]
    print(f"# peak RSS of `harness run` (Python {sys.version.split()[0]}), instant LLM")
    for n in sizes:
        start = time.perf_counter()
        rss_mb, elapsed = measure(n)
        print(
            f"{n:>7} cases: peak RSS {rss_mb:6.1f} MiB, run {elapsed:6.1f} s "
            f"({n / elapsed:,.0f} cases/s incl. load), wall {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
