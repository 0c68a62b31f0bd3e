"""The durability modules' public names: __all__ sorted and resolvable (as httpx does)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "harness.adapters.replay",
        "harness.records.cassette",
        "harness.cli.merge",
        "harness.runner.cache",
        "harness.shards",
        "harness.records.store",
    ],
)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for attr in exported:
        assert getattr(module, attr) is not None
