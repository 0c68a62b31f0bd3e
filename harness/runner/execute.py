"""One (case, adapter) attempt → CaseRecord: a failure becomes an errored record, not a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from harness.errors import AdapterError
from harness.metrics import JudgeContext, Observation
from harness.metrics.base import JudgeError
from harness.records import CaseRecord, ErrorInfo, MetricResult, Timing
from harness.records.redaction import redact  # before clipping: half a secret matches nothing
from harness.runner.send import Sent, send
from harness.runner.timing import derive_timing, emulation, throughput
from harness.suite.expand import Case, passes

__all__ = [
    "build_record",
    "count_tokens",
    "error_info",
    "execute_case",
    "judge_error_info",
    "redact",
]


def error_info(exc: BaseException, secrets: Iterable[str]) -> ErrorInfo:
    """What a record (or cassette) keeps of a failure: kind, scrubbed message, HTTP status."""
    if isinstance(exc, AdapterError):
        return ErrorInfo(type=exc.kind, message=redact(str(exc), secrets), status=exc.status)
    if isinstance(exc, asyncio.TimeoutError):
        # A sync-only LLM's timeout says that its call may still be running in its thread.
        message = redact(str(exc), secrets) or "no complete answer within the request timeout"
        return ErrorInfo(type="timeout", message=message)
    message = redact(str(exc) or exc.__class__.__name__, secrets)
    # Other clients' errors (openai's, via llama-index) carry the HTTP status as status_code:
    # kept, so reports can tell a refused key from a missing model.
    status = getattr(exc, "status_code", None)
    return ErrorInfo(
        type=exc.__class__.__name__,
        message=message[:2000],
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
    )


def _finish_reason(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("finishReason", raw.get("finish_reason"))
        return str(value) if value is not None else None
    return None


def _not_measured(name: str, why: str) -> MetricResult:
    return MetricResult(name=name, passed=True, measured=False, reason=f"not measured: {why}")


def judge_error_info(exc: JudgeError, secrets: Iterable[str]) -> ErrorInfo:
    """The record's error when its judge could not answer: the judge's, naming the judge."""
    cause = error_info(exc.cause, secrets)
    tries = f"{exc.attempts} attempt{'s' if exc.attempts != 1 else ''}"
    return cause.model_copy(
        update={
            "message": f"judge {exc.adapter!r} could not answer ({tries}): {cause.message}",
            "origin": "judge",
        }
    )


async def _score(
    case: Case,
    obs: Observation,
    judge: JudgeContext | None,
    untimed: str | None = None,
    secrets: tuple[str, ...] = (),
) -> tuple[list[MetricResult], ErrorInfo | None]:
    """Every expectation's result, and the first judge error (the case is then not graded).

    ``untimed`` says why timing bounds cannot be checked. An expectation whose judge could
    not answer is "not measured", neither a pass nor a fail.
    """
    results: list[MetricResult] = []
    judge_error: ErrorInfo | None = None
    for expectation in case.expectations:
        try:
            if untimed is not None and expectation.metric.measures_timing:
                results.append(_not_measured(expectation.metric.name, untimed))
            elif expectation.metric.needs_judge:
                if judge is None:
                    raise RuntimeError("no judge adapters are available in this run")
                results.append(await expectation.evaluate_async(obs, judge))
            else:
                results.append(expectation.evaluate(obs))
        except JudgeError as exc:
            info = judge_error_info(exc, secrets)
            judge_error = judge_error or info
            results.append(_not_measured(expectation.metric.name, info.message[:500]))
        except Exception as exc:  # a broken check fails the check, not the run
            results.append(
                MetricResult(
                    name=expectation.metric.name,
                    passed=False,
                    reason=redact(f"the check itself failed: {exc!r}", secrets)[:500],
                )
            )
    return results, judge_error


def _replay_source(llm: Any) -> dict[str, Any] | None:
    """A replay adapter's cassette, adapter and timing mode; None for a live adapter."""
    source = getattr(llm, "replay_source", None)
    return source if isinstance(source, dict) else None


def _recorded_offsets(raw: Any) -> list[int]:
    """The recorded chunk offsets (ns from 0) of a replayed response; empty when absent."""
    recorded = raw.get("harness_replay") if isinstance(raw, dict) else None
    if not isinstance(recorded, dict):
        return []
    return [int(t) for t in recorded.get("chunk_offsets_ns") or []]


def _recorded_timing(raw: Any, streaming_emulated: bool) -> Timing | None:
    """The recording's own times, from a replayed response (offsets from 0, in ns)."""
    recorded = raw.get("harness_replay") if isinstance(raw, dict) else None
    if not isinstance(recorded, dict):
        return None
    offsets = _recorded_offsets(raw)
    end = int(recorded.get("end_offset_ns") or 0)
    return derive_timing(0, offsets, end, streaming_emulated=streaming_emulated)


def _source(replay: dict[str, Any] | None) -> str:
    """How a timed reply's figures were taken: "replayed" (recorded gaps) or "measured"."""
    return "measured" if replay is None else "replayed"


def _usage_tokens(raw: Any) -> int | None:
    """completion_tokens from an OpenAI-style usage block, when the adapter reported one."""
    usage = raw.get("usage") if isinstance(raw, dict) else None
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        return int(usage["completion_tokens"])
    return None


def count_tokens(text: str, raw: Any) -> tuple[int | None, str | None]:
    """Output tokens and where the count came from: the adapter's usage, else the tokenizer."""
    reported = _usage_tokens(raw)
    if reported is not None:
        return reported, "usage"
    if not text:
        return 0, None
    from harness.metrics.tokens import token_counter

    counter = token_counter()
    return counter.count(text), counter.name


