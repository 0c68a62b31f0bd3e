"""The durable side of a run: resuming a folder, the response cache, recording cassettes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.records import CaseRecord, RunManifest
from harness.runner.send import Sent
from harness.suite.load import Case

__all__ = [
    "CacheAndCassette",
    "cache_key_for",
    "record_cassette",
    "record_judge_call",
    "resume_run",
]


@dataclass
class CacheAndCassette:
    """A run's optional response cache (with the identity it keys each adapter by) and cassette.

    Typed ``Any``: ``cache`` and ``cassette`` load lazily, and only when asked for.
    """

    cache: Any = None  # ResponseCache
    identities: dict[str, Any] = field(default_factory=dict)  # adapter -> AdapterIdentity
    cassette: Any = None  # CassetteWriter


def cache_key_for(aids: CacheAndCassette, adapter: str, case: Case) -> str:
    from harness.runner.cache import cache_key

    return cache_key(
        aids.identities[adapter],
        prompt=case.prompt if case.messages is None else None,
        messages=case.messages,
        generation=case.generation,
    )


def record_cassette(aids: CacheAndCassette, record: CaseRecord, case: Case, result: Any) -> None:
    from harness.records.cassette import CassetteEntry

    raw = result.raw if isinstance(result, Sent) else None
    usage = raw.get("usage") if isinstance(raw, dict) else None
    aids.cassette.write(
        CassetteEntry.from_record(
            record,
            case,
            chunks=list(result.chunks) if isinstance(result, Sent) and result.chunks else None,
            usage=usage if isinstance(usage, dict) else None,
            retry_after_s=getattr(result, "retry_after_s", None),
        )
    )


def record_judge_call(
    aids: CacheAndCassette,
    adapter: str,
    prompt: str,
    reply: str | BaseException,
    took_ns: int,
    secrets: tuple[str, ...] = (),
) -> None:
    """Write one judge call (``llm_judge``) to the cassette: a replayed judge answers it."""
    from harness.records.cassette import CassetteEntry, CassetteError
    from harness.runner.execute import error_info

    answer: str | CassetteError
    if isinstance(reply, BaseException):
        info = error_info(reply, secrets)
        answer = CassetteError(
            type=info.type,
            message=info.message,
            status=info.status,
            retry_after_s=getattr(reply, "retry_after_s", None),
        )
    else:
        answer = reply
    aids.cassette.write(
        CassetteEntry.for_judge(adapter, prompt, answer, first_ns=None, end_ns=took_ns)
    )


def resume_run(run_dir: Path, fresh: RunManifest) -> tuple[RunManifest, set[tuple[str, str, int]]]:
    """The manifest of the run being resumed, and the requests it already recorded.

    A torn last line (a write cut short by a kill) is repaired first. The suite must be the
    one the run started with, every input of it (YAML, datasets, emulator models, custom
    checks, cassettes): resuming a changed suite would mix two experiments; the refusal names
    the inputs that changed.
    """
    from harness.errors import HarnessError
    from harness.records.merge import describe_input_changes
    from harness.records.store import completed_keys, read_manifest, repair_results

    if not (run_dir / "run.json").is_file():
        raise HarnessError(f"cannot resume: {run_dir} is not a run folder (no run.json)")
    old = read_manifest(run_dir)
    if old.suite_sha256 != fresh.suite_sha256:
        changes = describe_input_changes(old, fresh, "changed since the run started")
        said = f": {'; '.join(changes)}" if changes else ""
        raise HarnessError(
            f"cannot resume {old.run_id}: the suite changed since the run started{said} "
            f"(sha256 {old.suite_sha256[:12]}… then, {fresh.suite_sha256[:12]}… now)"
        )
    if old.shard != fresh.shard:
        raise HarnessError(
            f"cannot resume {old.run_id}: it ran shard {old.shard}, this is shard {fresh.shard}"
        )
    repair_results(run_dir)
    done = completed_keys(run_dir)
    merged = fresh.model_copy(
        update={
            "started_at": old.started_at,
            "resumed_at": [*old.resumed_at, datetime.now(timezone.utc).isoformat()],
        }
    )
    return merged, done
