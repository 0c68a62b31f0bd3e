"""Paired comparison of two adapters on the cases both ran: discordant counts, McNemar, verdict,
and every figure of the paired engine (the one ``harness compare`` uses), timing included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import compress
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.paired.results import FigureResult, PairComparisonResult
from harness.analysis.stats import format_p_value, mcnemar_exact_p

if TYPE_CHECKING:
    from harness.analysis.paired.frame import FrameBuilder

__all__ = [
    "IN_RUN_RESAMPLES",
    "SIGNIFICANCE_LEVEL",
    "PairComparison",
    "compare_pair",
    "paired_results",
]

IN_RUN_RESAMPLES = 1000
"""Bootstrap resamples of the in-run comparison (``harness compare`` draws the engine's 2000).

Only the bootstrap intervals depend on it (tests, verdicts and MDEs are closed-form), and
their ends move by about 4% of their half-width from one seed to another at 1000 resamples
(3% at 2000). Half the resamples keep every pair of a 100,000-case, 4-adapter run within the
report's time budget."""

SIGNIFICANCE_LEVEL = 0.05
"""Below this p-value a difference is called "unlikely to be chance"."""


class PairComparison(BaseModel):
    """Adapter A against adapter B on their shared cases.

    A case the adapter errored on counts as failed; one its judge could not grade is missing
    (the caller leaves it out of ``passed_a`` / ``passed_b``), so it is not shared.
    """

    model_config = ConfigDict(frozen=True)

    adapter_a: str
    adapter_b: str
    shared_cases: int
    both_passed: int
    both_failed: int
    a_passed_b_failed: int
    b_passed_a_failed: int
    p_value: float
    verdict: str
    figures: tuple[FigureResult, ...] = Field(
        default=(),
        description="The paired engine's figures of B against A (pass rate, error rate, each "
        "metric's mean score, latency and TTFT p50/p95, mean inter-token latency, output "
        "tokens/s), Holm-adjusted together: the tests, estimates, verdicts and MDEs of "
        "`harness compare RUN --pair A:B`, with bootstrap intervals from 1000 resamples where "
        "harness compare draws 2000. TTFT from emulated streaming is shown but never called "
        "better or worse",
    )

    @property
    def engine_summary(self) -> str:
        """One sentence: how many figures are better, worse or no different, and which."""
        if not self.figures:
            return ""
        counts = {v: sum(f.verdict == v for f in self.figures) for v in _VERDICTS}
        text = (
            f"{self.adapter_b} vs {self.adapter_a}, paired engine over {len(self.figures)} "
            f"figures (Holm-adjusted): {counts['better']} better, {counts['worse']} "
            f"worse, {counts['no_difference']} no difference"
        )
        called = [_called(f) for f in self.figures if f.verdict != "no_difference"]
        return text + (f" ({'; '.join(called)})." if called else ".")

    @property
    def significant(self) -> bool:
        return self.a_passed_b_failed + self.b_passed_a_failed > 0 and (
            self.p_value < SIGNIFICANCE_LEVEL
        )


def compare_pair(
    adapter_a: str,
    adapter_b: str,
    passed_a: Mapping[str, bool],
    passed_b: Mapping[str, bool],
    engine: PairComparisonResult | None = None,
) -> PairComparison:
    """Compare two adapters case by case (``case_id -> passed``), over the cases both ran.

    Pairing matters: two adapters with equal pass rates can still differ on which cases they
    pass, and a paired test has far more power than comparing two rates. ``engine``: the
    paired engine's result for (A, B) (:func:`paired_results`), kept in ``figures``.
    """
    # Set algebra on the case ids (C loops, no per-case lookups): 6 pairs x 100,000 cases
    # took 0.4 s as a Python loop. ``compress`` keeps the ids whose verdict is a pass.
    shared = passed_a.keys() & passed_b.keys()
    won_a = set(compress(passed_a, passed_a.values())) & shared
    won_b = set(compress(passed_b, passed_b.values())) & shared
    both_passed = len(won_a & won_b)
    a_only = len(won_a) - both_passed
    b_only = len(won_b) - both_passed
    both_failed = len(shared) - both_passed - a_only - b_only
    p = mcnemar_exact_p(a_only, b_only)
    return PairComparison(
        adapter_a=adapter_a,
        adapter_b=adapter_b,
        shared_cases=len(shared),
        both_passed=both_passed,
        both_failed=both_failed,
        a_passed_b_failed=a_only,
        b_passed_a_failed=b_only,
        p_value=p,
        verdict=_verdict(adapter_a, adapter_b, len(shared), a_only, b_only, p),
        figures=tuple(engine.figures) if engine is not None else (),
    )


_VERDICTS = ("better", "worse", "no_difference")


def _called(figure: FigureResult) -> str:
    def change(value: float) -> str:
        if figure.unit == "share":
            return f"{value * 100:+.1f} pts"
        if figure.unit in ("ms", "tokens/s"):
            return f"{value:+.1f} {figure.unit}"
        return f"{value:+.3f}"

    text = f"{figure.figure} {figure.verdict}"
    if figure.delta is not None:
        text += f" {change(figure.delta)}"
    if figure.ci is not None:
        text += f", 95% CI {change(figure.ci[0])} to {change(figure.ci[1])}"
    if figure.p_adjusted is not None:
        text += f", adjusted {format_p_value(figure.p_adjusted, SIGNIFICANCE_LEVEL)}"
    return text


def paired_results(
    builders: Mapping[str, FrameBuilder], pairs: Iterable[tuple[str, str]], *, seed: int = 0
) -> dict[tuple[str, str], PairComparisonResult]:
    """The paired engine's figures for each (A, B) of one run (both with records), timing
    included: each pair as ``harness compare RUN --pair A:B`` computes it, but every adapter
    aggregated once and one set of bootstrap draws shared by all pairs over the same cases,
    so 4 adapters (6 pairs) cost little more than one pair."""
    from harness.analysis.paired.engine import compare_many
    from harness.analysis.paired.frame import metric_directions, score_metrics

    frames = {name: builder.frame() for name, builder in builders.items() if len(builder)}
    wanted = [(a, b) for a, b in pairs if a in frames and b in frames]
    metrics = sorted({m for frame in frames.values() for m in score_metrics(frame)})
    return compare_many(
        frames,
        wanted,
        higher_is_better=metric_directions(metrics),
        seed=seed,
        alpha=SIGNIFICANCE_LEVEL,
        n_resamples=IN_RUN_RESAMPLES,
    )


def _cases(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def _more_cases(n: int) -> str:
    return f"{n} more case" if n == 1 else f"{n} more cases"


def _verdict(a: str, b: str, shared: int, a_only: int, b_only: int, p: float) -> str:
    if shared == 0:
        return f"{a} and {b} ran no cases in common; nothing to compare."
    if a_only == b_only == 0:
        return f"{a} and {b} agree on all {_cases(shared)} they both ran."
    if a_only == b_only:
        return (
            f"{a} and {b} pass the same number of the {_cases(shared)} they both ran "
            f"(each passes {a_only} that the other fails); no difference."
        )
    winner, loser = (b, a) if b_only > a_only else (a, b)
    more, fewer = max(a_only, b_only), min(a_only, b_only)
    chance = (
        "the difference is unlikely to be chance"
        if p < SIGNIFICANCE_LEVEL
        else "the difference could be chance"
    )
    return (
        f"{winner} passes {_more_cases(more - fewer)} than {loser} "
        f"({more} vs {fewer} of the {_cases(more + fewer)} where they disagree, "
        f"out of {shared} shared); {chance} ({format_p_value(p, SIGNIFICANCE_LEVEL)})."
    )
