"""What ``harness compare`` reads: run folders written by the real writer, pairs, flipped cases."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.analysis.paired.document import resolve_pairs
from harness.analysis.paired.flips import flipped_cases
from harness.analysis.paired.sources import CompareInputError, LoadedSource, load_source
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, MetricResult, RunManifest
from harness.records.store import RecordWriter, write_manifest

Row = tuple[str, str, bool]  # (adapter, case_id, passed)


def make_record(
    run_id: str,
    adapter: str,
    case_id: str,
    passed: bool,
    *,
    repeat: int = 0,
    output: str | None = None,
    latency_ms: float = 100.0,
    error: ErrorInfo | None = None,
) -> CaseRecord:
    failing = [] if passed else [MetricResult(name="contains", passed=False, reason="no x")]
    return CaseRecord(
        run_id=run_id,
        case_id=case_id,
        adapter=adapter,
        repeat=repeat,
        prompt=f"prompt {case_id}",
        output=output if output is not None else f"{adapter} says {case_id}",
        passed=passed and error is None,
        expectations=[
            MetricResult(name="token_f1", passed=True, score=1.0 if passed else 0.25),
            *failing,
        ],
        latency_ms=latency_ms,
        ttft_ms=latency_ms,
        timing_source="measured",
        error=error,
        started_at="2026-01-01T00:00:00+00:00",
    )


def manifest(run_id: str, adapters: Sequence[str], **changes: object) -> RunManifest:
    fields: dict[str, object] = {
        "run_id": run_id,
        "suite_name": "s",
        "suite_path": "s.yaml",
        "suite_sha256": "ab" * 32,
        "harness_version": "0.1.0",
        "adapters": [AdapterInfo(name=a, type="gradient-adapter", model="m") for a in adapters],
        "case_count": 0,
        "started_at": "2026-01-01T00:00:00+00:00",
        "status": "completed",
    }
    fields.update(changes)
    return RunManifest.model_validate(fields)


def write_run(
    root: Path, run_id: str, records: Sequence[CaseRecord], adapters: Sequence[str] = ()
) -> Path:
    """A run folder as ``harness run`` leaves it: run.json and results.jsonl (real writer)."""
    run_dir = root / run_id
    names = list(adapters) or list(dict.fromkeys(r.adapter for r in records))
    write_manifest(run_dir, manifest(run_id, names))
    with RecordWriter(run_dir) as writer:
        for record in records:
            writer.write(record)
    return run_dir


def test_latest_record_of_a_key_counts_once(tmp_path: Path) -> None:
    run_dir = write_run(
        tmp_path,
        "r",
        [
            make_record("r", "v1", "a", False),
            make_record("r", "v1", "b", True),
            make_record("r", "v1", "a", True, output="second try"),
        ],
    )
    source = load_source(run_dir, "BASE")
    assert (source.records_read, source.counted, source.superseded) == (3, 2, 1)
    records = source.adapters["v1"]
    assert records.frame["case_id"].tolist() == ["a", "b"]
    assert records.frame["passed"].tolist() == [True, True]
    assert records.details[0].output == "second try"


def test_judge_adapters_and_adapters_without_records_are_not_sides(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    info = manifest("r", ["v1", "v2"])
    info = info.model_copy(
        update={
            "adapters": [*info.adapters, AdapterInfo(name="j", type="t", model="m", role="judge")]
        }
    )
    write_manifest(run_dir, info)
    with RecordWriter(run_dir) as writer:
        writer.write(make_record("r", "v1", "a", True))
    assert list(load_source(run_dir, "BASE").adapters) == ["v1"]


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing", "no such run folder"),
        ("file", "not a run folder or a baseline file"),
        ("no-manifest", r"not a run folder \(no run.json\)"),
        ("no-records", "has no results"),
    ],
)
def test_unusable_paths_raise_with_the_argument_named(
    tmp_path: Path, setup: str, fragment: str
) -> None:
    path = tmp_path / "run"
    if setup == "file":
        path.write_text("{}")
    elif setup == "no-manifest":
        path.mkdir()
    elif setup == "no-records":
        write_manifest(path, manifest("run", ["v1"]))
    with pytest.raises(CompareInputError, match=fragment) as info:
        load_source(path, "CANDIDATE")
    assert info.value.param == "CANDIDATE"
    assert str(path) in str(info.value)


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[LoadedSource, LoadedSource]:
    base = write_run(
        tmp_path, "b", [make_record("b", n, "a", True) for n in ("v1", "shared", "old")]
    )
    cand = write_run(
        tmp_path, "c", [make_record("c", n, "a", True) for n in ("new", "shared", "v1")]
    )
    return load_source(base, "BASE"), load_source(cand, "CANDIDATE")


def test_pairs_by_name_in_the_base_order(two_runs: tuple[LoadedSource, LoadedSource]) -> None:
    assert resolve_pairs(*two_runs, ()) == [("v1", "v1"), ("shared", "shared")]


def test_explicit_pairs_across_runs(two_runs: tuple[LoadedSource, LoadedSource]) -> None:
    assert resolve_pairs(*two_runs, ("old:new", "v1:v1", "old:new")) == [
        ("old", "new"),
        ("v1", "v1"),
    ]


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        (("v1",), "--pair expects BASE_ADAPTER:CANDIDATE_ADAPTER"),
        (("v1:",), "--pair expects"),
        (("a:b:c",), "--pair expects"),
        (("zzz:v1",), "run b .* has no adapter 'zzz'; it has: v1, shared, old"),
        (("v1:old",), "run c .* has no adapter 'old'; it has: new, shared, v1"),
    ],
)
def test_bad_pairs(
    two_runs: tuple[LoadedSource, LoadedSource], pairs: tuple[str, ...], fragment: str
) -> None:
    with pytest.raises(CompareInputError, match=fragment) as info:
        resolve_pairs(*two_runs, pairs)
    assert info.value.param == "--pair"


def test_no_common_adapter_names_both_sides(tmp_path: Path) -> None:
    base = load_source(write_run(tmp_path, "b", [make_record("b", "v1", "a", True)]), "BASE")
    cand = load_source(write_run(tmp_path, "c", [make_record("c", "v2", "a", True)]), "CANDIDATE")
    with pytest.raises(CompareInputError, match=r"no adapter in common.*: v1;.*: v2\); choose"):
        resolve_pairs(base, cand, ())


def test_one_run_needs_distinct_explicit_pairs(tmp_path: Path) -> None:
    run = load_source(
        write_run(tmp_path, "r", [make_record("r", n, "a", True) for n in ("v1", "v2")]), "BASE"
    )
    with pytest.raises(CompareInputError, match="needs --pair .* has: v1, v2"):
        resolve_pairs(run, run, ())
    with pytest.raises(CompareInputError, match="compares an adapter with itself"):
        resolve_pairs(run, run, ("v1:v1",))
    assert resolve_pairs(run, run, ("v2:v1",)) == [("v2", "v1")]


def test_flipped_cases_regressions_first_with_each_sides_answer(tmp_path: Path) -> None:
    verdicts = {  # case: (base passed, candidate passed)
        "up": (False, True),
        "down": (True, False),
        "same": (True, True),
        "down-too": (True, False),
    }
    records = [make_record("r", "v1", c, b) for c, (b, _) in verdicts.items()]
    records += [make_record("r", "v2", c, v) for c, (_, v) in verdicts.items()]
    run = load_source(write_run(tmp_path, "r", records), "BASE")
    flips = flipped_cases(run.adapters["v1"], run.adapters["v2"])
    assert [(f.case_id, f.direction) for f in flips] == [
        ("down", "pass_to_fail"),
        ("down-too", "pass_to_fail"),
        ("up", "fail_to_pass"),
    ]
    down = flips[0]
    assert (down.base.output, down.candidate.output) == ("v1 says down", "v2 says down")
    assert down.base.failing == []
    assert [(e.name, e.reason) for e in down.candidate.failing] == [("contains", "no x")]


def test_flips_use_the_pass_share_of_repeats_and_show_a_failing_repeat(tmp_path: Path) -> None:
    records = [make_record("r", "v1", "c", True, repeat=k) for k in range(3)]
    records += [  # 1 of 3 repeats passes: the case fails on v2
        make_record("r", "v2", "c", True, repeat=0, output="good"),
        make_record("r", "v2", "c", False, repeat=1, output="bad"),
        make_record("r", "v2", "c", False, repeat=2, output="worse"),
        # 2 of 3 pass on both sides: no flip
        *(make_record("r", "v1", "d", k != 0, repeat=k) for k in range(3)),
        *(make_record("r", "v2", "d", k != 1, repeat=k) for k in range(3)),
    ]
    run = load_source(write_run(tmp_path, "r", records), "BASE")
    (flip,) = flipped_cases(run.adapters["v1"], run.adapters["v2"])
    assert flip.case_id == "c"
    assert flip.candidate.pass_share == pytest.approx(1 / 3)
    assert flip.candidate.repeats == 3
    assert flip.candidate.output == "bad"  # the first failing repeat, not the passing one


def test_adapter_errors_are_failures_and_judge_failures_are_not_graded(tmp_path: Path) -> None:
    judge_error = ErrorInfo.model_validate(
        {"type": "JudgeError", "message": "j", "origin": "judge"}
    )
    records = [
        make_record("r", "v1", "e", True),
        make_record("r", "v2", "e", False, error=ErrorInfo(type="Timeout", message="slow")),
        make_record("r", "v1", "j", True),
        make_record("r", "v2", "j", False, error=judge_error),
    ]
    run = load_source(write_run(tmp_path, "r", records), "BASE")
    flips = flipped_cases(run.adapters["v1"], run.adapters["v2"])
    assert [f.case_id for f in flips] == ["e"]  # 'j' could not be graded on v2: no flip
    assert flips[0].candidate.error == "Timeout: slow"
