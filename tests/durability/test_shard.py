"""--shard I/N: a partition of the cases that is deterministic, stable and roughly balanced."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.shards import (
    ShardSpecError,
    format_shard,
    parse_shard,
    select_shard,
    shard_of,
)
from tests.durability.support import case

ids = st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=60)
counts = st.integers(min_value=1, max_value=12)


@settings(max_examples=150, deadline=None)
@given(ids, counts)
def test_every_case_is_in_exactly_one_shard(case_ids: list[str], count: int) -> None:
    cases = [case(i) for i in case_ids]
    shards = [select_shard(cases, index, count) for index in range(1, count + 1)]
    seen = [c.id for shard in shards for c in shard]
    assert sorted(seen) == sorted(case_ids)
    for shard in shards:  # suite order is kept inside a shard
        positions = [case_ids.index(c.id) for c in shard]
        assert positions == sorted(positions)


@settings(max_examples=100, deadline=None)
@given(ids, counts, st.text(min_size=1, max_size=30), st.integers(0, 60))
def test_adding_a_case_moves_no_other_case(
    case_ids: list[str], count: int, new_id: str, at: int
) -> None:
    if new_id in case_ids:
        return
    before = {
        c.id: i
        for i in range(1, count + 1)
        for c in select_shard([case(x) for x in case_ids], i, count)
    }
    grown = [*case_ids[:at], new_id, *case_ids[at:]]
    after = {
        c.id: i
        for i in range(1, count + 1)
        for c in select_shard([case(x) for x in grown], i, count)
    }
    assert {k: v for k, v in after.items() if k != new_id} == before


@settings(max_examples=50, deadline=None)
@given(ids, counts)
def test_the_split_is_deterministic(case_ids: list[str], count: int) -> None:
    cases = [case(i) for i in case_ids]
    for index in range(1, count + 1):
        assert select_shard(cases, index, count) == select_shard(list(cases), index, count)
    assert all(shard_of(i, count) == shard_of(i, count) for i in case_ids)


def test_the_assignment_is_pinned() -> None:
    # sha256(id) mod N + 1. A change here re-splits every CI matrix: it must be deliberate.
    assert [shard_of(f"case-{i}", 4) for i in range(8)] == [4, 3, 4, 4, 4, 1, 2, 3]
    assert shard_of("greet[lang=fr]", 3) == 1


def test_shards_are_roughly_balanced() -> None:
    cases = [case(f"case-{i:05d}") for i in range(4000)]
    for count in (2, 4, 7):
        sizes = [len(select_shard(cases, i, count)) for i in range(1, count + 1)]
        expected = len(cases) / count
        assert all(abs(s - expected) < 0.1 * expected for s in sizes), sizes


def test_one_shard_is_the_whole_suite() -> None:
    cases = [case("a"), case("b")]
    assert select_shard(cases, 1, 1) == tuple(cases)


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)
    assert format_shard(2, 4) == "2/4"


@pytest.mark.parametrize("text", ["", "2", "2-4", "a/b", "0/4", "5/4", "1/0", "-1/4", "2/4/8"])
def test_parse_shard_rejects(text: str) -> None:
    with pytest.raises(ShardSpecError) as info:
        parse_shard(text)
    assert isinstance(info.value, HarnessError)
    assert "1 <= I <= N" in str(info.value) or "shard" in str(info.value)


def test_select_shard_validates() -> None:
    with pytest.raises(ShardSpecError, match="1 to 4"):
        select_shard([case("a")], 5, 4)
    with pytest.raises(ShardSpecError, match=">= 1"):
        select_shard([case("a")], 1, 0)
