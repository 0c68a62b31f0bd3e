"""PNG charts: valid files, emulated TTFT labelled, no crash on missing data."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import harness
from harness.analysis import summarize_run
from harness.report import write_reports

CHARTS = ("pass_rate.png", "latency.png", "ttft.png")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_charts_are_valid_pngs(written_reports):
    run_dir = written_reports["run_dir"]
    for name in CHARTS:
        path = run_dir / name
        assert path.stat().st_size > 10_000, name
        width, height = _png_size(path)
        assert width >= 500 and height >= 400


def test_charts_when_an_adapter_has_no_latencies(make_run, make_record):
    from harness.records import ErrorInfo

    boom = ErrorInfo(type="ServerError", message="503", status=503)
    run = make_run(
        [make_record(c, "ok-bot", ttft_ms=5.0) for c in "abc"]
        + [make_record(c, "dead-bot", output=None, latency_ms=None, error=boom) for c in "abc"]
    )
    paths = write_reports(run, ["charts"])
    assert [p.name for p in paths] == list(CHARTS)
    for path in paths:
        _png_size(path)


def test_ttft_chart_says_which_adapter_is_emulated(comparison_run):
    from harness.report.charts import _ttft_chart

    fig = _ttft_chart(summarize_run(comparison_run).adapters)
    (ax,) = fig.axes
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "support-bot-v1"
    assert ticks[1] == "support-bot-v2\n(emulated: whole reply\nin one chunk)"
    assert "TTFT (emulated: whole reply in one chunk)" in ax.get_title()


def test_importing_report_package_loads_no_heavy_library():
    root = Path(harness.__file__).resolve().parents[1]
    code = (
        "import sys, harness.report\n"
        "heavy = [m for m in ('matplotlib', 'pandas', 'jinja2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
