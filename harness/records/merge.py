"""Joining shard runs into one: ``merge_runs`` writes one run folder from several.

The merged ``run.json`` says what the merge covers (``coverage``): which shards were merged
and which are missing, and how many of the suite's cases have no record.
"""

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
from harness.shards import assign_shards, format_shard, parse_shard, shard_size

__all__ = ["describe_coverage", "describe_input_changes", "merge_runs"]


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
) -> tuple[dict[int, int], int | None]:
    """Which source stands for each declared shard (later wins), and the N of the split.

    Sources without a ``shard`` in run.json stand for themselves (N is None when none has one).
    """
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
    return declared, (next(iter(counts)) if counts else None)


def _estimate_total(sizes: dict[int, int], count: int) -> tuple[int, int] | None:
    """The suite sizes the merged shards' sizes allow under the balanced split, as (min, max)."""
    low = sum(sizes.values())
    high = low + (count - len(sizes)) * (max(sizes.values(), default=0) + 1)
    fits = [
        n
        for n in range(low, high + 1)
        if all(shard_size(n, index, count) == size for index, size in sizes.items())
    ]
    return (fits[0], fits[-1]) if fits else None


def _coverage(
    manifests: Sequence[RunManifest],
    raws: Sequence[dict[str, Any]],
    declared: dict[int, int],
    count: int | None,
    recorded_cases: set[str],
    suite_case_ids: Sequence[str] | None,
    suite_note: str,
) -> dict[str, Any]:
    """The ``coverage`` block of a merged run.json: shards and cases merged and missing."""
    missing_shards = sorted(set(range(1, count + 1)) - set(declared)) if count else []
    coverage: dict[str, Any] = {
        "shard_count": count,
        "shards_merged": [format_shard(i, count) for i in sorted(declared)] if count else [],
        "shards_missing": [format_shard(i, count) for i in missing_shards] if count else [],
        "cases_with_records": len(recorded_cases),
        "suite_case_count": None,
        "suite_case_count_from": None,
        "missing_shard_cases": {},
        "cases_missing": None,
        "missing_case_ids": None,
        "suite": suite_note or None,
    }
    sizes = {i: manifests[p].case_count for i, p in declared.items()}
    totals = {total for raw in raws if (total := _declared_total(raw)) is not None}
    if suite_case_ids is not None:
        ids = list(dict.fromkeys(suite_case_ids))
        missing_ids = [i for i in ids if i not in recorded_cases]
        coverage.update(
            suite_case_count=len(ids),
            suite_case_count_from="suite file",
            cases_missing=len(missing_ids),
            missing_case_ids=missing_ids,
        )
        if count:
            shard = assign_shards(ids, count)
            coverage["missing_shard_cases"] = {
                format_shard(i, count): sum(1 for s in shard.values() if s == i)
                for i in missing_shards
            }
        coverage["complete"] = not missing_ids and not missing_shards
        return coverage
    if count and len(totals) == 1:
        total_range: tuple[int, int] | None = (totals.pop(),) * 2
        source = "shard runs"
    elif count and not missing_shards:
        total_range, source = (sum(sizes.values()),) * 2, "shard runs"
    elif count:
        total_range, source = _estimate_total(sizes, count), "shard sizes (estimate)"
    else:
        total_range, source = None, None
    if total_range is not None and count:
        low, high = total_range
        coverage.update(
            suite_case_count=low if low == high else [low, high],
            suite_case_count_from=source,
            missing_shard_cases={
                format_shard(i, count): _span(shard_size(low, i, count), shard_size(high, i, count))
                for i in missing_shards
            },
            cases_missing=_span(
                low - sum(sizes.values()) if missing_shards else 0,
                high - sum(sizes.values()) if missing_shards else 0,
            ),
        )
    elif count:
        coverage["missing_shard_cases"] = {format_shard(i, count): None for i in missing_shards}
    coverage["complete"] = not missing_shards if count else None
    return coverage


def _declared_total(raw: dict[str, Any]) -> int | None:
    # a shard run.json that records the whole suite's size beside its own (runner: not yet)
    value = raw.get("suite_case_count")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _span(low: int, high: int) -> int | list[int]:
    return low if low == high else [low, high]


def _count_text(value: Any, noun: str = "case") -> str:
    if value is None:
        return f"{noun}s unknown"
    if isinstance(value, list):
        return f"{value[0]} to {value[1]} {noun}s"
    return f"{value} {noun}{'s' if value != 1 else ''}"


def describe_coverage(coverage: dict[str, Any]) -> list[str]:
    """What a merged run covers and misses, in sentences for the console."""
    lines: list[str] = []
    superseded = coverage.get("superseded_records") or 0
    if superseded:
        lines.append(
            f"{superseded} record(s) superseded: their (case_id, adapter, repeat) key occurs "
            f"more than once, e.g. {tuple(coverage.get('superseded_example') or ())}; "
            "the latest record of each key is kept"
        )
    total = coverage.get("suite_case_count")
    recorded = coverage.get("cases_with_records", 0)
    count = coverage.get("shard_count")
    if total is None:
        whole = f"{_count_text(recorded)} with records; the suite's case count is unknown"
        if coverage.get("suite"):
            whole += f" ({coverage['suite']})"
    else:
        source = coverage.get("suite_case_count_from")
        estimated = ""
        if source == "shard sizes (estimate)":  # say why the suite file could not tell
            notes = ["estimated from the shard sizes", coverage.get("suite")]
            estimated = f" ({'; '.join(str(n) for n in notes if n)})"
        shown = f"{total[0]} to {total[1]}" if isinstance(total, list) else str(total)
        whole = f"{recorded} of the suite's {shown} cases have records{estimated}"
    if count:
        merged = coverage.get("shards_merged", [])
        lines.append(f"merged {len(merged)} of {count} shards ({', '.join(merged)}): {whole}")
    else:
        lines.append(f"merged: {whole}")
    missing = coverage.get("missing_shard_cases") or {}
    if missing:
        parts = [f"shard {spec} ({_count_text(n)})" for spec, n in missing.items()]
        lines.append("missing: " + ", ".join(parts))
    ids = coverage.get("missing_case_ids") or []
    if ids:
        shown_ids = ", ".join(ids[:5]) + (f", … ({len(ids) - 5} more)" if len(ids) > 5 else "")
        lines.append(f"{_count_text(len(ids))} of the suite have no record: {shown_ids}")
    if coverage.get("complete") is False:
        again = ""
        if missing:
            specs = " and ".join(f"--shard {spec}" for spec in missing)
            again = f"; run {specs} and merge again"
        lines.append(f"the merged run is incomplete (status 'incomplete'){again}")
    return lines


