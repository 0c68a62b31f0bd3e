"""harness.yamlio on its own: positions, located validation errors, its public names and imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

import harness.yamlio
from harness.errors import SuiteError
from harness.yamlio import (
    describe_path,
    load_model,
    load_yaml,
    parse_yaml,
    validate_document,
)


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repeat: int
    label: str = ""


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    items: list[_Inner] = []


def test_all_is_sorted_and_resolves() -> None:
    exported = list(harness.yamlio.__all__)
    assert exported == sorted(exported)
    assert all(getattr(harness.yamlio, name) is not None for name in exported)


@pytest.mark.parametrize(
    ("path", "text"),
    [((), "top level"), (("cases", 2, "repeat"), "cases[2].repeat"), ((0, "a"), "[0].a")],
)
def test_describe_path(path: tuple[str | int, ...], text: str) -> None:
    assert describe_path(path) == text


def test_positions_of_values_and_keys() -> None:
    doc = parse_yaml("name: x\nitems:\n  - repeat: 2\n    label: hi\n", "f.yaml")
    assert doc.data == {"name": "x", "items": [{"repeat": 2, "label": "hi"}]}
    assert doc.position(("items", 0, "label")) == (4, 12)
    assert doc.position(("items", 0, "label"), key=True) == (4, 5)
    assert doc.position(("items", 0, "missing")) == (3, 5)  # the nearest ancestor


def test_validation_errors_point_at_their_lines() -> None:
    doc = parse_yaml("name: x\nitems:\n  - repeat: twice\n  - repeet: 1\n", "f.yaml")
    with pytest.raises(SuiteError) as info:
        validate_document(doc, _Outer)
    assert sorted(str(loc) for loc in info.value.locations) == [
        "f.yaml:3:13: items[0].repeat: expected an integer, got 'twice'",
        "f.yaml:4:5: items[1]: missing required key 'repeat'",
        "f.yaml:4:5: unknown key 'repeet' at items[1] (did you mean 'repeat'?); "
        "expected one of: repeat, label",
    ]


def test_load_model_and_its_file_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: ok\n")
    assert load_model(good, _Outer) == _Outer(name="ok")
    with pytest.raises(SuiteError, match="^missing.yaml: file not found"):
        load_yaml(tmp_path / "missing.yaml", display_name="missing.yaml")
    bad = tmp_path / "tags.yaml"
    bad.write_text("name: !!python/object:os.system x\n")
    with pytest.raises(SuiteError, match="tags like .* are not allowed"):
        load_yaml(bad)


def test_importing_yamlio_loads_no_other_part_of_the_harness() -> None:
    code = (
        "import sys, harness.yamlio; "
        "print(sorted(m for m in sys.modules if m.startswith('harness.') "
        "and not m.startswith('harness.yamlio')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # harness.lazy is the root package's own (import harness loads it), not yamlio's
    assert out.stdout.strip() == "['harness.errors', 'harness.lazy', 'harness.registry']"
