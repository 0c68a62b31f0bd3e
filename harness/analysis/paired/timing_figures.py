"""Timing figures: latency and TTFT p50/p95, mean inter-token latency, output tokens/s.

Latencies are heavy-tailed and multiplicative (a slower server is slower by a factor), so
every timing figure is tested on the per-case log-ratios log(candidate / base), each case's
value being the median over its repeats. The test is a one-sample t-test of their mean (a
CR1 t-test with clusters), chosen over Wilcoxon because it tests exactly the reported
geometric-mean ratio exp(mean log-ratio), so the ratio's interval and the test agree; after
the log the mean is close to normal from a few dozen cases on. The p50/p95 figures report
the change of the percentile with a paired bootstrap interval, and take their verdict from
the log-ratio test and the sign of the change (both must agree). TTFT measured on emulated
streaming is the full latency: such a figure is kept but never called better or worse.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.paired.drafts import (
    PERCENTILES,
    Context,
    FigureDraft,
    MdeRule,
    Pending,
    finite_or_none,
    mde_or_none,
)
from harness.analysis.paired.power import mde_mean_paired
from harness.analysis.paired.share_figures import clustered_test, sample_sd
from harness.analysis.paired.significance import paired_t_test

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from harness.analysis.paired.resample import BootstrapDraws

__all__ = ["TIMING_FIGURES", "timing_figures"]

TIMING_FIGURES: dict[str, tuple[str, ...]] = {
    "latency_ms": ("latency_p50_ms", "latency_p95_ms"),
    "ttft_ms": ("ttft_p50_ms", "ttft_p95_ms"),
    "itl_ms": ("itl_mean_ms",),
    "tokens_per_s": ("tokens_per_s",),
}
"""Per-case timing column -> the figures made from it (percentile figures end in _pNN_ms)."""


def _method(ctx: Context, what: str) -> str:
    test = (
        "cluster-robust (CR1) t-test on per-case log-ratios (candidate/base), G-1 df"
        if ctx.clustered
        else "one-sample t-test on per-case log-ratios (candidate/base)"
    )
    boot = "cluster bootstrap" if ctx.clustered else "paired bootstrap"
    return (
        f"{test}, verdict from its p-value and the sign of delta; {boot} {what}; "
        f"geometric-mean ratio with {boot} BCa interval"
    )


def _relative_mde(n: int, spread: float, base: float) -> MdeRule:
    """The MDE of the mean log-ratio, as a change of ``base`` in its unit."""

    def rule(alpha: float) -> float | None:
        log_mde = mde_mean_paired(n, spread, alpha=alpha)
        return mde_or_none(abs(base) * math.expm1(log_mde)) if log_mde < 700 else None

    return rule


def _emulated_notes(ctx: Context, ok: NDArray[np.bool_]) -> list[str]:
    notes = []
    for side, values in (("base", ctx.cases.base), ("candidate", ctx.cases.candidate)):
        share = float(np.mean(values["ttft_emulated"][ok] > 0))
        if share > 0:
            notes.append(
                f"TTFT on the {side} side is emulated streaming (one chunk) on {share:.0%} of "
                "the cases: it is the full latency; not comparable, so never called better "
                "or worse"
            )
    return notes


def _own(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """One side's usable timings (positive, finite), NaN elsewhere: the same array in every
    pair of that side over the same cases, so those pairs share its percentile column."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def timing_figures(
    ctx: Context, column: str, *, higher_is_better: bool
) -> dict[str, Pending | None]:
    """The figures of one timing column; None for each when no case has it on both sides."""
    names = TIMING_FIGURES[column]
    x_all, y_all = ctx.cases.base[column], ctx.cases.candidate[column]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x_all) & np.isfinite(y_all) & (x_all > 0) & (y_all > 0)
    if not ok.any():
        return dict.fromkeys(names)
    present = int(np.sum(~np.isnan(x_all) | ~np.isnan(y_all)))
    x, y = x_all[ok], y_all[ok]
    logs = np.log(y) - np.log(x)
    all_logs = np.full(x_all.shape, np.nan)
    all_logs[ok] = logs
    log_id = ctx.request.mean(all_logs)
    percentile_figures = names[0].endswith("_p50_ms")
    # Percentile figures resample both sides' values; mean figures the per-case difference.
    ids = (
        [ctx.request.percentiles(_own(x_all), ok), ctx.request.percentiles(_own(y_all), ok)]
        if percentile_figures
        else [ctx.request.mean(np.where(ok, y_all - x_all, np.nan))]
    )
    notes = []
    if dropped := present - int(ok.sum()):
        notes.append(f"{dropped} cases without a positive value on both sides were left out")
    emulated = _emulated_notes(ctx, ok) if column == "ttft_ms" else []
    unit = "tokens/s" if column == "tokens_per_s" else "ms"

    test, spread = (
        clustered_test(ctx, logs, ok) if ctx.clustered else (paired_t_test(logs), sample_sd(logs))
    )

    def finisher(index: int) -> Pending:
        def finish(draws: BootstrapDraws) -> FigureDraft:
            ratio_ci, ratio_one_sided = ctx.mean_intervals(draws, log_id, exp=True)
            if percentile_figures:
                q = PERCENTILES[index]
                base, candidate = float(np.percentile(x, q)), float(np.percentile(y, q))
                samples = draws.percentiles[:, ids[1], index] - draws.percentiles[:, ids[0], index]
                what = f"percentile interval of the p{q:.0f} change"
                ci, one_sided = ctx.intervals(samples)
            else:
                base, candidate = float(np.mean(x)), float(np.mean(y))
                what = "BCa interval of the mean difference"
                ci, one_sided = ctx.mean_intervals(draws, ids[0])
            figure_notes = [
                *notes,
                *emulated,
                "mde: computed on the per-case log-ratios (a relative change), shown in the "
                "figure's unit relative to the base value",
            ]
            return FigureDraft(
                figure=names[index],
                higher_is_better=higher_is_better,
                unit=unit,
                n=int(ok.sum()),
                base=base,
                candidate=candidate,
                delta=candidate - base,
                ci=ci,
                ci_one_sided=one_sided,
                p_value=finite_or_none(test[0]),
                direction=test[1],
                mde=_relative_mde(int(logs.size), spread, base),
                method=_method(ctx, what),
                ratio=float(np.exp(np.mean(logs))),
                ratio_ci=ratio_ci,
                ratio_ci_one_sided=ratio_one_sided,
                comparable=not emulated,
                notes=figure_notes,
            )

        return finish

    return {name: finisher(i) for i, name in enumerate(names)}
