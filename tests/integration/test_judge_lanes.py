"""Judges are adapters too: their calls take the judge's lane (rpm, concurrency), the request
timeout and the retry policy, and a judge that cannot answer errors the case, never fails it.

Candidates and the judge are served by two emulators over loopback HTTP, so the judge's
emulator sees judge calls only: its request count and in-flight figure are the judge's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.analysis.summarize import summarize_run
from harness.analysis.totals import run_totals
from harness.emulator import EmulatorServer, load_emulator_config
from harness.records.store import read_manifest, read_records

Write = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]
GOOD = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
BAD = "5a1e5b07-0002-4000-8000-00000000000b_model_adapter"
CANDIDATES = f"""
models:
  - {{name: base, slug: base}}
  - {{id: {GOOD}, name: good, base_model: base, default: "echo {{{{ prompt }}}}"}}
  - {{id: {BAD}, name: bad, base_model: base, default: "no idea"}}
"""
RUBRIC = "llm_judge: {judge: grader, rubric: Echoes the prompt., min: 0.5}"


def _judge_models(latency: str = "{}", faults: str = "{}", seed: int = 7) -> str:
    return (
        f"seed: {seed}\nmodels:\n"
        '  - {name: judge, slug: judge, default: "Looks right.\\nSCORE: 8", '
        f"latency: {latency}, faults: {faults}}}\n"
    )


def _where(base_url: str) -> str:
    return f"host: '{base_url}', access_token: test-token-0123, workspace_id: test-workspace"


def _completions(stats: dict[str, Any]) -> int:
    """Requests for a model (completions), not the model lookups of the adapter's set-up."""
    return sum(sum(by_status.values()) for by_status in stats["by_model"].values())


@dataclass
class _Watch:
    """The judge emulator's request count and in-flight figure, sampled every few ms."""

    server: EmulatorServer
    done_at: list[float] = field(default_factory=list)  # when each request was counted
    peak_in_flight: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        seen = 0
        while True:
            # one last sample after the stop: a request counted since the previous one (the
            # run's last, just before it returned) would otherwise be missed
            stopping = self._stop.is_set()
            stats = self.server.stats()
            now = time.monotonic()
            self.peak_in_flight = max(self.peak_in_flight, stats["in_flight"])
            asked = _completions(stats)
            self.done_at += [now] * (asked - seen)
            seen = asked
            if stopping:
                return
            time.sleep(0.005)


