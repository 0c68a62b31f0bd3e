"""bench.html in a real browser (headless Chromium via Playwright), at laptop and phone widths.

The page of a real bench whose suite and adapter names are HTML: nothing runs, the names show
as text, the embedded chart loads under the page's policy, and on a phone the chart fits the
viewport and nothing makes the page scroll sideways. Screenshots go to
``reports/test-artifacts/bench-{laptop,phone}.png``. Without Chromium this skips, except when
``CI`` is set (``test_report_browser.launch_chromium``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.report.test_bench_report import ADAPTERS, HOSTILE_ADAPTER, run_hostile_bench

# browser: report.html's fixture (Playwright on the system Chromium; fails under CI without it)
from tests.report.test_report_browser import ARTIFACTS, browser  # noqa: F401

PHONE = (390, 844)
LAPTOP = (1366, 800)


@pytest.fixture(scope="module")
def bench_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_hostile_bench(tmp_path_factory.mktemp("bench-browser")) / "bench.html"


def _chart_box(page: Any) -> dict[str, float]:
    """The chart image's natural and rendered widths, once it has loaded."""
    from playwright.sync_api import expect

    chart = page.locator("#chart img")
    expect(chart).to_have_js_property("complete", True)
    box: dict[str, float] = chart.evaluate(
        "img => ({natural: img.naturalWidth, rendered: img.getBoundingClientRect().width,"
        " right: img.getBoundingClientRect().right})"
    )
    return box


@pytest.mark.parametrize(("name", "size"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_bench_page_shows_names_as_text_and_fits_the_screen(
    browser: Any,  # noqa: F811 - the imported fixture
    bench_page: Path,
    name: str,
    size: tuple[int, int],
) -> None:
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(bench_page.as_uri())
    box = _chart_box(page)
    assert box["natural"] > PHONE[0]  # drawn wider than a phone: the page must scale it
    assert 0 < box["rendered"] <= width and box["right"] <= width
    if name == "phone":
        assert box["rendered"] < box["natural"]
        _zoom_in_and_out(page, box)
    # nothing widens the page itself: wide tables scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("window.__pwned") is None
    cells = page.locator("table.points tbody td:first-child").all_inner_texts()
    assert sorted(set(cells)) == sorted(ADAPTERS)
    assert page.locator("#highlights h3").first.inner_text() == HOSTILE_ADAPTER
    assert page.locator("main script, main img:not(#chart img)").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"bench-{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert problems == []
    page.close()


def _zoom_in_and_out(page: Any, fitted: dict[str, float]) -> None:
    """A tap shows the chart at full size in its own sideways-scrolling frame; another fits it."""
    page.locator("#chart img").click()
    zoomed = _chart_box(page)
    assert zoomed["rendered"] >= zoomed["natural"]  # its own size (plus the 1px border)
    frame = page.locator("#chart .frame")
    assert frame.evaluate("f => f.scrollWidth > f.clientWidth")  # the frame scrolls
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # the page not
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#chart").screenshot(path=str(ARTIFACTS / "bench-phone-full-size.png"))
    page.locator("#chart label.zoom-label").click()
    assert _chart_box(page)["rendered"] == fitted["rendered"]
