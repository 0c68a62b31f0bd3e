"""Mean-difference figures: pass rate, error rate and the mean score of each metric.

Each is the mean of per-case differences (candidate - base, repeats averaged first). The
test depends on the data:
- pass/fail, one outcome per case: exact McNemar, Newcombe's paired interval;
- pass shares with repeats: a paired t-test and t interval on the per-case shares. Chosen over
  Wilcoxon because it tests the mean difference, which is the reported delta, so test and
  interval agree; the shares are bounded in [0, 1], so the mean is close to normal from a
  few dozen cases on. Wilcoxon would test a shift of the median of pairwise averages, which
  can point the other way than the mean;
- scores: Wilcoxon signed-rank (zeros split, so ties are not dropped) with a paired bootstrap
  interval of the mean: scores are often skewed or on a coarse grid, where the rank test is
  safer than a t-test; a verdict also needs the test's direction to agree with delta's sign;
- clustered cases (any of the above): a cluster-robust (CR1) t-test with G-1 degrees of
  freedom and a cluster bootstrap interval, because cases sharing a context are not
  independent and every test above assumes they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.paired.drafts import (
    Context,
    FigureDraft,
    MdeRule,
    Pending,
    finite_or_none,
    mde_or_none,
    mean_mde,
    signed_rank_reaches,
)
from harness.analysis.paired.power import exact_discordant_floor, mde_proportion_paired
from harness.analysis.paired.significance import (
    Test,
    cluster_t_test,
    cr1_standard_error,
    mcnemar_test,
    newcombe_interval,
    paired_t_interval,
    paired_t_test,
    wilcoxon_test,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from harness.analysis.paired.resample import BootstrapDraws

__all__ = ["CLUSTER_METHOD", "clustered_test", "sample_sd", "score_figure", "share_figure"]

CLUSTER_METHOD = "cluster-robust (CR1) t-test, G-1 df; cluster bootstrap BCa interval"


def sample_sd(diffs: NDArray[np.float64]) -> float:
    """Standard deviation of per-case differences (n - 1); infinite (unknown) below 2 cases."""
    return float(np.std(diffs, ddof=1)) if diffs.size > 1 else math.inf


def clustered_test(
    ctx: Context, diffs: NDArray[np.float64], ok: NDArray[np.bool_]
) -> tuple[Test, float]:
    """CR1 test of the mean of ``diffs``, and the spread the power calculation should use.

    That spread is se * sqrt(n): the per-case standard deviation that would give the
    clustered standard error, so the MDE includes the design effect of clustering.
    """
    assert ctx.cases.groups is not None
    groups = ctx.cases.groups[ok]
    se = cr1_standard_error(diffs, groups)
    spread = se * math.sqrt(diffs.size) if math.isfinite(se) else math.inf
    return cluster_t_test(diffs, groups), spread


def _floor(n: int) -> Callable[[float], float]:
    return lambda alpha: exact_discordant_floor(alpha) / n


def _proportion_mde(n: int, discordance: float) -> MdeRule:
    return lambda alpha: mde_or_none(mde_proportion_paired(n, discordance, alpha=alpha))


def _unit_values(x: NDArray[np.float64]) -> bool:
    return bool(np.all((x == 0.0) | (x == 1.0)))


@dataclass(frozen=True)
class _Column:
    """One per-case column on both sides, restricted to the cases valued on both."""

    ok: NDArray[np.bool_]
    base: NDArray[np.float64]
    candidate: NDArray[np.float64]
    resampled: int
    one_sided_only: int

    @property
    def diffs(self) -> NDArray[np.float64]:
        return self.candidate - self.base

    def draft(
        self,
        figure: str,
        higher_is_better: bool,
        unit: str,
        test: Test,
        intervals: tuple[list[float] | None, ...],
        mde: MdeRule,
        method: str,
        notes: list[str],
    ) -> FigureDraft:
        return FigureDraft(
            figure=figure,
            higher_is_better=higher_is_better,
            unit=unit,
            n=int(self.ok.sum()),
            base=float(np.mean(self.base)),
            candidate=float(np.mean(self.candidate)),
            delta=float(np.mean(self.diffs)),
            ci=intervals[0],
            ci_one_sided=intervals[1],
            p_value=finite_or_none(test[0]),
            direction=test[1],
            mde=mde,
            method=method,
            notes=notes,
        )


def _paired_column(ctx: Context, column: str) -> _Column | None:
    """The column's valued pairs, its difference registered for resampling; None if none."""
    if column not in ctx.cases.base or column not in ctx.cases.candidate:
        return None
    x_all, y_all = ctx.cases.base[column], ctx.cases.candidate[column]
    ok = ~np.isnan(x_all) & ~np.isnan(y_all)
    if not ok.any():
        return None
    return _Column(
        ok=ok,
        base=x_all[ok],
        candidate=y_all[ok],
        resampled=ctx.request.mean(np.where(ok, y_all - x_all, np.nan)),
        one_sided_only=int(np.sum(~np.isnan(x_all) | ~np.isnan(y_all)) - ok.sum()),
    )


