"""``harness compare`` end to end: real runs on the embedded emulator, the real CLI, real files.

Two versions of one adapter, ``bot``: v1 answers every case; v2 (planted worse) answers 12 of
the 30 cases wrongly and is slower. ``ref`` is the same v1 model in every run. The suite
reads the bot's model from ``${BOT_MODEL}``, so both runs share one suite file (same sha256):
the only differences between runs are the ones a test plants.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite

V1 = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
V2 = "5a1e5b07-0002-4000-8000-00000000000b_model_adapter"
WRONG = range(0, 30, 5)  # v2 answers these 6 cases, and 6 more below, wrongly
WRONG_TOO = range(2, 30, 5)
PLANTED = sorted({*WRONG, *WRONG_TOO})
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base"}}
  - id: {V1}
    name: v1
    base_model: base
    default: "answer {{{{ prompt }}}}"
    latency: {{delay_ms: 5, per_token_ms: 1}}
  - id: {V2}
    name: v2
    base_model: base
    default: "answer {{{{ prompt }}}}"
    latency: {{delay_ms: 40, per_token_ms: 1}}
    responses:
""" + "".join(f"      - {{prompt: 'question {i}', answer: 'no idea'}}\n" for i in PLANTED)
SUITE = (
    "name: versions\nemulator: {config: models.yaml}\nconcurrency: 4\nadapters:\n"
    '  bot: {type: gradient-adapter, served_by: emulator, model_adapter_id: "${BOT_MODEL}"}\n'
    f"  ref: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {V1}}}\n"
    "cases:\n"
    + "".join(
        f"  - {{id: q{i:02d}, prompt: 'question {i}', expect: [contains: 'question {i}']}}\n"
        for i in range(30)
    )
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs ``v1`` (bot = v1), ``v2`` (bot = v2) and ``v2-c1`` (v2 at concurrency 1)."""
    root = tmp_path_factory.mktemp("compare")
    (root / "models.yaml").write_text(MODELS, encoding="utf-8")
    suite_path = root / "suite.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    reports = root / "reports"
    with pytest.MonkeyPatch.context() as mp:
        for run_id, model, concurrency in (("v1", V1, None), ("v2", V2, None), ("v2-c1", V2, 1)):
            mp.setenv("BOT_MODEL", model)
            options = RunOptions(output_dir=reports, run_id=run_id, concurrency=concurrency)
            run_suite(load_suite(suite_path), options)
    yield root


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIENT_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "harness", "compare", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def _figure(pair: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in pair["figures"] if f["figure"] == name)


def _pair(doc: dict[str, Any], base: str, candidate: str) -> dict[str, Any]:
    return next(
        p for p in doc["pairs"] if (p["pair"]["base"], p["pair"]["candidate"]) == (base, candidate)
    )


CONTRACT_KEYS = {
    "pair", "figure", "higher_is_better", "n", "base", "candidate", "delta", "ci",
    "p_value", "p_adjusted", "verdict", "mde",
}  # fmt: skip


def test_two_runs_planted_regression_is_worse(runs: Path) -> None:
    done = _cli(runs, "reports/v1", "reports/v2", "--out", "out")
    assert done.returncode == 0, done.stderr
    doc = json.loads((runs / "out" / "compare.json").read_text())
    assert (doc["schema_version"], doc["kind"]) == (1, "harness.compare")
    assert (doc["base"]["run_id"], doc["candidate"]["run_id"]) == ("v1", "v2")
    assert (doc["seed"], doc["alpha"], doc["same_run"]) == (0, 0.05, False)
    assert doc["warnings"] == []  # same suite, machine, concurrency: nothing to warn about
    machine = json.loads((runs / "reports" / "v1" / "run.json").read_text())["machine"]
    assert isinstance(machine["cpu"], str)  # recorded, so a CPU change can be warned about
    assert [(p["pair"]["base"], p["pair"]["candidate"]) for p in doc["pairs"]] == [
        ("bot", "bot"),
        ("ref", "ref"),
    ]
    bot = _pair(doc, "bot", "bot")
    for figure in bot["figures"]:
        assert CONTRACT_KEYS <= set(figure), figure["figure"]
    pass_rate = _figure(bot, "pass_rate")
    assert pass_rate["n"] == 30
    assert pass_rate["base"] == 1.0
    assert pass_rate["candidate"] == pytest.approx(18 / 30)
    assert pass_rate["verdict"] == "worse"
    assert pass_rate["p_adjusted"] < 0.05
    assert _figure(bot, "latency_p50_ms")["verdict"] == "worse"  # 40 ms vs 5 ms per request
    assert bot["headline"].startswith("bot vs bot: ")
    # the same model on both sides: identical answers, no verdict on the pass rate
    assert _figure(_pair(doc, "ref", "ref"), "pass_rate")["verdict"] == "no_difference"
    # flipped: every planted case went pass -> fail, with both answers and the reason
    flips = bot["flipped"]
    assert [f["case_id"] for f in flips] == [f"q{i:02d}" for i in PLANTED]
    assert {f["direction"] for f in flips} == {"pass_to_fail"}
    first = flips[0]
    assert first["base"]["output"] == "answer question 0"
    assert first["candidate"]["output"] == "no idea"
    assert [e["name"] for e in first["candidate"]["failing"]] == ["contains"]
    assert "question 0" in first["candidate"]["failing"][0]["reason"]
    # console: headline, table with symbol and word, flipped cases; files named
    assert "bot vs bot: " in done.stdout
    assert "✗ worse" in done.stdout
    assert "flipped pass → fail: 12 case(s)" in done.stdout
    md = (runs / "out" / "compare.md").read_text()
    assert md.index("## Verdicts") < md.index("| Figure |")
    assert "✗ worse: pass rate 100.0% → 60.0%" in md
    assert "Flipped: pass → fail (12)" in md


def test_same_inputs_give_a_byte_identical_compare_json(runs: Path) -> None:
    texts = []
    for out in ("det-a", "det-b"):
        done = _cli(runs, "reports/v1", "reports/v2", "--out", out, "--seed", "3")
        assert done.returncode == 0, done.stderr
        texts.append((runs / out / "compare.json").read_bytes())
    assert texts[0] == texts[1]
    assert json.loads(texts[0])["seed"] == 3


def test_default_folder_and_json_on_stdout(runs: Path) -> None:
    done = _cli(runs, "reports/v1", "reports/v2", "--json")
    assert done.returncode == 0, done.stderr
    written = runs / "reports" / "compare-v1-v2" / "compare.json"
    assert json.loads(done.stdout) == json.loads(written.read_text())


def test_two_adapters_inside_one_run(runs: Path) -> None:
    done = _cli(runs, "reports/v2", "--pair", "ref:bot", "--out", "inside")
    assert done.returncode == 0, done.stderr
    doc = json.loads((runs / "inside" / "compare.json").read_text())
    assert doc["same_run"] is True
    assert doc["warnings"] == []
    (pair,) = doc["pairs"]
    assert pair["pair"] == {"base": "ref", "candidate": "bot"}
    assert _figure(pair, "pass_rate")["verdict"] == "worse"
    assert "bot vs ref: " in done.stdout


def test_cases_on_one_side_only_are_listed(runs: Path) -> None:
    trimmed = runs / "reports" / "v2-trimmed"
    shutil.copytree(runs / "reports" / "v2", trimmed)
    results = trimmed / "results.jsonl"
    records = [json.loads(line) for line in results.read_text().splitlines()]
    kept = [r for r in records if r["case_id"] != "q29"]
    extra = dict(next(r for r in kept if r["adapter"] == "bot"), case_id="q99", seq=999)
    results.write_text("".join(json.dumps(r) + "\n" for r in [*kept, extra]))
    done = _cli(runs, "reports/v1", "reports/v2-trimmed", "--pair", "bot:bot", "--out", "one")
    assert done.returncode == 0, done.stderr
    (pair,) = json.loads((runs / "one" / "compare.json").read_text())["pairs"]
    assert pair["base_only"] == ["q29"]
    assert pair["candidate_only"] == ["q99"]
    assert pair["shared_cases"] == 29
    assert "1 case(s) only in the base (not compared): q29" in done.stdout
    assert "1 case(s) only in the candidate (not compared): q99" in done.stdout
    assert "q29" in (runs / "one" / "compare.md").read_text()


def test_different_concurrency_is_warned_about(runs: Path) -> None:
    done = _cli(runs, "reports/v1", "reports/v2-c1", "--out", "warned")
    assert done.returncode == 0, done.stderr
    doc = json.loads((runs / "warned" / "compare.json").read_text())
    assert doc["warnings"] == [
        "concurrency differs: base 4, candidate 1; timings from the two runs may not be comparable"
    ]
    assert "warning: concurrency differs: base 4, candidate 1" in done.stderr
    assert "concurrency differs" in (runs / "warned" / "compare.md").read_text()


def _renamed(runs: Path, name: str) -> Path:
    """A copy of run v1 whose adapters are called other-bot / other-ref."""
    copy = runs / "reports" / name
    shutil.copytree(runs / "reports" / "v1", copy)
    for file in (copy / "results.jsonl", copy / "run.json"):
        text = file.read_text()
        text = text.replace('"adapter":"bot"', '"adapter":"other-bot"')
        text = text.replace('"adapter":"ref"', '"adapter":"other-ref"')
        text = text.replace('"name": "bot"', '"name": "other-bot"')
        file.write_text(text.replace('"name": "ref"', '"name": "other-ref"'))
    return copy


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("reports/nope", "reports/v2"), ["'BASE'", "reports/nope: no such run folder"]),
        (("reports/v1", "reports/gone"), ["'CANDIDATE'", "reports/gone: no such run folder"]),
        (("reports/empty", "reports/v2"), ["reports/empty", "has no results"]),
        (("reports/v1", "reports/v2", "--pair", "bot:nope"),
         ["'--pair'", "run v2", "'nope'", "it has: bot, ref"]),
        (("reports/v1", "reports/v2", "--pair", "bot"),
         ["'--pair'", "BASE_ADAPTER:CANDIDATE_ADAPTER"]),
        (("reports/v2",), ["needs --pair", "run v2", "bot, ref"]),
        (("reports/v1", "reports/renamed"),
         ["no adapter in common", "bot, ref", "other-bot, other-ref"]),
    ],
)  # fmt: skip
def test_bad_inputs_exit_4_with_a_clear_message(
    runs: Path, args: tuple[str, ...], fragments: list[str]
) -> None:
    empty = runs / "reports" / "empty"
    if not empty.exists():
        empty.mkdir()
        shutil.copy(runs / "reports" / "v1" / "run.json", empty / "run.json")
        (empty / "results.jsonl").write_text("")
    if not (runs / "reports" / "renamed").exists():
        _renamed(runs, "renamed")
    done = _cli(runs, *args)
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert "Usage: " in done.stderr and "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, (fragment, done.stderr)


BOOTSTRAP_KEYS = {"ci", "ci_one_sided", "ratio_ci", "ratio_ci_one_sided"}
"""Fields read from the bootstrap resamples (the rest are closed-form: tests, MDE, estimates)."""


def test_the_run_report_uses_the_same_engine(runs: Path) -> None:
    """The run report's verdicts, timing included, are harness compare's. The run computes
    IN_RUN_RESAMPLES (1000) resamples where harness compare draws 2000, to fit every pair of
    a 100,000-case run in its budget: every field but the bootstrap intervals is the same,
    and those equal the engine's own comparison at 1000 resamples."""
    from harness.analysis.compare import IN_RUN_RESAMPLES
    from harness.analysis.paired.engine import compare_frames
    from harness.analysis.paired.sources import load_source
    from harness.analysis.summarize import summarize_run
    from harness.report import write_reports

    (pair,) = summarize_run(runs / "reports" / "v2").comparisons
    assert (pair.adapter_a, pair.adapter_b) == ("bot", "ref")
    in_run = {f.figure: f.model_dump() for f in pair.figures}
    assert in_run["pass_rate"]["verdict"] == "better"  # ref (v1) against bot (v2)
    assert in_run["latency_p50_ms"]["verdict"] == "better"  # v1 waits 5 ms, v2 40 ms
    # The emulated Gradient adapter streams one chunk: TTFT is kept, never called.
    assert (in_run["ttft_p95_ms"]["comparable"], in_run["ttft_p95_ms"]["verdict"]) == (
        False,
        "no_difference",
    )
    done = _cli(runs, "reports/v2", "--pair", "bot:ref", "--out", "same-engine")
    assert done.returncode == 0, done.stderr
    (compared,) = json.loads((runs / "same-engine" / "compare.json").read_text())["pairs"]
    assert list(in_run) == [f["figure"] for f in compared["figures"]]
    for figure in compared["figures"]:
        mine = in_run[figure["figure"]]
        for key in set(mine) - BOOTSTRAP_KEYS:
            assert mine[key] == figure[key], (figure["figure"], key)
    source = load_source(runs / "reports" / "v2", "the run")
    alone = compare_frames(
        source.adapter("bot", "--pair").frame,
        source.adapter("ref", "--pair").frame,
        pair=("bot", "ref"),
        higher_is_better={},
        n_resamples=IN_RUN_RESAMPLES,
    )
    for figure in alone.figures:
        mine = in_run[figure.figure]
        for key in BOOTSTRAP_KEYS:
            assert mine[key] == pytest.approx(getattr(figure, key), rel=1e-12), key
    write_reports(runs / "reports" / "v2", ["markdown"])
    report = (runs / "reports" / "v2" / "report.md").read_text()
    assert "ref vs bot, paired engine over " in report
    assert "pass\\_rate better +40.0 pts" in report
    # About -35 ms (v1 waits 5 ms, v2 40 ms), in the figure's unit.
    assert re.search(r"latency\\_p50\\_ms better -\d+\.\d ms, 95% CI -\d+\.\d ms to -", report)
