"""One pytest session's harness state: each suite run once (lazily, by its first item), its
records kept for the items, the run folders, and the emulators the fixtures started."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import HarnessError
from harness.pytest_plugin.options import report_dir, reports_wanted

if TYPE_CHECKING:
    from harness.records import CaseRecord, RunManifest
    from harness.suite.load import Suite

__all__ = ["SESSION_KEY", "HarnessSession", "SuiteRun"]

RecordKey = tuple[str, str, int]


@dataclass
class SuiteRun:
    """A finished run of one suite (or of the selected part of it): where, and its records."""

    suite: Suite
    run_dir: Path
    manifest: RunManifest
    records: dict[RecordKey, CaseRecord]
    full: bool  # every case on every adapter (gates need that)
    _gates: Any = None  # the GateReport, evaluated once on first use

    def gate_report(self, gates: list[Any]) -> Any:
        """The suite's gates evaluated on this run's records (once)."""
        if self._gates is None:
            from harness.gates.evaluate import evaluate_gates
            from harness.gates.inputs import load_gate_input

            self._gates = evaluate_gates(gates, load_gate_input(self.run_dir, "suite"), None)
        return self._gates


@dataclass
class _Failed:
    """A run that raised: every item of its suite reports the same error."""

    error: BaseException


@dataclass
class HarnessSession:
    """Suite runs and emulators of one pytest session, keyed by resolved suite path."""

    config: pytest.Config
    runs: dict[tuple[Path, str], SuiteRun | _Failed] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    emulators: dict[Path, Any] = field(default_factory=dict)
    _root: Path | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = report_dir(self.config)
        return self._root

    def _folder(self, suite: Suite, kind: str) -> str:
        """A run folder name unused in this session: the suite file's stem (+ kind, + n)."""
        stem = suite.path.stem if kind == "items" else f"{suite.path.stem}-{kind}"
        name, n = stem, 1
        while name in self.folders:
            n += 1
            name = f"{stem}-{n}"
        self.folders.add(name)
        return name

    def run(
        self,
        suite: Suite,
        *,
        kind: str = "items",
        select: Callable[[Suite], tuple[Suite, bool]] | None = None,
    ) -> SuiteRun:
        """The suite's run of this kind, made on first call; raises what the run raised."""
        key = (suite.path.resolve(), kind)
        found = self.runs.get(key)
        if found is None:
            try:
                found = self._run(suite, kind, select)
            except Exception as exc:  # every item of the suite reports it
                found = _Failed(exc)
            self.runs[key] = found
        if isinstance(found, _Failed):
            raise found.error
        return found

    def _run(
        self, suite: Suite, kind: str, select: Callable[[Suite], tuple[Suite, bool]] | None
    ) -> SuiteRun:
        from harness.analysis.counting import record_key_of
        from harness.records.store import has_records, read_manifest, read_records
        from harness.runner.run import RunOptions, run_suite

        chosen, full = select(suite) if select is not None else (suite, True)
        folder = self._folder(suite, kind)
        options = RunOptions(output_dir=self.root, run_id=folder)
        if has_records(self.root / folder):
            raise HarnessError(
                f"{self.root / folder} already holds records; nothing was sent. "
                "Choose another --harness-report folder (or none, for a fresh one)."
            )
        outcome = run_suite(chosen, options)
        # Items read the records as written (secrets redacted), not the live objects.
        records = {record_key_of(r): r for r in read_records(outcome.run_dir)}
        if reports_wanted(self.config):
            from harness.report import write_reports

            write_reports(outcome.run_dir)
        return SuiteRun(chosen, outcome.run_dir, read_manifest(outcome.run_dir), records, full)

    def emulator_for(self, suite: Suite) -> Any:
        """The suite's embedded emulator (an ``EmulatorHandle``), started once per session."""
        key = suite.path.resolve()
        if key not in self.emulators:
            from harness.runner.setup import EmulatorHandle

            self.emulators[key] = self.stack.enter_context(EmulatorHandle(suite))
        return self.emulators[key]

    def summary_lines(self) -> list[str]:
        lines = []
        for (path, _), run in self.runs.items():
            if isinstance(run, SuiteRun):
                n = len(run.records)
                lines.append(f"harness: {path.name}: {n} record(s) in {run.run_dir}")
        return lines

    def close(self) -> None:
        self.stack.close()


SESSION_KEY = pytest.StashKey[HarnessSession]()
