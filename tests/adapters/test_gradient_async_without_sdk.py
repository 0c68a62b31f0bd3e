"""The Gradient LLMs' async path runs without importing ``gradientai`` (a fresh interpreter).

``import gradientai`` costs about half a second, on the way to a run's first request; the async
path builds bodies and reads answers with ``gradient_wire`` instead. The sync path still uses the
SDK, which also shows that the check can see the SDK load.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from .conftest import BASE_SLUG, TOKEN, WORKSPACE

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys

    from harness.adapters.gradient import GradientBaseModelLLM, GradientModelAdapterLLM
    from harness.emulator import EmulatorConfig, EmulatorServer, SimulatedModel

    TOKEN, WORKSPACE, BASE_SLUG = sys.argv[1:4]
    config = EmulatorConfig(
        seed=0,
        access_token=TOKEN,
        workspace_id=WORKSPACE,
        models=[
            SimulatedModel(name="base", slug=BASE_SLUG, default="base says: {{ prompt }}"),
            SimulatedModel(
                name="echo",
                base_model=BASE_SLUG,
                responses=[{"prompt": "What is the capital of France?", "answer": "Paris"}],
                default="echo: {{ prompt }}",
            ),
        ],
    )

    def gradient_modules():
        return sorted(m for m in sys.modules if m.split(".")[0] == "gradientai")

    async def use(llm):
        await llm.aprepare()
        options = {"temperature": 0.0, "top_k": 5, "top_p": 0.9, "auto_template": False}
        response = await llm.acomplete("What is the capital of France?", **options)
        guidance = {"type": "choice", "value": ["yes", "no"]}
        gen = await llm.astream_complete("say no", guidance=guidance, max_tokens=10)
        chunks = [chunk async for chunk in gen]
        await llm.aclose()
        return {
            "text": response.text,
            "finish_reason": response.additional_kwargs["finish_reason"],
            "chunks": [chunk.delta for chunk in chunks],
        }

    server = EmulatorServer(config)
    server.start()
    try:
        common = {"host": server.base_url, "access_token": TOKEN, "workspace_id": WORKSPACE}
        adapter = GradientModelAdapterLLM(
            model_adapter_id=config.model("echo").model_id, max_tokens=50, **common
        )
        base = GradientBaseModelLLM(base_model_slug=BASE_SLUG, **common)
        result = {"before": gradient_modules()}
        result["adapter"] = asyncio.run(use(adapter))
        result["base"] = asyncio.run(use(base))
        result["after_async"] = gradient_modules()
        result["routes"] = server.stats()["by_route"]
        result["sync"] = adapter.complete("What is the capital of France?").text
        result["after_sync"] = "gradientai" in sys.modules
        adapter.close()
        base.close()
    finally:
        server.stop()
    print(json.dumps(result))
    """
)


def run_script() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, TOKEN, WORKSPACE, BASE_SLUG],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_prepare_complete_and_stream_without_the_sdk() -> None:
    result = run_script()
    assert result["before"] == []
    assert result["after_async"] == []
    assert result["adapter"] == {
        "text": "Paris",
        "finish_reason": "stop",
        "chunks": ["no"],
    }
    assert result["base"]["text"] == "base says: What is the capital of France?"
    assert result["base"]["chunks"] == ["no"]
    # Every call really went to the server: two lookups, a listing, four completions.
    routes = result["routes"]
    assert routes.get("get_model") == 1 and routes.get("list_models") == 1, routes
    assert routes.get("complete") == 4, routes
    # The sync path loads the SDK: the check above would have seen it.
    assert result["sync"] == "Paris"
    assert result["after_sync"] is True
