"""report.html: untrusted text is escaped, the file is self-contained, content matches."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from harness.report import write_reports


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def html(written_reports):
    return (written_reports["run_dir"] / "report.html").read_text(encoding="utf-8")


def test_hostile_output_and_prompt_appear_only_escaped(html):
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | pipe\nsecond line" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt; say hi" in html
    assert [t for t, _ in _tags(html) if t == "script"] == []


def test_hostile_case_and_adapter_names_are_escaped(make_run, make_record):
    run = make_run([make_record("<b>case</b>", "<i>bot</i>", passed=False, output="x")])
    (path,) = write_reports(run, ["html"])
    html = path.read_text(encoding="utf-8")
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;case&lt;/b&gt;" in html and "&lt;i&gt;bot&lt;/i&gt;" in html


def test_self_contained(html):
    assert "http://" not in html and "https://" not in html
    for tag, attrs in _tags(html):
        assert tag not in {"script", "link", "iframe"}
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:40])
    assert "@import" not in html and "url(" not in html


def test_charts_are_embedded_as_png_data_uris(html):
    images = [attrs for tag, attrs in _tags(html) if tag == "img"]
    assert len(images) == 3
    for attrs in images:
        src = attrs["src"] or ""
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"))
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert any("Time to first token" in (a["alt"] or "") for a in images)


def test_same_content_as_markdown(html):
    for text in (
        "support-regression: run 20260101-120000-abcd",
        "max_tokens=200, temperature=0.0",
        "33.3% (13.8%–60.9%)",
        "65 (emulated)",
        "TTFT (emulated: whole reply in one chunk) for support-bot-v2",
        "support-bot-v2 passes 6 more cases than support-bot-v1",
        "the difference could be chance (p=0.07).",
        "error: RequestTimeoutError: no reply within 30 s",
        "support-bot-v1: 8 not passed",
        "Per-case results",
    ):
        assert text in html, text
    assert (
        '<tr class="differs"><td>c11</td>'
        '<td class="error">ERROR</td><td class="fail">FAIL</td></tr>'
    ) in html
    assert '<tr class="same"><td>c00</td>' in html


def test_html_alone_has_no_charts(make_run, make_record):
    run = make_run([make_record("a", "x")])
    (path,) = write_reports(run, ["html"])
    html = path.read_text(encoding="utf-8")
    assert "<img" not in html
    assert "Every case passed." in html