@contextmanager
def _watching(server: EmulatorServer) -> Iterator[_Watch]:
    watch = _Watch(server)
    thread = threading.Thread(target=watch.run, daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        watch._stop.set()
        thread.join(5)


@contextmanager
def _servers(write_suite: Write, judge_models: str) -> Iterator[tuple[str, EmulatorServer]]:
    """The candidates' emulator URL and the judge's emulator, both running."""
    candidates = load_emulator_config(write_suite(CANDIDATES, "candidates.yaml"))
    judge = load_emulator_config(write_suite(judge_models, "judge.yaml"))
    with EmulatorServer(candidates) as cand_url:
        server = EmulatorServer(judge)
        server.start()
        try:
            yield cand_url, server
        finally:
            server.stop()


def _suite(
    write_suite: Write,
    cand_url: str,
    judge: EmulatorServer,
    *,
    grader: str = "",
    cases: int,
    head: str = "",
    bad: bool = False,
    plain: int = 0,
) -> Path:
    """``cases`` judged cases (echo: each output differs, so each judgement is asked once)."""
    where = _where(cand_url)
    adapters = f"  good: {{type: gradient-adapter, model_adapter_id: {GOOD}, {where}}}\n"
    if bad:
        adapters += f"  bad: {{type: gradient-adapter, model_adapter_id: {BAD}, {where}}}\n"
    adapters += (
        f"  grader: {{type: gradient-base, base_model_slug: judge, role: judge, "
        f"{_where(judge.base_url)}{grader}}}\n"
    )
    body = "".join(
        f"  - id: j{i}\n    prompt: question {i}\n    expect: [contains: echo, {RUBRIC}]\n"
        for i in range(cases)
    )
    body += "".join(
        f"  - id: p{i}\n    prompt: plain {i}\n    expect: [contains: echo]\n" for i in range(plain)
    )
    return write_suite(f"name: judged\n{head}adapters:\n{adapters}cases:\n{body}")


def _judges(run_dir: Path) -> dict[str, Any]:
    block: dict[str, Any] = read_manifest(run_dir).execution["judges"]
    return block


# -- (a) the judge's own limits hold ----------------------------------------------------------


def test_judge_calls_are_spaced_by_the_judges_rpm(write_suite: Write, tmp_path: Path) -> None:
    """rpm 120: a turn every 0.5 s, however fast the candidates answer (concurrency 8)."""
    n = 4
    with _servers(write_suite, _judge_models()) as (cand_url, judge):
        path = _suite(
            write_suite, cand_url, judge, grader=", rpm: 120", cases=n, head="concurrency: 8\n"
        )
        with _watching(judge) as watch:
            outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
    records = list(read_records(outcome.run_dir))
    assert len(records) == n and all(r.passed and r.error is None for r in records)
    assert len(watch.done_at) == n  # one judge call per case: the emulator counted each
    gaps = [b - a for a, b in zip(watch.done_at, watch.done_at[1:], strict=False)]
    # 0.5 s apart by the limiter; sampled every 5 ms on a loaded machine, so 0.35 s at least
    assert min(gaps) >= 0.35, gaps
    judges = _judges(outcome.run_dir)
    assert judges["grader"]["rpm"] == 120
    assert (judges["grader"]["calls"], judges["grader"]["cache_hits"]) == (n, 0)
    assert (judges["grader"]["retries"], judges["grader"]["errors"]) == (0, 0)


def test_judge_concurrency_limit_holds_at_the_judges_server(
    write_suite: Write, tmp_path: Path
) -> None:
    """A slow judge with concurrency 2: never more than 2 of its calls in flight, while the
    run's own limit (8) would let 6 through at once."""
    n = 6
    models = _judge_models(latency="{delay_ms: 300}")
    with _servers(write_suite, models) as (cand_url, judge):
        path = _suite(
            write_suite,
            cand_url,
            judge,
            grader=", concurrency: 2",
            cases=n,
            head="concurrency: 8\n",
        )
        with _watching(judge) as watch:
            outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
    assert all(r.passed for r in read_records(outcome.run_dir))
    assert len(watch.done_at) == n
    assert watch.peak_in_flight == 2  # the limit held, and was used
    assert _judges(outcome.run_dir)["grader"]["concurrency"] == 2


def test_a_candidate_that_also_judges_shares_one_lane_for_both(
    write_suite: Write, tmp_path: Path
) -> None:
    """One adapter with rpm 120 answers its cases and judges them: one turn every 0.5 s for
    its case requests and its judge calls together, not 120 rpm each."""
    n = 3
    with _servers(write_suite, _judge_models()) as (_, judge):
        where = _where(judge.base_url)
        cases = "".join(
            f"  - id: s{i}\n    prompt: self {i}\n"
            "    expect: [llm_judge: {judge: me, rubric: Is right., min: 0.5}]\n"
            for i in range(n)
        )
        path = write_suite(
            "name: self-judged\nconcurrency: 8\nadapters:\n"
            f"  me: {{type: gradient-base, base_model_slug: judge, rpm: 120, {where}}}\n"
            f"cases:\n{cases}"
        )
        with _watching(judge) as watch:
            outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
    assert all(r.passed for r in read_records(outcome.run_dir))
    assert len(watch.done_at) == 2 * n  # n case requests and n judge calls
    gaps = [b - a for a, b in zip(watch.done_at, watch.done_at[1:], strict=False)]
    assert min(gaps) >= 0.35, gaps
    assert _judges(outcome.run_dir)["me"]["calls"] == n


# -- (b) a judge that fails for a while is retried -------------------------------------------

RETRIES = (
    "retries: {max_attempts: 8, backoff_s: 0.01, jitter: 0, retry_on: [rate_limited, timeout]}\n"
)


@pytest.mark.parametrize(
    ("faults", "head", "status"),
    [
        ("{rate_limit: 0.5, retry_after_s: 0}", RETRIES, "429"),
        ("{hang: 0.5, hang_s: 60}", RETRIES + "request_timeout_s: 1\n", None),
    ],
    ids=["429", "timeout"],
)
def test_a_judge_that_fails_then_answers_is_retried_and_the_cases_pass(
    write_suite: Write, tmp_path: Path, faults: str, head: str, status: str | None
) -> None:
    n = 4
    with _servers(write_suite, _judge_models(faults=faults)) as (cand_url, judge):
        path = _suite(write_suite, cand_url, judge, cases=n, head=head)
        outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path, run_id="r"))
        stats = judge.stats()
    records = list(read_records(outcome.run_dir))
    assert all(r.passed and r.error is None for r in records), [r.error for r in records]
    counts = _judges(outcome.run_dir)["grader"]
    assert counts["calls"] == n and counts["errors"] == 0
    assert counts["retries"] >= 1  # the seeded faults hit at least one call
    if status is not None:  # each retry followed one 429 from the judge's server
        assert stats["by_status"][status] == counts["retries"]
        assert _completions(stats) == n + counts["retries"]


# -- (c) a judge that cannot answer errors the case; the case is missing, not failed -----------


