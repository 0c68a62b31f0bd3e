"""report.html in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

A real run (the embedded emulator over loopback) whose models answer with hostile HTML; the
page must show it as text and run none of it, search and filters must change the visible rows,
and a ``#case=`` permalink must open its case, on a later page too. Screenshots at laptop and
phone widths are kept under ``reports/test-artifacts/`` (paths printed).

Without Chromium the test skips, except when ``CI`` is set: then it fails, so a CI image that
lost its browser cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SCRIPT_ANSWER = "<script>window.__pwned=1</script> refund issued"
IMG_ANSWER = '<img src=x onerror="window.__pwned=1"> base says hi'
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
CASES = 60
MODELS = f"""
models:
  - {{name: base, slug: base, default: {IMG_ANSWER!r}}}
  - {{id: {ADAPTER_ID}, name: good, base_model: base, default: {SCRIPT_ANSWER!r}}}
"""
ARTIFACTS = Path(__file__).resolve().parents[2] / "reports" / "test-artifacts"


def _suite() -> str:
    cases = "".join(
        f"  - {{id: c{i:02d}, prompt: 'Question {i} <b>bold</b>?', "
        f"tags: [{'billing' if i % 3 == 0 else 'shipping'}], expect: [contains: refund]}}\n"
        for i in range(CASES)
    )
    return (
        "name: hostile\nemulator: {config: models.yaml}\nconcurrency: 8\nadapters:\n"
        f"  good: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ADAPTER_ID}}}\n"
        "  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
        "cases:\n" + cases
    )


def launch_chromium(playwright: Any) -> Any:
    """Chromium from PATH, or skip (fail when ``CI`` is set: the browser test must run there)."""

    def unavailable(reason: str) -> None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}; .ci/run installs it with apt-get", pytrace=False)
        pytest.skip(reason)

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        unavailable("Chromium is not installed (apt-get install -y chromium)")
    try:
        # --no-sandbox: containers (and root) cannot use Chromium's user-namespace sandbox
        return playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
    except Exception as exc:  # noqa: BLE001 - any launch failure means no browser
        unavailable(f"Chromium could not start: {exc}")


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    (root / "models.yaml").write_text(MODELS)
    (root / "suite.yaml").write_text(_suite())
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "suite.yaml", "--run-id", "r", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: cases failed, as planned
    return root / "reports" / "r" / "report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else None
    if sync_api is None:
        import playwright.sync_api as sync_api
    with sync_api.sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


def _open(browser: Any, url: str, width: int, height: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(url)
    page.wait_for_selector("html[data-ready='1']", timeout=10_000)
    return page, problems


def _expect(locator: Any) -> Any:
    # expect() polls without eval (the page's CSP forbids wait_for_function's string eval)
    from playwright.sync_api import expect

    return expect(locator)


def _rows(page: Any) -> list[str]:
    return page.locator("#cases-body tr.row td:first-child").all_inner_texts()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def _chart_edges(page: Any) -> list[float]:
    """The right edge of every chart once loaded (they load lazily), to be <= a phone's width;
    0 for a chart drawn no wider than a phone, where fitting it would prove nothing."""
    charts = page.locator("#charts img")
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        _expect(charts.nth(i)).to_have_js_property("complete", True)
    edges: list[float] = charts.evaluate_all(
        "imgs => imgs.map(i => i.naturalWidth > 390 ? i.getBoundingClientRect().right : 0)"
    )
    return edges


def test_hostile_outputs_show_as_text_and_run_nothing(browser: Any, report_path: Path) -> None:
    page, problems = _open(browser, report_path.as_uri(), 1366, 800)
    assert _rows(page)[:2] == ["c00", "c01"]
    page.locator("#cases-body tr.row").first.click()
    outputs = page.locator("#cases-body pre.output").all_inner_texts()
    assert sorted(outputs) == sorted([SCRIPT_ANSWER, IMG_ANSWER])
    assert page.locator("#cases-body pre.prompt-text").first.inner_text() == (
        "Question 0 <b>bold</b>?"
    )
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#cases img, #cases script, #cases b").count() == 0
    assert page.locator("script").count() == 3  # two data blocks and the page's own code
    assert "✗ contains failed" in page.locator("#cases-body ul.exps").last.inner_text()
    _shot(page, "report-laptop.png")
    assert problems == []
    page.close()


def test_search_filters_and_sort_change_the_rows(browser: Any, report_path: Path) -> None:
    page, problems = _open(browser, report_path.as_uri(), 1366, 800)
    assert len(_rows(page)) == 50 and "of 60 cases" in page.inner_text("#count")
    page.fill("#f-text", "question 17")
    _expect(page.locator("#cases-body tr.row")).to_have_count(1)  # search is debounced
    assert _rows(page) == ["c17"]
    page.fill("#f-text", "")
    page.select_option("#f-tag", label="billing")
    _expect(page.locator("#cases-body tr.row")).to_have_count(20)
    assert all(int(case[1:]) % 3 == 0 for case in _rows(page))
    page.select_option("#f-adapter", label="good")
    page.select_option("#f-outcome", value="failed")
    assert _rows(page) == [] and "No case matches" in page.inner_text("#count")
    page.select_option("#f-adapter", label="base")
    assert len(_rows(page)) == 20
    page.click("#cases-head th:first-child")  # sort by case, descending
    assert _rows(page)[0] == "c57"
    assert page.evaluate("window.__pwned") is None
    assert problems == []
    page.close()


def test_permalink_opens_its_case_on_a_later_page(browser: Any, report_path: Path) -> None:
    page, problems = _open(browser, report_path.as_uri() + "#case=c55", 390, 844)
    opened = page.locator("#cases-body tr.row.open td:first-child").all_inner_texts()
    assert opened == ["c55"]
    assert page.inner_text("#page") == "Page 2 of 2"
    assert page.locator("#cases-body tr.detail strong").inner_text() == "c55"
    assert _chart_edges(page) and all(0 < right <= 390 for right in _chart_edges(page))
    _shot(page, "report-phone.png")
    page.goto(report_path.as_uri() + "#case=c03")
    _expect(page.locator("#cases-body tr.row.open td:first-child")).to_have_text(
        ["c03"]
    )  # page 1 now
    assert problems == []
    page.close()


def test_ci_without_chromium_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        launch_chromium(object())
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        launch_chromium(object())


def test_a_packed_report_reads_the_same(
    browser: Any, report_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.report import html_data, write_reports

    monkeypatch.setattr(html_data, "PACK_ABOVE", 0)  # as a large report: gzipped, base64
    run_dir = tmp_path / "packed"
    shutil.copytree(report_path.parent, run_dir)
    (packed,) = write_reports(run_dir, ["html"])
    assert 'data-encoding="gzip-base64"' in packed.read_text(encoding="utf-8")
    page, problems = _open(browser, packed.as_uri() + "#case=c07", 1366, 800)
    assert page.locator("#cases-body tr.row.open td:first-child").all_inner_texts() == ["c07"]
    assert SCRIPT_ANSWER in page.locator("#cases-body pre.output").all_inner_texts()
    page.fill("#f-text", "question 42")
    _expect(page.locator("#cases-body tr.row")).to_have_count(1)
    assert page.evaluate("window.__pwned") is None
    assert problems == []
    page.close()
