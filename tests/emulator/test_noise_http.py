"""Noisy models over real loopback HTTP through the ``openai`` and ``gradientai`` SDKs.

Seeded: every figure below is the same on every run; tolerances are the binomial ones, so a
change in the documented model (skill = expected accuracy, shared difficulty, per-request
draws) fails them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import gradientai

from harness.emulator import EmulatorConfig, EmulatorServer
from harness.emulator.noise import difficulty, p_correct

from .noise_support import answers, correctness, noisy, noisy_config, prompts, right

Start = Callable[[EmulatorConfig], EmulatorServer]


def phi(x: list[bool], y: list[bool]) -> float:
    n11 = sum(a and b for a, b in zip(x, y, strict=True))
    n1_, n_1, n = sum(x), sum(y), len(x)
    return (n * n11 - n1_ * n_1) / math.sqrt(n1_ * (n - n1_) * n_1 * (n - n_1))


def test_without_skill_every_answer_is_right(start_server: Start) -> None:
    server = start_server(noisy_config(0, noisy("plain", None)))
    assert all(correctness(server, "plain", prompts(50)))


def test_same_seed_same_answers_byte_for_byte(start_server: Start) -> None:
    models = (noisy("m", 0.5, consistency=0.5), noisy("n", 0.7))
    questions = prompts(60) * 2  # repeats: the per-request redraws must replay too
    runs = []
    for _ in range(2):
        server = start_server(noisy_config(42, *models))
        runs.append([answers(server, name, questions) for name in ("m", "n")])
    assert runs[0] == runs[1]
    assert any(a != right(q) for a, q in zip(runs[0][0], questions, strict=True))


def test_different_seeds_draw_independently(start_server: Start) -> None:
    questions = prompts(300)
    one, two = (
        correctness(start_server(noisy_config(seed, noisy("m", 0.5))), "m", questions)
        for seed in (1, 2)
    )
    # Independent given the shared difficulty: they disagree on about 2·Σ p(1-p) prompts.
    ps = [p_correct(0.5, difficulty(q)) for q in questions]
    expected = sum(2 * p * (1 - p) for p in ps)
    sd = math.sqrt(sum(2 * p * (1 - p) * (1 - 2 * p * (1 - p)) for p in ps))
    disagree = sum(a != b for a, b in zip(one, two, strict=True))
    assert abs(disagree - expected) <= 3 * sd, (disagree, expected, sd)
    assert disagree > 0


def test_skill_is_the_expected_accuracy(start_server: Start) -> None:
    questions = prompts(400)
    server = start_server(noisy_config(7, noisy("m", 0.8)))
    outputs = answers(server, "m", questions)
    accuracy = sum(a == right(q) for a, q in zip(outputs, questions, strict=True)) / 400
    # Each prompt is right with probability 0.8 marginally (difficulty is uniform over prompts).
    assert abs(accuracy - 0.8) <= 3 * math.sqrt(0.8 * 0.2 / 400), accuracy
    # A wrong answer is the built-in one, which shares no word with the right one.
    assert {a for a, q in zip(outputs, questions, strict=True) if a != right(q)} == {
        "I am not sure."
    }
    wrong = sum(a != right(q) for a, q in zip(outputs, questions, strict=True))
    assert server.stats()["wrong_answers"] == {server.config.model("m").model_id: wrong}


def test_hard_questions_are_hard_for_every_model(start_server: Start) -> None:
    questions = prompts(400, start=1000)
    server = start_server(noisy_config(3, noisy("v1", 0.75), noisy("v2", 0.65)))
    v1, v2 = (correctness(server, name, questions) for name in ("v1", "v2"))
    assert phi(v1, v2) > 0.2, phi(v1, v2)
    assert sum(v1) > sum(v2)


def test_consistency_sets_how_often_repeats_agree(start_server: Start) -> None:
    questions = prompts(100, start=500)
    server = start_server(
        noisy_config(
            5,
            noisy("fresh", 0.5, consistency=0.0),
            noisy("half", 0.5, consistency=0.5),
            noisy("firm", 0.5, consistency=1.0),
        )
    )
    for name, differs in (("fresh", True), ("half", True), ("firm", False)):
        rounds = [correctness(server, name, questions) for _ in range(4)]
        changed = sum(len(set(per_prompt)) > 1 for per_prompt in zip(*rounds, strict=True))
        assert (changed > 10) if differs else (changed == 0), (name, changed)


def test_rule_and_model_wrong_answers(start_server: Start) -> None:
    rule = {"regex": r"^capital of (\w+)\?$", "answer": "{{ match[1] }}!", "wrong": "Lyon?"}
    model = noisy("zero", 0.0, wrong_answer="no idea about {{ prompt }}")
    model["responses"] = [rule, *model["responses"]]
    server = start_server(noisy_config(0, model))
    outputs = answers(server, "zero", ["capital of France?", "What is 1 + 2?"])
    assert outputs == ["Lyon?", "no idea about What is 1 + 2?"]


def test_gradient_api_draws_as_the_openai_api(start_server: Start) -> None:
    questions = prompts(40)
    config = noisy_config(9, noisy("m", 0.5))
    via_openai = answers(start_server(config), "m", questions)
    server = start_server(config)
    with gradientai.Gradient(access_token="t", workspace_id="w", host=server.base_url) as g:
        adapter = g.get_model_adapter(model_adapter_id=config.model("m").model_id)
        via_gradient = [adapter.complete(query=q).generated_output for q in questions]
    assert via_gradient == via_openai
    wrong = sum(a != right(q) for a, q in zip(via_gradient, questions, strict=True))
    assert wrong > 0
    assert server.stats()["wrong_answers"] == {config.model("m").model_id: wrong}
