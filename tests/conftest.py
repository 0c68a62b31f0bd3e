"""Shared fixtures: a clean environment (no real Gradient credentials) and suite writing."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a real token: drop every GRADIENT_* variable."""
    import os

    for name in list(os.environ):
        if name.startswith("GRADIENT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def write_suite(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML file (dedented) under tmp_path and return its path."""

    def write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
