"""The suite loader: good suites become frozen Suites; bad ones say file:line: what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.load import load_suite

REPO = Path(__file__).resolve().parents[2]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"

GOOD = f"""
name: mini
adapters:
  a:
    type: gradient-adapter
    model_adapter_id: {ADAPTER_ID}
    max_tokens: 64
  b:
    type: gradient-base
    base_model_slug: llama3-8b-chat
defaults:
  expect:
    - max_length: 100
  generation:
    temperature: 0.5
cases:
  - id: one
    prompt: "What is 2 + 2?"
    expect:
      - equals: "4"
    generation:
      max_tokens: 8
  - prompt: "Name a colour."
    tags: [smoke]
"""


def test_quickstart_loads() -> None:
    suite = load_suite(REPO / "suites" / "quickstart.yaml")
    assert len(suite.cases) >= 20
    names = [a.name for a in suite.adapters]
    assert any("v1" in n for n in names) and any("v2" in n for n in names)
    used = {e.metric.name for c in suite.cases for e in c.expectations}
    assert {"contains", "not_contains", "regex", "equals", "max_length", "json_valid"} <= used
    assert suite.emulator_config is not None and suite.emulator_config.is_file()


def test_good_suite(write_suite: Callable[..., Path]) -> None:
    suite = load_suite(write_suite(GOOD))
    assert [a.name for a in suite.adapters] == ["a", "b"]
    assert suite.adapters[0].model == ADAPTER_ID
    assert suite.adapters[1].model == "llama3-8b-chat"
    one, two = suite.cases
    assert one.id == "one"
    assert [e.metric.name for e in one.expectations] == ["max_length", "equals"]
    assert one.generation == {"temperature": 0.5, "max_tokens": 8}
    assert two.id.startswith("case-") and two.tags == ("smoke",)
    # derived ids are stable: the same prompt gives the same id in another load
    assert load_suite(write_suite(GOOD, "again.yaml")).cases[1].id == two.id


BAD = [
    pytest.param(
        GOOD.replace("cases:", "casses: []\ncases:"),
        ["suite.yaml:", "unknown key 'casses' at top level", "did you mean 'cases'"],
        id="unknown-top-key",
    ),
    pytest.param(
        GOOD.replace('  - prompt: "Name a colour."', "  - promt: x"),
        [
            "suite.yaml:22:5:",
            "cases[1]: missing required key 'prompt'",
            "unknown key 'promt'",
            "did you mean 'prompt'",
        ],
        id="missing-prompt",
    ),
    pytest.param(
        GOOD.replace("max_tokens: 64", "max_tokens: 512"),
        ["suite.yaml:6:17:", "adapters.a.max_tokens", "less than 512"],
        id="adapter-constraint",
    ),
    pytest.param(
        GOOD.replace("max_tokens: 64", "max_tokens: lots"),
        ["suite.yaml:6:17:", "adapters.a.max_tokens: expected an integer, got 'lots'"],
        id="wrong-type",
    ),
    pytest.param(
        GOOD.replace("type: gradient-adapter", "type: gradient-adaptor"),
        [
            "suite.yaml:4:11:",
            "unknown adapter type 'gradient-adaptor'",
            "did you mean 'gradient-adapter'",
        ],
        id="unknown-adapter-type",
    ),
    pytest.param(
        GOOD.replace("    max_tokens: 64", "    max_tokenz: 64"),
        ["suite.yaml:6:5:", "unknown key 'max_tokenz' at adapters.a", "did you mean 'max_tokens'"],
        id="unknown-adapter-option",
    ),
    pytest.param(
        GOOD.replace('- equals: "4"', '- equalz: "4"'),
        ["suite.yaml:19:9:", "unknown metric 'equalz'", "did you mean 'equals'"],
        id="unknown-metric",
    ),
    pytest.param(
        GOOD.replace('- equals: "4"', '- regex: "(unclosed"'),
        ["suite.yaml:19:16:", "cases[0].expect[0].regex", "invalid regular expression"],
        id="bad-regex",
    ),
    pytest.param(
        GOOD.replace('  - prompt: "Name a colour."', "  - id: one\n    prompt: x"),
        ["duplicate case id 'one'", "first used at", "suite.yaml:16"],
        id="duplicate-id",
    ),
    pytest.param(
        GOOD.replace("temperature: 0.5", "temperature: -1"),
        ["suite.yaml:14:18:", "defaults.generation.temperature"],
        id="bad-generation",
    ),
    pytest.param(
        GOOD.replace("name: mini\n", "name: mini\nemulator:\n  config: nowhere.yaml\n"),
        ["emulator.config: file not found: nowhere.yaml"],
        id="missing-emulator-file",
    ),
    pytest.param(
        GOOD.replace('- equals: "4"', "- json_schema: {schema: {type: objekt}}"),
        ["suite.yaml:19:", "cases[0].expect[0].json_schema"],
        id="bad-json-schema",
    ),
    pytest.param(
        GOOD + "datasets:\n  - {path: nowhere.csv, columns: {prompt: q}}\n",
        ["suite.yaml:25:12:", "datasets[0].path: file not found", "nowhere.csv"],
        id="missing-dataset",
    ),
    pytest.param("a: 1\n\tb: 2\n", ["suite.yaml:2:1: tab character"], id="tab"),
    pytest.param("", ["suite.yaml:1: the file is empty"], id="empty"),
    pytest.param("- just\n- a list\n", ["expected a mapping at the top level"], id="list"),
    pytest.param("name: [unclosed\n", ["suite.yaml:2:1: invalid YAML"], id="malformed"),
    pytest.param(
        "name: ok\ndescription: a\x1bb\n",
        ["suite.yaml:2:15: control character U+001B is not allowed"],
        id="control-char",
    ),
    pytest.param("name: a\nname: b\n", ["suite.yaml:2:1: duplicate key 'name'"], id="dup-key"),
    pytest.param(
        "name: !!python/object/apply:os.system ['echo pwned']\n",
        ["tags like tag:yaml.org,2002:python/object/apply:os.system are not allowed"],
        id="python-tag",
    ),
]


@pytest.mark.parametrize(("text", "fragments"), BAD)
def test_bad_suite_messages(
    write_suite: Callable[..., Path], text: str, fragments: list[str]
) -> None:
    with pytest.raises(SuiteError) as info:
        load_suite(write_suite(text))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert message.rstrip().endswith("nothing was run.")
    assert "Traceback" not in message


def test_all_errors_reported_at_once(write_suite: Callable[..., Path]) -> None:
    text = (
        GOOD.replace("max_tokens: 64", "max_tokens: 0")
        .replace('- equals: "4"', "- equalz: x")
        .replace("name: mini", "name: mini\nbogus: 1")
    )
    with pytest.raises(SuiteError) as info:
        load_suite(write_suite(text))
    assert len(info.value.locations) == 3
    lines = [loc.line for loc in info.value.locations]
    assert lines == sorted(lines)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: ok\ndescription: caf\xe9\n")
    with pytest.raises(
        SuiteError, match=r"latin1.yaml:2: the file is not UTF-8 text \(byte 0xe9\)"
    ):
        load_suite(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="file not found"):
        load_suite(tmp_path / "nope.yaml")


def test_alias_bomb_fails_fast(write_suite: Callable[..., Path]) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    prev = "a"
    for name in "bcdefgh":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    with pytest.raises(SuiteError, match="alias bomb"):
        load_suite(write_suite("\n".join(lines) + "\n"))
