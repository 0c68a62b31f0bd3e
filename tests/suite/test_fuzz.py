"""Property-based fuzzing of the loader: any input gives a Suite or a SuiteError, nothing else."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import SuiteError
from harness.suite.load import load_suite

KEYS = [
    "name",
    "description",
    "adapters",
    "defaults",
    "cases",
    "datasets",
    "gates",
    "include",
    "emulator",
    "concurrency",
    "prompt",
    "messages",
    "expect",
    "vars",
    "matrix",
    "repeat",
    "type",
    "model_adapter_id",
    "max_tokens",
    "contains",
    "regex",
    "equals",
    "json_valid",
    "role",
    "content",
    "generation",
    "temperature",
    "pass",
    "id",
    "tags",
    "config",
    "path",
]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 600),
    st.floats(allow_nan=False),
    st.text(string.printable, max_size=20),
    st.sampled_from(["gradient-adapter", ADAPTER_ID, "{{ x }}", "${NOPE}", "(", "user"]),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(path: Path) -> None:
    try:
        load_suite(path)
    except SuiteError as exc:
        assert exc.locations, "a SuiteError always says where"
        assert str(exc).rstrip().endswith("nothing was run.")


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(KEYS), values, max_size=8))
def test_structured_yaml_never_crashes_the_loader(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    _check(path)


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_loader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    _check(path)


@SETTINGS
@given(raw=st.binary(max_size=120))
def test_arbitrary_bytes_never_crash_the_loader(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    _check(path)


@SETTINGS
@given(
    case=st.dictionaries(st.sampled_from(KEYS), values, max_size=5),
    adapter=st.dictionaries(st.sampled_from(KEYS), values, max_size=4),
)
def test_near_valid_suites_never_crash_the_loader(
    tmp_path: Path, case: dict[str, Any], adapter: dict[str, Any]
) -> None:
    data = {
        "name": "fuzz",
        "adapters": {"a": {"type": "gradient-adapter", "model_adapter_id": ADAPTER_ID, **adapter}},
        "cases": [{"prompt": "p", **case}],
    }
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    _check(path)
