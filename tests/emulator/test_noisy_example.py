"""suites/examples/noisy-*.yaml load, and their models are what the comments say they are.

The emulator's own draws (no HTTP, no clock): v2 is about 10 points less accurate than v1,
misses mostly the same questions, and is 30% slower on every request.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

import harness
from harness import load_suite
from harness.emulator import load_emulator_config
from harness.emulator.simulate import compile_models

from .test_noise_http import phi

SUITES = Path(harness.__file__).resolve().parent.parent / "suites"
EXAMPLES = SUITES / "examples"


@pytest.mark.parametrize(
    ("name", "adapters"),
    [
        ("noisy-v1-v2", ["v1", "v2"]),
        ("noisy-v1", ["v1"]),
        ("noisy-v2", ["v2"]),
        ("noisy-served", ["v1", "v2"]),
    ],
)
def test_example_suites_load(name: str, adapters: list[str]) -> None:
    suite = load_suite(EXAMPLES / f"{name}.yaml")
    assert [a.name for a in suite.adapters] == adapters
    assert len(suite.cases) == 400
    # noisy-served talks to an emulator started by hand; the others embed one.
    assert (suite.emulator is None) == (name == "noisy-served")


def test_example_models_differ_as_documented() -> None:
    config = load_emulator_config(SUITES / "emulator" / "noisy-models.yaml")
    models = compile_models(config)
    v1, v2 = (models[config.model(name).model_id] for name in ("v1", "v2"))
    with (SUITES / "data" / "sums.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    outcomes = {m: [m.decide(r["question"], 0, 16) for r in rows] for m in (v1, v2)}
    for model, outs in outcomes.items():
        assert all(o.text == r["answer"] for o, r in zip(outs, rows, strict=True) if o.correct)
        assert not any(
            r["answer"] in o.text for o, r in zip(outs, rows, strict=True) if not o.correct
        )
        accuracy = sum(bool(o.correct) for o in outs) / len(rows)
        skill = model.skill or 0.0
        assert abs(accuracy - skill) <= 3 * math.sqrt(skill * (1 - skill) / len(rows)), accuracy
    right1, right2 = ([bool(o.correct) for o in outcomes[m]] for m in (v1, v2))
    assert phi(right1, right2) > 0.2
    # Independent draws around medians 1.3x apart: the geometric mean ratio is about 1.3.
    ratio = math.exp(
        sum(math.log(o2.delay_s / o1.delay_s) for o1, o2 in zip(*outcomes.values(), strict=True))
        / len(rows)
    )
    assert 1.2 < ratio < 1.4, ratio
