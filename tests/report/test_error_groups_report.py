"""report.md and report.html say why requests failed, near the top, with messages escaped."""

from __future__ import annotations

from harness.records import ErrorInfo
from harness.report import write_reports

HOSTILE = '<script>alert("x")</script> | token [refused](http://evil)'


def _run(make_run, make_record):
    auth = ErrorInfo(type="authentication", message="invalid access token", status=401)
    stopped = ErrorInfo(type="authentication", message="not sent: adapter failing with ...")
    hostile = ErrorInfo(type="server_error", message=HOSTILE, status=500)
    records = [make_record(c, "ok-bot") for c in "abcd"]
    records += [
        make_record("a", "bad-bot", output=None, latency_ms=None, error=auth),
        make_record("b", "bad-bot", output=None, latency_ms=None, error=hostile),
        make_record("c", "bad-bot", output=None, latency_ms=None, error=stopped),
        make_record("d", "bad-bot", output=None, latency_ms=None, error=stopped),
    ]
    for r in records[-2:]:
        r.attempts = 0  # what the runner records for an unsent request
    return make_run(records)


def test_markdown_section_near_the_top(make_run, make_record):
    text = write_reports(_run(make_run, make_record), ["markdown"])[0].read_text()
    assert text.index("## Why requests failed") < text.index("## Adapters")
    assert "| Adapter | Kind | Errors | Example message |" in text
    assert "| bad-bot | authentication | 3 (2 not sent) | invalid access token (HTTP 401) |" in text
    row = next(line for line in text.splitlines() if line.startswith("| bad-bot | server error"))
    assert "<script>" not in row and "\\<script\\>" in row and "\\|" in row
    assert "Not sent: the adapter could not be set up" in text


def test_html_section_escapes_messages(make_run, make_record):
    paths = write_reports(_run(make_run, make_record), ["html"])
    html = paths[0].read_text()
    assert html.index('id="errors"') < html.index('id="adapters"')
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<td>3 (2 not sent)</td>" in html


def test_no_section_when_nothing_errored(make_run, make_record):
    run = make_run([make_record(c, "ok-bot") for c in "ab"])
    md, html = write_reports(run, ["markdown", "html"])
    assert "Why requests failed" not in md.read_text()
    assert "Why requests failed" not in html.read_text()
