"""Joining shard runs into one: ``merge_runs`` writes one run folder from several."""

from __future__ import annotations

import json
import os
import secrets as _secrets
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.records.jsonl import describe_problem, json_object, scan_lines, write_json_atomic
from harness.records.models import AdapterInfo, RunManifest
from harness.records.store import CASSETTE_FILE, MANIFEST_FILE, RESULTS_FILE, RecordKey, record_key

__all__ = ["merge_runs"]


def _source_manifest(run_dir: Path) -> tuple[RunManifest, dict[str, Any]]:
    path = run_dir / MANIFEST_FILE
    if not path.is_file():
        raise HarnessError(f"{run_dir} is not a run folder: it has no {MANIFEST_FILE}")
    text = path.read_text(encoding="utf-8")
    try:
        return RunManifest.model_validate_json(text), json.loads(text)
    except ValueError as exc:
        raise HarnessError(f"{path}: not a valid run manifest: {describe_problem(exc)}") from None


def _merged_adapters(
    run_dirs: Sequence[Path], manifests: Sequence[RunManifest]
) -> list[AdapterInfo]:
    merged: dict[str, tuple[Path, AdapterInfo]] = {}
    for run_dir, manifest in zip(run_dirs, manifests, strict=True):
        for info in manifest.adapters:
            seen = merged.get(info.name)
            if seen is None:
                merged[info.name] = (run_dir, info)
            elif (seen[1].type, seen[1].model) != (info.type, info.model):
                raise HarnessError(
                    f"adapter '{info.name}' differs between the runs: {seen[1].type} "
                    f"'{seen[1].model}' in {seen[0]}, {info.type} '{info.model}' in {run_dir}; "
                    "only shards of one suite against the same models can be merged"
                )
    return [info for _, info in merged.values()]


def _parse_time(text: str) -> datetime:
    stamp = datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _merged_run_id(suite_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in suite_name.lower())[:40]
    return f"{stamp}-{slug}-merged-{_secrets.token_hex(2)}"


def _shard_coverage(
    run_dirs: Sequence[Path], raws: Sequence[dict[str, Any]]
) -> tuple[dict[int, int], bool]:
    """Which source stands for each declared shard (later wins), and whether all N are there.

    Sources without a ``shard`` in run.json stand for themselves (coverage unknown: True).
    """
    from harness.shards import parse_shard

    declared: dict[int, int] = {}  # shard index → source position
    counts: set[int] = set()
    for position, raw in enumerate(raws):
        spec = raw.get("shard")
        if not spec:
            continue
        index, count = parse_shard(str(spec))
        counts.add(count)
        declared[index] = position
    if len(counts) > 1:
        shown = ", ".join(f"{d}: {r.get('shard')}" for d, r in zip(run_dirs, raws, strict=True))
        raise HarnessError(f"the runs come from different shard splits ({shown})")
    if not counts:
        return declared, True
    (count,) = counts
    return declared, set(declared) == set(range(1, count + 1))


