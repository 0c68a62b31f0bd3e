"""Clustered A/A: cases sharing a context need cluster-robust tests to keep their error rate.

Two identical versions on 200 cases in 20 contexts whose shared effect is drawn afresh for
each version (a context that happened to suit v1 may not suit v2). The per-case differences
within a context are correlated, so a test that treats the 200 cases as independent (exact
McNemar) rejects "no change" far more often than 5% (about 28% here), while the CR1 test with
G - 1 degrees of freedom stays near 5% (6.5% over 200 runs; the bound below allows two
Monte-Carlo standard errors over 150 runs: 0.05 + 2 * sqrt(0.05 * 0.95 / 150) = 0.086).
"""

from __future__ import annotations

import math

import pandas as pd

from harness.analysis.paired.engine import compare_frames
from tests.analysis.paired_simulation import simulate_pair

SIMULATIONS = 150
BOUND = 0.05 + 2 * math.sqrt(0.05 * 0.95 / SIMULATIONS)


def _pass_rate_p(base: pd.DataFrame, candidate: pd.DataFrame, seed: int) -> float:
    result = compare_frames(
        base,
        candidate,
        pair=("v1", "v1-again"),
        higher_is_better={},
        seed=seed,
        n_resamples=50,
    )
    figure = result.figure("pass_rate")
    assert figure is not None and figure.p_value is not None
    return figure.p_value


def test_cluster_robust_tests_keep_the_error_rate_where_naive_ones_do_not() -> None:
    clustered = naive = 0
    for seed in range(SIMULATIONS):
        base, candidate = simulate_pair(50_000 + seed, n_clusters=20, cluster_sd=0.7)
        clustered += _pass_rate_p(base, candidate, seed) < 0.05
        naive += (
            _pass_rate_p(base.assign(cluster=None), candidate.assign(cluster=None), seed) < 0.05
        )
    assert clustered / SIMULATIONS <= BOUND, clustered
    assert naive / SIMULATIONS >= 0.15, naive
