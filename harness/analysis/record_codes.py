"""The counted records of a run as numeric codes: outcome, error origin, adapter and case.

What the summary counts (``counting`` defines it) computed on whole numpy columns of the
shared :class:`~harness.records.columns.RecordColumns` instead of record by record: each
adapter's rows, each case's pass share, and the errored records for the error groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from harness.analysis.errors import ErrorTally
from harness.records import CaseRecord, ErrorInfo
from harness.records.columns import RecordColumns

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "ADAPTER_ERROR",
    "ERROR",
    "FAIL",
    "JUDGE_ERROR",
    "OUTCOMES",
    "PASS",
    "RecordCodes",
    "error_tally",
]

OUTCOMES: tuple[Literal["pass", "fail", "error"], ...] = ("pass", "fail", "error")
PASS, FAIL, ERROR = 0, 1, 2
"""Outcome codes (indexes of ``OUTCOMES``): an error of the adapter or of its judge is 'error'."""
ADAPTER_ERROR, JUDGE_ERROR = 1, 2
"""Error origin codes (0: no error). A judge error leaves the record ungraded, not failed."""


class RecordCodes:
    """Per counted record, as numpy arrays: its adapter, case, outcome, error origin, whether
    its streaming was emulated, and its expectations' pattern (``verdict_patterns``)."""

    def __init__(self, columns: RecordColumns) -> None:
        import numpy as np

        self.columns = columns
        self.origin = np.array(
            [0 if e is None else (2 if e.origin == "judge" else 1) for e in columns.error],
            dtype=np.int8,
        )
        passed = np.array(columns.passed, dtype=bool)
        self.outcome = np.where(self.origin > 0, ERROR, np.where(passed, PASS, FAIL))
        self.adapter = np.array(columns.adapter, dtype=np.intp)
        self.case = np.array(columns.case, dtype=np.intp)
        self.emulated = np.array(columns.streaming_emulated, dtype=bool)
        self.patterns = np.array(columns.verdict_patterns()[0], dtype=np.intp)

    def rows(self, name: str) -> npt.NDArray[np.intp]:
        """The rows of adapter ``name``, in order (none when it has no records)."""
        import numpy as np

        adapters = self.columns.adapters
        if name not in adapters:
            return np.array([], dtype=np.intp)
        return np.flatnonzero(self.adapter == adapters.index(name))

    def pass_shares(self, rows: npt.NDArray[np.intp]) -> tuple[int, dict[str, float]]:
        """Distinct cases of ``rows``, and per graded case (first-seen order) the share of its
        graded requests that passed, as ``counting.CaseTally`` defines them."""
        import numpy as np

        case = self.case[rows]
        graded = self.origin[rows] != JUDGE_ERROR
        passed = graded & (self.outcome[rows] == PASS)
        cases, first = np.unique(case, return_index=True)
        order = cases[np.argsort(first, kind="stable")]
        size = len(self.columns.case_ids)
        graded_n = np.bincount(case, weights=graded, minlength=size)[order]
        passed_n = np.bincount(case, weights=passed, minlength=size)[order]
        keep = graded_n > 0
        ids = self.columns.case_ids
        shares = (passed_n[keep] / graded_n[keep]).tolist()
        return len(cases), dict(zip([ids[c] for c in order[keep].tolist()], shares, strict=True))


def error_tally(columns: RecordColumns) -> ErrorTally:
    """The errored records, in the file order of their (latest) records, as ``ErrorTally``
    counts them; records are made for those only (a handful in most runs)."""
    tally = ErrorTally()
    errored = [row for row, error in enumerate(columns.error) if error is not None]
    for row in sorted(errored, key=columns.position.__getitem__):
        error = columns.error[row]
        assert error is not None
        # model_construct: the values are typed already; run_id and started_at are not read
        tally.add(
            CaseRecord.model_construct(
                run_id="",
                case_id=columns.case_ids[columns.case[row]],
                adapter=columns.adapters[columns.adapter[row]],
                repeat=columns.repeat[row],
                prompt=columns.prompt_of(row),
                output=columns.output[row],
                passed=columns.passed[row],
                started_at="",
                attempts=columns.attempts[row],
                error=ErrorInfo.model_construct(
                    type=error.type, message=error.message, status=error.status, origin=error.origin
                ),
            )
        )
    return tally