def share_figure(
    ctx: Context, figure: str, column: str, *, higher_is_better: bool
) -> Pending | None:
    """Pass rate or error rate: the per-case share of records that passed (errored)."""
    col = _paired_column(ctx, column)
    if col is None:
        return None
    x, y, diffs = col.base, col.candidate, col.diffs
    binary = _unit_values(x) and _unit_values(y)

    def finish(draws: BootstrapDraws) -> FigureDraft:
        n = int(diffs.size)
        notes: list[str] = []
        intervals: tuple[list[float] | None, ...]
        if ctx.clustered:
            test, spread = clustered_test(ctx, diffs, col.ok)
            # As for McNemar: no test can reject with fewer discordant cases than the floor.
            mde = mean_mde(n, spread, floor=_floor(n) if binary else None)
            intervals = ctx.mean_intervals(draws, col.resampled)
            method = CLUSTER_METHOD
        elif binary:
            test = mcnemar_test(x, y)
            intervals = tuple(newcombe_interval(x, y, lv) for lv in ctx.levels)
            discordance = float(np.mean(x != y))
            mde = _proportion_mde(n, discordance)
            method = "exact McNemar test; Newcombe paired score interval"
            if discordance == 0:
                notes.append("no discordant case: both sides agree on every case (p = 1)")
        else:
            test = paired_t_test(diffs)
            intervals = tuple(paired_t_interval(diffs, lv) for lv in ctx.levels)
            mde = mean_mde(n, sample_sd(diffs))
            method = "paired t-test on per-case shares (repeats averaged); paired t interval"
        return col.draft(figure, higher_is_better, "share", test, intervals, mde, method, notes)

    return finish


def score_figure(
    ctx: Context, figure: str, column: str, *, higher_is_better: bool
) -> Pending | None:
    """The mean score of one metric over the cases scored on both sides."""
    col = _paired_column(ctx, column)
    if col is None:
        return None
    diffs = col.diffs

    def finish(draws: BootstrapDraws) -> FigureDraft:
        reaches = None
        if ctx.clustered:
            test, spread = clustered_test(ctx, diffs, col.ok)
            method = CLUSTER_METHOD
        else:
            test, spread = wilcoxon_test(diffs), sample_sd(diffs)
            reaches = signed_rank_reaches(int(diffs.size))
            method = (
                "Wilcoxon signed-rank test (zeros split) on per-case differences; "
                "paired bootstrap BCa interval of the mean difference"
            )
        mde = mean_mde(int(diffs.size), spread, reaches=reaches)
        notes = []
        if col.one_sided_only:
            notes.append(f"{col.one_sided_only} cases scored on one side only were left out")
        intervals = ctx.mean_intervals(draws, col.resampled)
        return col.draft(figure, higher_is_better, "score", test, intervals, mde, method, notes)

    return finish
