"""Every route and every error status over raw HTTP: exact statuses, headers and bodies."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator import EmulatorServer

from .support import AUTH, TOKEN, WORKSPACE, call, model_id


def complete(server: EmulatorServer, name: str, body: Any, prefix: str = "/api") -> Any:
    url = f"{server.root_url}{prefix}/models/{model_id(name)}/complete"
    return call("POST", url, body, AUTH)


@pytest.mark.parametrize("prefix", ["/api", ""])
def test_list_models_shapes(server: EmulatorServer, prefix: str) -> None:
    reply = call(
        "GET", f"{server.root_url}{prefix}/models?onlyBase=false&capability=any", None, AUTH
    )
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    models = reply.json["models"]
    base = models[0]
    assert base == {
        "id": model_id("base-a"),
        "name": "Base A",
        "slug": "base-a",
        "capabilities": ["complete", "fineTune"],
        "type": "baseModel",
    }
    adapter = next(m for m in models if m["type"] == "modelAdapter")
    assert adapter == {
        "id": model_id("adapter"),
        "name": "adapter",
        "baseModelId": model_id("base-a"),
        "latestUpdateTime": "2024-01-01T00:00:00.000Z",
        "type": "modelAdapter",
    }
    assert all(len(m["id"]) == 50 for m in models)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("onlyBase=true&capability=any", ["Base A", "Base C"]),
        ("onlyBase=True&capability=complete", ["Base A", "Base C"]),  # the SDK sends "True"
        ("onlyBase=true&capability=fineTune", ["Base A"]),
        ("onlyBase=true", ["Base A"]),  # the API's documented default capability is fineTune
        ("capability=any", ["Base A", "Base C", "adapter", "flaky", "failing", "slow"]),
    ],
)
def test_list_models_filters(server: EmulatorServer, query: str, names: list[str]) -> None:
    reply = call("GET", f"{server.base_url}/models?{query}", None, AUTH)
    assert [m["name"] for m in reply.json["models"]] == names


def test_list_models_rejects_bad_query(server: EmulatorServer) -> None:
    reply = call("GET", f"{server.base_url}/models?onlyBase=maybe&capability=fly", None, AUTH)
    assert reply.status == 422
    body = reply.json
    assert body["type"] == "queryOrPathParsingError"
    assert set(body["payload"]["formattedValidationError"]) == {"onlyBase", "capability"}


@pytest.mark.parametrize("prefix", ["/api", ""])
def test_get_model_adapter(server: EmulatorServer, prefix: str) -> None:
    reply = call("GET", f"{server.root_url}{prefix}/models/{model_id('adapter')}", None, AUTH)
    assert reply.status == 200
    assert reply.json["baseModelId"] == model_id("base-a")
    assert reply.json["type"] == "modelAdapter"


def test_get_model_on_a_base_model_is_404_with_a_hint(server: EmulatorServer) -> None:
    reply = call("GET", f"{server.base_url}/models/{model_id('base-a')}", None, AUTH)
    assert reply.status == 404
    assert reply.json["type"] == "unknownModelAdapter"
    assert "is a base model" in reply.json["message"]


@pytest.mark.parametrize(
    ("unknown", "kind"),
    [
        ("0" * 36 + "_model_adapter", "unknownModelAdapter"),
        ("0" * 36 + "_base_ml_model", "unknownBaseModel"),
    ],
)
def test_unknown_model_is_404(server: EmulatorServer, unknown: str, kind: str) -> None:
    for reply in (
        call("GET", f"{server.base_url}/models/{unknown}", None, AUTH),
        call("POST", f"{server.base_url}/models/{unknown}/complete", {"query": "hi"}, AUTH),
    ):
        assert reply.status == 404
        assert reply.json == {"type": kind, "message": reply.json["message"]}
        assert unknown in reply.json["message"]


@pytest.mark.parametrize("prefix", ["/api", ""])
def test_complete(server: EmulatorServer, prefix: str) -> None:
    reply = complete(server, "adapter", {"query": "What is 2+2?"}, prefix)
    assert reply.status == 200
    assert reply.json == {"generatedOutput": "4", "finishReason": "stop"}


def test_complete_accepts_every_sdk_field_and_nulls(server: EmulatorServer) -> None:
    body = {
        "query": "What is 2+2?",
        "maxGeneratedTokenCount": None,
        "temperature": 0.5,
        "topK": 3,
        "topP": 1,
        "autoTemplate": None,
        "guidance": None,
        "rag": {"collectionId": "c1"},
    }
    assert complete(server, "adapter", body).json["generatedOutput"] == "4"


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("What is 2+2?", "4"),  # exact rule
        ("capital of Peru?", "Peru!"),  # regex with a named group
        ("capital of Spain?", "Spain!"),  # the earlier regex rule wins over a later exact one
        ("What else?", "shadowed by nothing"),  # regex after an exact rule that did not match
        ("anything", "default from adapter to 'anything'"),  # default template
    ],
)
def test_rules(server: EmulatorServer, query: str, answer: str) -> None:
    assert complete(server, "adapter", {"query": query}).json["generatedOutput"] == answer


def test_truncation_keeps_spacing_and_says_length(server: EmulatorServer) -> None:
    reply = complete(server, "adapter", {"query": "repeat 4 la", "maxGeneratedTokenCount": 3})
    assert reply.json == {"generatedOutput": "la la la", "finishReason": "length"}
    exact = complete(server, "adapter", {"query": "repeat 4 la", "maxGeneratedTokenCount": 4})
    assert exact.json["finishReason"] == "stop"


def test_guidance_picks_one_of_the_choices(server: EmulatorServer) -> None:
    body = {"query": "capital of Peru?", "guidance": {"type": "choice", "value": ["Lima", "Peru!"]}}
    assert complete(server, "adapter", body).json["generatedOutput"] == "Peru!"
    body["guidance"] = {"type": "choice", "value": ["yes", "no"]}
    assert complete(server, "adapter", body).json["generatedOutput"] in {"yes", "no"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": 3}, "query"),
        ({"query": "q", "maxGeneratedTokenCount": 0}, "maxGeneratedTokenCount"),
        ({"query": "q", "maxGeneratedTokenCount": -1}, "maxGeneratedTokenCount"),
        ({"query": "q", "maxGeneratedTokenCount": 512}, "maxGeneratedTokenCount"),
        ({"query": "q", "maxGeneratedTokenCount": "10"}, "maxGeneratedTokenCount"),
        ({"query": "q", "maxGeneratedTokenCount": True}, "maxGeneratedTokenCount"),
        ({"query": "q", "maxGeneratedTokenCount": 2.5}, "maxGeneratedTokenCount"),
        ({"query": "q", "temperature": "hot"}, "temperature"),
        ({"query": "q", "topK": 1.5}, "topK"),
        ({"query": "q", "topP": False}, "topP"),
        ({"query": "q", "autoTemplate": "yes"}, "autoTemplate"),
        ({"query": "q", "guidance": {"type": "choice", "value": []}}, "guidance"),
        ({"query": "q", "guidance": {"type": "regex", "value": ["a"]}}, "guidance"),
        ({"query": "q", "rag": {"collectionId": ""}}, "rag"),
        (["query"], "body"),
    ],
)
def test_bad_body_is_422(server: EmulatorServer, body: Any, field: str) -> None:
    reply = complete(server, "adapter", body)
    assert reply.status == 422
    assert reply.json["type"] == "bodyParsingError"
    assert field in reply.json["payload"]["formattedValidationError"]
    assert reply.json["message"].startswith(field)


def test_invalid_json_is_422(server: EmulatorServer) -> None:
    url = f"{server.base_url}/models/{model_id('adapter')}/complete"
    reply = call("POST", url, headers=AUTH, raw=b"{not json")
    assert reply.status == 422
    assert reply.json["type"] == "bodyParsingError"
    assert "invalid JSON" in reply.json["message"]


def _routes(server: EmulatorServer) -> list[tuple[str, str, Any]]:
    adapter = model_id("adapter")
    return [
        ("GET", f"{server.base_url}/models", None),
        ("GET", f"{server.root_url}/models/{adapter}", None),
        ("POST", f"{server.base_url}/models/{adapter}/complete", {"query": "hi"}),
    ]


@pytest.mark.parametrize(
    ("headers", "status", "fragment"),
    [
        ({"x-gradient-workspace-id": WORKSPACE}, 401, "missing Authorization"),
        ({"Authorization": TOKEN, "x-gradient-workspace-id": WORKSPACE}, 401, "malformed"),
        ({"Authorization": "Basic abc", "x-gradient-workspace-id": WORKSPACE}, 401, "malformed"),
        ({"Authorization": "Bearer ", "x-gradient-workspace-id": WORKSPACE}, 401, "malformed"),
        ({"Authorization": "Bearer nope", "x-gradient-workspace-id": WORKSPACE}, 401, "invalid"),
        ({"Authorization": f"Bearer {TOKEN}"}, 403, "missing x-gradient-workspace-id"),
        (
            {"Authorization": f"Bearer {TOKEN}", "x-gradient-workspace-id": "other"},
            403,
            "workspace",
        ),
    ],
)
def test_auth_errors(
    server: EmulatorServer, headers: dict[str, str], status: int, fragment: str
) -> None:
    for method, url, body in _routes(server):
        reply = call(method, url, body, headers)
        assert reply.status == status, (method, url)
        assert set(reply.json) == {"message"}
        assert fragment in reply.json["message"]
        assert TOKEN not in reply.text
        assert "nope" not in reply.text


def test_any_token_and_workspace_when_config_fixes_none(start_server: Any) -> None:
    from .support import config

    srv = start_server(config(access_token=None, workspace_id=None))
    headers = {"Authorization": "Bearer whatever", "x-gradient-workspace-id": "any"}
    assert call("GET", f"{srv.base_url}/models", None, headers).status == 200
    assert (
        call("GET", f"{srv.base_url}/models", None, {"x-gradient-workspace-id": "a"}).status == 401
    )
    no_workspace = {"Authorization": "Bearer whatever"}
    assert call("GET", f"{srv.base_url}/models", None, no_workspace).status == 403


def test_rate_limit_is_429_with_retry_after(server: EmulatorServer) -> None:
    reply = complete(server, "flaky", {"query": "hi"})
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "7"
    assert reply.json["type"] == "failed"


def test_server_error_is_500(server: EmulatorServer) -> None:
    reply = complete(server, "failing", {"query": "hi"})
    assert reply.status == 500
    assert reply.json["type"] == "failed"


def test_failing_template_is_500_naming_the_rule(server: EmulatorServer) -> None:
    reply = complete(server, "adapter", {"query": "broken"})
    assert reply.status == 500
    assert reply.json["type"] == "failed"
    assert "responses[4].answer" in reply.json["message"]


def test_unknown_route_is_json_404(server: EmulatorServer) -> None:
    reply = call("GET", f"{server.base_url}/nothing/here", None, AUTH)
    assert reply.status == 404
    assert reply.json == {"message": "no such route: GET /api/nothing/here"}


def test_stats_and_reset(start_server: Any) -> None:
    from .support import config

    srv = start_server(config())
    adapter = model_id("adapter")
    complete(srv, "adapter", {"query": "What is 2+2?"})
    complete(srv, "adapter", {})
    complete(srv, "flaky", {"query": "x"})
    call("GET", f"{srv.base_url}/models", None, {})
    stats = call("GET", f"{srv.root_url}/_emulator/stats").json
    assert stats["requests"] == 4
    assert stats["by_status"] == {"200": 1, "401": 1, "422": 1, "429": 1}
    assert stats["by_route"] == {"complete": 3, "list_models": 1}
    assert stats["by_model"][adapter] == {"200": 1, "422": 1}
    assert srv.stats() == stats
    assert call("POST", f"{srv.root_url}/_emulator/reset").json["requests"] == 0
    srv.reset()
    assert srv.stats()["requests"] == 0