def merge_runs(
    run_dirs: Sequence[Path],
    out_dir: Path,
    run_id: str | None = None,
    *,
    suite_case_ids: Sequence[str] | None = None,
    suite_note: str = "",
) -> Path:
    """Join runs of one suite (typically ``--shard I/N`` runs) into ``out_dir/<run_id>/``.

    ``results.jsonl`` is the sources' records in the order given; when a (case, adapter,
    repeat) key occurs more than once the later occurrence wins, as on resume. Records are
    copied byte for byte, so each keeps the ``run_id`` of the shard that produced it.
    ``run.json`` takes the earliest start, the latest finish, the summed ``case_count``, and
    ``status`` ``completed`` only when every source completed (and, when the sources declare
    ``shard: I/N``, every shard is present; otherwise ``incomplete``); ``shards`` lists the
    sources. ``coverage`` says which shards and how many of the suite's cases are merged and
    missing (``describe_coverage`` words it): the suite's case count comes from
    ``suite_case_ids`` (the suite file's cases, which also name the missing cases), else from
    the shards when all are present, else it is estimated from the merged shards' sizes (the
    split is balanced) or unknown. ``suite_note`` says where the ids came from, or why not.
    ``cassette.jsonl`` files, where present, are concatenated. Sources are only read. Memory
    grows with the number of distinct keys, not records.

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
    first_sha = manifests[0].suite_sha256
    if len({m.suite_sha256 for m in manifests}) > 1:
        shown = "\n  ".join(
            f"{d}: suite '{m.suite_name}' sha256 {m.suite_sha256[:12]}"
            for d, m in zip(run_dirs, manifests, strict=True)
        )
        changes = [
            f"{d} against {run_dirs[0]}: {change}"
            for d, m in zip(run_dirs[1:], manifests[1:], strict=True)
            if m.suite_sha256 != first_sha
            for change in describe_input_changes(manifests[0], m, "differs")
        ]
        raise HarnessError(
            "cannot merge runs of different suites (the suite's inputs differ):\n  "
            + "\n  ".join([*changes, shown])
        )
    adapters = _merged_adapters(run_dirs, manifests)
    declared, shard_count = _shard_coverage(run_dirs, raws)
    first = manifests[0]
    run_id = run_id or _merged_run_id(first.suite_name)
    target = out_dir / run_id
    if target.resolve() in resolved:
        raise HarnessError(f"the merged run cannot overwrite its source {target}")
    if target.exists() and any(target.iterdir()):
        raise HarnessError(f"{target} already exists and is not empty; choose another --run-id")

    # pass 1: where the last occurrence of every key is (memory: one entry per key)
    winners: dict[RecordKey, tuple[int, int]] = {}
    read = 0
    example: RecordKey | None = None
    for position, run_dir in enumerate(run_dirs):
        path = run_dir / RESULTS_FILE
        if path.exists():
            for number, _, _, (key, _) in scan_lines(path, record_key):
                read += 1
                if example is None and key in winners:
                    example = key
                winners[key] = (position, number)
    superseded = read - len(winners)
    wanted = set(winners.values())
    recorded_cases = {case_id for case_id, _, _ in winners}
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
    coverage = _coverage(
        manifests, raws, declared, shard_count, recorded_cases, suite_case_ids, suite_note
    )
    coverage["superseded_records"] = superseded
    coverage["superseded_example"] = list(example) if example is not None else None
    statuses = [m.status for m in manifests]
    if any(s != "completed" for s in statuses):
        status = next(s for s in statuses if s != "completed")
    else:
        status = "incomplete" if coverage["complete"] is False else "completed"
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
        coverage=coverage,
    )
    # validated, so the manifest is what RunManifest says; `coverage` is kept as an extra key
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


def describe_input_changes(before: RunManifest, after: RunManifest, verb: str) -> list[str]:
    """Which of a suite's inputs differ between two runs' ``execution.suite_inputs``.

    Each line names the input, e.g. "dataset data/questions.csv changed"
    (``verb`` = "changed"); empty when either run predates the per-input record.
    """
    old, new = _inputs(before), _inputs(after)
    if old is None or new is None:
        return []
    out = [
        f"{kind} {path} {verb}"
        for path, (kind, digest) in new.items()
        if path in old and old[path][1] != digest
    ]
    out += [f"{kind} {path} is new" for path, (kind, _) in new.items() if path not in old]
    out += [f"{kind} {path} is gone" for path, (kind, _) in old.items() if path not in new]
    return out


def _inputs(manifest: RunManifest) -> dict[str, tuple[str, str]] | None:
    listed = manifest.execution.get("suite_inputs")
    if not isinstance(listed, list):
        return None
    return {
        str(item.get("path")): (str(item.get("kind", "input")), str(item.get("sha256")))
        for item in listed
        if isinstance(item, dict)
    }