def merge_runs(run_dirs: Sequence[Path], out_dir: Path, run_id: str | None = None) -> Path:
    """Join runs of one suite (typically ``--shard I/N`` runs) into ``out_dir/<run_id>/``.

    ``results.jsonl`` is the sources' records in the order given; when a (case, adapter,
    repeat) key occurs more than once the later occurrence wins, as on resume. Records are
    copied byte for byte, so each keeps the ``run_id`` of the shard that produced it.
    ``run.json`` takes the earliest start, the latest finish, the summed ``case_count``, and
    ``status`` ``completed`` only when every source completed (and, when the sources declare
    ``shard: I/N``, every shard is present; otherwise ``incomplete``); ``shards`` lists the
    sources. ``cassette.jsonl`` files, where present, are concatenated. Sources are only read.
    Memory grows with the number of distinct keys, not records.

    Raises:
        HarnessError: no sources, a source that is not a run folder, runs of different suites
            (suite_sha256) or adapters, an existing non-empty target, damaged records.
    """
    if not run_dirs:
        raise HarnessError("nothing to merge: give at least one run folder")
    resolved = [d.resolve() for d in run_dirs]
    if len(set(resolved)) != len(resolved):
        raise HarnessError("the same run folder is given more than once")
    pairs = [_source_manifest(d) for d in run_dirs]
    manifests = [m for m, _ in pairs]
    raws = [r for _, r in pairs]
    if len({m.suite_sha256 for m in manifests}) > 1:
        shown = "\n  ".join(
            f"{d}: suite '{m.suite_name}' sha256 {m.suite_sha256[:12]}"
            for d, m in zip(run_dirs, manifests, strict=True)
        )
        raise HarnessError(
            "cannot merge runs of different suites (the suite files' contents differ):\n  " + shown
        )
    adapters = _merged_adapters(run_dirs, manifests)
    declared, covered = _shard_coverage(run_dirs, raws)
    first = manifests[0]
    run_id = run_id or _merged_run_id(first.suite_name)
    target = out_dir / run_id
    if target.resolve() in resolved:
        raise HarnessError(f"the merged run cannot overwrite its source {target}")
    if target.exists() and any(target.iterdir()):
        raise HarnessError(f"{target} already exists and is not empty; choose another --run-id")

    # pass 1: where the last occurrence of every key is (memory: one entry per key)
    winners: dict[RecordKey, tuple[int, int]] = {}
    for position, run_dir in enumerate(run_dirs):
        path = run_dir / RESULTS_FILE
        if path.exists():
            for number, _, _, (key, _) in scan_lines(path, record_key):
                winners[key] = (position, number)
    wanted = set(winners.values())
    del winners

    # pass 2: copy the winning lines byte for byte
    target.mkdir(parents=True, exist_ok=True)
    kept = [0] * len(run_dirs)
    tmp = target / (RESULTS_FILE + ".tmp")
    with tmp.open("wb") as out:
        for position, run_dir in enumerate(run_dirs):
            path = run_dir / RESULTS_FILE
            if not path.exists():
                continue
            with path.open("rb") as f:
                for number, raw in enumerate(f, 1):
                    if (position, number) in wanted:
                        out.write(raw if raw.endswith(b"\n") else raw + b"\n")
                        kept[position] += 1
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(target / RESULTS_FILE)
    _merge_cassettes(run_dirs, target)

    # the manifest
    # a shard run twice counts once (the later run); a source without a shard counts itself
    stands_for = set(declared.values()) | {p for p, raw in enumerate(raws) if not raw.get("shard")}
    statuses = [m.status for m in manifests]
    if any(s != "completed" for s in statuses):
        status = next(s for s in statuses if s != "completed")
    else:
        status = "completed" if covered else "incomplete"
    finishes = [m.finished_at for m in manifests if m.finished_at]
    shards = [
        {
            "run_id": m.run_id,
            "path": str(d),
            "shard": raw.get("shard"),
            "status": m.status,
            "case_count": m.case_count,
            "records": kept[p],
            "started_at": m.started_at,
            "finished_at": m.finished_at,
            "node": m.machine.get("node"),
        }
        for p, (d, m, raw) in enumerate(zip(run_dirs, manifests, raws, strict=True))
    ]
    data = first.model_dump(mode="json")
    data.update(
        run_id=run_id,
        adapters=[a.model_dump(mode="json") for a in adapters],
        case_count=sum(manifests[p].case_count for p in sorted(stands_for)),
        started_at=min((m.started_at for m in manifests), key=_parse_time),
        finished_at=max(finishes, key=_parse_time) if finishes else None,
        status=status,
        shard=None,
        shards=shards,
    )
    # validated, so the manifest is what RunManifest says; `shards` is kept as an extra key
    # until RunManifest declares it (readers ignore unknown keys)
    data = {**data, **RunManifest.model_validate(data).model_dump(mode="json")}
    if "shard" not in RunManifest.model_fields:
        del data["shard"]
    write_json_atomic(target / MANIFEST_FILE, data)
    return target


def _merge_cassettes(run_dirs: Sequence[Path], target: Path) -> None:
    sources = [d / CASSETTE_FILE for d in run_dirs if (d / CASSETTE_FILE).exists()]
    if not sources:
        return
    tmp = target / (CASSETTE_FILE + ".tmp")
    with tmp.open("wb") as out:
        for path in sources:
            for _, _, raw, _ in scan_lines(path, json_object):
                out.write(raw if raw.endswith(b"\n") else raw + b"\n")
    tmp.replace(target / CASSETTE_FILE)
