"""The Gradient LLMs against the project's emulator: sync via gradientai, async via aiohttp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage, CompletionResponse

from harness.adapters.gradient import GradientBaseModelLLM, GradientModelAdapterLLM
from harness.emulator import EmulatorServer
from harness.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

from .conftest import (
    BASE_SLUG,
    COMPLETE_ONLY_SLUG,
    OTHER_SLUG,
    RETRY_AFTER_S,
    TOKEN,
    UNKNOWN_ID,
    WORKSPACE,
)

MakeAdapter = Callable[..., GradientModelAdapterLLM]
MakeBase = Callable[..., GradientBaseModelLLM]
CAPITAL = "What is the capital of France?"


def routes(server: EmulatorServer) -> dict[str, int]:
    by_route: dict[str, int] = server.stats()["by_route"]
    return by_route


async def collect(gen: Any) -> list[CompletionResponse]:
    return [chunk async for chunk in gen]


async def acomplete_and_close(
    llm: GradientModelAdapterLLM | GradientBaseModelLLM, *a: Any, **kw: Any
) -> CompletionResponse:
    try:
        response: CompletionResponse = await llm.acomplete(*a, **kw)
        return response
    finally:
        await llm.aclose()


# -- completions -------------------------------------------------------------------------------


def test_complete(make_adapter: MakeAdapter) -> None:
    response = make_adapter("echo").complete(CAPITAL)
    assert response.text == "Paris"
    assert response.raw == {"generatedOutput": "Paris", "finishReason": "stop"}
    assert response.additional_kwargs == {"finish_reason": "stop"}


def test_acomplete(make_adapter: MakeAdapter) -> None:
    response = asyncio.run(acomplete_and_close(make_adapter("echo"), CAPITAL))
    assert response.text == "Paris"
    assert response.raw == {"generatedOutput": "Paris", "finishReason": "stop"}
    assert response.additional_kwargs == {"finish_reason": "stop"}


def test_max_tokens_field_is_sent_and_finish_reason_kept(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo", max_tokens=2)
    response = llm.complete("count 6")
    assert response.text == "one two"
    assert response.raw == {"generatedOutput": "one two", "finishReason": "length"}
    assert response.additional_kwargs["finish_reason"] == "length"


def test_max_tokens_kwarg_overrides_the_field(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo", max_tokens=2)
    assert llm.complete("count 6", max_tokens=4).text == "one two three four"
    aresponse = asyncio.run(acomplete_and_close(llm, "count 6", max_tokens=3))
    assert aresponse.text == "one two three"
    assert aresponse.additional_kwargs["finish_reason"] == "length"


def test_options_pass_through_on_both_paths(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")
    guidance = {"type": "choice", "value": ["yes", "no"]}
    options = {"temperature": 0.2, "top_k": 5, "top_p": 0.9, "auto_template": False}
    assert llm.complete("say yes please", guidance=guidance, **options).text == "yes"
    aresponse = asyncio.run(acomplete_and_close(llm, "say no", guidance=guidance, **options))
    assert aresponse.text == "no"


def test_stream_complete_yields_one_whole_chunk(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")
    chunks = list(llm.stream_complete(CAPITAL))
    assert len(chunks) == 1
    assert chunks[0].text == chunks[0].delta == "Paris"
    assert chunks[0].raw == {"generatedOutput": "Paris", "finishReason": "stop"}
    assert llm.streaming_emulated is True


def test_stream_complete_sends_nothing_until_iterated(
    make_adapter: MakeAdapter, emulator: EmulatorServer
) -> None:
    llm = make_adapter("echo")
    llm.validate_settings()
    gen = llm.stream_complete(CAPITAL)
    assert emulator.stats()["requests"] == 0
    assert next(gen).delta == "Paris"
    assert routes(emulator)["complete"] == 1


def test_astream_complete_yields_one_whole_chunk(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")

    async def main() -> list[CompletionResponse]:
        try:
            return await collect(await llm.astream_complete(CAPITAL))
        finally:
            await llm.aclose()

    chunks = asyncio.run(main())
    assert len(chunks) == 1
    assert chunks[0].text == chunks[0].delta == "Paris"
    assert chunks[0].additional_kwargs == {"finish_reason": "stop"}


# -- chat through messages_to_prompt -----------------------------------------------------------


def test_chat(make_adapter: MakeAdapter) -> None:
    response = make_adapter("echo").chat([ChatMessage(role="user", content="hi")])
    assert response.message.role == "assistant"
    assert response.message.content == "echo: user: hi\nassistant: "
    assert response.raw == {"generatedOutput": response.message.content, "finishReason": "stop"}


def test_stream_chat(make_adapter: MakeAdapter) -> None:
    chunks = list(make_adapter("echo").stream_chat([ChatMessage(role="user", content="hi")]))
    assert len(chunks) == 1
    assert chunks[0].message.content == chunks[0].delta == "echo: user: hi\nassistant: "


def test_achat_and_astream_chat(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")
    messages = [ChatMessage(role="user", content="hi")]

    async def main() -> tuple[Any, list[Any]]:
        try:
            response = await llm.achat(messages)
            chunks = [c async for c in await llm.astream_chat(messages)]
            return response, chunks
        finally:
            await llm.aclose()

    response, chunks = asyncio.run(main())
    assert response.message.content == "echo: user: hi\nassistant: "
    assert [c.delta for c in chunks] == ["echo: user: hi\nassistant: "]


def test_achat_does_not_block_the_event_loop(make_adapter: MakeAdapter) -> None:
    # A ticker task keeps running while achat waits on a 500 ms model only if the loop is free.
    llm = make_adapter("slow")
    messages = [ChatMessage(role="user", content="hi")]

    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        try:
            await llm.achat(messages)
        finally:
            task.cancel()
            await llm.aclose()
        return ticks

    assert asyncio.run(main()) >= 5  # the ticker ran while the request waited


# -- base models by slug -----------------------------------------------------------------------


def test_base_model_complete_and_acomplete(make_base: MakeBase, emulator: EmulatorServer) -> None:
    llm = make_base(BASE_SLUG)
    assert llm.complete("hello").text == "base says: hello"
    assert llm.complete("again").text == "base says: again"
    assert asyncio.run(acomplete_and_close(llm, "async")).text == "base says: async"
    assert routes(emulator)["list_models"] == 1  # resolved once, cached for both paths


def test_base_model_resolves_on_the_async_path_first(
    make_base: MakeBase, emulator: EmulatorServer
) -> None:
    llm = make_base(OTHER_SLUG)

    async def main() -> list[CompletionResponse]:
        try:
            return list(await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(10))))
        finally:
            await llm.aclose()

    assert all(r.text == "Simulated answer from other base." for r in asyncio.run(main()))
    assert routes(emulator)["list_models"] == 1


def test_base_model_without_fine_tune_capability_is_found(make_base: MakeBase) -> None:
    # The API lists only fineTune-capable models unless asked for capability=any, as the SDK does.
    llm = make_base(COMPLETE_ONLY_SLUG)
    assert llm.complete("hi").text == "Simulated answer from complete only."
    assert (
        asyncio.run(acomplete_and_close(llm, "hi")).text == "Simulated answer from complete only."
    )


def test_unknown_slug_lists_the_available_ones(make_base: MakeBase) -> None:
    llm = make_base("llama2-7b-chatt")
    for run in (lambda: llm.complete("x"), lambda: asyncio.run(acomplete_and_close(llm, "x"))):
        with pytest.raises(ModelNotFoundError) as info:
            run()
        message = str(info.value)
        assert "unknown base model slug 'llama2-7b-chatt'" in message
        assert "did you mean 'llama2-7b-chat'?" in message
        assert f"available: {COMPLETE_ONLY_SLUG}, {BASE_SLUG}, {OTHER_SLUG}" in message


# -- adapter lookup ----------------------------------------------------------------------------


def test_adapter_is_looked_up_once(make_adapter: MakeAdapter, emulator: EmulatorServer) -> None:
    llm = make_adapter("echo")
    llm.complete("a")
    llm.complete("b")
    asyncio.run(acomplete_and_close(llm, "c"))
    assert routes(emulator) == {"get_model": 1, "complete": 3}


def test_aprepare_resolves_the_model_before_any_completion(
    make_adapter: MakeAdapter, emulator: EmulatorServer
) -> None:
    llm = make_adapter("echo")

    async def prepare_then_complete() -> list[dict[str, int]]:
        await llm.aprepare()
        after_prepare = dict(routes(emulator))
        await llm.acomplete("a")
        await llm.aclose()
        return [after_prepare, dict(routes(emulator))]

    after_prepare, after_complete = asyncio.run(prepare_then_complete())
    assert after_prepare == {"get_model": 1}
    assert after_complete == {"get_model": 1, "complete": 1}


def test_aprepare_raises_what_first_use_would(make_adapter: MakeAdapter) -> None:
    llm = make_adapter(UNKNOWN_ID)
    with pytest.raises(ModelNotFoundError):
        asyncio.run(llm.aprepare())


def test_unknown_adapter_id(make_adapter: MakeAdapter) -> None:
    llm = make_adapter(UNKNOWN_ID)
    for run in (lambda: llm.complete("x"), lambda: asyncio.run(acomplete_and_close(llm, "x"))):
        with pytest.raises(ModelNotFoundError) as info:
            run()
        assert info.value.status == 404
        assert f"model adapter '{UNKNOWN_ID}'" in str(info.value)
        assert "unknownModelAdapter" in str(info.value)


def test_wrong_length_id_sends_nothing(make_adapter: MakeAdapter, emulator: EmulatorServer) -> None:
    llm = make_adapter("x" * 49)
    with pytest.raises(ConfigurationError, match="exactly 50 characters long"):
        llm.complete("x")
    with pytest.raises(ConfigurationError, match="exactly 50 characters long"):
        asyncio.run(acomplete_and_close(llm, "x"))
    assert emulator.stats()["requests"] == 0


# -- errors, on both paths ---------------------------------------------------------------------


def both_paths(llm: GradientModelAdapterLLM, prompt: str = "x") -> list[Exception]:
    """The exception each path raises for the same request."""
    errors: list[Exception] = []
    for run in (
        lambda: llm.complete(prompt),
        lambda: asyncio.run(acomplete_and_close(llm, prompt)),
    ):
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the caller
            errors.append(exc)
        else:
            pytest.fail("expected an error")
    return errors


def test_bad_token_is_an_authentication_error(make_adapter: MakeAdapter) -> None:
    wrong = "sk-wrong-token-Qv7"
    for error in both_paths(make_adapter("echo", access_token=wrong)):
        assert isinstance(error, AuthenticationError)
        assert error.status == 401
        assert "HTTP 401" in str(error) and "invalid access token" in str(error)
        assert wrong not in str(error) and TOKEN not in str(error)


def test_wrong_workspace_is_an_authentication_error(make_adapter: MakeAdapter) -> None:
    for error in both_paths(make_adapter("echo", workspace_id="someone-else")):
        assert isinstance(error, AuthenticationError)
        assert error.status == 403
        assert "check the workspace id" in str(error)
        assert TOKEN not in str(error)


def test_rate_limit_carries_retry_after(make_adapter: MakeAdapter) -> None:
    for error in both_paths(make_adapter("limited")):
        assert isinstance(error, RateLimitedError)
        assert error.status == 429
        assert error.retry_after_s == RETRY_AFTER_S
        assert f"retry after {RETRY_AFTER_S}s" in str(error)
        assert "model adapter" in str(error)


def test_server_error(make_adapter: MakeAdapter) -> None:
    for error in both_paths(make_adapter("broken")):
        assert isinstance(error, ServerError)
        assert error.status == 500
        assert "internal server error (injected)" in str(error)


def test_timeout_against_a_hanging_model(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("hanging", timeout=0.5)
    started = time.monotonic()
    errors = both_paths(llm)
    assert time.monotonic() - started < 30  # the hang lasts 60 s; two timeouts are ~1 s
    for error in errors:
        assert isinstance(error, RequestTimeoutError)
        assert "no answer within 0.5s" in str(error)


def test_connection_refused(closed_port_url: str) -> None:
    llm = GradientModelAdapterLLM(
        model_adapter_id=UNKNOWN_ID,
        host=closed_port_url,
        access_token=TOKEN,
        workspace_id=WORKSPACE,
    )
    for error in both_paths(llm):
        assert isinstance(error, ConnectionFailedError)
        assert closed_port_url in str(error)
        assert TOKEN not in str(error)
    llm.close()


# -- concurrency -------------------------------------------------------------------------------


def test_acomplete_is_not_capped_at_eight(
    make_adapter: MakeAdapter, emulator: EmulatorServer
) -> None:
    """64 concurrent acompletes on a 500 ms model: the emulator sees far more than 8 at once."""
    llm = make_adapter("slow")
    n = 64

    async def main() -> tuple[list[CompletionResponse], int]:
        peak = 0
        done = asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, (await asyncio.to_thread(emulator.stats))["in_flight"])
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        try:
            results = await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(n)))
        finally:
            done.set()
            await watcher
            await llm.aclose()
        return list(results), peak

    results, peak = asyncio.run(main())
    assert [r.text for r in results] == ["slow answer"] * n
    assert peak > 8, f"at most {peak} requests were in flight at once"
    assert routes(emulator)["complete"] == n


def test_sync_complete_from_many_threads(
    make_adapter: MakeAdapter, emulator: EmulatorServer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    llm = make_adapter("echo")
    with ThreadPoolExecutor(16) as pool:
        texts = list(pool.map(lambda i: llm.complete(f"t{i}").text, range(32)))
    assert texts == [f"echo: t{i}" for i in range(32)]
    assert routes(emulator)["get_model"] == 1


# -- settings from the environment, lifecycle --------------------------------------------------


def test_environment_fallbacks_end_to_end(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, model_id: Callable[[str], str]
) -> None:
    monkeypatch.setenv("GRADIENT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GRADIENT_WORKSPACE_ID", WORKSPACE)
    monkeypatch.setenv("GRADIENT_API_URL", emulator.base_url)
    llm = GradientModelAdapterLLM(model_adapter_id=model_id("echo"))
    assert llm.complete(CAPITAL).text == "Paris"
    assert asyncio.run(acomplete_and_close(llm, CAPITAL)).text == "Paris"
    llm.close()


def test_arguments_win_over_environment(
    monkeypatch: pytest.MonkeyPatch, make_adapter: MakeAdapter
) -> None:
    monkeypatch.setenv("GRADIENT_ACCESS_TOKEN", "sk-env-token-that-is-wrong")
    monkeypatch.setenv("GRADIENT_WORKSPACE_ID", "env-workspace-that-is-wrong")
    monkeypatch.setenv("GRADIENT_API_URL", "http://127.0.0.1:9/api")
    assert make_adapter("echo").complete(CAPITAL).text == "Paris"


def test_close_then_reuse(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")
    assert llm.complete("a").text == "echo: a"
    llm.close()
    llm.close()  # idempotent
    assert llm.complete("b").text == "echo: b"


def test_one_llm_across_several_event_loops(make_adapter: MakeAdapter) -> None:
    # asyncio.run closes the loop's session at loop shutdown even without aclose()
    llm = make_adapter("echo")
    assert asyncio.run(llm.acomplete("one")).text == "echo: one"
    assert asyncio.run(llm.acomplete("two")).text == "echo: two"
    llm.close()


def test_close_from_outside_closes_a_session_of_an_idle_loop(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(llm.acomplete("idle")).text == "echo: idle"
        sessions = llm._http.sessions()
        assert len(sessions) == 1 and not sessions[0].closed
        llm.close()
        assert sessions[0].closed
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_sync_close_inside_the_running_loop_closes_its_session(make_adapter: MakeAdapter) -> None:
    llm = make_adapter("echo")

    async def main() -> bool:
        await llm.acomplete("inside")
        (session,) = llm._http.sessions()
        llm.close()  # cannot await here: the close is scheduled on this loop
        for _ in range(100):
            if session.closed:
                break
            await asyncio.sleep(0.01)
        return session.closed

    assert asyncio.run(main()) is True
    assert llm._http.sessions() == []
