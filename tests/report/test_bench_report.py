"""``harness bench``'s reports: bench.svg beside bench.png, and a self-contained bench.html.

A real bench (the CLI in a subprocess, the embedded emulator over loopback) of a suite whose
name and adapter name are HTML: the page must escape them, load nothing from the network, run
no script, embed the same SVG as bench.svg, and state only facts of bench.json.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from harness.report.bench_chart import BENCH_PNG, BENCH_SVG, write_bench_chart
from harness.report.bench_html import BENCH_HTML, write_bench_html
from harness.report.charts import adapter_colour

HOSTILE_ADAPTER = "<script>window.__pwned=1</script>"
HOSTILE_SUITE = "<img src=x onerror=window.__pwned=1>"
ADAPTERS = [HOSTILE_ADAPTER, "plain & simple"]
LEVELS = {("concurrency", 1.0), ("concurrency", 2.0), ("rate", 50.0)}
SUITE = f"""
name: {HOSTILE_SUITE!r}
emulator: {{config: models.yaml}}
adapters:
  {HOSTILE_ADAPTER!r}: {{type: gradient-base, served_by: emulator, base_model_slug: base}}
  {ADAPTERS[1]!r}: {{type: gradient-base, served_by: emulator, base_model_slug: slow}}
cases:
  - {{id: c1, prompt: hello, expect: [contains: fine]}}
  - {{id: c2, prompt: bye, expect: [contains: fine]}}
"""
MODELS = """
models:
  - {name: base, slug: base, default: "fine <b>answer</b>"}
  - {name: slow, slug: slow, default: "fine too", latency: {delay_ms: 15}}
"""


def run_hostile_bench(root: Path) -> Path:
    """Bench the hostile suite in ``root`` with the real CLI; the bench folder."""
    (root / "models.yaml").write_text(MODELS)
    (root / "suite.yaml").write_text(SUITE)
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "suite.yaml", "--concurrency", "1,2"]
        + ["--rate", "50", "--requests", "6", "--run-id", "b"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return root / "reports" / "b"


class Page(HTMLParser):
    """Tags with their attributes, the text of each table row, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_hostile_bench(tmp_path_factory.mktemp("bench"))


def _points(bench_dir: Path) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = json.loads((bench_dir / "bench.json").read_text())["points"]
    return points


def test_bench_writes_the_chart_as_png_and_svg(bench_dir: Path) -> None:
    assert {(p["mode"], p["load"]) for p in _points(bench_dir)} == LEVELS
    assert (bench_dir / BENCH_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    chart = (bench_dir / BENCH_SVG).read_text()
    assert "<svg" in chart and "viewBox=" in chart  # scales to its box in a page
    # the reports' palette, adapter i in colour i (matplotlib writes colours in lower case)
    assert adapter_colour(0).lower() in chart and adapter_colour(1).lower() in chart
    assert adapter_colour(2).lower() not in chart


def test_bench_html_is_self_contained_and_embeds_the_svg(bench_dir: Path) -> None:
    text = (bench_dir / BENCH_HTML).read_text()
    page = Page(text)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None and csp.startswith("default-src 'none';") and "script-src" not in csp
    urls = [v or "" for _, a in page.tags for k, v in a.items() if k in ("src", "href")]
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert all(u.startswith(("data:", "#")) for u in urls), urls
    images = [a["src"] or "" for t, a in page.tags if t == "img"]
    assert len(images) == 1 and images[0].startswith("data:image/svg+xml;base64,")
    embedded = base64.b64decode(images[0].split(",", 1)[1])
    assert embedded == (bench_dir / BENCH_SVG).read_bytes()
    downloads = {a.get("download"): a["href"] for t, a in page.tags if t == "a" and "download" in a}
    assert set(downloads) == {"bench.svg", "bench.png"}
    png = base64.b64decode((downloads["bench.png"] or "").split(",", 1)[1])
    assert png == (bench_dir / BENCH_PNG).read_bytes()


def test_hostile_names_are_escaped_text(bench_dir: Path) -> None:
    text = (bench_dir / BENCH_HTML).read_text()
    assert HOSTILE_ADAPTER not in text and HOSTILE_SUITE not in text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text
    assert "plain &amp; simple" in text
    page = Page(text)
    assert [t for t, _ in page.tags].count("img") == 1  # the chart; the suite name made none
    title = "".join(page.text).split(": throughput vs latency")[0].split("\n")[-1]
    assert title == HOSTILE_SUITE  # shown as the text it is


def test_points_table_has_every_point_of_bench_json(bench_dir: Path) -> None:
    page = Page((bench_dir / BENCH_HTML).read_text())
    header = next(r for r in page.rows if r and r[0] == "Adapter")
    body = page.rows[page.rows.index(header) + 1 :][: len(_points(bench_dir))]
    for row, p in zip(body, _points(bench_dir), strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["Adapter"] == p["adapter"]
        assert cells["Throughput (req/s)"] == f"{p['throughput_rps']:,.1f}"
        assert cells["Latency p50 (ms)"] == f"{p['latency_p50_ms']:,.1f}"
        assert cells["Latency p99 (ms)"] == f"{p['latency_p99_ms']:,.1f}"
        assert cells["TTFT p50 (ms)"] == f"{p['ttft_p50_ms']:,.1f} (emulated)"
        assert cells["Errors"] == "0"


def test_highlights_state_each_adapters_peak_throughput(bench_dir: Path) -> None:
    page_text = " ".join(Page((bench_dir / BENCH_HTML).read_text()).text)
    for adapter in ADAPTERS:
        mine = [p for p in _points(bench_dir) if p["adapter"] == adapter]
        closed = [p for p in mine if p["mode"] == "concurrency"]
        peak = max(closed, key=lambda p: p["throughput_rps"])
        assert (
            f"Peak throughput {peak['throughput_rps']:,.1f} req/s at concurrency {peak['load']:g}"
            in page_text
        )
        assert f"no errors in {sum(p['requests'] for p in mine)} requests" in page_text


def test_a_bench_without_a_successful_request_has_no_chart(tmp_path: Path) -> None:
    (tmp_path / BENCH_PNG).write_bytes(b"stale")  # a previous bench in the same folder
    (tmp_path / BENCH_SVG).write_text("<svg>stale</svg>")
    point = {
        "adapter": "down",
        "mode": "concurrency",
        "load": 1.0,
        "requests": 4,
        "errors": 4,
        "throughput_rps": 0.0,
        "latency_p50_ms": None,
        "latency_p99_ms": None,
        "ttft_emulated": False,
    }
    assert write_bench_chart([point], tmp_path) == []
    assert not (tmp_path / BENCH_PNG).exists() and not (tmp_path / BENCH_SVG).exists()
    text = write_bench_html({"suite": "s", "points": [point]}, tmp_path).read_text()
    assert "<img" not in text and "No chart" in text
    assert "⚠ 4 of 4 requests failed" in text
    assert "No successful request at concurrency 1." in text
