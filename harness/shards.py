"""``--shard I/N``: a deterministic, balanced slice of a suite's cases, for CI matrices.

The suite's case ids are sorted by their sha256 hash and dealt round-robin: the case of rank
r (0-based) belongs to shard ``r mod N + 1``. Every machine computes the same split from the
suite alone, without coordination, and the shards are exactly balanced: their sizes differ by
at most one case (``(n - I + N) // N`` cases in shard I of n cases). Sorting by hash rather
than taking the suite order keeps neighbouring cases (a matrix, one dataset's rows) spread
over the shards. All repeats of a case stay together in its shard.

The trade-off: a case's shard depends on the other ids, so adding or removing a case moves
the cases ranked after it to the next (or previous) shard, and per-shard history is not
comparable across suite edits. Assigning ``sha256(id) mod N`` alone (the method before this
one) moved nothing, but balanced only in expectation: the 40 ids ``case-0`` … ``case-39``
split 14/18/8 over 3 shards, and over suites of 100 to 2,000 cases the largest and smallest
shard differed by a median 17% of the mean shard size (up to 79%).
Records are keyed by case id, so ``harness merge`` and comparisons are unaffected either way.

Shard runs are joined with ``harness merge`` (``harness.records.merge.merge_runs``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from harness.errors import HarnessError

__all__ = [
    "ShardSpecError",
    "assign_shards",
    "format_shard",
    "parse_shard",
    "select_shard",
    "shard_size",
]

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


def _rank_key(case_id: str) -> tuple[bytes, str]:
    # the id breaks a (never seen) hash tie, so the order is total on every machine
    return hashlib.sha256(case_id.encode("utf-8")).digest(), case_id


def assign_shards(case_ids: Iterable[str], count: int) -> dict[str, int]:
    """The 1-based shard of every case id when these cases are split ``count`` ways.

    Depends on the set of ids only (not their order); a repeated id is one case.
    """
    _check(1, count)
    ranked = sorted(set(case_ids), key=_rank_key)
    return {case_id: rank % count + 1 for rank, case_id in enumerate(ranked)}


def shard_size(case_count: int, index: int, count: int) -> int:
    """How many of ``case_count`` cases shard ``index`` of ``count`` holds."""
    _check(index, count)
    return max(0, case_count - index + count) // count


def select_shard(cases: Sequence[_C], index: int, count: int) -> tuple[_C, ...]:
    """The cases of shard ``index`` of ``count`` (1-based), in their suite order.

    Every case is in exactly one shard; which one depends on the suite's case ids and
    ``count`` only.

    Raises:
        ShardSpecError: not 1 <= index <= count.
    """
    _check(index, count)
    if count == 1:
        return tuple(cases)
    shard = assign_shards((case.id for case in cases), count)
    return tuple(case for case in cases if shard[case.id] == index)
