"""report.html: untrusted text is escaped or kept in the JSON block, the file is self-contained,
verdicts come first, every case (passing ones too) is in the drill-down data."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from harness.report import write_reports
from harness.report.html_data import embedded_data
from tests.report.conftest import HOSTILE_OUTPUT, HOSTILE_PROMPT


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts.append((self._in_script, data))


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _data(html: str) -> dict:
    """Both packed blocks (the table's data, the long texts), read back and merged."""
    blocks = [t for attrs, t in _parse(html).scripts if attrs.get("type") == "application/json"]
    assert len(blocks) == 2
    return embedded_data(html)


@pytest.fixture(scope="module")
def html(written_reports):
    return (written_reports["run_dir"] / "report.html").read_text(encoding="utf-8")


def test_hostile_text_never_reaches_the_markup(html):
    # Outside the JSON block nothing of the hostile text appears unescaped...
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    # ...and the only scripts are the data block and the page's own code.
    parsed = _parse(html)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [
        {"type": "application/json", "id": "report-data", "data-encoding": "json"},
        {"type": "application/json", "id": "report-text", "data-encoding": "json"},
        {},
    ]
    # A small report's data is readable JSON, every "<" escaped (so no "</script>" ends the
    # block early); it holds the raw text.
    assert "\\u003cscript>alert(1)\\u003c/script>" in html
    data = _data(html)
    assert HOSTILE_OUTPUT in data["R"]["x"]
    assert HOSTILE_PROMPT in data["R"]["p"]  # v2 was sent another prompt than v1


def test_page_script_inserts_text_with_textcontent_only(html):
    code = [text for attrs, text in _parse(html).scripts if not attrs]
    assert len(code) == 1
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code[0], sink


def test_hostile_case_and_adapter_names_are_escaped(make_run, make_record):
    run = make_run([make_record("<b>case</b>", "<i>bot</i>", passed=False, output="x")])
    (path,) = write_reports(run, ["html"])
    html = path.read_text(encoding="utf-8")
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;i&gt;bot&lt;/i&gt;" in html
    assert _data(html)["C"]["id"] == ["<b>case</b>"]


def test_self_contained(html):
    assert "http://" not in html and "https://" not in html
    for tag, attrs in _parse(html).tags:
        assert tag not in {"link", "iframe", "object", "embed"}
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:40])
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # the page's CSP forbids any network load


def test_charts_are_svg_images_with_png_downloads(html):
    images = [attrs for tag, attrs in _parse(html).tags if tag == "img"]
    alts = [a["alt"] or "" for a in images]
    assert any("Time to first token" in a for a in alts)
    assert any("Compared figures" in a for a in alts)
    assert any("ECDF" in a for a in alts)
    for attrs in images:
        src = attrs["src"] or ""
        assert src.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).lstrip().startswith(b"<?xml")
    downloads = [a for t, a in _parse(html).tags if t == "a" and (a.get("download") or "")]
    assert len(downloads) == 3
    for attrs in downloads:
        assert base64.b64decode((attrs["href"] or "").split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_verdicts_come_first_with_symbol_and_word(html):
    assert html.index('id="verdicts"') < html.index('id="summary"') < html.index('id="cases"')
    verdicts = html[html.index('id="verdicts"') : html.index('id="summary"')]
    assert "support-bot-v2 vs support-bot-v1" in verdicts
    assert "support-bot-v2 passes 6 more cases than support-bot-v1" in verdicts
    # every figure's verdict is a word with a symbol, not a colour alone
    cells = re.findall(r'<td class="v-(\w+)" aria-label="[^"]+">([^<]+)</td>', verdicts)
    assert cells
    words = {
        "better": "✓ better",
        "worse": "✗ worse",
        "no_difference": "= no detectable difference",
    }
    for key, text in cells:
        assert text == words[key]
    assert "Smallest detectable" in verdicts and "95% interval" in verdicts


def test_same_content_as_markdown(html):
    for text in (
        "support-regression: run 20260101-120000-abcd",
        "max_tokens=200, temperature=0.0",
        "33.3% (13.8%–60.9%)",
        "65 (emulated)",
        "TTFT (emulated: whole reply in one chunk) for support-bot-v2",
        "the difference could be chance (p=0.07).",
        "Tokens/s p50",
        "Retried requests",
    ):
        assert text in html, text


def test_every_case_and_record_is_in_the_data_passing_ones_too(html):
    data = _data(html)
    assert data["A"] == ["support-bot-v1", "support-bot-v2"]
    assert data["C"]["id"] == [f"c{i:02d}" for i in range(12)]
    records = data["R"]
    assert len(records["c"]) == 24
    passing = [x for x, o in zip(records["x"], records["o"], strict=True) if o == 0]
    assert "v1 answer 0" in passing and "v2 answer 10" in passing
    c11_v1 = records["c"].index(11)
    assert records["o"][c11_v1] == 2 and "RequestTimeoutError" in records["e"][c11_v1]
    assert records["l"][c11_v1] is None  # an error's duration is not a latency


def test_html_alone_draws_its_charts_without_pngs(make_run, make_record):
    run = make_run([make_record("a", "x")])
    (path,) = write_reports(run, ["html"])
    html = path.read_text(encoding="utf-8")
    assert "data:image/png" not in html
    assert "data:image/svg+xml" in html
    assert "Only one adapter ran; nothing to compare." in html
