"""One (case, adapter) attempt → CaseRecord: a failure becomes an errored record, not a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from harness.errors import AdapterError
from harness.metrics import JudgeContext, Observation
from harness.records import CaseRecord, ErrorInfo, MetricResult
from harness.runner.timing import derive_timing
from harness.suite.expand import Case, passes

__all__ = ["execute_case", "redact"]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _error_info(exc: BaseException, secrets: Iterable[str]) -> ErrorInfo:
    if isinstance(exc, AdapterError):
        return ErrorInfo(type=exc.kind, message=redact(str(exc), secrets), status=exc.status)
    if isinstance(exc, asyncio.TimeoutError):
        return ErrorInfo(type="timeout", message="no complete answer within the request timeout")
    message = redact(str(exc) or exc.__class__.__name__, secrets)
    return ErrorInfo(type=exc.__class__.__name__, message=message[:2000])


def _finish_reason(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("finishReason", raw.get("finish_reason"))
        return str(value) if value is not None else None
    return None


async def _stream(llm: Any, case: Case) -> tuple[str, list[int], Any]:
    """Send the case, stamping each non-empty chunk as it arrives."""
    chunk_ns: list[int] = []
    text = ""
    raw: Any = None
    if case.messages is not None:
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role=role, content=content) for role, content in case.messages]
        stream = await llm.astream_chat(messages, **case.generation)
    else:
        stream = await llm.astream_complete(case.prompt, **case.generation)
    last: Any = None
    async for response in stream:
        if response.delta:
            chunk_ns.append(time.perf_counter_ns())
            text += response.delta
        last = response
    if last is not None:
        raw = last.raw
        if not text:  # an adapter that fills text but not delta
            text = response_text(last)
    return text, chunk_ns, raw


def response_text(response: Any) -> str:
    """The full text of a completion or chat response."""
    text = getattr(response, "text", None)
    if text is None:
        text = getattr(getattr(response, "message", None), "content", None)
    return str(text or "")


async def _score(case: Case, obs: Observation, judge: JudgeContext | None) -> list[MetricResult]:
    results: list[MetricResult] = []
    for expectation in case.expectations:
        try:
            if expectation.metric.needs_judge:
                if judge is None:
                    raise RuntimeError("no judge adapters are available in this run")
                results.append(await expectation.evaluate_async(obs, judge))
            else:
                results.append(expectation.evaluate(obs))
        except Exception as exc:  # a broken check fails the check, not the run
            results.append(
                MetricResult(
                    name=expectation.metric.name,
                    passed=False,
                    reason=f"the check itself failed: {exc!r}"[:500],
                )
            )
    return results


async def execute_case(
    case: Case,
    adapter_name: str,
    llm: Any,
    *,
    run_id: str,
    timeout_s: float,
    secrets: tuple[str, ...] = (),
    setup_error: BaseException | None = None,
    repeat: int = 0,
    judge: JudgeContext | None = None,
) -> CaseRecord:
    """Run one case on one adapter, measure it, score it; errors are recorded, not raised.

    ``setup_error`` is the adapter's failed set-up: the case fails with it, sending nothing.
    """
    emulated = bool(getattr(llm, "streaming_emulated", False))
    started_at = datetime.now(timezone.utc).isoformat()
    sent_ns = time.perf_counter_ns()
    try:
        if setup_error is not None:
            raise setup_error
        text, chunk_ns, raw = await asyncio.wait_for(_stream(llm, case), timeout_s)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a failing adapter fails its case, not the run
        end_ns = time.perf_counter_ns()
        return CaseRecord(
            run_id=run_id,
            case_id=case.id,
            adapter=adapter_name,
            repeat=repeat,
            prompt=case.prompt,
            output=None,
            passed=False,
            score=0.0,
            expectations=[],
            latency_ms=None if setup_error is not None else (end_ns - sent_ns) / 1e6,
            streaming_emulated=emulated,
            error=_error_info(exc, secrets),
            started_at=started_at,
            tags=list(case.tags),
        )
    end_ns = time.perf_counter_ns()
    timing = derive_timing(sent_ns, chunk_ns, end_ns, streaming_emulated=emulated)
    obs = Observation(
        output=text,
        prompt=case.prompt,
        case_id=case.id,
        vars=case.vars,
        tags=case.tags,
        latency_ms=timing.latency_ms,
        ttft_ms=timing.ttft_ms,
        streaming_emulated=emulated,
        adapter=adapter_name,
    )
    results = await _score(case, obs, judge)
    passed, score = passes(
        case.pass_rule,
        [(r.passed, r.score, e.weight) for r, e in zip(results, case.expectations, strict=True)],
    )
    return CaseRecord(
        run_id=run_id,
        case_id=case.id,
        adapter=adapter_name,
        repeat=repeat,
        prompt=case.prompt,
        output=text,
        passed=passed,
        score=score,
        expectations=results,
        latency_ms=timing.latency_ms,
        ttft_ms=timing.ttft_ms,
        streaming_emulated=emulated,
        output_chars=len(text),
        finish_reason=_finish_reason(raw),
        timing=timing,
        started_at=started_at,
        tags=list(case.tags),
    )
