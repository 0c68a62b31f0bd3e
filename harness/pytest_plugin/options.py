"""The plugin's command-line options and ini keys, and what they resolve to (suite files,
the run folder, the expected failures)."""

from __future__ import annotations

import functools
import glob
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

__all__ = [
    "HARNESS_MARKER",
    "add_options",
    "expected_failure",
    "is_opted_in",
    "report_dir",
    "reports_wanted",
    "suite_paths",
]

HARNESS_MARKER = "harness"
"""The marker every collected suite item carries: ``-m "not harness"`` leaves them all out."""


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "harness: LLM adapter suites as tests")
    group.addoption(
        "--harness-suites",
        action="append",
        default=[],
        metavar="GLOB",
        help="Collect the suite files this glob names (relative to the current folder; "
        "repeatable). Adds to the harness_suites ini key.",
    )
    group.addoption(
        "--harness-report",
        metavar="DIR",
        default=None,
        help="Folder that receives one run folder per suite (records, run.json, reports). "
        "Default: the harness_report ini key, else reports/pytest-<UTC time> under the rootdir.",
    )
    group.addoption(
        "--harness-no-reports",
        action="store_true",
        default=False,
        help="Write records and run.json only, not report.md/html/PNG.",
    )
    parser.addini(
        "harness_suites",
        type="linelist",
        default=[],
        help="Globs (relative to the rootdir) of harness suite files to collect as tests.",
    )
    parser.addini(
        "harness_report",
        type="string",
        default="",
        help="Folder for the run folders of suites run by pytest (relative to the rootdir).",
    )
    parser.addini(
        "harness_reports",
        type="bool",
        default=True,
        help="Write report.md/html/PNG beside the records (false: records and run.json only).",
    )
    parser.addini(
        "harness_xfail",
        type="linelist",
        default=[],
        help="Node-id globs of suite items expected to fail (marked xfail, not strict), e.g. "
        "'suites/quickstart.yaml::*[support-bot-v1]'.",
    )


def _globs(config: pytest.Config) -> list[tuple[Path, str]]:
    """Every suite glob with the folder it is relative to."""
    cli = [(config.invocation_params.dir, g) for g in config.getoption("harness_suites") or []]
    ini = [(config.rootpath, g) for g in config.getini("harness_suites")]
    return cli + ini


def is_opted_in(config: pytest.Config) -> bool:
    return bool(_globs(config))


def suite_paths(config: pytest.Config) -> frozenset[Path]:
    """The suite files the globs name, resolved (``**`` spans folders)."""
    found: set[Path] = set()
    for base, pattern in _globs(config):
        for name in glob.glob(pattern, root_dir=base, recursive=True):
            path = (base / name).resolve()
            if path.is_file():
                found.add(path)
    return frozenset(found)


def report_dir(config: pytest.Config) -> Path:
    """Where this session's run folders go: --harness-report, harness_report, or a fresh one."""
    chosen = config.getoption("harness_report")
    if chosen:
        return (config.invocation_params.dir / str(chosen)).resolve()
    ini = str(config.getini("harness_report") or "")
    if ini:
        return (config.rootpath / ini).resolve()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return config.rootpath / "reports" / f"pytest-{stamp}"


def reports_wanted(config: pytest.Config) -> bool:
    return not config.getoption("harness_no_reports") and bool(config.getini("harness_reports"))


def expected_failure(config: pytest.Config, nodeid: str) -> str | None:
    """The ``harness_xfail`` glob that names this node id, if one does.

    Only ``*`` and ``?`` are wildcards, so ``*[support-bot-v1]`` means that adapter's items
    (fnmatch would read the brackets as a character class).
    """
    for pattern in config.getini("harness_xfail"):
        if _node_glob(str(pattern)).fullmatch(nodeid):
            return str(pattern)
    return None


@functools.cache
def _node_glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` are wildcards; brackets are literal (node ids are full of them)."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))
