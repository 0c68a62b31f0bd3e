"""Validates OpenAI ``/v1/completions`` and ``/v1/chat/completions`` bodies: pure, no HTTP.

Checked: ``model`` (required string); ``prompt`` (a string or a list of one string) or
``messages`` (a non-empty list of ``{role, content}``, content a string, a list of text parts,
or null for an assistant); ``max_tokens`` (and, for chat, ``max_completion_tokens``, which wins)
an integer >= 1; ``temperature`` 0..2 and ``top_p`` 0..1 (accepted, no effect on the answer);
``stop`` a string or a list of non-empty strings; ``stream`` a boolean; ``stream_options``
(``{include_usage: bool}``, only with ``stream: true``); ``n`` 1. Nulls mean absent. Other
OpenAI parameters are accepted and ignored, as vLLM does. The first problem found is raised as
:class:`BadRequest`, naming the parameter as OpenAI's ``param``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ROLES", "BadRequest", "GenerationRequest", "parse_generation_request"]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class BadRequest(Exception):
    """A 400 ``invalid_request_error``: what was wrong, and with which parameter."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True)
class GenerationRequest:
    """A validated completion or chat request.

    ``prompt`` is the completion prompt (``None`` for chat); ``messages`` the chat messages as
    (role, content) pairs. ``prompt_tokens`` counts whitespace tokens of the prompt, or of
    every message's content (roles not counted).
    """

    model: str
    prompt: str | None
    messages: tuple[tuple[str, str], ...]
    prompt_tokens: int
    max_tokens: int | None
    stop: tuple[str, ...]
    stream: bool
    include_usage: bool


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _max_tokens(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise BadRequest(f"'{key}' must be an integer >= 1, got {_show(value)}", key)
    return int(value)


def _prompt(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        return prompt[0]
    if isinstance(prompt, str):
        return prompt
    if prompt is None:
        raise BadRequest("'prompt' is required", "prompt")
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        raise BadRequest(
            f"'prompt' must be one string; the emulator answers a single prompt per request, "
            f"got a list of {len(prompt)}",
            "prompt",
        )
    raise BadRequest(
        f"'prompt' must be a string or a list of one string (token ids are not supported), "
        f"got {_show(prompt)}",
        "prompt",
    )


def _content(message: dict[str, Any], at: str, role: str) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if content is None:
        if role == "assistant":  # an assistant turn that only called tools
            return ""
        raise BadRequest(f"'{at}.content' is required for role '{role}'", f"{at}.content")
    if isinstance(content, list):
        texts: list[str] = []
        for j, part in enumerate(content):
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise BadRequest(
                    f"'{at}.content[{j}]' must be {{type: 'text', text: string}}; "
                    "the emulator supports text content only",
                    f"{at}.content",
                )
            texts.append(part["text"])
        return "".join(texts)
    raise BadRequest(
        f"'{at}.content' must be a string or a list of text parts, got {_show(content)}",
        f"{at}.content",
    )


def _messages(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    messages = body.get("messages")
    if messages is None:
        raise BadRequest("'messages' is required", "messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list of {role, content}", "messages")
    out: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        at = f"messages[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(f"'{at}' must be an object with 'role' and 'content'", at)
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise BadRequest(
                f"'{at}.role' must be one of {', '.join(sorted(ROLES))}, got {_show(role)}",
                f"{at}.role",
            )
        out.append((role, _content(message, at, role)))
    return tuple(out)


def parse_generation_request(body: Any, *, chat: bool) -> GenerationRequest:
    """Validate a decoded JSON body; raises :class:`BadRequest` with the first problem."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("'model' is required: a model name, slug or id", "model")
    prompt: str | None = None
    messages: tuple[tuple[str, str], ...] = ()
    if chat:
        messages = _messages(body)
        prompt_tokens = sum(len(content.split()) for _, content in messages)
    else:
        prompt = _prompt(body)
        prompt_tokens = len(prompt.split())
    max_tokens = _max_tokens(body, "max_tokens")
    if chat:
        max_tokens = _max_tokens(body, "max_completion_tokens") or max_tokens
    for key, high in (("temperature", 2), ("top_p", 1)):
        value = body.get(key)
        if value is not None and (not _is_number(value) or not 0 <= value <= high):
            raise BadRequest(f"'{key}' must be a number from 0 to {high}, got {_show(value)}", key)
    n = body.get("n")
    if n is not None and (not _is_int(n) or n != 1):
        raise BadRequest(f"'n' must be 1: the emulator returns one choice, got {_show(n)}", "n")
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise BadRequest(f"'stream' must be true or false, got {_show(stream)}", "stream")
    return GenerationRequest(
        model=model,
        prompt=prompt,
        messages=messages,
        prompt_tokens=prompt_tokens,
        max_tokens=max_tokens,
        stop=_stop(body.get("stop")),
        stream=bool(stream),
        include_usage=_include_usage(body.get("stream_options"), bool(stream)),
    )


def _stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    items = [stop] if isinstance(stop, str) else stop
    if not isinstance(items, list) or not all(isinstance(s, str) and s for s in items):
        raise BadRequest(
            f"'stop' must be a non-empty string or a list of them, got {_show(stop)}", "stop"
        )
    return tuple(items)


def _include_usage(options: Any, stream: bool) -> bool:
    if options is None:
        return False
    if not stream:
        raise BadRequest("'stream_options' is only allowed when 'stream' is true", "stream_options")
    include = options.get("include_usage") if isinstance(options, dict) else None
    if not isinstance(options, dict) or not isinstance(include, (bool, type(None))):
        raise BadRequest(
            f"'stream_options' must be {{include_usage: true|false}}, got {_show(options)}",
            "stream_options",
        )
    return bool(include)


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
