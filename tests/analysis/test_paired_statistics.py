"""The engine's building blocks against the libraries and definitions they stand in for."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from harness.analysis.paired.engine import holm
from harness.analysis.paired.order_statistics import weighted_percentiles
from harness.analysis.paired.resample import (
    Request,
    ResamplePlan,
    bca_intervals,
    draw,
    draw_many,
    intervals,
)
from harness.analysis.paired.significance import (
    cluster_t_test,
    cr1_standard_error,
    mcnemar_test,
    newcombe_interval,
    paired_t_test,
    wilcoxon_test,
)
from harness.analysis.stats import mcnemar_exact_p


def test_holm_equals_statsmodels_holm_and_not_its_default_holm_sidak() -> None:
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(0, 0.05, 4), rng.uniform(0, 1, 5), [0.01, 0.01]])
    ours = holm(list(p))
    assert ours == pytest.approx(list(multipletests(p, method="holm")[1]), abs=1e-15)
    assert ours != pytest.approx(list(multipletests(p)[1]), abs=1e-6)
    assert holm([]) == []
    assert holm([0.6, 0.6]) == [1.0, 1.0]


def test_weighted_percentiles_equal_numpy_on_the_expanded_resamples() -> None:
    rng = np.random.default_rng(2)
    values = rng.lognormal(6, 0.7, 57)
    values[5] = values[9]  # a tie
    plan = ResamplePlan(n=57, n_resamples=40, seed=3)
    counts = next(plan.counts())
    qs = np.array([50.0, 95.0, 0.0, 100.0, 37.5])
    got = weighted_percentiles(counts, values, qs)
    for row in range(counts.shape[0]):
        expanded = np.repeat(values, counts[row])
        assert got[row] == pytest.approx(np.percentile(expanded, qs), rel=1e-12)


def test_case_resamples_draw_n_cases_and_cluster_resamples_move_clusters_together() -> None:
    counts = np.concatenate(list(ResamplePlan(n=30, n_resamples=25, seed=0).counts()))
    assert counts.shape == (25, 30)
    assert (counts.sum(axis=1) == 30).all()
    assert len({tuple(row) for row in counts}) == 25
    groups = np.repeat(np.arange(6), 5)
    plan = ResamplePlan(n=30, n_resamples=25, seed=0, groups=groups, n_groups=6)
    clustered = np.concatenate(list(plan.counts()))
    assert (clustered.reshape(25, 6, 5) == clustered.reshape(25, 6, 5)[:, :, :1]).all()
    assert (clustered[:, ::5].sum(axis=1) == 6).all()


def test_resamples_are_chunked_without_changing_the_seeded_draws() -> None:
    """The chunk size depends on n only, so a given (n, seed) always draws the same rows."""
    first = np.concatenate(list(ResamplePlan(n=50_000, n_resamples=300, seed=4).counts()))
    again = np.concatenate(list(ResamplePlan(n=50_000, n_resamples=300, seed=4).counts()))
    assert first.shape == (300, 50_000)
    assert (first == again).all()


def test_percentile_intervals_take_both_levels_from_one_distribution() -> None:
    samples = np.arange(1001, dtype=float)
    wide, narrow = intervals(samples, [0.95, 0.90])
    assert wide == pytest.approx([25.0, 975.0]) and narrow == pytest.approx([50.0, 950.0])
    assert intervals(np.array([np.nan]), [0.95]) == [None]


def test_mcnemar_matches_the_exact_binomial_and_signs_the_change() -> None:
    base = np.array([1.0] * 12 + [0.0] * 3 + [1.0] * 20 + [0.0] * 5)
    candidate = np.array([0.0] * 12 + [1.0] * 3 + [1.0] * 20 + [0.0] * 5)
    p, direction = mcnemar_test(base, candidate)
    assert p == pytest.approx(mcnemar_exact_p(12, 3), rel=1e-12)
    assert direction == -1
    assert mcnemar_test(base, base) == (1.0, 0)


def test_newcombe_interval_covers_the_paired_difference_about_95_percent() -> None:
    """2,000 seeded 2x2 tables of 80 correlated pairs; coverage 0.95 within 2 MC SE."""
    rng = np.random.default_rng(5)
    p_both, p_base_only, p_candidate_only = 0.5, 0.15, 0.07
    truth = p_candidate_only - p_base_only
    covered = 0
    for _ in range(2000):
        u = rng.random(80)
        base = (u < p_both + p_base_only).astype(float)
        candidate = ((u < p_both) | (u > 1 - p_candidate_only)).astype(float)
        low, high = newcombe_interval(base, candidate, 0.95)
        covered += low <= truth <= high
    assert abs(covered / 2000 - 0.95) <= 2 * math.sqrt(0.95 * 0.05 / 2000)


def test_newcombe_interval_is_honest_at_n_over_n() -> None:
    ones = np.ones(20)
    low, high = newcombe_interval(ones, ones, 0.95)
    assert -1 < low < -0.1 and 0.1 < high < 1  # the Wald interval would be [0, 0]


def test_constant_differences_use_the_sign_test_not_an_infinite_t() -> None:
    assert paired_t_test(np.zeros(10)) == (1.0, 0)
    assert paired_t_test(np.full(8, 0.25)) == (2.0**-7, 1)
    assert paired_t_test(np.log(np.full(8, 1.5) * 3) - np.log(np.full(8, 3.0)))[0] == 2.0**-7
    assert paired_t_test(np.array([0.3])) == (1.0, 1)
    assert paired_t_test(np.array([])) == (None, 0)


def test_wilcoxon_keeps_zero_differences_and_ignores_float_noise() -> None:
    noise = (np.full(30, 0.1) + 0.2) - 0.3  # 5.6e-17, not an effect
    assert wilcoxon_test(noise) == (1.0, 0)
    diffs = np.array([0.1] * 8 + [0.0] * 40)
    p_split, direction = wilcoxon_test(diffs)
    from scipy.stats import wilcoxon

    p_dropped = float(wilcoxon(diffs, zero_method="wilcox").pvalue)
    assert direction == 1
    assert p_split > p_dropped  # 40 ties are evidence of no change, not left out


def test_cr1_equals_statsmodels_cluster_robust_ols() -> None:
    rng = np.random.default_rng(6)
    groups = np.repeat(np.arange(12), 5)
    diffs = rng.normal(0.1, 1, 60) + np.repeat(rng.normal(0, 1, 12), 5)
    fit = sm.OLS(diffs, np.ones(60)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert cr1_standard_error(diffs, groups) == pytest.approx(float(fit.bse[0]), rel=1e-12)
    p, direction = cluster_t_test(diffs, groups)
    assert p == pytest.approx(float(fit.pvalues[0]), rel=1e-10)
    assert direction == (1 if diffs.mean() > 0 else -1)
    assert math.isnan(cr1_standard_error(diffs, np.zeros(60, dtype=np.intp)))


@pytest.mark.parametrize("band_sds", [0.3, None])
def test_banded_percentiles_equal_the_full_reading(
    band_sds: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk sums only a band of sorted values; rows whose percentile leaves the band
    are read in full. Narrow bands (0.3 standard deviations) are often left by a cluster
    bootstrap of unequal clusters, so both paths are exercised; the default bands are not."""
    import harness.analysis.paired.order_statistics as order_statistics
    import harness.analysis.paired.resample as resample

    rng = np.random.default_rng(7)
    n = 600
    groups = np.sort(rng.integers(0, 8, n)).astype(np.intp)
    values = rng.lognormal(5, 1, n) * (1 + 10 * (groups == 0))
    values[rng.random(n) < 0.1] = np.nan
    monkeypatch.setattr(resample, "_CHUNK_CELLS", 7 * n)
    if band_sds is not None:
        monkeypatch.setattr(order_statistics, "BAND_SDS", band_sds)
    full_reads = 0
    read_full = order_statistics.PercentileColumn.read_full

    def counting(self: order_statistics.PercentileColumn, *args: object) -> object:
        nonlocal full_reads
        full_reads += 1
        return read_full(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(order_statistics.PercentileColumn, "read_full", counting)
    plan = ResamplePlan(n=n, n_resamples=300, seed=1, groups=groups, n_groups=8)
    qs = np.array([50.0, 95.0])
    got = draw(plan, np.empty((n, 0)), values[:, None], qs).percentiles[:, 0, :]
    reads_while_drawing = full_reads
    counts = np.concatenate(list(plan.counts()))
    ok = ~np.isnan(values)
    expected = weighted_percentiles(counts[:, ok], values[ok], qs)
    assert np.array_equal(got, expected, equal_nan=True)
    if band_sds is not None:
        assert reads_while_drawing > 0  # some rows fell outside their band
    else:
        assert reads_while_drawing == 0  # the default bands held every row: the fast path


def test_views_of_a_shared_percentile_column_equal_their_own_columns() -> None:
    """An adapter's column read once for several pairs, each leaving out other cases, gives
    exactly what each pair's own column gives (the in-run comparison shares columns so)."""
    rng = np.random.default_rng(8)
    n = 2000
    values = rng.lognormal(6, 0.5, n)
    values[rng.random(n) < 0.05] = np.nan
    used = [rng.random(n) > share for share in (0.0, 0.02, 0.3)]
    plan = ResamplePlan(n=n, n_resamples=120, seed=2)
    qs = np.array([50.0, 95.0])
    requests = [Request(np.empty((n, 0)), values[:, None], u[:, None]) for u in used]
    shared = draw_many(plan, requests, qs)
    for found, u in zip(shared, used, strict=True):
        alone = draw(plan, np.empty((n, 0)), np.where(u, values, np.nan)[:, None], qs)
        assert np.array_equal(found.percentiles, alone.percentiles, equal_nan=True)


def test_bca_matches_scipy_bca_and_corrects_the_percentile_interval_for_skew() -> None:
    from scipy.stats import bootstrap

    x = np.random.default_rng(3).gamma(2.0, 1.0, 40)
    counts = np.concatenate(list(ResamplePlan(n=40, n_resamples=40_000, seed=1).counts()))
    samples = (counts @ x) / 40
    (ours,) = bca_intervals(samples, x, None, [0.95])
    (percentile,) = intervals(samples, [0.95])
    reference = bootstrap(
        (x,), np.mean, method="BCa", n_resamples=40_000, rng=np.random.default_rng(2)
    ).confidence_interval
    assert ours is not None and percentile is not None
    width = reference.high - reference.low
    assert abs(ours[0] - reference.low) < 0.03 * width
    assert abs(ours[1] - reference.high) < 0.03 * width
    # Right-skewed data: BCa moves both ends up from the percentile interval.
    assert ours[0] > percentile[0] and ours[1] > percentile[1]


def test_bca_with_one_case_per_cluster_is_the_case_jackknife_and_degenerate_falls_back() -> None:
    x = np.random.default_rng(4).lognormal(0, 0.5, 30)
    x[3] = np.nan
    counts = np.concatenate(list(ResamplePlan(n=30, n_resamples=500, seed=2).counts()))
    ok = ~np.isnan(x)
    samples = (counts[:, ok] @ x[ok]) / counts[:, ok].sum(axis=1)
    singletons = np.arange(30, dtype=np.intp)
    assert bca_intervals(samples, x, singletons, [0.95, 0.9]) == bca_intervals(
        samples, x, None, [0.95, 0.9]
    )
    flat = np.full(500, 0.5)
    assert bca_intervals(flat, np.full(30, 0.5), None, [0.95]) == intervals(flat, [0.95])


def test_chunks_drawn_ahead_are_the_inline_draws_and_reused_buffers_hold_until_next() -> None:
    """Several chunks (drawn on the producer thread) equal one inline (rows, n) draw of the
    same seed; with reuse=True each chunk is intact while the caller holds it."""
    plan = ResamplePlan(n=40_000, n_resamples=500, seed=9)  # 104 rows a chunk: 5 chunks
    rng = np.random.default_rng(9)
    expected = np.stack(
        [
            np.bincount(rng.integers(0, 40_000, 40_000, dtype=np.int32), minlength=40_000)
            for _ in range(500)
        ]
    )
    held = []
    for chunk in plan.weights(reuse=True):
        time.sleep(0.05)  # the producer draws ahead meanwhile: it must not touch this chunk
        held.append(chunk.copy())
    threaded = np.concatenate(held)
    assert threaded.shape == (500, 40_000)
    assert (threaded == expected).all()
    kept = list(plan.weights())  # no reuse: every chunk is its own array
    assert len(kept) == 5 and (np.concatenate(kept) == expected).all()


def test_a_caller_that_stops_early_releases_the_drawing_thread() -> None:
    import threading

    chunks = ResamplePlan(n=40_000, n_resamples=2_000, seed=1).weights(reuse=True)
    next(chunks)
    chunks.close()  # the generator's finally stops and joins the producer
    assert not [t for t in threading.enumerate() if t.name == "harness-bootstrap-draws"]


def test_an_error_on_the_drawing_thread_reaches_the_caller() -> None:
    groups = np.full(40_000, 40_000)  # a cluster number past the last cluster
    plan = ResamplePlan(n=40_000, n_resamples=500, seed=1, groups=groups, n_groups=40_000)
    with pytest.raises(IndexError):  # raised on the producer thread, re-raised here
        np.concatenate(list(plan.counts()))
