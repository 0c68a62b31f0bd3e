"""Suite code: validate parses it without running it; run loads it by path, shadowing nothing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.load import load_suite
from tests.cli.conftest import RunCli

ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base"}}
  - {{id: {ID}, name: echo, base_model: base, default: "thank you for {{{{ prompt }}}}"}}
"""
# Modules named like installed ones (tiktoken, json): importing either one crashes.
SHADOW = "raise RuntimeError('the suite folder shadowed an installed package: {name}')\n"
CHECKS = """
from pathlib import Path

Path(__file__).with_name("imported.marker").write_text("checks.py ran")


def polite(output, observation, word="thank"):
    return {"passed": word in output, "reason": "checked by checks.polite"}
"""
SUITE = f"""
name: shadowed
emulator: {{config: models.yaml}}
adapters:
  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}
cases:
  - id: one
    prompt: the soup
    expect:
      - custom: {{function: "checks:polite", args: {{word: thank}}}}
      - max_output_tokens: 50
"""


def _suite_folder(root: Path, checks: str = CHECKS, suite: str = SUITE) -> Path:
    """A suite in its own folder (not the working directory) with hostile neighbours."""
    folder = root / "suite"
    folder.mkdir()
    (folder / "models.yaml").write_text(MODELS)
    (folder / "tiktoken.py").write_text(SHADOW.format(name="tiktoken"))
    (folder / "json.py").write_text(SHADOW.format(name="json"))
    (folder / "checks.py").write_text(textwrap.dedent(checks))
    path = folder / "suite.yaml"
    path.write_text(textwrap.dedent(suite))
    return path


def test_validate_does_not_run_the_check_and_run_does_not_shadow_packages(
    tmp_path: Path, run_cli: RunCli
) -> None:
    suite = _suite_folder(tmp_path)
    marker = suite.with_name("imported.marker")

    validated = run_cli("validate", str(suite))
    assert validated.returncode == 0, validated.stderr
    assert "ok (1 cases" in validated.stdout
    assert "warning" not in validated.stderr  # a plain def: checked in full by parsing
    assert not marker.exists(), "harness validate ran checks.py"

    ran = run_cli("run", str(suite), "--run-id", "r", "--no-reports", "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert marker.read_text() == "checks.py ran"  # run does import it
    (line,) = (tmp_path / "reports" / "r" / "results.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["error"] is None and record["passed"] is True
    results = {e["name"]: e for e in record["expectations"]}
    assert results["custom"]["reason"] == "checked by checks.polite"
    assert results["max_output_tokens"]["passed"] is True
    assert record["output_tokens_source"] == "cl100k_base"  # counted by the real tiktoken


def test_validate_reports_a_missing_function_or_a_bad_signature_without_running(
    tmp_path: Path, run_cli: RunCli
) -> None:
    suite = _suite_folder(
        tmp_path,
        suite=SUITE.replace("checks:polite", "checks:polit").replace(
            "      - max_output_tokens: 50\n",
            '      - custom: {function: "checks:polite", args: {colour: red}}\n',
        ),
    )
    proc = run_cli("validate", str(suite))
    assert proc.returncode == 4, proc.stderr
    assert "defines no top-level name 'polit'" in proc.stderr
    assert "cannot be called as fn(output, observation, colour=…)" in proc.stderr
    assert "suite.yaml:10:" in proc.stderr and "suite.yaml:11:" in proc.stderr
    assert not suite.with_name("imported.marker").exists()


DYNAMIC = """
from pathlib import Path

Path(__file__).with_name("imported.marker").write_text("checks.py ran")
globals()["polite"] = lambda output, observation, word="x": True
"""


def test_a_name_made_at_import_time_is_a_warning_not_an_error(
    tmp_path: Path, run_cli: RunCli
) -> None:
    suite = _suite_folder(tmp_path, checks=DYNAMIC)
    proc = run_cli("validate", str(suite))
    assert proc.returncode == 0, proc.stderr
    assert "warning: " in proc.stderr and "suite.yaml:10:" in proc.stderr
    assert "not checked statically" in proc.stderr and "globals()" in proc.stderr
    assert not suite.with_name("imported.marker").exists()


@pytest.mark.parametrize(
    ("class_path", "error"),
    [
        ("llms:Echo", None),
        ("llms:make", "is not a class"),
        ("llms:Missing", "defines no top-level name 'Missing'"),
        ("nowhere_such_module:Echo", "cannot find module 'nowhere_such_module'"),
        ("llama_index.core.llms.mock:MockLLM", None),  # installed: found, parsed, not imported
    ],
)
def test_class_path_is_checked_by_parsing(
    tmp_path: Path, class_path: str, error: str | None
) -> None:
    (tmp_path / "llms.py").write_text(
        "raise RuntimeError('imported')\nclass Echo:\n    pass\ndef make():\n    pass\n"
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        f"name: s\nadapters:\n  x: {{type: llama-index, class_path: '{class_path}'}}\n"
        "cases: [{id: a, prompt: hi}]\n"
    )
    if error is None:
        assert load_suite(suite, run_code=False).warnings == ()
        return
    with pytest.raises(SuiteError) as info:
        load_suite(suite, run_code=False)
    (location,) = info.value.locations
    assert location.line == 3 and error in location.message, location


def test_a_compiled_module_is_a_warning(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: s\nadapters:\n  x: {type: llama-index, class_path: 'math:Sqrt'}\n"
        "cases: [{id: a, prompt: hi}]\n"
    )
    (warning,) = load_suite(suite, run_code=False).warnings
    assert warning.line == 3
    assert "'math'" in warning.message and "checked when it is imported" in warning.message


def test_a_re_export_beside_the_suite_is_followed_and_runs_by_relative_import(
    tmp_path: Path,
) -> None:
    (tmp_path / "checks.py").write_text("from .helpers import polite\n")
    (tmp_path / "helpers.py").write_text("def polite(output, observation):\n    return True\n")
    suite = tmp_path / "suite.yaml"
    body = "name: s\nadapters:\n  x: {type: llama-index, class_path: 'llms:Echo'}\n"
    (tmp_path / "llms.py").write_text("class Echo:\n    pass\n")
    suite.write_text(body + "cases: [{id: a, prompt: hi, expect: [custom: checks:polite]}]\n")
    assert load_suite(suite, run_code=False).warnings == ()  # followed to helpers.py's def
    assert load_suite(suite).cases[0].expectations[0].options.function_object()("", None)

    suite.write_text(
        body + "cases: [{id: a, prompt: hi, expect: [custom: "
        "{function: checks:polite, args: {word: x}}]}]\n"
    )
    with pytest.raises(SuiteError) as info:
        load_suite(suite, run_code=False)
    assert "cannot be called as fn(output, observation, word=…)" in str(info.value)
