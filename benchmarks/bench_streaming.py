"""Streaming clients of an OpenAI-compatible server: requests/s at concurrency 64, as ratios.

Run ``python benchmarks/bench_streaming.py`` (about 40 s, loopback only). A zero-delay model
streams 16 tokens, one per SSE event, from a server in a child process (the emulator when it
serves the OpenAI routes, else the tests' scripted SSE server). Four clients run closed loops of
64 workers, in interleaved rounds, and each is reported as a ratio to (1) in the same run:

1. a bare aiohttp SSE loop (``async for line in response.content``, ``json.loads`` per event);
2. harness's ``openai-compatible`` adapter, ``astream_complete``;
3. the openai SDK, ``AsyncOpenAI().completions.create(stream=True)``;
4. llama-index's ``OpenAILike`` (harness's ``openai-like`` adapter), ``astream_complete``.

The target from issue 5: (2) reaches at least 75% of (1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MODEL = "bench-16"
ANSWER = " ".join(f"w{i}" for i in range(16))  # 16 tokens, one per event
CONCURRENCY = 64
USAGE = {"include_usage": True}

_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[2])
kind, answer = sys.argv[1], sys.argv[3]
if kind in ("auto", "emulator"):
    try:
        import urllib.request
        from harness.emulator import EmulatorConfig, EmulatorServer
        server = EmulatorServer(EmulatorConfig.model_validate(
            {"seed": 0, "models": [{"name": "bench-16", "slug": "bench-16", "default": answer}]}))
        server.start()
        with urllib.request.urlopen(server.root_url + "/v1/models", timeout=5) as r:
            assert r.status == 200
        print("emulator", server.root_url + "/v1", flush=True)
        sys.stdin.read()
        server.stop()
        sys.exit(0)
    except Exception as exc:
        if kind == "emulator":
            raise
        print(f"(emulator has no OpenAI routes: {exc!r})", file=sys.stderr, flush=True)
from tests.adapters.test_openai_scripted_server import Reply, ScriptedServer
with ScriptedServer() as server:
    server.default = Reply(tokens=answer.replace(" ", "\\n ").split("\\n"))
    print("scripted", server.v1, flush=True)
    sys.stdin.read()
"""


