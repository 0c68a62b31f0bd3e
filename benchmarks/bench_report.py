"""report.html at scale: generation time, file size and time to first render in Chromium.

Run: python benchmarks/bench_report.py [CASES] [--adapters 4] [--keep DIR] [--no-browser]
Writes one synthetic run folder (CASES cases x ADAPTERS adapters, records shaped as `harness
run` writes them: a prompt, a one-sentence answer, two expectations with a reason when
failing, tags, streamed-chunk stamps; lines built from one validated CaseRecord so the format
is the store's), then times in subprocesses, imports included:
- `harness report RUN` (every reporter: charts, report.md, report.html, ...) and
  `harness report RUN --only html` (target: under 15 s for 100,000 cases x 4 adapters);
- report.html's size;
- the first render in headless Chromium (Debian's `chromium`, via Playwright): the page's
  `report-ready` mark (navigation start to the first page of rows drawn; target under 3 s),
  then a tag filter change and the first and a second text search, timed in the page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import __version__
from harness.records import AdapterInfo, CaseRecord, MetricResult, RunManifest
from harness.records.store import RESULTS_FILE, write_manifest
from harness.runner.timing import derive_timing

TAGS = ["billing", "shipping", "returns", "account", "search", "safety", "tone", "format"]
MISSING_REFUND = "expected output to contain 'refund'; missing: ['refund']"
WORDS = "order refund parcel account invoice delivery address password tracking item".split()


def write_run(run_dir: Path, cases: int, adapters: int, seed: int = 1) -> None:
    """``adapters`` adapters (a-0, a-1, ...) with pass rates 0.70..0.85, lognormal latency."""
    rng = random.Random(seed)
    names = [f"a-{i}" for i in range(adapters)]
    write_manifest(
        run_dir,
        RunManifest(
            run_id="bench",
            suite_name="bench-report",
            suite_path="bench.yaml",
            suite_sha256="0" * 64,
            harness_version=__version__,
            adapters=[AdapterInfo(name=n, type="gradient-adapter", model=n) for n in names],
            case_count=cases,
            started_at="2026-01-01T00:00:00+00:00",
            finished_at="2026-01-01T01:00:00+00:00",
            status="completed",
        ),
    )
    t0 = 10_000_000_000
    first = derive_timing(t0, [t0 + k for k in range(1, 9)], t0 + 9, streaming_emulated=False)
    template = CaseRecord(
        run_id="bench",
        case_id="x",
        adapter="x",
        prompt="x",
        output="x",
        passed=True,
        expectations=[MetricResult(name="contains", passed=True, score=1.0)],
        timing=first,
        started_at="2026-01-01T00:00:00+00:00",
    ).model_dump(mode="json")
    with (run_dir / RESULTS_FILE).open("w", encoding="utf-8") as out:
        for i in range(cases):
            words = " ".join(rng.choice(WORDS) for _ in range(8))
            prompt = f"Customer {i} asks about their {words}. What should the agent say?"
            tags = [TAGS[i % len(TAGS)]]
            for a, name in enumerate(names):
                passed = rng.random() < 0.70 + 0.05 * a
                latency_ns = int(rng.lognormvariate(5.5 - 0.1 * a, 0.5) * 1e6)
                ttft = latency_ns // 4
                chunks = [t0 + ttft + (latency_ns - ttft) * k // 8 for k in range(8)]
                timing = derive_timing(t0, chunks, t0 + latency_ns, streaming_emulated=False)
                score = round(rng.random() * 0.5 + (0.5 if passed else 0.0), 3)
                reason = (
                    "" if passed else "expected output to contain 'refund'; missing: ['refund']"
                )
                record = dict(template)
                record.update(
                    case_id=f"case-{i:06d}",
                    adapter=name,
                    prompt=prompt,
                    output=f"Dear customer {i}, about your {words}: we have looked into it "
                    + ("and issued a refund." if passed else "and will get back to you."),
                    passed=passed,
                    score=score,
                    expectations=[
                        {
                            "name": "contains",
                            "passed": passed,
                            "score": float(passed),
                            "reason": reason,
                        },
                        {"name": "token_f1", "passed": True, "score": score, "reason": ""},
                    ],
                    latency_ms=timing.latency_ms,
                    ttft_ms=timing.ttft_ms,
                    output_tokens=24,
                    tokens_per_s=24 / (latency_ns / 1e9),
                    timing_source="measured",
                    timing=timing.model_dump(mode="json"),
                    seq=i * adapters + a,
                    tags=tags,
                )
                out.write(json.dumps(record, separators=(",", ":")) + "\n")


def _time_cli(*args: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"harness {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


_SEARCH = """async (text) => {
  const box = document.getElementById('f-text'), count = document.getElementById('count');
  const before = count.textContent, t = performance.now();
  box.value = text; box.dispatchEvent(new Event('input'));
  const done = () => count.textContent !== before && !count.textContent.startsWith('Reading');
  while (!done()) await new Promise(r => setTimeout(r, 5));
  return performance.now() - t - 150;  // less the input debounce (texts read on first search)
}"""
_TAG = """() => {
  const s = document.getElementById('f-tag'), t = performance.now();
  s.value = '1'; s.dispatchEvent(new Event('change'));
  return performance.now() - t;
}"""


def browser_times(html: Path, rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    ready, filters, searches = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        for _ in range(rounds):
            page = browser.new_page(viewport={"width": 1366, "height": 800})
            page.goto(html.as_uri(), timeout=120_000)
            page.wait_for_selector("html[data-ready='1']", timeout=120_000)
            ready.append(page.evaluate("performance.getEntriesByName('report-ready')[0].startTime"))
            filters.append(page.evaluate(_TAG))
            searches.append(
                (page.evaluate(_SEARCH, "customer 4242 "), page.evaluate(_SEARCH, "refund"))
            )
            page.close()
        browser.close()
    return {"ready_ms": ready, "tag_filter_ms": filters, "search_ms": searches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", type=int, default=100_000)
    parser.add_argument("--adapters", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Write the run here and keep it.")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--browser-only",
        action="store_true",
        help="Time only Chromium on the existing report.html.",
    )
    args = parser.parse_args()
    run_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-")) / "run"
    if not (run_dir / RESULTS_FILE).exists():
        started = time.perf_counter()
        write_run(run_dir, args.cases, args.adapters)
        size = (run_dir / RESULTS_FILE).stat().st_size / 1e6
        print(f"wrote {args.cases:,} cases x {args.adapters} adapters ({size:.0f} MB) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    html = run_dir / "report.html"
    if not args.browser_only:
        every = _time_cli("report", str(run_dir))
        html_only = _time_cli("report", str(run_dir), "--only", "html")
        print(f"harness report (all reporters): {every[0]:.1f} s wall, {every[1]:.1f} s CPU")
        print(f"harness report --only html: {html_only[0]:.1f} s wall, {html_only[1]:.1f} s CPU")
    print(f"report.html: {html.stat().st_size / 1e6:.1f} MB; peak RSS of the reports "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")  # fmt: skip
    if not args.no_browser:
        times = browser_times(html, args.rounds)
        print("Chromium first render (navigation start to first rows):",
              ", ".join(f"{t / 1000:.2f} s" for t in times["ready_ms"]))  # fmt: skip
        print("tag filter change:", ", ".join(f"{t:.0f} ms" for t in times["tag_filter_ms"]))
        print("search (first, builds the index; second):",
              ", ".join(f"{a:.0f}/{b:.0f} ms" for a, b in times["search_ms"]))  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