async def build_record(
    case: Case,
    adapter_name: str,
    llm: Any,
    outcome: Sent | BaseException,
    *,
    run_id: str,
    started_at: str,
    secrets: tuple[str, ...] = (),
    repeat: int = 0,
    seq: int = 0,
    attempts: int = 1,
    queue_wait_ms: float = 0.0,
    judge: JudgeContext | None = None,
    latency_ms: float | None = None,
    cached: bool = False,
) -> CaseRecord:
    """Score a reply (or record a failure) as the CaseRecord that goes to results.jsonl.

    A ``cached`` reply was served from the response cache: it is scored, never timed. A
    reply from a ``replay`` adapter is marked ``replayed``; replayed with its recorded gaps it
    is timed as usual (``timing_source`` "replayed"), replayed instantly it carries the
    recorded times (``timing_source`` "recorded"), and its latency and TTFT bounds score
    "not measured": a fresh near-zero time is never presented as a measurement. A reply whose
    judge could not answer keeps its output, times and other checks, with the judge's error
    (``origin`` "judge"): errored, not failed.
    """
    declared = bool(getattr(llm, "streaming_emulated", False))
    replay = _replay_source(llm)
    replayed_timing = replay is not None and replay.get("timing") == "recorded"
    instant = replay is not None and not replayed_timing
    # Observed from this run's stamps, or from the recording's when replayed at once.
    emulated, emulated_by = declared, ("adapter" if declared else None)
    if isinstance(outcome, Sent) and not cached:
        if instant:
            emulated, emulated_by = emulation(
                declared, 0, _recorded_offsets(outcome.raw), outcome.text
            )
        else:
            emulated, emulated_by = emulation(
                declared, outcome.sent_ns, outcome.chunk_ns, outcome.text
            )
    common: dict[str, Any] = {
        "run_id": run_id,
        "case_id": case.id,
        "adapter": adapter_name,
        "repeat": repeat,
        "cluster": case.cluster,
        "seq": seq,
        "attempts": attempts,
        "queue_wait_ms": queue_wait_ms,
        "prompt": case.prompt,
        "streaming_emulated": emulated,
        "streaming_emulated_by": emulated_by,
        "started_at": started_at,
        "tags": list(case.tags),
        "replayed": replay is not None,
    }
    if isinstance(outcome, BaseException):
        return CaseRecord(
            **common,
            output=None,
            passed=False,
            score=0.0,
            latency_ms=None if instant else latency_ms,
            timing_source=None if instant or latency_ms is None else _source(replay),
            error=error_info(outcome, secrets),
        )
    timing: Timing | None
    untimed: str | None = None
    if cached:
        timing, untimed = None, "the reply was served from the response cache; nothing was timed"
    elif instant:
        assert replay is not None
        timing = _recorded_timing(outcome.raw, emulated)
        untimed = (
            f"the reply was replayed at once from {replay['cassette']} (timing: instant); "
            "the record shows the recorded times, replay with timing: recorded to check them"
        )
    else:
        timing = derive_timing(
            outcome.sent_ns, outcome.chunk_ns, outcome.end_ns, streaming_emulated=emulated
        )
    tokens, source = count_tokens(outcome.text, outcome.raw)
    per_s, decode = (None, None) if timing is None else throughput(timing, tokens)
    obs = Observation(
        output=outcome.text,
        prompt=case.prompt,
        case_id=case.id,
        vars=case.vars,
        tags=case.tags,
        latency_ms=None if timing is None or untimed else timing.latency_ms,
        ttft_ms=None if timing is None or untimed else timing.ttft_ms,
        streaming_emulated=emulated,
        output_tokens=tokens,
        adapter=adapter_name,
    )
    results, judge_error = await _score(case, obs, judge, untimed, secrets)
    passed, score = passes(
        case.pass_rule,
        [
            (r.passed, r.score, e.weight)
            for r, e in zip(results, case.expectations, strict=True)
            if r.measured
        ],
    )
    graded = judge_error is None  # else neither passed nor failed: readers leave it out
    return CaseRecord(
        **common,
        output=outcome.text,
        passed=passed and graded,
        score=score if graded else None,
        expectations=results,
        latency_ms=None if timing is None else timing.latency_ms,
        ttft_ms=None if timing is None else timing.ttft_ms,
        cached=cached,
        timing_source=None if timing is None else ("recorded" if instant else _source(replay)),
        output_chars=len(outcome.text),
        output_tokens=tokens,
        output_tokens_source=source,
        tokens_per_s=per_s,
        decode_tokens_per_s=decode,
        finish_reason=_finish_reason(outcome.raw),
        timing=timing,
        error=judge_error,
    )


async def execute_case(
    case: Case,
    adapter_name: str,
    llm: Any,
    *,
    run_id: str,
    timeout_s: float,
    secrets: tuple[str, ...] = (),
    repeat: int = 0,
    judge: JudgeContext | None = None,
) -> CaseRecord:
    """Send one case once and score it; a failure is recorded, not raised (no retries)."""
    started_at = datetime.now(timezone.utc).isoformat()
    start_ns = time.perf_counter_ns()
    outcome: Sent | BaseException
    try:
        outcome = await send(llm, case, timeout_s)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a failing adapter fails its case, not the run
        outcome = exc
    return await build_record(
        case,
        adapter_name,
        llm,
        outcome,
        run_id=run_id,
        started_at=started_at,
        secrets=secrets,
        repeat=repeat,
        judge=judge,
        latency_ms=(time.perf_counter_ns() - start_ns) / 1e6,
    )