class ServerProcess:
    """The server in a child process; stops when its stdin closes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, self.kind, str(REPO), ANSWER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError("the server process did not start")
        self.name, self.api_base = line
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


# -- the four clients: each makes a "send one streamed request, return its deltas" function ----

Send = Callable[[str], Awaitable[int]]


async def bare_aiohttp(api_base: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))
    url = api_base + "/completions"
    headers = {"Authorization": "Bearer bench"}

    async def send(prompt: str) -> int:
        # the body the harness adapter sends, so that (1) and (2) cost the server the same
        body = {"model": MODEL, "prompt": prompt, "stream": True, "stream_options": USAGE}
        deltas = 0
        async with session.post(url, json=body, headers=headers) as response:
            response.raise_for_status()
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
                    break
                choices = json.loads(data)["choices"]
                if choices and choices[0]["text"]:  # the usage event has no choices
                    deltas += 1
        return deltas

    return send, session.close


async def harness_adapter(api_base: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    from harness.adapters.openai_compatible import OpenAICompatibleLLM

    llm = OpenAICompatibleLLM(model=MODEL, api_base=api_base, api_key="bench")

    async def send(prompt: str) -> int:
        return sum([1 async for r in await llm.astream_complete(prompt) if r.delta])

    return send, llm.aclose


async def openai_sdk(api_base: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import openai

    client = openai.AsyncOpenAI(base_url=api_base, api_key="bench", max_retries=0)

    async def send(prompt: str) -> int:
        stream = await client.completions.create(model=MODEL, prompt=prompt, stream=True)
        return sum([1 async for c in stream if c.choices and c.choices[0].text])

    return send, client.close


async def openai_like(api_base: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    from harness.adapters.openai_like import OPENAI_LIKE

    options = {"model": MODEL, "api_base": api_base, "api_key": "bench"}
    llm = OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate(options))

    async def send(prompt: str) -> int:
        return sum([1 async for r in await llm.astream_complete(prompt) if r.delta])

    close: Callable[[], Awaitable[None]] = llm.aclose
    return send, close


CLIENTS: dict[str, Callable[[str], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]] = {
    "(1) bare aiohttp SSE loop": bare_aiohttp,
    "(2) harness openai-compatible": harness_adapter,
    "(3) openai SDK AsyncOpenAI": openai_sdk,
    "(4) llama-index OpenAILike": openai_like,
}


class _Result:
    def __init__(self, rps: float, tokens: int, cpu_us: float) -> None:
        self.rps, self.tokens, self.cpu_us = rps, tokens, cpu_us


async def _closed_loop(send: Send, duration_s: float, warmup_s: float) -> _Result:
    """``CONCURRENCY`` workers, each sending the next request when one returns.

    Requests/s counts the requests sent and finished inside the measured window; client CPU
    per request (this process's CPU time over every request sent) is steadier than requests/s
    on a busy machine, since it does not count time spent waiting for a core.
    """
    done = sent = 0
    deltas: set[int] = set()
    cpu_start = time.process_time()
    start = time.perf_counter()
    measure_from, stop_at = start + warmup_s, start + warmup_s + duration_s

    async def worker(w: int) -> None:
        nonlocal done, sent
        i = 0
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            deltas.add(await send(f"q{w}-{i}"))
            sent += 1
            if began >= measure_from and time.perf_counter() <= stop_at:
                done += 1
            i += 1

    await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
    if len(deltas) != 1:
        raise RuntimeError(f"responses had differing numbers of deltas: {sorted(deltas)}")
    cpu_us = (time.process_time() - cpu_start) / sent * 1e6
    return _Result(done / duration_s, deltas.pop(), cpu_us)


async def _measure(name: str, api_base: str, duration_s: float, warmup_s: float) -> _Result:
    send, close = await CLIENTS[name](api_base)
    try:
        return await _closed_loop(send, duration_s, warmup_s)
    finally:
        await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=2.5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per client")
    parser.add_argument("--server", choices=["auto", "emulator", "scripted"], default="auto")
    args = parser.parse_args()
    import openai
    from llama_index.core import __version__ as llama_index_version

    print(
        f"# streaming clients benchmark: Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, openai {openai.__version__}, llama-index-core "
        f"{llama_index_version}, {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.2f} before start",
        flush=True,
    )
    results: dict[str, list[_Result]] = {name: [] for name in CLIENTS}
    with ServerProcess(args.server) as server:
        print(f"server: {server.name} at {server.api_base} (child process)", flush=True)
        for _ in range(args.rounds):
            for name in CLIENTS:
                result = asyncio.run(_measure(name, server.api_base, args.duration, 0.5))
                results[name].append(result)

    def median(name: str, field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in results[name]))

    base_rps = median("(1) bare aiohttp SSE loop", "rps")
    base_cpu = median("(1) bare aiohttp SSE loop", "cpu_us")
    print(
        f"concurrency {CONCURRENCY}, zero-delay model, {args.rounds} rounds x "
        f"{args.duration:g} s per client (medians)"
    )
    print(
        "| client | tokens/response | req/s | rounds (req/s) | ratio to (1) "
        "| client CPU µs/request | CPU ratio (1)/this |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        rps, cpu_us = median(name, "rps"), median(name, "cpu_us")
        rounds = ", ".join(f"{r.rps:,.0f}" for r in runs)
        print(
            f"| {name} | {runs[0].tokens} | {rps:,.0f} | {rounds} | {rps / base_rps:.2f} "
            f"| {cpu_us:,.0f} | {base_cpu / cpu_us:.2f} |"
        )


if __name__ == "__main__":
    main()
