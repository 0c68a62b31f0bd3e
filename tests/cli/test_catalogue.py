"""`harness schema` and `harness list`: the format's JSON Schema and the plugin catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.adapters.base import adapters
from harness.metrics import metrics
from harness.suite.schema import suite_schema
from tests.cli.conftest import REPO, RunCli


def test_schema_command_matches_the_committed_copy(run_cli: RunCli) -> None:
    proc = run_cli("schema")
    assert proc.returncode == 0
    committed = (REPO / "docs" / "suite.schema.json").read_text()
    assert json.loads(proc.stdout) == json.loads(committed), (
        "docs/suite.schema.json is stale: run `harness schema -o docs/suite.schema.json`"
    )


def test_schema_is_valid_and_accepts_every_shipped_suite() -> None:
    schema = suite_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(REPO.glob("suites/*.yaml")) + sorted(REPO.glob("suites/examples/**/*.yaml"))
    assert len(files) >= 6
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert not errors, (path.name, [e.message for e in errors[:3]])
        assert path.read_text().startswith("# yaml-language-server: $schema="), path.name


@pytest.mark.parametrize(
    "mutation",
    [
        {"casses": []},
        {"adapters": {"a": {"type": "gradient-adaptor", "model_adapter_id": "x"}}},
        {
            "adapters": {
                "a": {"type": "gradient-adapter", "model_adapter_id": "x", "max_tokens": 512}
            }
        },
        {"cases": [{"prompt": "p", "expect": [{"contians": "x"}]}]},
        {"cases": [{"prompt": "p", "expect": [{"max_length": "long"}]}]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(mutation: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(suite_schema())
    data = {"name": "x", "cases": [{"prompt": "p"}], **mutation}
    assert list(validator.iter_errors(data))


def test_list_metrics_and_adapters(run_cli: RunCli) -> None:
    proc = run_cli("list", "metrics")
    assert proc.returncode == 0
    for name in metrics.names():
        assert name in proc.stdout
    proc = run_cli("list", "adapters")
    assert proc.returncode == 0
    for name in adapters.names():
        assert name in proc.stdout
    assert "model_adapter_id" in proc.stdout and "base_model_slug" in proc.stdout
    assert run_cli("list", "gizmos").returncode == 4


def test_reference_doc_covers_the_catalogue() -> None:
    doc = (REPO / "docs" / "suite-format.md").read_text()
    for name in metrics.names() + adapters.names():
        assert f"`{name}`" in doc, name
    for key in suite_schema()["properties"]:
        assert f"`{key}`" in doc, key


def test_readme_points_to_the_reference() -> None:
    readme = (REPO / "README.md").read_text()
    assert "docs/suite-format.md" in readme
    assert Path(REPO / "docs" / "suite-format.md").is_file()
