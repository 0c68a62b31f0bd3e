"""Suite-format features: include, templates, ${ENV}, matrices, chat, repeat, pass rules, gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.expand import passes
from harness.suite.load import load_suite
from harness.suite.model import PassRule

ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
ADAPTER = f"  a: {{type: gradient-adapter, model_adapter_id: {ADAPTER_ID}}}\n"
Write = Callable[..., Path]


def _errors(path: Path) -> str:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return str(info.value)


# -- include -----------------------------------------------------------------------------------


def test_include_merges_adapters_defaults_and_cases(write_suite: Write) -> None:
    write_suite(
        "adapters:\n" + ADAPTER + "defaults:\n  expect: [max_length: 100]\n  vars: {who: base}\n"
        "  generation: {temperature: 0.1, max_tokens: 5}\n"
        "cases:\n  - {id: from-base, prompt: 'hi {{ who }}'}\n",
        "base.yaml",
    )
    main = write_suite(
        "name: composed\ninclude: [base.yaml]\n"
        "defaults:\n  expect: [contains: x]\n  vars: {who: main}\n"
        "  generation: {temperature: 0.5}\n"
        "cases:\n  - {id: from-main, prompt: 'yo {{ who }}'}\n"
    )
    suite = load_suite(main)
    assert suite.name == "composed"
    assert [a.name for a in suite.adapters] == ["a"]
    assert [c.id for c in suite.cases] == ["from-base", "from-main"]
    base_case, main_case = suite.cases
    # vars and generation: the including file wins; expectations concatenate
    assert base_case.prompt == "hi main" and main_case.prompt == "yo main"
    assert base_case.generation == {"temperature": 0.5, "max_tokens": 5}
    assert [e.metric.name for e in main_case.expectations] == ["max_length", "contains"]
    assert len(suite.files) == 2


def test_include_cycle_is_an_error(write_suite: Write) -> None:
    write_suite("include: [b.yaml]\n", "a.yaml")
    write_suite("include: [a.yaml]\n", "b.yaml")
    main = write_suite(
        "name: x\ninclude: [a.yaml]\nadapters:\n" + ADAPTER + "cases: [{prompt: p}]\n"
    )
    message = _errors(main)
    assert "include cycle:" in message and "a.yaml -> b.yaml -> " in message


def test_error_in_included_file_names_that_file(write_suite: Write) -> None:
    write_suite("adapters:\n" + ADAPTER + "bogus: 1\n", "part.yaml")
    main = write_suite("name: x\ninclude:\n  - part.yaml\ncases: [{prompt: p}]\n")
    message = _errors(main)
    assert "part.yaml:3:1: unknown key 'bogus'" in message
    assert "(included from " in message and "suite.yaml:3:5)" in message


def test_missing_include(write_suite: Write) -> None:
    main = write_suite(
        "name: x\ninclude: [nope.yaml]\nadapters:\n" + ADAPTER + "cases: [{prompt: p}]\n"
    )
    assert "suite.yaml:2:11: include: file not found: nope.yaml" in _errors(main)


# -- templates and ${ENV} ----------------------------------------------------------------------


def test_templates_render_vars_in_prompts_and_expectations(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: t\nadapters:\n" + ADAPTER + "cases:\n  - prompt: 'Capital of {{ country }}?'\n"
            "    vars: {country: France, city: Paris}\n"
            "    expect: [contains: '{{ city }}']\n"
        )
    )
    (case,) = suite.cases
    assert case.prompt == "Capital of France?"
    assert case.expectations[0].options.value == "Paris"  # type: ignore[attr-defined]


def test_undefined_template_variable_is_a_load_error(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: t\nadapters:\n" + ADAPTER + "cases:\n  - prompt: 'Hi {{ nmae }}'\n"
            "    vars: {name: Ann}\n"
        )
    )
    assert (
        "suite.yaml:5:13: cases[0].prompt: undefined template variable: 'nmae' is undefined"
        in message
    )
    assert "defined: name" in message


def test_sandbox_refuses_unsafe_attribute_access(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: t\nadapters:\n"
            + ADAPTER
            + "cases:\n  - prompt: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n"
        )
    )
    assert "cases[0].prompt" in message


def test_env_reference_checked_at_load(write_suite: Write) -> None:
    text = (
        "name: t\nadapters:\n  a:\n    type: gradient-adapter\n"
        "    model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter\n"
        "    access_token: ${HARNESS_TEST_TOKEN}\ncases: [{prompt: p}]\n"
    )
    message = _errors(write_suite(text))
    assert (
        "suite.yaml:6:19: adapters.a.access_token: environment variable "
        "HARNESS_TEST_TOKEN is not set"
    ) in message


def test_env_reference_resolved_only_at_run_time(
    write_suite: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_TEST_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("HARNESS_TEST_MAX", "64")
    suite = load_suite(
        write_suite(
            "name: t\nadapters:\n  a:\n    type: gradient-adapter\n"
            "    model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter\n"
            "    access_token: ${HARNESS_TEST_TOKEN}\n    max_tokens: ${HARNESS_TEST_MAX}\n"
            "cases: [{prompt: p}]\n"
        )
    )
    (adapter,) = suite.adapters
    assert adapter.raw_options["access_token"] == "${HARNESS_TEST_TOKEN}"
    assert adapter.resolved_options()["access_token"] == "s3cr3t-value"
    assert adapter.options.max_tokens == 64  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("variable", "shown"),
    [("HARNESS_TEST_SECRET_MAX", False), ("HARNESS_TEST_MAX", True)],
)
def test_env_value_in_errors_is_hidden_only_when_secret_named(
    variable: str, shown: bool, write_suite: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only secret-named options and variables are secrets (issue 10's over-scrubbing)."""
    monkeypatch.setenv(variable, "not-a-number-value")
    message = _errors(
        write_suite(
            "name: t\nadapters:\n  a:\n    type: gradient-adapter\n"
            "    model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter\n"
            f"    max_tokens: ${{{variable}}}\ncases: [{{prompt: p}}]\n"
        )
    )
    assert "adapters.a.max_tokens" in message
    assert ("not-a-number-value" in message) is shown


