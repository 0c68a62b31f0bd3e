"""The generic registry: lazy entries, clashes, did-you-mean."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.registry import Registry, UnknownNameError


def test_lazy_entry_loads_on_first_get() -> None:
    reg: Registry[object] = Registry("thing")
    reg.add("join", "os.path:join")
    import os.path

    assert reg.get("join") is os.path.join


def test_clash_is_an_error() -> None:
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(HarnessError, match="registered twice"):
        reg.add("a", 2)


def test_unknown_name_lists_and_suggests() -> None:
    reg: Registry[int] = Registry("widget")
    reg.register("gradient-adapter")(1)
    reg.add("gradient-base", 2)
    with pytest.raises(UnknownNameError) as info:
        reg.get("gradient-adaptor")
    msg = str(info.value)
    assert "unknown widget 'gradient-adaptor'" in msg
    assert "did you mean 'gradient-adapter'" in msg
    assert "available: gradient-adapter, gradient-base" in msg
    assert "gradient-base" in reg and "nope" not in reg


def test_suite_error_keeps_the_found_order_of_problems_at_one_position() -> None:
    from harness.errors import Location, SuiteError

    found = [Location("s.yaml", 3, 1, m) for m in ("zeta", "alpha", "zeta", "mid")]
    found.insert(0, Location("s.yaml", 9, 1, "later"))
    error = SuiteError(found)
    assert [loc.message for loc in error.locations] == ["zeta", "alpha", "mid", "later"]
