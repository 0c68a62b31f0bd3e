"""``--shard I/N``: a deterministic slice of a suite's cases, so a CI matrix can split a run.

A case belongs to shard ``sha256(case id) mod N + 1``. Hashing the id (rather than cutting
the list into N ranges) means that adding or removing a case never moves any other case to
another shard, so per-shard history stays comparable, and every machine computes the same
split without coordination. The price is balance in expectation only: N shards of n cases
hold about n/N ± sqrt(n/N) each, so a tiny suite can leave a shard empty (an empty shard is
a valid, empty run). All repeats of a case stay together in its shard.

Shard runs are joined with ``harness merge`` (``harness.records.merge.merge_runs``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from harness.errors import HarnessError

__all__ = ["ShardSpecError", "format_shard", "parse_shard", "select_shard", "shard_of"]

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardSpecError(HarnessError, ValueError):
    """A shard written wrongly (``2-4``, ``0/4``, ``5/4``): a usage error, exit code 4."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_C = TypeVar("_C", bound=_HasId)


def _check(index: int, count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ShardSpecError(f"the number of shards must be an integer >= 1, got {count!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= count:
        raise ShardSpecError(
            f"shard {index!r} does not exist: with {count} shard{'s' if count != 1 else ''} "
            f"the shard number is 1 to {count} (1-based, as in --shard 1/{count})"
        )


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → ``(2, 4)``: shard 2 of 4, 1-based as users write it.

    Raises:
        ShardSpecError: not of the form I/N, or not 1 <= I <= N.
    """
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ShardSpecError(
            f"invalid shard {text!r}: expected I/N, the shard number and the number of shards "
            "with 1 <= I <= N (e.g. 2/4)"
        )
    index, count = int(match[1]), int(match[2])
    _check(index, count)
    return index, count


def format_shard(index: int, count: int) -> str:
    """``(2, 4)`` → ``"2/4"``, the form run.json keeps in its ``shard`` field."""
    _check(index, count)
    return f"{index}/{count}"


def shard_of(case_id: str, count: int) -> int:
    """The 1-based shard a case id belongs to when the suite is split ``count`` ways."""
    _check(1, count)
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select_shard(cases: Sequence[_C], index: int, count: int) -> tuple[_C, ...]:
    """The cases of shard ``index`` of ``count`` (1-based), in their suite order.

    Every case is in exactly one shard; which one depends on its id and ``count`` only.

    Raises:
        ShardSpecError: not 1 <= index <= count.
    """
    _check(index, count)
    if count == 1:
        return tuple(cases)
    return tuple(case for case in cases if shard_of(case.id, count) == index)