# -- matrices, chat, repeat ---------------------------------------------------------------------


def test_matrix_expands_with_stable_distinct_ids(write_suite: Write) -> None:
    text = (
        "name: m\nadapters:\n"
        + ADAPTER
        + "defaults:\n  matrix:\n    generation: {temperature: [0.0, 0.7]}\n"
        "cases:\n  - id: greet\n    prompt: 'Say hi in {{ lang }}'\n"
        "    matrix:\n      vars: {lang: [en, fr]}\n"
    )
    suite = load_suite(write_suite(text))
    ids = [c.id for c in suite.cases]
    assert ids == [
        "greet[lang=en,temperature=0.0]",
        "greet[lang=en,temperature=0.7]",
        "greet[lang=fr,temperature=0.0]",
        "greet[lang=fr,temperature=0.7]",
    ]
    assert suite.cases[3].prompt == "Say hi in fr"
    assert suite.cases[3].generation == {"temperature": 0.7}
    assert [c.id for c in load_suite(write_suite(text, "again.yaml")).cases] == ids


def test_matrix_rejects_unknown_generation_option(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: m\nadapters:\n"
            + ADAPTER
            + "cases:\n  - prompt: p\n    matrix: {generation: {temprature: [0]}}\n"
        )
    )
    assert "unknown option(s) ['temprature']" in message


def test_chat_messages(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: c\nadapters:\n"
            + ADAPTER
            + "cases:\n  - id: chat\n    vars: {topic: tea}\n    messages:\n"
            "      - {role: system, content: You are terse.}\n"
            "      - {role: user, content: 'Tell me about {{ topic }}.'}\n"
        )
    )
    (case,) = suite.cases
    assert case.messages == (("system", "You are terse."), ("user", "Tell me about tea."))
    assert case.prompt == "system: You are terse.\nuser: Tell me about tea."


def test_prompt_and_messages_together_is_an_error(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: c\nadapters:\n"
            + ADAPTER
            + "cases:\n  - prompt: p\n    messages: [{role: user, content: q}]\n"
        )
    )
    assert "give either 'prompt' or 'messages', not both" in message


def test_bad_message_role(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: c\nadapters:\n" + ADAPTER + "cases:\n  - messages: [{role: robot, content: q}]\n"
        )
    )
    assert "cases[0].messages[0].role" in message


def test_repeat_defaults_and_override(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: r\nadapters:\n" + ADAPTER + "defaults: {repeat: 3}\n"
            "cases:\n  - {id: a, prompt: p}\n  - {id: b, prompt: q, repeat: 1}\n"
        )
    )
    assert [c.repeat for c in suite.cases] == [3, 1]


# -- pass rules, weights ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "results", "passed", "score"),
    [
        (PassRule(), [(True, 1.0, 1.0), (False, 0.0, 1.0)], False, 0.5),
        (PassRule(mode="any"), [(True, 1.0, 1.0), (False, 0.0, 1.0)], True, 0.5),
        (
            PassRule(mode="weighted", min_score=0.7),
            [(True, None, 3.0), (False, None, 1.0)],
            True,
            0.75,
        ),
        (
            PassRule(mode="weighted", min_score=0.8),
            [(True, None, 3.0), (False, None, 1.0)],
            False,
            0.75,
        ),
        (PassRule(mode="weighted", min_score=0.5), [(False, 0.6, 1.0)], True, 0.6),
        (PassRule(), [], True, 1.0),
    ],
)
def test_pass_rules(
    rule: PassRule, results: list[tuple[bool, float | None, float]], passed: bool, score: float
) -> None:
    assert passes(rule, results) == (passed, pytest.approx(score))


