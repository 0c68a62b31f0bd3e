"""OpenAI request bodies without HTTP: what is accepted, and which ``param`` a problem names."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator.openai_request import (
    BadRequest,
    GenerationRequest,
    parse_generation_request,
)


def test_a_full_completion_body() -> None:
    parsed = parse_generation_request(
        {
            "model": "m",
            "prompt": ["say  three words"],
            "max_tokens": 7,
            "temperature": 0,
            "top_p": 1,
            "stop": "\n",
            "stream": True,
            "stream_options": {"include_usage": True},
            "n": 1,
            "logit_bias": {"50256": -100},  # accepted and ignored, as vLLM does
        },
        chat=False,
    )
    assert parsed == GenerationRequest(
        model="m",
        prompt="say  three words",
        messages=(),
        prompt_tokens=3,
        max_tokens=7,
        stop=("\n",),
        stream=True,
        include_usage=True,
    )


def test_a_chat_body_with_text_parts_and_a_tool_calling_assistant() -> None:
    parsed = parse_generation_request(
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "be terse"},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}],
                },
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "user", "content": "again"},
            ],
            "max_tokens": 9,
            "max_completion_tokens": 4,
            "stream": None,
            "stream_options": None,
        },
        chat=True,
    )
    assert parsed.messages == (
        ("system", "be terse"),
        ("user", "hi there"),
        ("assistant", ""),
        ("user", "again"),
    )
    assert parsed.prompt is None
    assert parsed.prompt_tokens == 5
    assert parsed.max_tokens == 4  # max_completion_tokens wins
    assert (parsed.stream, parsed.include_usage, parsed.stop) == (False, False, ())


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ([], None, "JSON object"),
        ({"prompt": "x"}, "model", "'model' is required"),
        ({"model": 3, "prompt": "x"}, "model", "'model' is required"),
        ({"model": "m"}, "prompt", "'prompt' is required"),
        ({"model": "m", "prompt": ["a", "b"]}, "prompt", "list of 2"),
        ({"model": "m", "prompt": [1, 2]}, "prompt", "token ids"),
        ({"model": "m", "prompt": "x", "max_tokens": 0}, "max_tokens", ">= 1"),
        ({"model": "m", "prompt": "x", "max_tokens": True}, "max_tokens", ">= 1"),
        ({"model": "m", "prompt": "x", "temperature": 3}, "temperature", "0 to 2"),
        ({"model": "m", "prompt": "x", "top_p": "1"}, "top_p", "0 to 1"),
        ({"model": "m", "prompt": "x", "n": 2}, "n", "'n' must be 1"),
        ({"model": "m", "prompt": "x", "stream": "yes"}, "stream", "true or false"),
        ({"model": "m", "prompt": "x", "stop": ""}, "stop", "non-empty"),
        ({"model": "m", "prompt": "x", "stop": ["a", 1]}, "stop", "non-empty"),
        (
            {"model": "m", "prompt": "x", "stream_options": {"include_usage": True}},
            "stream_options",
            "only allowed when 'stream' is true",
        ),
        (
            {"model": "m", "prompt": "x", "stream": True, "stream_options": {"include_usage": 1}},
            "stream_options",
            "include_usage",
        ),
    ],
)
def test_completion_problems_name_their_param(body: Any, param: str | None, fragment: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_generation_request(body, chat=False)
    assert info.value.param == param
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("messages", "param", "fragment"),
    [
        (None, "messages", "required"),
        ([], "messages", "non-empty"),
        (["hi"], "messages[0]", "'role' and 'content'"),
        ([{"role": "robot", "content": "x"}], "messages[0].role", "one of assistant"),
        ([{"role": "user"}], "messages[0].content", "required for role 'user'"),
        ([{"role": "user", "content": 3}], "messages[0].content", "string or a list"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            "messages[0].content",
            "text content only",
        ),
    ],
)
def test_chat_problems_name_their_param(messages: Any, param: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_generation_request({"model": "m", "messages": messages}, chat=True)
    assert info.value.param == param
    assert fragment in info.value.message
