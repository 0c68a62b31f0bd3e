"""The noise model without HTTP: difficulty, p_correct, wrong answers, drawn delays, YAML errors,
and ``emulator serve --seed`` in a real subprocess."""

from __future__ import annotations

import math
import signal
import statistics
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import norm

from harness.emulator import EmulatorServer, load_emulator_config
from harness.emulator.noise import (
    DISCRIMINATION,
    default_wrong_answer,
    difficulty,
    p_correct,
)
from harness.emulator.simulate import CompiledModel, compile_models

from .noise_support import answers_at, noisy, noisy_config, prompts
from .test_cli import first_line, serve
from .test_profiles import errors_of, write


def compiled(seed: int = 0, **latency: Any) -> CompiledModel:
    config = noisy_config(seed, noisy("m", None, latency=latency))
    return compile_models(config)[config.model("m").model_id]


def test_p_correct_is_the_documented_normal_ogive() -> None:
    a = DISCRIMINATION
    for skill, d in ((0.8, 0.3), (0.2, 0.9), (0.65, 0.5)):
        expected = norm.cdf(math.sqrt(1 + a * a) * norm.ppf(skill) - a * norm.ppf(d))
        assert p_correct(skill, d) == pytest.approx(expected, abs=1e-9)
    assert (p_correct(0.0, 0.01), p_correct(1.0, 0.99)) == (0.0, 1.0)


@pytest.mark.parametrize("skill", [0.1, 0.5, 0.75, 0.95])
def test_skill_is_the_mean_of_p_over_uniform_difficulty(skill: float) -> None:
    grid = [(i + 0.5) / 20000 for i in range(20000)]
    assert statistics.fmean(p_correct(skill, d) for d in grid) == pytest.approx(skill, abs=1e-3)


def test_difficulty_is_uniform_and_depends_on_the_normalised_prompt_only() -> None:
    ds = [difficulty(q) for q in prompts(4000)]
    assert all(0 < d < 1 for d in ds)
    for cut in (0.1, 0.25, 0.5, 0.9):  # binomial sd at n=4000 is at most 0.008
        assert abs(sum(d < cut for d in ds) / 4000 - cut) < 0.03
    assert difficulty("  What is  THE capital?\n") == difficulty("what is the capital?")
    assert difficulty("what is the capital?") != difficulty("what is a capital?")


@pytest.mark.parametrize(
    ("right", "wrong"),
    [("42", "I am not sure."), ("Not sure", "No idea, sorry."), ("I have no idea", "Cannot say.")],
)
def test_default_wrong_answer_shares_no_word_with_the_right_one(right: str, wrong: str) -> None:
    assert default_wrong_answer(right) == wrong


def outcomes(skill: float, consistency: float, repeats: int, count: int) -> list[list[bool]]:
    config = noisy_config(4, noisy("m", skill, consistency=consistency))
    model = compile_models(config)[config.model("m").model_id]
    return [
        [bool(model.decide(q, n, None).correct) for n in range(repeats)] for q in prompts(count)
    ]


def test_two_repeats_differ_as_documented() -> None:
    # P(differ) = (1 - c²)·2p(1 - p): each request keeps the latent draw with probability c.
    c, count = 0.5, 3000
    ps = [p_correct(0.6, difficulty(q)) for q in prompts(count)]
    each = [(1 - c * c) * 2 * p * (1 - p) for p in ps]
    differ = sum(a != b for a, b in outcomes(0.6, c, 2, count))
    sd = math.sqrt(sum(q * (1 - q) for q in each))
    assert abs(differ - sum(each)) <= 3 * sd, (differ, sum(each), sd)


def test_more_skill_only_turns_wrong_answers_right() -> None:
    weaker, stronger = (
        [right for row in outcomes(skill, 0.5, 3, 300) for right in row] for skill in (0.65, 0.75)
    )
    pairs = list(zip(weaker, stronger, strict=True))
    assert all(s for w, s in pairs if w)
    assert sum(s and not w for w, s in pairs) > 0


def test_a_wrong_guided_answer_is_another_choice() -> None:
    config = noisy_config(0, noisy("right", 1.0), noisy("wrong", 0.0))
    models = compile_models(config)
    for name, expected in (("right", "3"), ("wrong", "7")):
        outcome = models[config.model(name).model_id].decide("What is 1 + 2?", 0, None, ["3", "7"])
        assert (outcome.text, outcome.correct) == (expected, name == "right")


def test_old_fixed_latency_is_unchanged() -> None:
    model = compiled(delay_ms=50, per_token_ms=2)
    outcome = model.decide("What is 1 + 2?", 0, None)
    assert (outcome.ttft_s, outcome.per_token_s, outcome.correct) == (0.05, 0.002, None)
    assert outcome.delay_s == pytest.approx(0.052)