def test_a_judge_that_always_fails_errors_the_case_and_it_is_left_out_of_the_figures(
    write_suite: Write, tmp_path: Path
) -> None:
    """good passes the 4 plain cases, bad fails them; the 4 judged cases cannot be graded."""
    faults = "{rate_limit: 1.0, retry_after_s: 0}"
    head = "retries: {max_attempts: 2, backoff_s: 0.01, jitter: 0}\n"
    with _servers(write_suite, _judge_models(faults=faults)) as (cand_url, judge):
        path = _suite(write_suite, cand_url, judge, cases=4, plain=4, head=head, bad=True)
        outcome = run_suite(
            load_suite(path), RunOptions(output_dir=tmp_path, run_id="r", record=True)
        )
        stats = judge.stats()

    judged = [r for r in read_records(outcome.run_dir) if r.case_id.startswith("j")]
    assert len(judged) == 8
    for r in judged:
        assert r.error is not None and r.error.origin == "judge", r.error
        assert r.error.type == "rate_limited" and r.error.status == 429
        assert r.error.message.startswith("judge 'grader' could not answer (2 attempts): ")
        assert r.passed is False and r.score is None
        # the candidate's answer is kept: output, timing and its other checks
        assert r.output is not None and r.latency_ms is not None and r.timing is not None
        contains, rubric = r.expectations
        assert contains.name == "contains" and contains.measured
        assert contains.passed is (r.adapter == "good")
        assert rubric.name == "llm_judge" and not rubric.measured
        assert "judge 'grader' could not answer" in rubric.reason

    summary = summarize_run(outcome.run_dir)
    good, bad = summary.adapter("good"), summary.adapter("bad")
    figures = [(a.cases, a.passed, a.failed, a.errored, a.judge_errored) for a in (good, bad)]
    assert figures == [(8, 4, 0, 0, 4), (8, 0, 4, 0, 4)]
    assert (good.pass_rate, good.distinct_cases, bad.pass_rate) == (1.0, 4, 0.0)
    (pair,) = summary.comparisons
    assert pair.shared_cases == 4 and pair.both_failed == 0  # judged cases: missing, not failed
    assert (pair.a_passed_b_failed, pair.b_passed_a_failed) == (4, 0)
    assert pair.p_value == pytest.approx(0.125)
    assert {f.case_id for f in summary.failures if f.outcome == "error"} == {
        f"j{i}" for i in range(4)
    }

    totals = {a.name: a for a in run_totals(outcome.run_dir).adapters}
    assert (totals["good"].pass_rate, totals["bad"].pass_rate) == (1.0, 0.0)
    assert totals["good"].judge_errored == 4 and not totals["good"].never_answered
    assert len(totals["good"].latencies_ms) == 8  # the judged cases were answered and timed

    counts = _judges(outcome.run_dir)["grader"]
    # 8 distinct judgements (each candidate's outputs differ), each tried twice, each failed
    assert counts == {
        "rpm": None,
        "concurrency": None,
        "request_timeout_s": counts["request_timeout_s"],
        "max_attempts": 2,
        "calls": 8,
        "cache_hits": 0,
        "retries": 8,
        "errors": 8,
    }
    assert _completions(stats) == stats["by_status"]["429"] == 16
    assert read_manifest(outcome.run_dir).status == "completed"

    # --record keeps each candidate's answer (a replay re-asks the judge) and every judge try
    cassette = (outcome.run_dir / "cassette.jsonl").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in cassette.splitlines()]
    asked = [e for e in entries if e["role"] == "candidate"]
    assert len(asked) == 16 and all(e["error"] is None for e in asked)
    tries = [e for e in entries if e["role"] == "judge"]
    assert len(tries) == 16 and all(e["error"]["type"] == "rate_limited" for e in tries)


def test_a_run_whose_judge_never_answers_completes_it_is_not_every_request_failing(
    write_suite: Write, tmp_path: Path
) -> None:
    """Every case judged, the judge always 500: the candidate answered every request, so the
    CLI neither says "every request failed" nor exits 5; run.json counts the judge's errors."""
    with _servers(write_suite, _judge_models(faults="{server_error: 1.0}")) as (cand_url, judge):
        path = _suite(write_suite, cand_url, judge, cases=3)
        out = tmp_path / "out"
        command = ["run", str(path), "-o", str(out), "--run-id", "r", "-q", "--no-reports"]
        proc = subprocess.run(
            [sys.executable, "-m", "harness", *command],
            cwd=tmp_path,
            # this checkout first, wherever the package is installed
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path[1:]])},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert "every request failed" not in proc.stdout + proc.stderr
    manifest = read_manifest(out / "r")
    assert manifest.status == "completed"
    counts = manifest.execution["judges"]["grader"]
    assert (counts["calls"], counts["retries"], counts["errors"]) == (3, 0, 3)  # 500: not retried
    records = list(read_records(out / "r"))
    assert [r.error.origin if r.error else None for r in records] == ["judge"] * 3
    assert all(r.error and r.error.status == 500 for r in records)
