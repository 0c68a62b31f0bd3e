"""compare_frames on hand-made tables: edge cases, repeats, clusters, determinism."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analysis.paired.engine import compare_frames
from harness.analysis.paired.results import FIXED_FIGURES, FigureResult, PairComparisonResult
from harness.analysis.paired.share_figures import CLUSTER_METHOD
from tests.analysis.paired_simulation import simulate_pair, table

IDS = [f"case-{i:03d}" for i in range(40)]


def _compare(base: pd.DataFrame, candidate: pd.DataFrame, **kwargs: object) -> PairComparisonResult:
    options: dict[str, object] = {"higher_is_better": {}, "n_resamples": 300} | kwargs
    return compare_frames(base, candidate, pair=("v1", "v2"), **options)  # type: ignore[arg-type]


def _figure(result: PairComparisonResult, name: str) -> FigureResult:
    found = result.figure(name)
    assert found is not None, [f.figure for f in result.figures]
    return found


def test_zero_discordant_pairs_give_p_one_and_no_difference() -> None:
    passed = [i % 3 != 0 for i in range(40)]
    result = _compare(table(IDS, passed), table(IDS, passed))
    pass_rate = _figure(result, "pass_rate")
    assert pass_rate.p_value == 1.0
    assert pass_rate.delta == 0.0
    assert pass_rate.verdict == "no_difference"
    assert pass_rate.ci is not None and pass_rate.ci[0] < 0 < pass_rate.ci[1]
    assert any("no discordant case" in note for note in pass_rate.notes)
    # Even with no discordance the MDE is the exact floor: 7 discordant cases of 40 at
    # alpha 0.05 / 2 figures (log2(2 / 0.025) = 6.3), never zero.
    assert pass_rate.mde == pytest.approx(7 / 40)


def test_all_pass_on_both_sides_is_no_difference_with_an_interval_inside_minus_one_one() -> None:
    result = _compare(table(IDS, [True] * 40), table(IDS, [True] * 40))
    pass_rate = _figure(result, "pass_rate")
    assert (pass_rate.base, pass_rate.candidate, pass_rate.verdict) == (1.0, 1.0, "no_difference")
    assert pass_rate.ci is not None and -1.0 <= pass_rate.ci[0] < 0 < pass_rate.ci[1] <= 1.0
    assert _figure(result, "error_rate").base == 0.0


def test_all_errors_count_as_failures_and_their_timings_are_not_used() -> None:
    errored = {"errored": [True] * 40, "latency_ms": [100.0] * 40}
    result = _compare(table(IDS, [False] * 40, **errored), table(IDS, [False] * 40, **errored))
    assert _figure(result, "error_rate").base == 1.0
    assert _figure(result, "pass_rate").base == 0.0
    assert result.figure("latency_p50_ms") is None
    assert "latency_p50_ms: omitted, no case has it on both sides" in result.notes


def test_a_single_case_gives_figures_but_no_verdict_and_no_mde() -> None:
    base = table(["only"], [True], latency_ms=[100.0])
    candidate = table(["only"], [False], latency_ms=[900.0])
    result = _compare(base, candidate)
    assert result.shared_cases == 1
    for figure in result.figures:
        assert figure.n == 1
        assert figure.verdict == "no_difference"
        assert figure.mde is None
    assert _figure(result, "pass_rate").delta == -1.0
    assert any("only 1 paired cases" in note for note in result.notes)


def test_a_score_its_test_cannot_call_with_so_few_cases_has_no_mde_not_zero() -> None:
    """Three cases that all gain 1.0: no spread, so the t formula says any change is seen
    (0.0), but the signed-rank test's best p with 3 cases is 2/2**3 = 0.25: nothing can be
    called, and the MDE must say so (None), not claim 0."""
    ids = ["a", "b", "c"]
    few = _compare(
        table(ids, [True] * 3, **{"fmt": [0.0] * 3}), table(ids, [True] * 3, **{"fmt": [1.0] * 3})
    )
    score = _figure(few, "score:fmt")
    assert (score.delta, score.verdict, score.mde) == (1.0, "no_difference", None)
    # with 40 cases the same test reaches the level, and the MDE of a spread of zero is 0
    many = _compare(
        table(IDS, [True] * 40, fmt=[0.0] * 40), table(IDS, [True] * 40, fmt=[1.0] * 40)
    )
    assert (_figure(many, "score:fmt").verdict, _figure(many, "score:fmt").mde) == ("better", 0.0)


def test_cases_on_one_side_only_are_listed_sorted_and_left_out() -> None:
    base_ids, candidate_ids = IDS[:30], IDS[10:]
    result = _compare(
        table(base_ids[::-1], [True] * 30), table(candidate_ids, [True] * 20 + [False] * 10)
    )
    assert result.base_only == IDS[:10]
    assert result.candidate_only == IDS[30:]
    assert result.shared_cases == 20
    pass_rate = _figure(result, "pass_rate")
    assert (pass_rate.n, pass_rate.base, pass_rate.candidate) == (20, 1.0, 1.0)


def test_no_shared_case_gives_no_figure_and_says_why() -> None:
    result = _compare(table(IDS[:5], [True] * 5), table(IDS[5:10], [True] * 5))
    assert result.figures == []
    assert result.notes == ["the two sides share no case: nothing to compare"]


def test_nan_scores_leave_their_cases_out_and_one_sided_metrics_are_omitted() -> None:
    scores = [i / 40 for i in range(40)]
    holes = [math.nan if i % 4 == 0 else s + 0.01 for i, s in enumerate(scores)]
    base = table(IDS, [True] * 40, similarity=scores, only_base=scores)
    candidate = table(IDS, [True] * 40, similarity=holes, only_base=[math.nan] * 40)
    result = _compare(base, candidate)
    similarity = _figure(result, "score:similarity")
    assert similarity.n == 30
    assert similarity.delta == pytest.approx(0.01)
    assert similarity.base is not None and not math.isnan(similarity.base)
    assert "10 cases scored on one side only were left out" in similarity.notes
    assert result.figure("score:only_base") is None
    assert "score:only_base: omitted, no case has it on both sides" in result.notes


def test_emulated_ttft_on_one_side_is_shown_but_never_called() -> None:
    latency = [200.0 + 5 * i for i in range(40)]
    base = table(IDS, [True] * 40, latency_ms=latency, ttft_ms=[x / 5 for x in latency])
    candidate = table(
        IDS,
        [True] * 40,
        latency_ms=[x * 1.5 for x in latency],
        ttft_ms=[x * 1.5 for x in latency],
        ttft_emulated=[True] * 40,
    )
    result = _compare(base, candidate)
    for name in ("ttft_p50_ms", "ttft_p95_ms"):
        ttft = _figure(result, name)
        assert ttft.delta is not None and ttft.delta > 0
        assert ttft.p_value is not None and ttft.p_value < 1e-6
        assert (ttft.verdict, ttft.p_adjusted, ttft.comparable) == ("no_difference", None, False)
        assert any("candidate side is emulated streaming" in note for note in ttft.notes)
    assert _figure(result, "latency_p50_ms").verdict == "worse"


def test_repeats_are_averaged_per_case_and_tested_as_shares() -> None:
    ids = [case for case in IDS for _ in range(4)]
    repeat = [r for _ in IDS for r in range(4)]
    base = table(ids, [r < 2 for r in repeat], repeat=repeat)
    candidate = table(ids, [r < 3 for r in repeat], repeat=repeat)
    result = _compare(base, candidate)
    pass_rate = _figure(result, "pass_rate")
    assert pass_rate.n == 40
    assert (pass_rate.base, pass_rate.candidate) == (0.5, 0.75)
    assert pass_rate.method.startswith("paired t-test")
    assert "repeats are averaged per case before any statistic" in result.notes


def test_judge_missing_records_are_dropped_not_counted_as_failures() -> None:
    ids = [case for case in IDS for _ in range(2)]
    missing = [i % 2 == 1 for i in range(80)]
    base = table(ids, [not m for m in missing], missing=missing, repeat=[i % 2 for i in range(80)])
    result = _compare(base, table(IDS, [True] * 40))
    assert _figure(result, "pass_rate").base == 1.0
    assert "40 base records could not be graded (a judge failed) and were left out." in (
        result.notes
    )


def test_direction_of_a_metric_decides_better_or_worse() -> None:
    low = [0.2] * 40
    high = [0.2 + 0.1 + 0.001 * i for i in range(40)]
    base, candidate = table(IDS, [True] * 40, toxicity=low), table(IDS, [True] * 40, toxicity=high)
    assert _figure(_compare(base, candidate), "score:toxicity").verdict == "better"
    lower_is_better = _compare(base, candidate, higher_is_better={"toxicity": False})
    assert _figure(lower_is_better, "score:toxicity").verdict == "worse"


def test_a_test_pointing_against_the_mean_change_gives_no_verdict() -> None:
    """150 cases gain 0.05, 20 lose 0.6: the signed-rank test sees a gain (p tiny), the mean
    falls. Calling that 'worse' would pair a p-value with the opposite direction."""
    ids = [f"c{i:03d}" for i in range(170)]
    base = [0.5] * 170
    candidate = [0.55] * 150 + [0.0 - 0.1] * 20
    result = _compare(table(ids, [True] * 170, q=base), table(ids, [True] * 170, q=candidate))
    score = _figure(result, "score:q")
    assert score.delta is not None and score.delta < 0
    assert score.p_adjusted is not None and score.p_adjusted < 0.05
    assert score.verdict == "no_difference"
    assert any("opposite directions" in note for note in score.notes)


def _width(figure: FigureResult) -> float:
    assert figure.ci is not None
    return figure.ci[1] - figure.ci[0]


def test_clusters_widen_intervals_where_the_naive_ones_are_too_narrow() -> None:
    """20 contexts of 10 cases whose shared effect differs between versions: the paired
    differences within a context are correlated, so treating 200 cases as independent
    understates the noise."""
    base, candidate = simulate_pair(7, n_clusters=20, cluster_sd=1.0)
    clustered = _compare(base, candidate)
    naive = _compare(base.assign(cluster=None), candidate.assign(cluster=None))
    for name in ("pass_rate", "score:similarity"):
        with_clusters, without = _figure(clustered, name), _figure(naive, name)
        assert with_clusters.method == CLUSTER_METHOD
        assert _width(with_clusters) > 1.3 * _width(without), name
        assert with_clusters.mde is not None and without.mde is not None
        assert with_clusters.mde > without.mde
    assert any(note.startswith("20 clusters") for note in clustered.notes)
    assert any("fewer than 40" in note for note in clustered.notes)


def test_cases_without_a_cluster_are_their_own_cluster() -> None:
    clusters = ["ctx-a"] * 10 + [None] * 30
    result = _compare(table(IDS, [True] * 40, cluster=clusters), table(IDS, [False] * 40))
    assert any(note.startswith("31 clusters") for note in result.notes)


def test_same_inputs_give_byte_identical_json_and_the_seed_matters() -> None:
    base, candidate = simulate_pair(3, repeats=2, n_cases=120)
    first = _compare(base, candidate, seed=11).model_dump_json()
    assert _compare(base.copy(), candidate.copy(), seed=11).model_dump_json() == first
    assert _compare(base, candidate, seed=12).model_dump_json() != first


def test_every_verdict_matches_the_adjusted_p_value_and_the_direction() -> None:
    base, candidate = simulate_pair(5, pass_drop=0.1, latency_factor=0.7, repeats=3)
    result = _compare(base, candidate)
    for f in result.figures:
        called = f.verdict != "no_difference"
        assert called == (f.p_adjusted is not None and f.p_adjusted < 0.05 and bool(f.delta))
        if called:
            assert f.delta is not None
            assert (f.verdict == "better") == ((f.delta > 0) == f.higher_is_better), f.figure
    assert _figure(result, "pass_rate").verdict == "worse"
    assert _figure(result, "latency_p50_ms").verdict == "better"
    assert _figure(result, "tokens_per_s").verdict == "better"
    adjusted = [f.p_adjusted for f in result.figures if f.p_adjusted is not None]
    raw = [f.p_value for f in result.figures if f.p_adjusted is not None]
    assert all(a >= r for a, r in zip(adjusted, raw, strict=True) if r is not None)


def test_timing_ratio_and_its_interval_are_on_the_candidate_over_base_scale() -> None:
    base, candidate = simulate_pair(9, latency_factor=1.3)
    latency = _figure(_compare(base, candidate), "latency_p50_ms")
    assert latency.ratio is not None and latency.ratio_ci is not None
    assert latency.ratio_ci[0] < latency.ratio < latency.ratio_ci[1]
    assert 1.2 < latency.ratio < 1.4
    assert latency.ci is not None and latency.delta is not None
    assert latency.ci[0] < latency.delta < latency.ci[1]
    assert latency.mde is not None and latency.base is not None and 0 < latency.mde < latency.base


def test_invalid_settings_are_refused() -> None:
    frame = table(IDS, [True] * 40)
    with pytest.raises(ValueError, match="alpha"):
        _compare(frame, frame, alpha=0.7)
    with pytest.raises(ValueError, match="n_resamples"):
        _compare(frame, frame, n_resamples=0)


def test_interval_of_the_mean_difference_covers_the_truth_about_95_percent() -> None:
    """The paired bootstrap interval of a score's mean difference, over 200 seeded samples of
    60 cases with a true difference of 0.05: coverage 0.95 within 2 Monte-Carlo SE (0.031),
    with one more SE allowed below because percentile intervals run a little narrow."""
    rng = np.random.default_rng(0)
    ids = [f"c{i:02d}" for i in range(60)]
    covered = 0
    for seed in range(200):
        level = rng.uniform(0.2, 0.8, 60)
        x = level + rng.normal(0, 0.1, 60)
        y = level + 0.05 + rng.normal(0, 0.1, 60)
        figure = _figure(
            _compare(
                table(ids, [True] * 60, s=list(x)),
                table(ids, [True] * 60, s=list(y)),
                seed=seed,
                n_resamples=400,
            ),
            "score:s",
        )
        assert figure.ci is not None
        covered += figure.ci[0] <= 0.05 <= figure.ci[1]
    assert 0.95 - 0.062 <= covered / 200 <= 0.95 + 0.031


def test_figures_come_in_the_documented_order() -> None:
    base, candidate = simulate_pair(2, n_cases=60)
    names = [f.figure for f in _compare(base, candidate).figures]
    assert names == [*FIXED_FIGURES[:2], "score:similarity", *FIXED_FIGURES[2:]]
