"""compare_many: every pair of a run from shared draws, each as compare_frames gives it alone."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from harness.analysis.paired import resample
from harness.analysis.paired.engine import compare_frames, compare_many
from harness.analysis.paired.resample import ResamplePlan, draw
from tests.analysis.paired_simulation import simulate_pair

BOOTSTRAP_KEYS = ("ci", "ci_one_sided", "ratio_ci", "ratio_ci_one_sided")


def _three_adapters() -> dict[str, pd.DataFrame]:
    """a and b ran the same 300 cases; c skipped 20 of them, so its pairs have other cases."""
    a, b = simulate_pair(11, n_cases=300, latency_factor=1.2)
    _, c = simulate_pair(12, n_cases=300, pass_drop=0.1)
    c = c.iloc[20:].reset_index(drop=True)
    return {"a": a, "b": b, "c": c}


def test_each_pair_equals_its_own_comparison_and_case_sets_share_their_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frames = _three_adapters()
    pairs = list(itertools.combinations(frames, 2))
    drawn = []
    weights = ResamplePlan.weights

    def counting(self: ResamplePlan, **options: bool) -> object:
        drawn.append(self.n)
        return weights(self, **options)

    monkeypatch.setattr(ResamplePlan, "weights", counting)
    together = compare_many(frames, pairs, higher_is_better={}, n_resamples=400)
    # (a, b) over 300 cases; (a, c) and (b, c) over the same 280: two sets of draws, not three.
    assert sorted(drawn) == [280, 300]
    for base, candidate in pairs:
        alone = compare_frames(
            frames[base], frames[candidate], pair=(base, candidate), higher_is_better={},
            n_resamples=400,
        )  # fmt: skip
        shared = together[(base, candidate)]
        assert shared.shared_cases == alone.shared_cases and shared.notes == alone.notes
        assert [f.figure for f in shared.figures] == [f.figure for f in alone.figures]
        assert any(f.figure == "latency_p95_ms" for f in shared.figures)
        for mine, own in zip(shared.figures, alone.figures, strict=True):
            exact = set(own.model_dump()) - set(BOOTSTRAP_KEYS)
            assert {k: getattr(mine, k) for k in exact} == {k: getattr(own, k) for k in exact}
            for key in BOOTSTRAP_KEYS:  # means summed by BLAS in another shape: last bits
                assert getattr(mine, key) == pytest.approx(getattr(own, key), rel=1e-12), key


def test_whole_number_sums_past_float32_precision_fall_back_to_float64() -> None:
    """Whole-number columns are summed in float32 only while every sum stays below 2**24."""
    n = 20_000
    values = np.random.default_rng(3).integers(0, 2_000, n).astype(float)  # sums ~2e7
    plan = ResamplePlan(n=n, n_resamples=30, seed=5)
    got = draw(plan, values[:, None], np.empty((n, 0)), np.array([50.0])).means[:, 0]
    counts = np.concatenate(list(plan.counts()))
    exact = (counts @ values.astype(np.int64)) / counts.sum(axis=1)
    assert np.array_equal(got, exact)
    assert resample._EXACT_FLOAT32 < float(np.max(counts @ values.astype(np.int64)))


def test_the_products_run_on_one_blas_thread_and_the_count_is_restored() -> None:
    """numpy's BLAS is found (this image's numpy bundles OpenBLAS), set to one thread inside
    the bootstrap, and set back after, whatever it was."""
    from threadpoolctl import threadpool_limits

    from harness.analysis.paired.blas import blas_threads, one_blas_thread

    assert blas_threads() is not None
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == 2
        seen = []
        original = ResamplePlan.weights

        def watching(self: ResamplePlan, **options: bool) -> object:
            for chunk in original(self, **options):
                seen.append(blas_threads())
                yield chunk

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ResamplePlan, "weights", watching)
            draw(ResamplePlan(n=50, n_resamples=10, seed=1), np.ones((50, 1)), np.ones((50, 1)),
                 np.array([50.0]))  # fmt: skip
        assert seen == [1]
        assert blas_threads() == 2
        with one_blas_thread():
            assert blas_threads() == 1
        assert blas_threads() == 2
