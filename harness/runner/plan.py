"""What a run sends, in what order: the seeded interleaved plan, the shard's slice of the cases,
the requests a resumed run already recorded, and the uncounted warm-up requests."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple

from harness.suite.load import AdapterConfig, Case

__all__ = [
    "PlannedRequest",
    "RequestKey",
    "plan_requests",
    "remaining_requests",
    "shard_cases",
    "warm_up_requests",
]

RequestKey = tuple[str, str, int]
"""(case id, adapter name, repeat): a run holds one record per key."""


class PlannedRequest(NamedTuple):
    """One request of the plan; ``seq`` is its position in the seeded order (recorded)."""

    case: Case
    adapter: AdapterConfig
    repeat: int
    seq: int

    @property
    def key(self) -> RequestKey:
        return (self.case.id, self.adapter.name, self.repeat)


def plan_requests(
    cases: Sequence[Any], adapters: Sequence[AdapterConfig], seed: int, repeat: int | None
) -> Iterator[PlannedRequest]:
    """(case, adapter, repeat, seq) in a fair order: case by case, adapters shuffled per turn.

    Interleaving keeps either side of a comparison from always going first (or always meeting
    a warm connection pool); the seed makes the order reproducible, and it is recorded.
    """
    rng = random.Random(seed)
    seq = 0
    order = list(adapters)
    for case in cases:
        for r in range(repeat if repeat is not None else case.repeat):
            rng.shuffle(order)
            for adapter in order:
                yield PlannedRequest(case, adapter, r, seq)
                seq += 1


def remaining_requests(
    cases: Sequence[Case],
    adapters: Sequence[AdapterConfig],
    seed: int,
    repeat: int | None,
    recorded: Collection[RequestKey] = frozenset(),
) -> Iterator[PlannedRequest]:
    """The plan minus the requests already ``recorded`` (a resumed run's records).

    Skipping after planning keeps every request's ``seq`` what it was in the first attempt.
    """
    plan = plan_requests(cases, adapters, seed, repeat)
    if not recorded:
        return plan
    return (request for request in plan if request.key not in recorded)


def shard_cases(
    cases: tuple[Case, ...], shard: tuple[int, int] | None
) -> tuple[tuple[Case, ...], str | None]:
    """The cases of shard ``(I, N)`` (all of them without a shard) and its ``'I/N'`` label."""
    if shard is None:
        return cases, None
    from harness.shards import format_shard, select_shard

    return select_shard(cases, *shard), format_shard(*shard)


def warm_up_requests(
    cases: Sequence[Case], adapters: Sequence[AdapterConfig], per_adapter: int
) -> list[tuple[Case, AdapterConfig]]:
    """Uncounted requests, adapter by adapter, cycling through ``cases`` from the first.

    Replay adapters get none: a warm-up would use up recordings.
    """
    if not per_adapter or not cases:
        return []
    return [
        (cases[i % len(cases)], adapter)
        for adapter in adapters
        if adapter.type.name != "replay"
        for i in range(per_adapter)
    ]
