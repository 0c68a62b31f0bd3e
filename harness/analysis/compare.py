"""Paired comparison of two adapters on the cases both ran: discordant counts, McNemar, verdict."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from harness.analysis.stats import format_p_value, mcnemar_exact_p

__all__ = ["SIGNIFICANCE_LEVEL", "PairComparison", "compare_pair"]

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
) -> PairComparison:
    """Compare two adapters case by case (``case_id -> passed``), over the cases both ran.

    Pairing matters: two adapters with equal pass rates can still differ on which cases they
    pass, and a paired test has far more power than comparing two rates.
    """
    shared = [case for case in passed_a if case in passed_b]
    both_passed = both_failed = a_only = b_only = 0
    for case in shared:
        a, b = passed_a[case], passed_b[case]
        if a and b:
            both_passed += 1
        elif a:
            a_only += 1
        elif b:
            b_only += 1
        else:
            both_failed += 1
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
