"""Errors grouped by adapter and kind, and the console table that says why requests failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from harness.analysis.errors import EXAMPLE_LIMIT, error_groups, error_kind
from harness.cli.error_groups import print_error_groups
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, RunManifest
from harness.records.store import RecordWriter, write_manifest


def _record(
    case: str,
    adapter: str = "a",
    error: ErrorInfo | None = None,
    *,
    attempts: int = 1,
    repeat: int = 0,
) -> CaseRecord:
    return CaseRecord(
        run_id="r",
        case_id=case,
        adapter=adapter,
        repeat=repeat,
        prompt="p",
        output=None if error else "o",
        passed=error is None,
        error=error,
        attempts=attempts,
        started_at="2026-01-01T00:00:00+00:00",
    )


@pytest.mark.parametrize(
    ("type_", "status", "kind"),
    [
        ("authentication", 401, "authentication"),
        ("authentication", 403, "authentication"),
        ("AuthenticationError", None, "authentication"),  # openai's class, via llama-index
        ("PermissionDeniedError", 403, "authentication"),
        ("APIStatusError", 401, "authentication"),
        ("not_found", 404, "not found"),
        ("NotFoundError", 404, "not found"),
        ("rate_limited", 429, "rate limited"),
        ("RateLimitError", 429, "rate limited"),
        ("timeout", None, "timeout"),
        ("RequestTimeoutError", None, "timeout"),
        ("APITimeoutError", None, "timeout"),
        ("connection", None, "connection"),
        ("APIConnectionError", None, "connection"),
        ("server_error", 500, "server error"),
        ("InternalServerError", 503, "server error"),
        ("APIStatusError", 502, "server error"),
        ("invalid_request", 422, "other"),
        ("ValueError", None, "other"),
        ("adapter_error", None, "other"),
    ],
)
def test_error_kind_from_type_then_status(type_: str, status: int | None, kind: str) -> None:
    assert error_kind(ErrorInfo(type=type_, message="m", status=status)) == kind


def test_groups_by_adapter_and_kind_largest_first_with_one_example() -> None:
    auth = ErrorInfo(type="authentication", message="invalid access token", status=401)
    boom = ErrorInfo(type="server_error", message="internal server error", status=500)
    records = [
        _record("c0", "v1", ErrorInfo(type="timeout", message="no answer within 5s")),
        _record("c1", "v1"),
        _record("c0", "v2", auth),
        _record("c1", "v2", auth),
        _record("c2", "v2", boom),
        _record("c3", "v2", auth),
    ]
    groups = error_groups(records)
    assert [(g.adapter, g.kind, g.count) for g in groups] == [
        ("v1", "timeout", 1),
        ("v2", "authentication", 3),
        ("v2", "server error", 1),
    ]
    assert groups[1].example_text == "invalid access token (HTTP 401)"
    assert groups[0].example_text == "no answer within 5s"
    assert error_groups([_record("c0"), _record("c1")]) == []
    said = ErrorInfo(type="authentication", message="failed: HTTP 401 (refused)", status=401)
    assert error_groups([_record("c0", error=said)])[0].example_text == said.message


def test_example_prefers_a_sent_request_and_counts_the_unsent() -> None:
    stopped = ErrorInfo(type="authentication", message="not sent: adapter failing with ...")
    real = ErrorInfo(type="authentication", message="invalid access token", status=401)
    records = [
        _record("c0", error=stopped, attempts=0),
        _record("c1", error=real),
        _record("c2", error=stopped, attempts=0),
    ]
    (group,) = error_groups(records)
    assert (group.count, group.not_sent) == (3, 2)
    assert group.example == "invalid access token"


def test_a_later_record_of_the_same_request_replaces_the_earlier() -> None:
    boom = ErrorInfo(type="server_error", message="boom", status=500)
    records = [_record("c0", error=boom), _record("c1", error=boom), _record("c0")]
    (group,) = error_groups(records)
    assert group.count == 1
    assert (
        error_groups([_record("c0", error=boom), _record("c0", error=boom, repeat=1)])[0].count == 2
    )


def test_example_is_clipped() -> None:
    (group,) = error_groups([_record("c0", error=ErrorInfo(type="x", message="y" * 5000))])
    assert len(group.example) < EXAMPLE_LIMIT + 40
    assert group.example.endswith(f"[{5000 - EXAMPLE_LIMIT} more chars]")


def _console() -> Console:
    return Console(record=True, width=200, force_terminal=False, color_system=None)


def test_console_prints_nothing_without_errors() -> None:
    console = _console()
    assert print_error_groups([_record("c0")], console) == []
    assert console.export_text() == ""


def test_console_table_from_a_run_folder_shows_messages_literally(tmp_path: Path) -> None:
    hostile = "[bold red]refused[/bold red] [link=http://x]click[/link]"
    write_manifest(
        tmp_path,
        RunManifest(
            run_id="r",
            suite_name="s",
            suite_path="s.yaml",
            suite_sha256="x",
            harness_version="0",
            adapters=[AdapterInfo(name=n, type="t", model="m") for n in ("first", "second")],
            case_count=3,
            started_at="2026-01-01T00:00:00+00:00",
        ),
    )
    with RecordWriter(tmp_path) as writer:
        writer.write(_record("c0", "second", ErrorInfo(type="connection", message=hostile)))
        writer.write(_record("c0", "first", ErrorInfo(type="not_found", message="no such model")))
        writer.write(_record("c1", "first", ErrorInfo(type="not_found", message="x"), attempts=0))
    console = _console()
    groups = print_error_groups(tmp_path, console)
    text = console.export_text()
    assert [g.adapter for g in groups] == ["first", "second"]  # the manifest's order
    assert "Why requests failed" in text
    assert hostile in text  # not interpreted as markup
    assert "2 (1 not sent)" in text and "no such model" in text
    assert text.index("first") < text.index("second")
