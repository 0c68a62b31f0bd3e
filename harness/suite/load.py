"""load_suite(): suite file(s) → validated, frozen Suite, with every error of every file at once.

1. Each file is parsed and validated as a ``SuiteFileSpec``; its ``include:`` files are loaded
   first (depth first, cycles refused). Errors in an included file name that file (``files``).
2. Second pass, per file, on the raw data: adapter options against their registered type (with
   ``${ENV}`` references checked, and what a run would fail on: ``load_problems``),
   expectations against their metrics, gates against adapters and ranges (``checks``). A file
   that failed step 1 keeps its valid parts (``salvage``), so its templates, datasets and
   case ids are checked in the same pass.
3. The files merge (``merge``; see ``docs/suite-format.md``: later wins for settings and
   adapters; lists concatenate), then cases and dataset rows expand into frozen ``Case``s
   (``cases``).
Nothing is sent to any model until this has succeeded.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import Location, SuiteError
from harness.suite.cases import expand_cases
from harness.suite.checks import Checker
from harness.suite.expand import Case
from harness.suite.files import FileLoader
from harness.suite.inputs import collect_inputs, suite_sha256
from harness.suite.loaded import AdapterConfig, Suite
from harness.suite.merge import merge_files

__all__ = ["AdapterConfig", "Case", "Suite", "load_suite"]


def load_suite(path: str | Path, *, run_code: bool = True) -> Suite:
    """Load and validate a suite (and its includes); raises SuiteError listing every problem.

    The code a suite names (``custom`` checks, ``class_path``) is imported, a module beside a
    suite file loaded by its path (``harness.user_code``); the suite's folder is never put on
    ``sys.path``. ``run_code=False`` (``harness validate``) parses that code instead of running
    it, and lists what parsing could not decide in ``Suite.warnings``.
    """
    path = Path(path)
    errors: list[Location] = []
    files = FileLoader(errors)
    root = files.load(path)
    if root is None:
        raise SuiteError(errors)
    checker = Checker(errors, run_code=run_code)
    merged = merge_files(root.in_order(), checker)

    root_doc = root.doc
    raw = [u.doc.data for u in root.in_order() if isinstance(u.doc.data, dict)]
    if isinstance(root_doc.data, dict):  # a file with errors is still checked for these
        if merged.name is None and not any("name" in d for d in raw):
            checker.at(root_doc, (), "missing required key 'name' (the suite's name)")
        if not merged.adapters and not any(d.get("adapters") for d in raw):
            checker.at(
                root_doc, (), "missing required key 'adapters': a suite needs at least one adapter"
            )

    emulator, emulator_config = checker.emulator(merged.emulator, merged.adapters)
    cases = expand_cases(checker, merged)
    written = any(d.get("cases") or d.get("datasets") for d in raw)
    if isinstance(root_doc.data, dict) and not cases and (not written or not errors):
        checker.at(root_doc, (), "the suite has no cases: add 'cases' or 'datasets'")
    gates = checker.gates(merged.raw_gates)

    if errors:
        raise SuiteError(errors)
    assert merged.name is not None
    inputs = collect_inputs(
        path.resolve().parent,
        files.files,
        [(file, raw) for _, file, _, raw in merged.datasets],
        emulator_config,
        cases,
        merged.adapters.values(),
    )
    return Suite(
        name=merged.name,
        description=merged.description,
        path=path,
        sha256=suite_sha256(files.files, inputs),
        inputs=inputs,
        adapters=tuple(merged.adapters.values()),
        cases=tuple(cases),
        concurrency=merged.concurrency,
        request_timeout_s=merged.request_timeout_s,
        emulator_config=emulator_config,
        emulator=emulator,
        gates=gates,
        files=tuple(files.files),
        retries=merged.retries,
        warmup=merged.warmup,
        order_seed=merged.order_seed,
        warnings=tuple(checker.warnings),
        execution=merged.execution,
    )
