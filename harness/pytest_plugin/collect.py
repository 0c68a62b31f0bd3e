"""A suite file as a pytest File; each case x adapter (x repeat) and each gate as an Item.

Items do not send requests themselves: the first item of a file that runs asks the session
for the suite's run (``session.HarnessSession.run``), which sends the selected part of the suite
at once, concurrently under the suite's own limits, and every item then reports from the
records that run wrote.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.pytest_plugin.failure import CaseFailed, case_message, gate_message, shares_message
from harness.pytest_plugin.options import HARNESS_MARKER, expected_failure
from harness.pytest_plugin.session import SESSION_KEY, SuiteRun

if TYPE_CHECKING:
    from harness.gatespec import Gate
    from harness.suite.load import Suite

__all__ = ["CaseItem", "GateItem", "SuiteFile"]

# Tags that would change how pytest runs an item if they became markers: keywords only.
_RESERVED = {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}
_MARKER_NAME = re.compile(r"[A-Za-z][\w\-.]*")


class SuiteFile(pytest.File):
    """One suite file: loaded (and validated) at collection, run when its first item runs."""

    suite: Suite
    gates: list[Gate]

    def collect(self) -> Iterator[pytest.Item]:
        from harness.suite.load import load_suite

        self.suite = load_suite(self.path)
        self.gates = _suite_gates(self.suite)
        share = next((g.value for g in self.gates if g.kind == "min_pass_share"), None)
        for case in self.suite.cases:
            for adapter in self.suite.candidates:
                if case.repeat == 1 or share is not None:
                    yield self._item(case.id, adapter.name, None, share, case.tags)
                else:
                    for repeat in range(case.repeat):
                        yield self._item(case.id, adapter.name, repeat, None, case.tags)
        for gate in self.gates:
            if gate.kind != "min_pass_share":
                item = GateItem.from_parent(self, name=f"gate[{gate.text}]", gate=gate)
                item.add_marker(HARNESS_MARKER)
                yield item

    def _item(
        self,
        case_id: str,
        adapter: str,
        repeat: int | None,
        share: float | None,
        tags: tuple[str, ...],
    ) -> CaseItem:
        label = adapter if repeat is None else f"{adapter}-repeat{repeat + 1}"
        item = CaseItem.from_parent(
            self, name=f"{case_id}[{label}]", case_id=case_id, adapter=adapter, repeat=repeat
        )
        item.share = share
        item.add_marker(HARNESS_MARKER)
        item.extra_keyword_matches.update({adapter, case_id, *tags})
        for tag in tags:
            if tag not in _RESERVED and _MARKER_NAME.fullmatch(tag):
                self.config.addinivalue_line("markers", f"{tag}: harness suite tag")
                item.add_marker(tag)
        pattern = expected_failure(self.config, item.nodeid)
        if pattern is not None:
            # strictness is pytest's own xfail_strict ini key
            item.add_marker(pytest.mark.xfail(reason=f"harness_xfail: {pattern}"))
        return item

    def suite_run(self) -> SuiteRun:
        """This suite's run in this session, made by the first item that asks."""
        return self.config.stash[SESSION_KEY].run(self.suite, select=self._selected)

    def _selected(self, suite: Suite) -> tuple[Suite, bool]:
        """The suite cut down to the selected items' cases and adapters (-k, -m, --lf, ids).

        The cut is by case and by adapter, so a selection of some pairs sends their product;
        items report only what they were selected for. A selected gate needs the whole suite.
        """
        mine = [item for item in self.session.items if item.parent is self]
        if any(isinstance(item, GateItem) for item in mine):
            return suite, True
        cases = {item.case_id for item in mine if isinstance(item, CaseItem)}
        adapters = {item.adapter for item in mine if isinstance(item, CaseItem)}
        kept = tuple(c for c in suite.cases if c.id in cases)
        used = tuple(a for a in suite.adapters if a.role != "candidate" or a.name in adapters)
        full = len(kept) == len(suite.cases) and len(used) == len(suite.adapters)
        return dataclasses.replace(suite, cases=kept, adapters=used), full

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | Any:
        """A suite that does not load prints its file:line messages, not a traceback."""
        from harness.errors import HarnessError

        if isinstance(excinfo.value, HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _suite_gates(suite: Suite) -> list[Gate]:
    return [gate for spec in suite.gates for gate in spec.to_gates()]


class _SuiteItem(pytest.Item):
    parent: SuiteFile

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """A failed case or gate prints its message; a run that could not be made, its error
        as the harness words it; a bug in the harness keeps its traceback."""
        from harness.errors import HarnessError

        if isinstance(excinfo.value, CaseFailed | HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class CaseItem(_SuiteItem):
    """One case on one adapter (one repeat of it, or all repeats under ``min_pass_share``)."""

    def __init__(self, *, case_id: str, adapter: str, repeat: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id
        self.adapter = adapter
        self.repeat = repeat
        self.share: float | None = None

    def runtest(self) -> None:
        run = self.parent.suite_run()
        where = str(run.run_dir / "results.jsonl")
        if self.repeat is None and self.share is not None:
            records = [r for k, r in run.records.items() if k[:2] == (self.case_id, self.adapter)]
            graded = [r for r in records if not _judge_missing(r)]
            if not graded:
                pytest.skip("no repeat was graded (the judge could not answer)")
            if sum(r.passed for r in graded) < self.share * len(graded) - 1e-12:
                raise CaseFailed(
                    shares_message(self.case_id, self.adapter, graded, self.share, where)
                )
            return
        record = run.records.get((self.case_id, self.adapter, self.repeat or 0))
        if record is None:
            raise CaseFailed(f"no record of {self.name} in {where}")
        if record.error is not None and record.error.origin == "judge":
            pytest.skip(f"not graded: the judge could not answer ({record.error.type})")
        if not record.passed:
            raise CaseFailed(case_message(record, where))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.case_id} on {self.adapter}"


def _judge_missing(record: Any) -> bool:
    return record.error is not None and record.error.origin == "judge"


class GateItem(_SuiteItem):
    """One gate of the suite, evaluated on the whole suite's records."""

    def __init__(self, *, gate: Gate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate

    def runtest(self) -> None:
        run = self.parent.suite_run()
        report = run.gate_report(self.parent.gates)
        text = self.gate.text
        results = [r for r in report.results if r.gate == text]
        problems = [p for p in report.problems if f"gate {text!r}" in p]
        if problems or not results or not all(r.passed for r in results):
            raise CaseFailed(gate_message(text, results, problems))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"gate {self.gate.text}"