def test_pass_rule_in_yaml(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: p\nadapters:\n" + ADAPTER + "defaults: {pass: any}\n"
            "cases:\n  - id: a\n    prompt: p\n    pass: {mode: weighted, min_score: 0.6}\n"
            "    expect:\n      - contains: {value: x, weight: 2}\n      - max_length: 9\n"
            "  - {id: b, prompt: q}\n"
        )
    )
    a, b = suite.cases
    assert a.pass_rule == PassRule(mode="weighted", min_score=0.6)
    assert [e.weight for e in a.expectations] == [2.0, 1.0]
    assert b.pass_rule.mode == "any"


# -- gates and judges -----------------------------------------------------------------------------


def test_gates_are_validated(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: g\nadapters:\n" + ADAPTER + "cases: [{prompt: p}]\ngates:\n"
            "  - {adapter: b, metric: pass_rate, min: 0.9}\n"
            "  - {adapter: a, metric: pass_rat, min: 0.9}\n"
            "  - {baseline: a, metric: pass_rate}\n"
            "  - {adapter: a, metric: expectation:contains}\n"
        )
    )
    assert "gates[0].adapter: unknown adapter 'b'" in message
    assert "unknown gate metric 'pass_rat' (did you mean 'pass_rate'?)" in message
    assert "comparison gate needs both 'baseline' and 'candidate'" in message
    assert "a threshold gate needs 'min' or 'max'" in message


def test_valid_gates_load(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: g\nadapters:\n"
            + ADAPTER.replace("  a:", "  v1:")
            + ADAPTER.replace("  a:", "  v2:")
            + "cases: [{prompt: p}]\ngates:\n"
            "  - {adapter: v2, metric: pass_rate, min: 0.9}\n"
            "  - {baseline: v1, candidate: v2, metric: latency_p90_ms, max_regression: 50}\n"
        )
    )
    assert len(suite.gates) == 2


def test_missing_name_and_cases(write_suite: Write) -> None:
    message = _errors(write_suite("adapters:\n" + ADAPTER))
    assert "missing required key 'name'" in message


# -- the embedded emulator ------------------------------------------------------------------------


def test_served_by_emulator_without_a_section_uses_the_built_in_models(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            "name: e\nadapters:\n  base: {type: gradient-base, served_by: emulator, "
            "base_model_slug: llama2-7b-chat}\ncases: [{prompt: p}]\n"
        )
    )
    assert suite.emulator is not None and suite.emulator_config is None
    assert "llama2-7b-chat" in {m.slug for m in suite.emulator.models}


def test_emulator_models_inline_and_as_a_bare_path(write_suite: Write) -> None:
    inline = load_suite(
        write_suite(
            "name: e\nemulator:\n  seed: 3\n  models:\n    - {name: tiny, slug: tiny}\n"
            "adapters:\n  t: {type: gradient-base, served_by: emulator, base_model_slug: tiny}\n"
            "cases: [{prompt: p}]\n"
        )
    )
    assert inline.emulator.seed == 3 and inline.emulator.models[0].slug == "tiny"
    write_suite("models:\n  - {name: tiny, slug: tiny}\n", "m.yaml")
    bare = load_suite(
        write_suite(
            "name: e\nemulator: m.yaml\nadapters:\n"
            "  t: {type: gradient-base, served_by: emulator, base_model_slug: tiny}\n"
            "cases: [{prompt: p}]\n",
            "bare.yaml",
        )
    )
    assert bare.emulator_config is not None and bare.emulator_config.name == "m.yaml"


def test_inline_emulator_errors_point_into_the_suite(write_suite: Write) -> None:
    message = _errors(
        write_suite(
            "name: e\nemulator:\n  models:\n"
            "    - {name: tiny, slug: tiny, latency: {delay_ms: -1}}\n"
            "adapters:\n  t: {type: gradient-base, served_by: emulator, base_model_slug: tiny}\n"
            "cases: [{prompt: p}]\n"
        )
    )
    assert "suite.yaml:4:" in message and "emulator.models[0].latency.delay_ms" in message
    both = _errors(
        write_suite(
            "name: e\nemulator: {config: m.yaml, seed: 1}\nadapters:\n"
            + ADAPTER
            + "cases: [{prompt: p}]\n",
            "both.yaml",
        )
    )
    assert "give either 'config' (a file) or the models inline, not both" in both
