"""``harness run --gate`` and ``harness gate`` in a subprocess against the emulator.

200 sums served by emulated models (tests write their own models file): ``v1``; ``v1b``, the
same skill and speed under another name (an independent draw: an A/A pair); ``v2``, ten
points less skill and 30% slower (median delays x1.3, long enough that the harness's own
lag on a loaded machine does not hide it). Exit codes 2, 3 and the other exit-4 cases of
``harness gate`` are tested in-process in tests/gates/test_gate_command.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODELS = """\
seed: 0
models:
{models}
"""
MODEL = """\
  - name: {name}
    slug: {name}
    skill: {skill}
    responses:
      - regex: '^What is (\\d+) \\+ (\\d+)\\?$'
        answer: "{{{{ match[1]|int + match[2]|int }}}}"
    latency:
      delay: {{distribution: lognormal, median_ms: {delay}, spread: 0.2}}
"""
SUITE = """\
name: sums
emulator: {{config: models.yaml}}
concurrency: 32
datasets:
  - path: questions.csv
    name: sums
    columns: {{prompt: question, id: id, reference: answer}}
    expect:
      - equals: "{{{{ reference }}}}"
adapters:
  {name}: {{type: openai-compatible, served_by: emulator, model: {name}, max_tokens: 16}}
{gates}"""


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Suites, a baseline run of v1 (saved as a baseline) and a regressed run of v2."""
    root = tmp_path_factory.mktemp("gates")
    rows = (REPO / "suites" / "data" / "sums.csv").read_text().splitlines()[:201]
    (root / "questions.csv").write_text("\n".join(rows) + "\n")
    models = [
        MODEL.format(name=n, skill=s, delay=d)
        for n, s, d in (("v1", 0.75, 150), ("v1b", 0.75, 150), ("v2", 0.65, 195))
    ]
    (root / "models.yaml").write_text(MODELS.format(models="".join(models)))
    for name in ("v1", "v1b", "v2"):
        (root / f"{name}.yaml").write_text(SUITE.format(name=name, gates=""))
    for name in ("v1", "v2"):
        done = harness("run", f"{name}.yaml", "--run-id", name, "-q", "--no-reports", cwd=root)
        assert done.returncode == 0, done.stderr
    saved = harness("baseline", "save", "reports/v1", "--to", "base.json", cwd=root)
    assert saved.returncode == 0, saved.stderr
    return root


def test_baseline_file_is_deterministic_and_readable(work: Path) -> None:
    again = harness("baseline", "save", "reports/v1", "--to", "again.json", cwd=work)
    assert again.returncode == 0, again.stderr
    text = (work / "base.json").read_text()
    assert (work / "again.json").read_bytes() == text.encode()
    data = json.loads(text)
    assert data["kind"] == "harness.baseline" and data["suite"]["name"] == "sums"
    assert len(data["cases"]["v1"]) == 200
    assert text.count('{"id":"sums-q') == 200  # one case per line


def test_a_a_pair_passes_its_no_regression_gates(work: Path) -> None:
    # v1b: the same model under another name: an independent draw of every answer and delay
    done = harness(
        "run",
        "v1b.yaml",
        "--run-id",
        "v1b",
        "-q",
        "--no-reports",
        "--baseline",
        "base.json",
        "--gate",
        "no_regression(pass_rate, margin=0.10)",
        "--gate",
        "no_regression(latency_p50_ms, margin=20%)",
        "--junit",
        "junit.xml",
        cwd=work,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("✓ pass") == 2 and "v1 -> v1b" in done.stdout
    junitparser = pytest.importorskip("junitparser")
    suites = {s.name: s for s in junitparser.JUnitXml.fromfile(str(work / "junit.xml"))}
    assert suites["sums [v1b]"].tests == 200 and suites["gates"].tests == 2
    assert suites["gates"].failures == suites["gates"].errors == 0


def test_planted_pass_rate_drop_fails_with_exit_1(work: Path) -> None:
    done = harness(
        "gate",
        "reports/v2",
        "--baseline",
        "base.json",
        "--gate",
        "no_regression(pass_rate, margin=0.05)",
        cwd=work,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ fail" in done.stdout
    message = done.stdout.replace("\n", "")
    for part in ("pass_rate", "0.05", "95% CI", "p=", "lower bound"):
        assert part in message


def test_thirty_percent_slower_fails_a_latency_gate(work: Path) -> None:
    done = harness(
        "gate",
        "reports/v2",
        "--baseline",
        "base.json",
        "--gate",
        "no_regression(latency_p50_ms, margin=10%)",
        cwd=work,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "upper bound of the ratio" in done.stdout.replace("\n", "")


def test_a_baseline_of_another_suite_is_exit_4(work: Path) -> None:
    data = json.loads((work / "base.json").read_text())
    data["suite"]["name"] = "other"
    (work / "other.json").write_text(json.dumps(data))
    done = harness(
        "gate",
        "reports/v2",
        "--baseline",
        "other.json",
        "--gate",
        "no_significant_regression(pass_rate)",
        cwd=work,
    )
    assert done.returncode == 4
    assert "a baseline only gates runs of its own suite" in done.stderr.replace("\n", " ")


def test_suite_gates_run_and_a_bad_one_fails_before_the_run(work: Path) -> None:
    (work / "bad.yaml").write_text(SUITE.format(name="v1", gates="gates:\n  - pass_rat>=0.5\n"))
    done = harness("run", "bad.yaml", "--run-id", "bad", "-q", cwd=work)
    assert done.returncode == 4 and "bad.yaml:13:5: gates[0]" in done.stderr
    assert not (work / "reports" / "bad").exists()


def test_an_unreachable_adapter_is_exit_5_even_with_gates(work: Path) -> None:
    suite = (
        SUITE.format(name="v1", gates="gates: [pass_rate>=0.0]\n")
        .replace("served_by: emulator,", "api_base: 'http://127.0.0.1:9/v1', timeout: 2,")
        .replace("emulator: {config: models.yaml}\n", "")
        .replace("questions.csv", "few.csv")
    )
    (work / "down.yaml").write_text(suite)
    (work / "few.csv").write_text("\n".join((work / "questions.csv").read_text().splitlines()[:4]))
    done = harness(
        "run", "down.yaml", "--run-id", "down", "-q", "--no-reports", "--retries", "1", cwd=work
    )
    assert done.returncode == 5, done.stdout + done.stderr
    assert "every request failed" in done.stderr and "gates:" not in done.stdout


def test_compare_reads_a_baseline_file_as_a_run(work: Path) -> None:
    done = harness(
        "compare", "base.json", "reports/v2", "--pair", "v1:v2", "--json", "--out", "cmp", cwd=work
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["pairs"][0]["shared_cases"] == 200