def test_lognormal_delay_median_spread_and_a_slower_median() -> None:
    lognormal = {"distribution": "lognormal", "spread": 0.3}
    fast = compiled(delay={**lognormal, "median_ms": 200})
    slow = compiled(delay={**lognormal, "median_ms": 260})
    questions = prompts(300)
    fast_s = [fast.decide(q, 0, None).ttft_s for q in questions]
    slow_s = [slow.decide(q, 0, None).ttft_s for q in questions]
    assert abs(statistics.median(fast_s) / 0.200 - 1) < 0.10, statistics.median(fast_s)
    assert abs(statistics.median(slow_s) / 0.260 - 1) < 0.10, statistics.median(slow_s)
    assert statistics.stdev(math.log(s) for s in fast_s) == pytest.approx(0.3, rel=0.15)
    # The same seeded draws: a 30% higher median makes every request 30% slower.
    assert all(s == pytest.approx(f * 1.3) for f, s in zip(fast_s, slow_s, strict=True))


def test_per_token_is_drawn_once_per_request_and_seeded() -> None:
    pace = {"distribution": "lognormal", "median_ms": 10, "spread": 0.5}
    model = compiled(per_token=pace)
    first = [model.decide(q, 0, None).per_token_s for q in prompts(200)]
    again = [model.decide(q, 0, None).per_token_s for q in prompts(200)]
    repeat = [model.decide(q, 1, None).per_token_s for q in prompts(200)]
    other_seed = [compiled(1, per_token=pace).decide(q, 0, None).per_token_s for q in prompts(200)]
    assert first == again
    assert len(set(first)) == 200 and statistics.median(first) == pytest.approx(0.010, rel=0.1)
    assert sum(a != b for a, b in zip(first, repeat, strict=True)) == 200
    assert sum(a != b for a, b in zip(first, other_seed, strict=True)) == 200
    outcome = model.decide("What is 1 + 2?", 0, None)  # answer "3": one token
    assert outcome.delay_s == pytest.approx(outcome.ttft_s + outcome.per_token_s)


FIELD_ERRORS = """
models:
  - name: base
    slug: base
  - name: a
    base_model: base
    skill: 1.5
    latency:
      delay_ms: 10
      delay: {distribution: lognormal, median_ms: 10}
  - name: b
    base_model: base
    skill: 0.5
    consistency: -1
    wrong_answer: "{{ nothing }}"
    latency:
      delay: {distribution: normal, median_ms: 1}
      per_token: {distribution: fixed, median_ms: 1, spread: 0.2}
"""
NEEDS_A_SKILL = """
models:
  - name: base
    slug: base
    consistency: 0.5
    wrong_answer: nope
    responses:
      - prompt: hi
        answer: hello
        wrong: bye
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            FIELD_ERRORS,
            [
                (6, "models[1].skill: input should be less than or equal to 1"),
                (8, "models[1].latency: ", "either 'delay_ms' or 'delay'"),
                (13, "models[2].consistency: input should be greater than or equal to 0"),
                (14, "models[2].wrong_answer: ", "undefined variable(s) nothing"),
                (16, "models[2].latency.delay.distribution: ", "'lognormal' or 'fixed'"),
                (17, "models[2].latency.per_token: 'spread' applies to distribution: lognormal"),
            ],
        ),
        (
            NEEDS_A_SKILL,
            [
                (4, "models[0].consistency: 'consistency' applies only to a model with a 'skill'"),
                (5, "models[0].wrong_answer: 'wrong_answer' applies only to a model with a "),
                (9, "models[0].responses[0].wrong: 'wrong' applies only to a model with a 'skill'"),
            ],
        ),
    ],
    ids=["field-errors", "needs-a-skill"],
)
def test_noise_keys_errors_point_at_their_lines(
    tmp_path: Path, text: str, expected: list[tuple[Any, ...]]
) -> None:
    path = write(tmp_path, text)
    errors = errors_of(path)
    assert len(errors) == len(expected), errors
    for error, (line, *fragments) in zip(errors, expected, strict=True):
        assert error.startswith(f"{path}:{line}:"), error
        assert all(fragment in error for fragment in fragments), error


def test_serve_seed_overrides_the_config_seed(tmp_path: Path) -> None:
    config = tmp_path / "noisy.yaml"
    config.write_text(
        "seed: 0\nmodels:\n  - {name: base, slug: base}\n  - name: m\n    base_model: base\n"
        "    skill: 0.5\n    responses:\n      - regex: '^What is (\\d+) \\+ (\\d+)\\?$'\n"
        "        answer: '{{ match[1]|int + match[2]|int }}'\n",
        encoding="utf-8",
    )
    loaded = load_emulator_config(config)
    questions = prompts(40)
    expected = {}
    for seed in (0, 5):
        with EmulatorServer(loaded.model_copy(update={"seed": seed})) as base_url:
            expected[seed] = answers_at(base_url.removesuffix("/api") + "/v1", "m", questions)
    assert expected[0] != expected[5]
    proc = serve(str(config), "--seed", "5")
    try:
        url = first_line(proc)
        got = answers_at(url.removesuffix("/api") + "/v1", "m", questions)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert got == expected[5]
    assert "(seed 5)" in err
