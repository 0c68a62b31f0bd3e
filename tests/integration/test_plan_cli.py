"""``harness plan`` end to end: pilot runs on the embedded emulator, the real CLI, real files.

Two noisy emulated versions (``skill`` 0.7 and 0.6, ``consistency`` 0.5, lognormal delays)
answer 60 sums three times each (run ``pair``); a second run asks only ``v1``, once
(``one``), so the one-adapter path with its assumptions is exercised too.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import RunOptions, load_suite, run_suite
from harness.analysis.paired.power import n_for_mean_paired, n_for_proportion_paired
from harness.cli import cli

REPO = Path(__file__).resolve().parents[2]
CASES = 60
MODEL = """
  - name: {name}
    slug: {name}
    skill: {skill}
    consistency: 0.5
    responses:
      - regex: '^What is (\\d+) \\+ (\\d+)\\?$'
        answer: "{{{{ match[1]|int + match[2]|int }}}}"
    latency:
      delay: {{distribution: lognormal, median_ms: 2, spread: 0.3}}
"""
ADAPTER = "  {0}: {{type: openai-compatible, served_by: emulator, model: {0}, max_tokens: 8}}\n"


def _suite(root: Path, name: str, adapters: tuple[str, ...]) -> Path:
    cases = "".join(
        f"  - {{id: s{i:02d}, prompt: 'What is {i * 7} + {i * 13}?', "
        f"expect: [equals: '{i * 20}']}}\n"
        for i in range(CASES)
    )
    path = root / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nemulator: {{config: models.yaml}}\nconcurrency: 8\nadapters:\n"
        + "".join(ADAPTER.format(a) for a in adapters)
        + "cases:\n"
        + cases,
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan")
    models = MODEL.format(name="v1", skill=0.7) + MODEL.format(name="v2", skill=0.6)
    (root / "models.yaml").write_text("seed: 3\nmodels:" + models, encoding="utf-8")
    out = root / "reports"
    pair = _suite(root, "pair", ("v1", "v2"))
    run_suite(load_suite(pair), RunOptions(output_dir=out, run_id="pair", repeat=3))
    one = _suite(root, "one", ("v1",))
    run_suite(load_suite(one), RunOptions(output_dir=out, run_id="one"))
    return out


def _plan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["plan", *args], catch_exceptions=False)
    return result.exit_code, result.output


def _json(*args: str) -> dict[str, Any]:
    code, output = _plan(*args, "--json")
    assert code == 0, output
    doc: dict[str, Any] = json.loads(output)
    return doc


def _figure(doc: dict[str, Any], name: str, plan: int = 0) -> dict[str, Any]:
    return next(f for f in doc["plans"][plan]["figures"] if f["figure"] == name)


def test_pair_pilot_json(reports: Path) -> None:
    doc = _json(str(reports / "pair"), "--detect", "5", "--detect-latency", "10%")
    assert (doc["schema_version"], doc["kind"], doc["run_id"]) == (1, "harness.plan", "pair")
    assert (doc["alpha"], doc["power"]) == (0.05, 0.8)
    entry = doc["plans"][0]
    assert (entry["base"], entry["candidate"], entry["correlation"]) == ("v1", "v2", None)
    passing = _figure(doc, "pass_rate")
    assert (passing["unit"], passing["detect"], passing["cases"], passing["repeats"]) == (
        "points",
        5.0,
        CASES,
        3,
    )
    # With repeats compare runs a paired t-test on per-case shares: the plan is that test's.
    assert passing["cases_needed"] == n_for_mean_paired(0.05, passing["sd_diff"])
    assert passing["sd_diff"] ** 2 == pytest.approx(
        passing["between_variance"] + passing["within_variance"] / 3
    )
    assert 0 < passing["mde"] < 100
    options = {o["repeats"]: o for o in passing["by_repeats"]}
    assert sorted(options) == [1, 2, 3, 5, 10]
    assert options[3]["cases_needed"] == passing["cases_needed"]
    needed = [options[r]["cases_needed"] for r in sorted(options)]
    assert needed == sorted(needed, reverse=True) and needed[0] > needed[-1]
    assert options[5]["requests_per_adapter"] == 5 * options[5]["cases_needed"]
    # One answer per case: exact McNemar at the discordance of one answer each.
    discordance = passing["between_variance"] + passing["within_variance"]
    expected = n_for_proportion_paired(0.05, discordance + 0.05**2)
    assert options[1]["cases_needed"] == expected
    assert (
        f"you need about {passing['cases_needed']:,} cases, with 3 repeats each"
        in (passing["sentence"])
    )
    assert f"(you have {CASES})" in passing["sentence"]
    latency = _figure(doc, "latency")
    assert (latency["unit"], latency["detect"]) == ("percent", 10.0)
    assert latency["cases_needed"] == n_for_mean_paired(math.log(1.1), latency["sd_diff"])


def test_larger_changes_need_fewer_cases(reports: Path) -> None:
    run = str(reports / "pair")
    small = _json(run, "--detect", "5", "--detect-latency", "5%")
    large = _json(run, "--detect", "15", "--detect-latency", "20%")
    for figure in ("pass_rate", "latency"):
        assert _figure(large, figure)["cases_needed"] < _figure(small, figure)["cases_needed"]
        # the smallest detectable change depends on the pilot only, not on --detect
        assert _figure(large, figure)["mde"] == _figure(small, figure)["mde"]
    stricter = _json(run, "--detect", "5", "--power", "0.9", "--alpha", "0.01")
    assert (
        _figure(stricter, "pass_rate")["cases_needed"] > _figure(small, "pass_rate")["cases_needed"]
    )
    assert _figure(stricter, "pass_rate")["mde"] > _figure(small, "pass_rate")["mde"]


def test_one_adapter_pilot_states_its_assumptions(reports: Path) -> None:
    doc = _json(str(reports / "one"), "--detect-latency", "10")
    entry = doc["plans"][0]
    assert (entry["base"], entry["candidate"], entry["correlation"]) == ("v1", None, 0.5)
    passing = _figure(doc, "pass_rate")
    assert passing["repeats"] == 1 and passing["by_repeats"] == []
    assert any("no repeats" in note for note in passing["notes"])
    assert "assumed correlation of 0.5" in passing["estimated_from"]
    latency = _figure(doc, "latency")
    assert latency["sd_diff"] == pytest.approx(0.3)
    assert any("assumed 0.3" in note for note in latency["notes"])
    # More correlation between versions: fewer discordant cases, fewer cases needed.
    closer = _json(str(reports / "one"), "--assume-correlation", "0.7")
    assert _figure(closer, "pass_rate")["cases_needed"] < passing["cases_needed"]


def test_console_output_says_it_in_a_sentence(reports: Path) -> None:
    code, output = _plan(str(reports / "pair"), "--detect", "5")
    assert code == 0, output
    flat = " ".join(output.split())
    assert "v2 vs v1" in flat
    assert "To detect a 5-point change in pass rate with 80% power at alpha 0.05 you need" in flat
    assert f"(you have {CASES})" in flat and "the smallest detectable change is" in flat
    assert "pass_rate with repeats: 1 repeat:" in flat


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-run"], "no such run folder"),
        (["{pair}", "--detect", "0"], "--detect"),
        (["{pair}", "--detect-latency", "ten"], "is not a percentage"),
        (["{pair}", "--pair", "v1:v9"], "has no adapter 'v9'"),
        (["{pair}", "--assume-correlation", "2"], "--assume-correlation"),
        (["{models}"], "not a run folder"),
    ],
)
def test_bad_input_exits_4_with_a_message(reports: Path, args: list[str], message: str) -> None:
    paths = {"pair": str(reports / "pair"), "models": str(reports.parent / "models.yaml")}
    argv = [a.format(**paths) for a in args]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, "-m", "harness", "plan", *argv],
        cwd=reports.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 4, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
