"""JUnit XML for CI viewers: one test case per suite case x adapter and one per gate.

A case fails (``<failure>``) when any of its repeats failed an expectation, and errors
(``<error>``) when the adapter failed a request; the message says how many repeats passed and
which expectations failed and why, and the output excerpt goes in ``<system-out>``. A record a
judge could not grade is ``<skipped>``. Each gate is a test case of the ``gates`` suite: a
failed gate is a ``<failure>``, a gate that could not be evaluated an ``<error>``.
"""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from harness.analysis.text import clip_text
from harness.gates.evaluate import GateReport
from harness.records import CaseRecord

__all__ = ["junit_xml", "write_junit"]

OUTPUT_LIMIT = 2000
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    """XML 1.0 cannot hold most control characters (model output may): drop them."""
    return _INVALID_XML.sub("", value)


def _latest(records: Iterable[CaseRecord]) -> dict[tuple[str, str], list[CaseRecord]]:
    """(adapter, case_id) -> its counted records (a key recorded twice keeps the latest)."""
    keyed: dict[tuple[str, str, int], CaseRecord] = {}
    for record in records:
        keyed[(record.adapter, record.case_id, record.repeat)] = record
    cases: dict[tuple[str, str], list[CaseRecord]] = {}
    for (adapter, case_id, _), record in keyed.items():
        cases.setdefault((adapter, case_id), []).append(record)
    return cases


def _case(suite: ET.Element, name: str, classname: str, records: list[CaseRecord]) -> str:
    """Add one test case; its outcome: passed, failure, error or skipped."""
    graded = [r for r in records if r.error is None or r.error.origin != "judge"]
    errored = [r for r in graded if r.error is not None]
    failed = [r for r in graded if r.error is None and not r.passed]
    times = [r.latency_ms for r in graded if r.error is None and r.latency_ms is not None]
    seconds = statistics.median(times) / 1000 if times else 0.0
    case = ET.SubElement(suite, "testcase", name=name, classname=classname, time=f"{seconds:.3f}")
    passed = len(graded) - len(errored) - len(failed)
    share = f"passed {passed} of {len(graded)} repeat(s)"
    if not graded:
        ET.SubElement(case, "skipped", message="not graded: the judge failed on every repeat")
        return "skipped"
    if errored:
        error = errored[0].error
        assert error is not None
        message = _text(f"{share}; adapter error {error.type}: {error.message}")
        ET.SubElement(case, "error", message=message, type=error.type).text = message
        return "error"
    if failed:
        first = failed[0]
        reasons = "; ".join(
            f"{m.name}: {m.reason}" for m in first.expectations if not m.passed and m.measured
        )
        message = _text(f"{share}; {reasons or 'failed'}")
        ET.SubElement(case, "failure", message=message, type="expectation").text = message
        output = clip_text(first.output or "", OUTPUT_LIMIT)
        ET.SubElement(case, "system-out").text = _text(output)
        return "failure"
    return "passed"


def _counts(suite: ET.Element, outcomes: list[str]) -> None:
    suite.set("tests", str(len(outcomes)))
    for key in ("failure", "error", "skipped"):
        suite.set(f"{key}s" if key != "skipped" else key, str(outcomes.count(key)))


def junit_xml(
    suite_name: str, records: Iterable[CaseRecord] | None, report: GateReport | None
) -> str:
    """The JUnit document: a test suite per adapter (its cases), and one for the gates."""
    root = ET.Element("testsuites", name=f"harness: {suite_name}")
    totals: list[str] = []
    by_adapter: dict[str, list[tuple[str, list[CaseRecord]]]] = {}
    for (adapter, case_id), rows in _latest(records or []).items():
        by_adapter.setdefault(adapter, []).append((case_id, rows))
    for adapter, cases in by_adapter.items():
        suite = ET.SubElement(root, "testsuite", name=f"{suite_name} [{adapter}]")
        outcomes = [
            _case(suite, case_id, f"{suite_name}.{adapter}", sorted(rows, key=lambda r: r.repeat))
            for case_id, rows in sorted(cases)
        ]
        _counts(suite, outcomes)
        totals += outcomes
    if report is not None:
        suite = ET.SubElement(root, "testsuite", name="gates")
        outcomes = []
        for result in report.results:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{result.gate} [{result.target}]",
                classname="harness.gates",
                time="0",
            )
            if not result.passed:
                message = _text(result.message)
                ET.SubElement(case, "failure", message=message, type="gate").text = message
            outcomes.append("passed" if result.passed else "failure")
        for problem in report.problems:
            case = ET.SubElement(
                suite,
                "testcase",
                name=_text(problem.split(": ", 1)[0])[:200],
                classname="harness.gates",
                time="0",
            )
            text = _text(problem)
            ET.SubElement(case, "error", message=text, type="cannot be evaluated").text = text
            outcomes.append("error")
        _counts(suite, outcomes)
        totals += outcomes
    _counts(root, totals)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def write_junit(
    path: Path, suite_name: str, records: Iterable[CaseRecord] | None, report: GateReport | None
) -> Path:
    """Write :func:`junit_xml` to ``path`` (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(suite_name, records, report), encoding="utf-8")
    return path
