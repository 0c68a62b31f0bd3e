"""The aiohttp application: the Gradient REST subset that ``gradientai`` 1.13 calls, plus
the OpenAI-compatible ``/v1`` routes (:mod:`harness.emulator.openai_api`).

Gradient routes are served under ``/api`` (the SDK's default base path) and at the root.
Status codes and error bodies (``{"type", "message"}`` with the SDK's error type names; a
bare ``{"message"}`` for auth) are listed in docs of :class:`EmulatorApp`. ``GET
/_emulator/stats`` counts the requests of both APIs. No message built here echoes the
bearer token.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from aiohttp import web

from harness.emulator.openai_api import OPENAI_PREFIX, OpenAIRoutes, openai_error
from harness.emulator.profiles import BASE_MODEL_SUFFIX, EmulatorConfig
from harness.emulator.simulate import CompiledModel, TemplateFailed
from harness.emulator.state import EmulatorState, Stats, json_bytes

__all__ = ["API_PREFIX", "MAX_GENERATED_TOKEN_COUNT", "EmulatorApp"]

API_PREFIX = "/api"
MAX_GENERATED_TOKEN_COUNT = 511  # the SDK's conint(gt=0, lt=512)
_CAPABILITIES = ("any", "complete", "fineTune")
_BOOLS = {"true": True, "false": False}
_JSON = "application/json"


def _respond(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json_bytes(data), content_type=_JSON, headers=headers)


def _error(status: int, kind: str | None, message: str, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if kind is not None:
        body["type"] = kind
    body.update(extra)
    return _respond(status, body)


def _parsing_error(kind: str, problems: dict[str, str]) -> web.Response:
    """422 with the SDK's parsing-error payload: one message per offending field."""
    message = "; ".join(f"{k}: {v}" for k, v in problems.items())
    return _error(
        422,
        kind,
        message,
        payload={
            "formattedValidationError": problems,
            "validationError": [{"path": [k], "message": v} for k, v in problems.items()],
        },
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_body(body: Any) -> tuple[dict[str, str], str, int | None, list[str] | None]:
    """Validate a complete body as the SDK's CompleteModelBodyParams does; nulls mean absent."""
    if not isinstance(body, dict):
        return {"body": "expected a JSON object"}, "", None, None
    problems: dict[str, str] = {}
    query = body.get("query")
    if not isinstance(query, str) or not query:
        problems["query"] = "required: a non-empty string"
        query = ""
    max_tokens = body.get("maxGeneratedTokenCount")
    if max_tokens is not None and (
        not _is_int(max_tokens) or not 0 < max_tokens <= MAX_GENERATED_TOKEN_COUNT
    ):
        problems["maxGeneratedTokenCount"] = (
            f"expected an integer from 1 to {MAX_GENERATED_TOKEN_COUNT}"
        )
        max_tokens = None
    for key in ("temperature", "topP"):
        if body.get(key) is not None and not _is_number(body[key]):
            problems[key] = "expected a number"
    if body.get("topK") is not None and not _is_int(body["topK"]):
        problems["topK"] = "expected an integer"
    if body.get("autoTemplate") is not None and not isinstance(body["autoTemplate"], bool):
        problems["autoTemplate"] = "expected true or false"
    rag = body.get("rag")
    if rag is not None and not (
        isinstance(rag, dict) and isinstance(rag.get("collectionId"), str) and rag["collectionId"]
    ):
        problems["rag"] = "expected an object with a non-empty string 'collectionId'"
    choices: list[str] | None = None
    guidance = body.get("guidance")
    if guidance is not None:
        value = guidance.get("value") if isinstance(guidance, dict) else None
        if (
            not isinstance(guidance, dict)
            or guidance.get("type") != "choice"
            or not isinstance(value, list)
            or not 1 <= len(value) <= 10
            or not all(isinstance(v, str) and 1 <= len(v) <= 32 for v in value)
        ):
            problems["guidance"] = (
                "expected {type: 'choice', value: [1 to 10 strings of 1 to 32 characters]}"
            )
        else:
            choices = value
    return problems, query, max_tokens, choices


class EmulatorApp:
    """Handlers and state of one emulator; build the aiohttp app with :meth:`build`.

    Statuses: 401 ``{"message"}`` when the ``Authorization: Bearer`` token is missing,
    malformed or (when the config fixes one) wrong; 403 ``{"message"}`` when the
    ``x-gradient-workspace-id`` header is missing or (when fixed) different; 404
    ``unknownModelAdapter`` / ``unknownBaseModel`` for an unknown id (the suffix of the id
    decides which); 422 ``bodyParsingError`` / ``queryOrPathParsingError`` with a
    ``payload``; 429 ``failed`` with ``Retry-After``; 500 ``failed`` for an injected server
    error or a failing answer template; 503 ``failed`` for requests released by shutdown. A
    disconnect fault closes the connection without a response.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self._state = EmulatorState(config)
        self._token = self._state.access_token
        self._workspace = config.workspace_id
        self._models: dict[str, CompiledModel] = self._state.models
        self._openai = OpenAIRoutes(self._state)
        self._listings: dict[tuple[bool, str], bytes] = {
            (only_base, capability): json_bytes(
                {
                    "models": [
                        m.listing
                        for m in self._models.values()
                        if (m.is_base or not only_base) and m.has_capability(capability)
                    ]
                }
            )
            for only_base in (True, False)
            for capability in _CAPABILITIES
        }
        self._details: dict[str, bytes] = {
            m.id: json_bytes(m.listing) for m in self._models.values() if not m.is_base
        }

    @property
    def stats(self) -> Stats:
        """The request counters of both APIs (replaced by :meth:`reset`)."""
        return self._state.stats

    def build(self) -> web.Application:
        """A fresh aiohttp application routing to this emulator's handlers."""
        app = web.Application()
        for prefix in (API_PREFIX, ""):
            app.router.add_get(f"{prefix}/models", self.list_models)
            app.router.add_get(f"{prefix}/models/{{id}}", self.get_model)
            app.router.add_post(f"{prefix}/models/{{id}}/complete", self.complete)
        self._openai.register(app)
        app.router.add_get("/_emulator/stats", self.get_stats)
        app.router.add_post("/_emulator/reset", self.post_reset)
        app.router.add_route("*", "/{tail:.*}", self.unknown_route)
        return app

    # -- shutdown ---------------------------------------------------------------------------

    def release_all(self) -> None:
        """Wake every waiting request (delays, hangs, streams) so shutdown never blocks on them."""
        self._state.release_all()

    def reset(self) -> None:
        """Forget request counts and prompt hits, so the next requests replay from the start."""
        self._state.reset()

    # -- auth -------------------------------------------------------------------------------

    def _denied(self, request: web.Request, route: str) -> web.Response | None:
        """The 401/403 answer (counted) when the credentials are refused, else None."""
        denied = self._check_credentials(request)
        if denied is not None:
            self.stats.count(route, None, denied.status)
        return denied

    def _check_credentials(self, request: web.Request) -> web.Response | None:
        headers = request.headers
        auth = headers.get("Authorization")
        if not auth:
            return _error(401, None, "missing Authorization header; expected 'Bearer <token>'")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(401, None, "malformed Authorization header; expected 'Bearer <token>'")
        if self._token is not None and not hmac.compare_digest(token.encode(), self._token):
            return _error(401, None, "invalid access token")
        workspace = headers.get("x-gradient-workspace-id")
        if not workspace:
            return _error(403, None, "missing x-gradient-workspace-id header")
        if self._workspace is not None and workspace != self._workspace:
            return _error(403, None, "this access token has no access to the requested workspace")
        return None

    # -- handlers ---------------------------------------------------------------------------

    async def list_models(self, request: web.Request) -> web.Response:
        denied = self._denied(request, "list_models")
        if denied is not None:
            return denied
        query = request.query
        problems: dict[str, str] = {}
        only_base = _BOOLS.get(query.get("onlyBase", "false").lower())
        if only_base is None:
            problems["onlyBase"] = "expected true or false"
        # The API's documented default for a missing capability is fineTune.
        capability = query.get("capability", "fineTune")
        if capability not in _CAPABILITIES:
            problems["capability"] = f"expected one of {', '.join(_CAPABILITIES)}"
        if problems or only_base is None:
            self.stats.count("list_models", None, 422)
            return _parsing_error("queryOrPathParsingError", problems)
        self.stats.count("list_models", None, 200)
        return web.Response(body=self._listings[(only_base, capability)], content_type=_JSON)

    async def get_model(self, request: web.Request) -> web.Response:
        model_id = request.match_info["id"]
        denied = self._denied(request, "get_model")
        if denied is not None:
            return denied
        body = self._details.get(model_id)
        if body is None:
            model = self._models.get(model_id)
            self.stats.count("get_model", model.id if model else None, 404)
            if model is not None:
                # GetModelSuccess describes adapters only; a base model is listed instead.
                return _error(
                    404,
                    "unknownModelAdapter",
                    f"model '{model_id}' is a base model, not a model adapter; "
                    "base models are listed by GET /models?onlyBase=true",
                )
            return _unknown_model(model_id)
        self.stats.count("get_model", model_id, 200)
        return web.Response(body=body, content_type=_JSON)

    async def complete(self, request: web.Request) -> web.Response:
        start = asyncio.get_running_loop().time()
        model_id = request.match_info["id"]
        denied = self._denied(request, "complete")
        if denied is not None:
            return denied
        model = self._models.get(model_id)
        if model is None:
            self.stats.count("complete", None, 404)
            return _unknown_model(model_id)
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            self.stats.count("complete", model_id, 422)
            return _parsing_error("bodyParsingError", {"body": f"invalid JSON: {exc}"})
        problems, prompt, max_tokens, choices = _check_body(body)
        if problems:
            self.stats.count("complete", model_id, 422)
            return _parsing_error("bodyParsingError", problems)
        n = self._state.next_hit(model_id, prompt)
        self.stats.in_flight += 1
        try:
            status, response = await self._complete(
                request, start, model, prompt, n, max_tokens, choices
            )
        finally:
            self.stats.in_flight -= 1
        self.stats.count("complete", model_id, status)
        return response

    async def _complete(
        self,
        request: web.Request,
        start: float,
        model: CompiledModel,
        prompt: str,
        n: int,
        max_tokens: int | None,
        choices: list[str] | None,
    ) -> tuple[int, web.Response]:
        try:
            outcome = model.decide(prompt, n, max_tokens, choices)
        except TemplateFailed as exc:
            return 500, _error(500, "failed", f"emulator answer template failed: {exc}")
        if outcome.kind == "rate_limit":
            body = {"type": "failed", "message": "rate limit exceeded (injected)"}
            return 429, _respond(429, body, {"Retry-After": str(outcome.retry_after_s)})
        if outcome.kind == "server_error":
            return 500, _error(500, "failed", "internal server error (injected)")
        self.stats.answered(model.id, outcome.correct)
        base = start + outcome.hang_s
        if outcome.disconnect_after is not None:
            if await self._state.sleep_until(base + outcome.disconnect_s):
                self.stats.disconnected += 1
                if request.transport is not None:
                    request.transport.close()
                return 0, web.Response(status=500)  # never sent: the connection is closed
        elif await self._state.sleep_until(base + outcome.delay_s):
            return 200, _respond(
                200, {"generatedOutput": outcome.text, "finishReason": outcome.finish_reason}
            )
        return 503, _error(503, "failed", "the emulator is shutting down")

    async def get_stats(self, request: web.Request) -> web.Response:
        return _respond(200, self.stats.snapshot())

    async def post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return _respond(200, self.stats.snapshot())

    async def unknown_route(self, request: web.Request) -> web.Response:
        self.stats.count("unknown", None, 404)
        message = f"no such route: {request.method} {_short(request.path)}"
        if request.path.startswith(OPENAI_PREFIX + "/"):
            return openai_error(404, message, code="unknown_url")
        return _error(404, None, message)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unknown_model(model_id: str) -> web.Response:
    if model_id.endswith(BASE_MODEL_SUFFIX):
        return _error(404, "unknownBaseModel", f"unknown base model '{_short(model_id)}'")
    return _error(404, "unknownModelAdapter", f"unknown model adapter '{_short(model_id)}'")
