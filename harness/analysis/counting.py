"""What a run's figures count, defined once for the console summary and the reports.

- **The records that count**: the latest record of each key (case_id, adapter, repeat). An
  earlier record of the same key (a run appended to, or resumed over, an older results file)
  is *superseded* and left out, the rule ``harness merge`` applies too.
- **A case** is a distinct ``case_id``; **a request** is one counted record. A case sent
  ``repeat: 3`` times is one case and three requests.
- **A case's pass share** is the share of its graded requests that passed (a request whose
  judge could not answer is not graded: missing, not failed). **An adapter's pass rate** is
  the mean of its cases' pass shares, so repeating a case never weighs it more.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from harness.records import CaseRecord
from harness.records.store import RecordKey

__all__ = ["CaseIndex", "CaseTally", "record_key_of"]


def record_key_of(record: CaseRecord) -> RecordKey:
    """The key a later record of the same request supersedes: (case_id, adapter, repeat)."""
    return (record.case_id, record.adapter, record.repeat)


class CaseIndex:
    """Case ids numbered in first-seen order, shared by the adapters of a run (one string each)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._numbers: dict[str, int] = {}

    def number(self, case_id: str) -> int:
        found = self._numbers.get(case_id)
        if found is None:
            found = self._numbers[case_id] = len(self.ids)
            self.ids.append(case_id)
        return found


class CaseTally:
    """One adapter's counted requests, per case: how many were sent, graded and passed.

    Three 4-byte counters per case, indexed by case number: 1.2 MB per adapter for 100,000
    cases (the case ids themselves are held once per run, in the shared ``CaseIndex``).
    """

    def __init__(self, index: CaseIndex | None = None) -> None:
        self.index = index if index is not None else CaseIndex()
        self.requests = 0
        self._sent = array("I")
        self._graded = array("I")
        self._passed = array("I")

    def add(self, case_id: str, *, passed: bool, graded: bool = True) -> None:
        """Count one request (a record that counts) of ``case_id``."""
        i = self.index.number(case_id)
        sent = self._sent
        while len(sent) <= i:  # a case this adapter has not had yet
            sent.append(0)
            self._graded.append(0)
            self._passed.append(0)
        self.requests += 1
        sent[i] += 1
        if graded:
            self._graded[i] += 1
            if passed:
                self._passed[i] += 1

    @property
    def cases(self) -> int:
        """Distinct case ids this adapter was sent."""
        return sum(1 for n in self._sent if n)

    def _shares(self) -> Iterator[tuple[int, float]]:
        for i, graded in enumerate(self._graded):
            if graded:
                yield i, self._passed[i] / graded

    def pass_shares(self) -> dict[str, float]:
        """Per case with a graded request, the share that passed; first-seen order."""
        ids = self.index.ids
        return {ids[i]: share for i, share in self._shares()}

    @property
    def graded_cases(self) -> int:
        """Cases with at least one graded request: the n of the pass rate."""
        return sum(1 for n in self._graded if n)

    @property
    def pass_share_sum(self) -> float:
        return sum(share for _, share in self._shares())

    @property
    def pass_rate(self) -> float | None:
        """The mean of the cases' pass shares; None when no case was graded."""
        n = self.graded_cases
        return self.pass_share_sum / n if n else None
