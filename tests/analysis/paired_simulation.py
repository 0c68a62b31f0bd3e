"""Seeded record tables of two versions for the paired engine's statistical tests.

The model, in the spirit of the noisy emulator (issue 11): each case has a difficulty shared
by both versions (a hard question is hard for both) and its own typical latency and length;
a version answers each request correctly with probability Phi((skill - difficulty) / spread),
drawn afresh per request, so repeats of a case disagree sometimes. With SPREAD = 0.6 the
per-case correctness of two identical versions correlates about 0.6 (the 0.3-0.7 range
reported between models), so pairing helps but does not make the test trivial.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

SPREAD = 0.6
BASE_PASS_RATE = 0.7
ERROR_RATE = 0.02


def skill_for(pass_rate: float, spread: float) -> float:
    """Skill whose expected pass rate over N(0, 1) difficulties is ``pass_rate``."""
    return float(norm.ppf(pass_rate)) * math.sqrt(1.0 + spread**2)


def _side(
    rng: np.random.Generator,
    case: dict[str, np.ndarray],
    *,
    repeats: int,
    pass_rate: float,
    latency_factor: float,
    emulated: bool,
    clusters: np.ndarray | None,
) -> pd.DataFrame:
    n = case["difficulty"].size
    rows = n * repeats
    at = np.repeat(np.arange(n), repeats)
    spread = float(case["spread"][0])
    p = norm.cdf((skill_for(pass_rate, spread) - case["difficulty"][at]) / spread)
    errored = rng.random(rows) < ERROR_RATE
    passed = (rng.random(rows) < p) & ~errored
    noise = np.exp(rng.normal(0.0, 0.25, rows))
    latency = case["latency"][at] * latency_factor * noise
    ttft = latency if emulated else case["ttft"][at] * latency_factor * noise
    tokens = case["tokens"][at]
    timing = {
        "latency_ms": latency,
        "ttft_ms": ttft,
        "itl_ms": (latency - ttft) / np.maximum(tokens - 1, 1),
        "tokens_per_s": tokens / (latency / 1000.0),
    }
    frame = pd.DataFrame(
        {
            "case_id": np.array([f"case-{i:05d}" for i in range(n)], dtype=object)[at],
            "repeat": np.tile(np.arange(repeats), n),
            "cluster": pd.Series(
                None if clusters is None else clusters[at], index=range(rows), dtype=object
            ),
            "passed": passed,
            "errored": errored,
            "missing": np.zeros(rows, dtype=bool),
            **{k: np.where(errored, np.nan, v) for k, v in timing.items()},
            "ttft_emulated": np.full(rows, emulated),
            "score:similarity": np.clip(p + rng.normal(0.0, 0.15, rows), 0.0, 1.0),
        }
    )
    return frame


def simulate_pair(
    seed: int,
    *,
    n_cases: int = 200,
    repeats: int = 1,
    pass_drop: float = 0.0,
    latency_factor: float = 1.0,
    emulated_candidate: bool = False,
    n_clusters: int = 0,
    cluster_sd: float = 0.0,
    spread: float = SPREAD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base and candidate tables over the same cases; the candidate may carry a planted change.

    ``pass_drop`` lowers the candidate's expected pass rate by that share; ``latency_factor``
    multiplies its latency, TTFT and ITL (and divides tokens/s). With ``n_clusters`` cases
    belong to clusters whose shared effect (``cluster_sd``, on the difficulty scale) is
    drawn independently for each version: a context that helped one version may hurt the next.
    """
    rng = np.random.default_rng(seed)
    case = {
        "difficulty": rng.normal(0.0, 1.0, n_cases),
        "latency": np.exp(rng.normal(math.log(800.0), 0.5, n_cases)),
        "tokens": rng.integers(20, 400, n_cases).astype(float),
        "spread": np.array([spread]),
    }
    case["ttft"] = case["latency"] * rng.uniform(0.1, 0.3, n_cases)
    clusters = None
    cases = [dict(case), dict(case)]
    if n_clusters:
        groups = np.sort(rng.integers(0, n_clusters, n_cases))
        clusters = np.array([f"ctx-{g:03d}" for g in groups], dtype=object)
        for side in cases:
            side["difficulty"] = case["difficulty"] + rng.normal(0, cluster_sd, n_clusters)[groups]
    base = _side(
        rng,
        cases[0],
        repeats=repeats,
        pass_rate=BASE_PASS_RATE,
        latency_factor=1.0,
        emulated=False,
        clusters=clusters,
    )
    candidate = _side(
        rng,
        cases[1],
        repeats=repeats,
        pass_rate=BASE_PASS_RATE - pass_drop,
        latency_factor=latency_factor,
        emulated=emulated_candidate,
        clusters=clusters,
    )
    return base, candidate


def table(
    case_ids: list[str],
    passed: list[bool],
    **columns: list[Any],
) -> pd.DataFrame:
    """A hand-written per-record table (one row per record) with the contract's columns.

    Unnamed columns get their neutral value: no error, nothing missing, no timing (NaN),
    no cluster, measured streaming.
    """
    n = len(case_ids)
    data: dict[str, Any] = {
        "case_id": pd.Series(case_ids, dtype=object),
        "repeat": columns.pop("repeat", [0] * n),
        "cluster": pd.Series(columns.pop("cluster", [None] * n), dtype=object),
        "passed": passed,
        "errored": columns.pop("errored", [False] * n),
        "missing": columns.pop("missing", [False] * n),
    }
    for name in ("latency_ms", "ttft_ms", "itl_ms", "tokens_per_s"):
        data[name] = columns.pop(name, [math.nan] * n)
    data["ttft_emulated"] = columns.pop("ttft_emulated", [False] * n)
    data.update({f"score:{k}": v for k, v in columns.items()})
    return pd.DataFrame(data)
