"""`harness list`: every option says "required" or its real default, never a pydantic sentinel."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from harness.cli.catalogue import describe_options
from tests.cli.conftest import RunCli


class _Options(BaseModel):
    needed: str = Field(description="Must be given")
    plain: int = 3
    maybe: str | None = None
    mapping: dict[str, Any] = Field(default_factory=dict, description="Made by a factory")
    items: list[str] = Field(default_factory=lambda: ["a"])


def test_required_defaults_and_factories_are_described() -> None:
    lines = describe_options(_Options).splitlines()
    assert lines == [
        "needed (str, required): Must be given",
        "plain (int, default 3)",
        "maybe (str | None, default None)",
        "mapping (dict, default {}): Made by a factory",
        "items (list, default ['a'])",
    ]


@pytest.mark.parametrize("kind", ["adapters", "metrics"])
def test_list_never_shows_pydantic_undefined(run_cli: RunCli, kind: str) -> None:
    proc = run_cli("list", kind)
    assert proc.returncode == 0, proc.stderr
    assert "Undefined" not in proc.stdout
    assert "required" in proc.stdout
    if kind == "adapters":
        assert "kwargs (dict, default {})" in proc.stdout  # llama-index: a default_factory
    else:
        assert "args (dict, default {})" in proc.stdout  # custom: a default_factory
