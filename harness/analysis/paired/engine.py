"""The paired comparison: two per-record tables in, one result per figure out.

``compare_frames`` aggregates repeats per case, pairs cases by id, resamples every figure
from one seeded bootstrap, runs each figure's named test, adjusts all p-values of the
comparison with Holm, and gives each figure exactly one verdict. ``compare_many`` does the
same for every pair of adapters of one run, drawing once for all pairs over the same cases.
Heavy libraries load on first call, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from harness.analysis.paired.noninferiority import non_inferior
from harness.analysis.paired.results import (
    FigureResult,
    NonInferiority,
    PairComparisonResult,
    PairNames,
    Verdict,
)

if TYPE_CHECKING:
    import pandas as pd

    from harness.analysis.paired.cases import PairedCases
    from harness.analysis.paired.drafts import Context, FigureDraft, Pending
    from harness.analysis.paired.resample import BootstrapDraws, ResamplePlan

__all__ = [
    "FEW_CASES",
    "FEW_CLUSTERS",
    "FigureResult",
    "NonInferiority",
    "PairComparisonResult",
    "PairNames",
    "compare_frames",
    "compare_many",
    "decide",
    "holm",
    "non_inferior",
]

FEW_CLUSTERS = 40
"""Below this many clusters cluster-robust errors are known to be too small."""

FEW_CASES = 30
"""Below this many paired cases percentile bootstrap intervals are known to be too narrow."""


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order.

    Holm controls the chance of any false better/worse across the figures under any
    dependence between them (latency p50 and p95 share a test, for one). Written out rather
    than statsmodels ``multipletests(p, method="holm")`` (whose default method, note, is
    Holm-Sidak, not Holm) because its Holm branch runs ``gc.collect()`` on every call: about
    50 ms with pandas loaded, more than the rest of a 200-case comparison. The tests check
    that both give the same numbers.
    """
    import numpy as np

    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    steps = p[order] * np.arange(p.size, 0, -1)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
    return [float(v) for v in adjusted]


def _verdict(draft: FigureDraft, p_adjusted: float | None, alpha: float) -> Verdict:
    if p_adjusted is None or p_adjusted >= alpha or not draft.delta:
        return "no_difference"
    sign = 1 if draft.delta > 0 else -1
    if draft.direction != sign:
        draft.notes.append(
            "the test and the change point in opposite directions: no verdict is drawn"
        )
        return "no_difference"
    return "better" if (sign > 0) == draft.higher_is_better else "worse"


def decide(
    drafts: Sequence[FigureDraft], pair: PairNames, alpha: float, level: float
) -> list[FigureResult]:
    """Holm across the figures that take part in the decision, then one verdict each.

    A figure takes part when it has a p-value and both sides measured the same thing; a
    figure held back (emulated TTFT) keeps its raw p-value but gets no adjusted one.
    """
    voting = [i for i, d in enumerate(drafts) if d.p_value is not None and d.comparable]
    adjusted = dict(zip(voting, holm([drafts[i].p_value or 0.0 for i in voting]), strict=True))
    # The MDE at Holm's strictest step: a change this large is called at 80% power whatever
    # the other figures show, so "no difference" honestly reads "none larger than mde".
    mde_alpha = alpha / max(1, len(voting))
    results = []
    for i, draft in enumerate(drafts):
        p_adjusted = adjusted.get(i)
        if draft.p_value is None:
            draft.notes.append(f"no test is possible with {draft.n} paired cases")
        verdict = _verdict(draft, p_adjusted, alpha)
        results.append(
            FigureResult(
                pair=pair,
                figure=draft.figure,
                higher_is_better=draft.higher_is_better,
                n=draft.n,
                base=_finite(draft.base),
                candidate=_finite(draft.candidate),
                delta=_finite(draft.delta),
                ci=draft.ci,
                p_value=draft.p_value,
                p_adjusted=p_adjusted,
                verdict=verdict,
                mde=draft.mde(mde_alpha),
                method=draft.method,
                unit=draft.unit,
                ratio=_finite(draft.ratio),
                ratio_ci=draft.ratio_ci,
                ci_level=level,
                ci_one_sided=draft.ci_one_sided,
                ratio_ci_one_sided=draft.ratio_ci_one_sided,
                comparable=draft.comparable,
                notes=draft.notes,
            )
        )
    return results


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _pending_figures(
    base: pd.DataFrame, candidate: pd.DataFrame, ctx: Context, directions: Mapping[str, bool]
) -> dict[str, Pending | None]:
    from harness.analysis.paired.frame import SCORE_PREFIX
    from harness.analysis.paired.share_figures import score_figure, share_figure
    from harness.analysis.paired.timing_figures import TIMING_FIGURES, timing_figures

    pending: dict[str, Pending | None] = {
        "pass_rate": share_figure(ctx, "pass_rate", "passed", higher_is_better=True),
        "error_rate": share_figure(ctx, "error_rate", "errored", higher_is_better=False),
    }
    columns = {str(c) for c in (*base.columns, *candidate.columns)}
    for column in sorted(c for c in columns if c.startswith(SCORE_PREFIX)):
        metric = column[len(SCORE_PREFIX) :]
        pending[column] = score_figure(
            ctx, column, column, higher_is_better=directions.get(metric, True)
        )
    for column in TIMING_FIGURES:
        pending.update(timing_figures(ctx, column, higher_is_better=column == "tokens_per_s"))
    return pending


