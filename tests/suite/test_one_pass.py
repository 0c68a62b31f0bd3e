"""Validation is complete, once: every problem of a broken suite shows in the first report.

Before, a schema error hid the file's templates, datasets and case ids, and a template error
hid a duplicate id; fixing a suite took one round per kind of problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.load import load_suite

Write = Callable[..., Path]

ADAPTER = "  a: {type: gradient-base, served_by: emulator, base_model_slug: llama3-8b-chat}\n"


def _errors(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return [str(loc).removeprefix(f"{path.parent}/") for loc in info.value.locations]


def test_schema_template_dataset_and_duplicate_id_all_at_once(write_suite: Write) -> None:
    path = write_suite(
        "name: broken\n"
        "concurrency: lots\n"
        f"adapters:\n{ADAPTER}"
        "cases:\n"
        "  - id: one\n"
        "    prompt: Hello {{ nobody }}\n"
        "  - id: one\n"
        "    prompt: Hi\n"
        "datasets:\n"
        "  - path: missing.csv\n"
        "    columns: {prompt: question}\n"
    )
    errors = _errors(path)
    assert len(errors) == 4, errors
    schema, template, duplicate, dataset = errors
    assert schema.startswith("suite.yaml:2:14: concurrency: expected an integer")
    assert template.startswith("suite.yaml:7:13: cases[0].prompt: undefined template variable")
    assert duplicate.startswith("suite.yaml:8:9: cases[1].id: duplicate case id 'one'")
    assert dataset.startswith("suite.yaml:11:11: datasets[0].path:") and "missing.csv" in dataset


def test_a_case_with_a_bad_field_still_has_its_template_and_id_checked(
    write_suite: Write,
) -> None:
    path = write_suite(
        f"name: broken\nadapters:\n{ADAPTER}"
        "cases:\n"
        "  - id: one\n"
        "    prompt: Hello {{ nobody }}\n"
        "    repeat: twice\n"
        "  - id: one\n"
        "    prompt: Hi\n"
    )
    messages = "\n".join(_errors(path))
    assert "cases[0].repeat: expected an integer" in messages
    assert "cases[0].prompt: undefined template variable" in messages
    assert "cases[1].id: duplicate case id 'one'" in messages


def test_a_bad_vars_mapping_does_not_report_every_variable_undefined(
    write_suite: Write,
) -> None:
    path = write_suite(
        f"name: broken\nadapters:\n{ADAPTER}"
        "defaults:\n"
        "  vars: [not, a, mapping]\n"
        "cases:\n"
        "  - id: one\n"
        "    prompt: Hello {{ name }}\n"
        "  - id: one\n"
        "    prompt: Hi {{ oops\n"
    )
    messages = "\n".join(_errors(path))
    assert "defaults.vars: expected a mapping" in messages
    assert "undefined template variable" not in messages
    assert "cases[1].prompt: invalid template" in messages
    assert "cases[1].id: duplicate case id 'one'" in messages


def test_a_template_error_does_not_hide_a_dataset_id_clash(write_suite: Write) -> None:
    write_suite("id,question\n1,a\n2,b\n", "data.csv")
    path = write_suite(
        f"name: broken\nadapters:\n{ADAPTER}"
        "cases:\n"
        "  - id: data-2\n"
        "    prompt: Hi\n"
        "datasets:\n"
        "  - path: data.csv\n"
        "    columns: {id: id}\n"
        '    prompt: "{{ nope }}"\n'
    )
    messages = "\n".join(_errors(path))
    assert "datasets[0].prompt: undefined template variable" in messages
    assert "duplicate case id 'data-2'" in messages


def test_an_unset_env_var_does_not_hide_the_adapters_other_options(write_suite: Write) -> None:
    path = write_suite(
        "name: broken\nadapters:\n"
        "  a: {type: gradient-adapter, model_adapter_id: '${NO_SUCH_ID}', max_tokens: 512,\n"
        "      access_token: '${NO_SUCH_TOKEN}', host: '${NO_SUCH_HOST}'}\n"
        "cases: [{prompt: p}]\n"
    )
    messages = "\n".join(_errors(path))
    assert "adapters.a.model_adapter_id: environment variable NO_SUCH_ID is not set" in messages
    assert "adapters.a.access_token: environment variable NO_SUCH_TOKEN is not set" in messages
    assert "adapters.a.host: environment variable NO_SUCH_HOST is not set" in messages
    assert "adapters.a.max_tokens: input should be less than 512" in messages


def test_a_suite_without_cases_says_so_beside_its_other_errors(write_suite: Write) -> None:
    messages = "\n".join(
        _errors(write_suite(f"name: broken\nconcurrency: 0\nadapters:\n{ADAPTER}"))
    )
    assert "concurrency: input should be greater than or equal to 1" in messages
    assert "the suite has no cases: add 'cases' or 'datasets'" in messages


def test_a_dataset_with_bad_tags_still_has_its_file_checked(write_suite: Write) -> None:
    path = write_suite(
        f"name: broken\nadapters:\n{ADAPTER}"
        "datasets:\n"
        "  - path: missing.csv\n"
        "    columns: {prompt: question}\n"
        "    tags: 7\n"
    )
    messages = "\n".join(_errors(path))
    assert "datasets[0].tags: expected a list" in messages
    assert "datasets[0].path: " in messages and "missing.csv" in messages
