"""A figure before the multiple-comparison step, and the bootstrap columns figures ask for.

Figures are built in two steps so that one bootstrap pass serves all of them: each figure
family first registers the per-case columns it needs resampled (means, percentiles), the
engine draws once, then each figure reads its distributions and becomes a draft; Holm and
the verdict turn drafts into results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.paired.power import mde_mean_paired
from harness.analysis.paired.resample import BootstrapDraws, Request, bca_intervals, intervals

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from harness.analysis.paired.cases import PairedCases

__all__ = [
    "PERCENTILES",
    "BootstrapRequest",
    "Context",
    "FigureDraft",
    "Pending",
    "finite_or_none",
    "MdeRule",
    "mde_or_none",
    "mean_mde",
    "signed_rank_reaches",
]

PERCENTILES = (50.0, 95.0)
"""The percentiles every percentile column is resampled at."""


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a figure without a value says None."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def mde_or_none(value: float) -> float | None:
    """An MDE of infinity (fewer than two cases, unknown spread) is reported as None."""
    return finite_or_none(value)


MdeRule = Callable[[float], "float | None"]
"""The figure's MDE at a given two-sided alpha (the engine passes alpha over the number of
figures Holm adjusts together, the level a figure must reach to be called whatever the
others do)."""


def signed_rank_reaches(n: int) -> Callable[[float], bool]:
    """Whether a two-sided signed-rank (or sign) test of ``n`` paired cases can reach a level
    at all: its smallest p-value, every difference of one sign, is 2 / 2**n (0.0625 at 5)."""
    return lambda alpha: n >= 1 and 2.0 ** (1 - n) <= alpha


def mean_mde(
    n: int,
    spread: float,
    *,
    floor: Callable[[float], float] | None = None,
    reaches: Callable[[float], bool] | None = None,
) -> MdeRule:
    """MDE rule of a mean of ``n`` per-case differences with this spread (>= ``floor``);
    None at a level the figure's test cannot reach with ``n`` cases (``reaches``), where a
    spread of zero would otherwise claim that any change could be seen."""

    def rule(alpha: float) -> float | None:
        if reaches is not None and not reaches(alpha):
            return None
        mde = mde_or_none(mde_mean_paired(n, spread, alpha=alpha))
        if mde is not None and floor is not None:
            mde = max(mde, floor(alpha))
        return mde

    return rule


@dataclass
class FigureDraft:
    """Everything a figure reports except the Holm-adjusted p-value and the verdict."""

    figure: str
    higher_is_better: bool
    unit: str
    n: int
    base: float | None
    candidate: float | None
    delta: float | None
    ci: list[float] | None
    ci_one_sided: list[float] | None
    p_value: float | None
    direction: int
    mde: MdeRule
    method: str
    ratio: float | None = None
    ratio_ci: list[float] | None = None
    ratio_ci_one_sided: list[float] | None = None
    comparable: bool = True
    notes: list[str] = field(default_factory=list)


class BootstrapRequest:
    """Collects the per-case columns to resample; :meth:`columns` hands them to ``draw_many``,
    which resamples them all at once (with other pairs' over the same cases)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._means: list[NDArray[np.float64]] = []
        self._percentiles: list[NDArray[np.float64]] = []
        self._used: list[NDArray[np.bool_]] = []

    def mean(self, values: NDArray[np.float64]) -> int:
        """Resample the mean of ``values`` (NaN = case left out); its column number."""
        self._means.append(values)
        return len(self._means) - 1

    def values(self, column: int) -> NDArray[np.float64]:
        """The per-case values of a mean column (for the BCa jackknife)."""
        return self._means[column]

    def percentiles(self, values: NDArray[np.float64], used: NDArray[np.bool_]) -> int:
        """Resample the :data:`PERCENTILES` of ``values`` over the cases ``used``; its column
        number. ``values`` are one side's own (NaN where it has none), so the pairs of one
        adapter share the column and differ only in ``used``."""
        self._percentiles.append(values)
        self._used.append(used)
        return len(self._percentiles) - 1

    def columns(self) -> Request:
        """Everything registered, as one request for ``resample.draw_many``."""

        def matrix(columns: list[NDArray[np.float64]]) -> NDArray[np.float64]:
            return np.column_stack(columns) if columns else np.empty((self._n, 0))

        used = np.column_stack(self._used) if self._used else np.empty((self._n, 0), dtype=bool)
        return Request(matrix(self._means), matrix(self._percentiles), used)


@dataclass(frozen=True)
class Context:
    """What every figure family needs: the paired cases, the level, the bootstrap request."""

    cases: PairedCases
    alpha: float
    request: BootstrapRequest

    @property
    def level(self) -> float:
        return 1.0 - self.alpha

    @property
    def clustered(self) -> bool:
        return self.cases.groups is not None

    @property
    def levels(self) -> tuple[float, float]:
        """The two-sided level, and the level whose ends are one-sided bounds at the level."""
        return self.level, 1.0 - 2.0 * self.alpha

    def intervals(self, samples: NDArray[np.float64]) -> tuple[list[float] | None, ...]:
        """Bootstrap percentile intervals at :attr:`levels` (percentile figures)."""
        return tuple(intervals(samples, self.levels))

    def mean_intervals(
        self, draws: BootstrapDraws, column: int, *, exp: bool = False
    ) -> tuple[list[float] | None, ...]:
        """BCa intervals at :attr:`levels` of a mean column (``exp``: of exp(mean))."""
        found = bca_intervals(
            draws.means[:, column], self.request.values(column), self.cases.groups, self.levels
        )
        if exp:
            found = [None if ends is None else [math.exp(e) for e in ends] for ends in found]
        return tuple(found)


Pending = Callable[[BootstrapDraws], FigureDraft]
"""A figure waiting for the bootstrap draws."""