def compare_frames(
    base: pd.DataFrame,
    candidate: pd.DataFrame,
    *,
    pair: tuple[str, str],
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    alpha: float = 0.05,
    n_resamples: int = 2000,
) -> PairComparisonResult:
    """Compare two adapters' per-record tables (``records_frame``) figure by figure.

    ``higher_is_better`` maps a metric name to its direction (unknown metrics: higher is
    better). The same inputs and seed give a byte-identical result.
    """
    (result,) = _compare(
        [base, candidate], [(0, 1)], [pair], higher_is_better, seed, alpha, n_resamples
    )
    return result


def compare_many(
    frames: Mapping[str, pd.DataFrame],
    pairs: Iterable[tuple[str, str]],
    *,
    higher_is_better: Mapping[str, bool],
    seed: int = 0,
    alpha: float = 0.05,
    n_resamples: int = 2000,
) -> dict[tuple[str, str], PairComparisonResult]:
    """Every pair (base, candidate) of adapters of one run, each exactly as
    :func:`compare_frames` of that pair gives it, but each adapter aggregated once and one set
    of bootstrap draws serving every pair over the same cases (usually all of them)."""
    names = list(frames)
    wanted = list(pairs)
    found = _compare(
        [frames[name] for name in names],
        [(names.index(a), names.index(b)) for a, b in wanted],
        wanted,
        higher_is_better,
        seed,
        alpha,
        n_resamples,
    )
    return dict(zip(wanted, found, strict=True))


def _compare(
    frames: Sequence[pd.DataFrame],
    at: Sequence[tuple[int, int]],
    pairs: Sequence[tuple[str, str]],
    higher_is_better: Mapping[str, bool],
    seed: int,
    alpha: float,
    n_resamples: int,
) -> list[PairComparisonResult]:
    import numpy as np

    from harness.analysis.paired.cases import aggregate, pair_sides
    from harness.analysis.paired.drafts import PERCENTILES, BootstrapRequest, Context
    from harness.analysis.paired.resample import ResamplePlan, draw_many

    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    used = sorted({i for pair in at for i in pair})
    sides = aggregate([frames[i] for i in used])
    prepared: list[_Prepared] = []
    for (b, c), pair in zip(at, pairs, strict=True):
        cases = pair_sides(sides, used.index(b), used.index(c))
        prepared.append(_Prepared(PairNames(base=pair[0], candidate=pair[1]), cases))
        if cases.n == 0:
            continue
        ctx = Context(cases=cases, alpha=alpha, request=BootstrapRequest(cases.n))
        prepared[-1].ctx = ctx
        prepared[-1].pending = _pending_figures(frames[b], frames[c], ctx, higher_is_better)
        prepared[-1].plan = ResamplePlan(
            n=cases.n,
            n_resamples=n_resamples,
            seed=seed,
            groups=cases.groups,
            n_groups=cases.n_groups,
        )
    # Pairs over the same cases (and clusters) draw the same resamples: draw them once.
    by_plan: dict[tuple[object, ...], list[_Prepared]] = {}
    for item in prepared:
        if item.plan is not None:
            key = (*item.plan.key(), tuple(item.cases.case_ids))
            by_plan.setdefault(key, []).append(item)
    for group in by_plan.values():
        assert group[0].plan is not None
        requests = [item.ctx.request.columns() for item in group if item.ctx is not None]
        for item, draws in zip(
            group, draw_many(group[0].plan, requests, np.array(PERCENTILES)), strict=True
        ):
            item.draws = draws
    return [item.result(alpha) for item in prepared]


class _Prepared:
    """One pair on its way through the engine: its cases, pending figures, plan and draws."""

    def __init__(self, names: PairNames, cases: PairedCases) -> None:
        self.names = names
        self.cases = cases
        self.ctx: Context | None = None
        self.pending: dict[str, Pending | None] = {}
        self.plan: ResamplePlan | None = None
        self.draws: BootstrapDraws | None = None

    def result(self, alpha: float) -> PairComparisonResult:
        cases = self.cases
        notes = list(cases.notes)
        figures: list[FigureResult] = []
        if self.ctx is None or self.draws is None:
            notes.append("the two sides share no case: nothing to compare")
        else:
            notes.extend(_design_notes(cases.n, cases.n_groups, clustered=cases.groups is not None))
            if cases.repeated:
                notes.append("repeats are averaged per case before any statistic")
            draws = self.draws
            drafts = [finish(draws) for finish in self.pending.values() if finish is not None]
            notes.extend(
                f"{name}: omitted, no case has it on both sides"
                for name, finish in self.pending.items()
                if finish is None
            )
            figures = decide(drafts, self.names, alpha, self.ctx.level)
        return PairComparisonResult(
            pair=self.names,
            shared_cases=cases.n,
            base_only=cases.base_only,
            candidate_only=cases.candidate_only,
            figures=figures,
            notes=notes,
        )


def _design_notes(n: int, n_groups: int, *, clustered: bool) -> list[str]:
    notes = []
    if clustered:
        notes.append(
            f"{n_groups} clusters: intervals from a cluster bootstrap, tests with "
            "cluster-robust (CR1) standard errors"
        )
        if n_groups < FEW_CLUSTERS:
            notes.append(
                f"only {n_groups} clusters (fewer than {FEW_CLUSTERS}): cluster-robust "
                "errors and the cluster bootstrap are unreliable and tend to be too small"
            )
    if n < FEW_CASES:
        notes.append(
            f"only {n} paired cases (fewer than {FEW_CASES}): bootstrap intervals tend to "
            "be too narrow"
        )
    return notes
