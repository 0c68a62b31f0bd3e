"""describe_input_changes: which suite inputs differ between two runs' manifests."""

from __future__ import annotations

from harness.records import RunManifest
from harness.records.merge import describe_input_changes
from tests.durability.support import manifest


def _with(inputs: list[tuple[str, str, str]] | None) -> RunManifest:
    m = manifest("r")
    if inputs is not None:
        m.execution["suite_inputs"] = [{"kind": k, "path": p, "sha256": d} for k, p, d in inputs]
    return m


def test_changed_new_and_gone_inputs_are_named() -> None:
    before = _with(
        [("suite file", "s.yaml", "1"), ("dataset", "d.csv", "2"), ("dataset", "x", "3")]
    )
    after = _with(
        [("suite file", "s.yaml", "1"), ("dataset", "d.csv", "9"), ("custom check", "c.py", "4")]
    )
    assert describe_input_changes(before, after, "changed") == [
        "dataset d.csv changed",
        "custom check c.py is new",
        "dataset x is gone",
    ]


def test_identical_inputs_name_nothing() -> None:
    same = [("suite file", "s.yaml", "1"), ("dataset", "d.csv", "2")]
    assert describe_input_changes(_with(same), _with(same), "changed") == []


def test_a_run_without_the_per_input_record_names_nothing() -> None:
    assert describe_input_changes(_with(None), _with([("dataset", "d.csv", "2")]), "x") == []
