"""Noisy-model configs and an OpenAI-SDK helper shared by the noise tests."""

from __future__ import annotations

from typing import Any

import openai

from harness.emulator import EmulatorConfig, EmulatorServer

SUM_RULE = {
    "regex": r"^What is (\d+) \+ (\d+)\?$",
    "answer": "{{ match[1]|int + match[2]|int }}",
}


def prompts(count: int, start: int = 0) -> list[str]:
    """Distinct arithmetic questions; the right answer is the sum."""
    return [f"What is {17 * i + 3} + {29 * i + 11}?" for i in range(start, start + count)]


def right(prompt: str) -> str:
    a, b = prompt.removeprefix("What is ").removesuffix("?").split(" + ")
    return str(int(a) + int(b))


def noisy(name: str, skill: float | None, **extra: Any) -> dict[str, Any]:
    model: dict[str, Any] = {"name": name, "base_model": "base", "responses": [SUM_RULE]}
    if skill is not None:
        model["skill"] = skill
    return {**model, **extra}


def noisy_config(seed: int, *models: dict[str, Any]) -> EmulatorConfig:
    return EmulatorConfig.model_validate(
        {"seed": seed, "models": [{"name": "base", "slug": "base"}, *models]}
    )


def answers_at(openai_base_url: str, model: str, questions: list[str]) -> list[str]:
    """One completion per question, in order, through the official ``openai`` SDK."""
    with openai.OpenAI(base_url=openai_base_url, api_key="k", max_retries=0) as client:
        return [client.completions.create(model=model, prompt=q).choices[0].text for q in questions]


def answers(server: EmulatorServer, model: str, questions: list[str]) -> list[str]:
    return answers_at(server.openai_base_url, model, questions)


def correctness(server: EmulatorServer, model: str, questions: list[str]) -> list[bool]:
    outputs = answers(server, model, questions)
    return [a == right(q) for a, q in zip(outputs, questions, strict=True)]
