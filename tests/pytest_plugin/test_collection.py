"""Collection: node ids, selection by case, adapter, tag (-k, -m, --strict-markers), opt-in."""

from __future__ import annotations

import pytest

from tests.pytest_plugin.conftest import GOOD_ID, SMALL_IDS, collected_ids, run


def test_each_case_adapter_pair_and_gate_is_an_item(project: pytest.Pytester) -> None:
    result = run(project, "--co", "-q", "--strict-markers")
    assert result.ret == 0
    assert collected_ids(result) == SMALL_IDS


def test_k_and_m_select_by_adapter_case_and_tag(project: pytest.Pytester) -> None:
    by_tag = run(project, "--co", "-q", "--strict-markers", "-m", "geo")
    assert collected_ids(by_tag) == [
        "suites/small.yaml::other[good]",
        "suites/small.yaml::other[bad]",
    ]
    # a tag is a keyword too, and so is the adapter
    by_keyword = run(project, "--co", "-q", "-k", "smalltalk and good")
    assert collected_ids(by_keyword) == ["suites/small.yaml::greet[good]"]
    # every suite item carries the harness marker: -m "not harness" leaves them all out
    assert collected_ids(run(project, "--co", "-q", "-m", "not harness")) == []


def test_the_command_line_glob_opts_in(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\n")
    result = run(project, "--co", "-q", "--harness-suites", "suites/b*.yaml")
    assert collected_ids(result) == ["suites/broken.yaml::ping[broken]"]


def test_installed_but_not_opted_in_does_nothing(pytester: pytest.Pytester) -> None:
    """An unrelated project: its own test only; no suite loaded, no emulator, nothing heavy."""
    pytester.mkdir("suites")
    (pytester.path / "suites" / "small.yaml").write_text("name: x\n")
    pytester.makepyfile(
        test_mine="""
        import sys, threading

        HEAVY = ("pandas", "llama_index", "numpy", "aiohttp", "gradientai",
                 "harness.suite", "harness.runner", "harness.emulator")

        def test_nothing_heavy_was_imported():
            assert "harness.pytest_plugin" in sys.modules  # the plugin is loaded...
            loaded = [m for m in sys.modules
                      if any(m == h or m.startswith(h + ".") for h in HEAVY)]
            assert loaded == []  # ...and loaded nothing heavy
            assert not [t for t in threading.enumerate() if "emulator" in t.name]
        """
    )
    result = run(pytester, "-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


REPEATED = f"""
name: repeated
emulator: {{config: models.yaml}}
adapters:
  good: {{type: openai-compatible, served_by: emulator, model: {GOOD_ID}}}
cases:
  - id: twice
    prompt: Say something fine.
    repeat: 2
    expect: [contains: fine]
"""


def test_repeats_are_items_unless_min_pass_share_aggregates_them(
    project: pytest.Pytester,
) -> None:
    (project.path / "suites" / "repeated.yaml").write_text(REPEATED)
    shared = REPEATED.replace("name: repeated", "name: shared") + "gates: [min_pass_share=0.5]\n"
    (project.path / "suites" / "shared.yaml").write_text(shared)
    project.makeini("[pytest]\n")
    result = run(project, "--co", "-q", "--harness-suites", "suites/[rs]*d.yaml")
    assert sorted(collected_ids(result)) == [
        "suites/repeated.yaml::twice[good-repeat1]",
        "suites/repeated.yaml::twice[good-repeat2]",
        "suites/shared.yaml::twice[good]",  # min_pass_share is a setting, not a gate item
    ]
