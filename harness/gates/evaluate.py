"""Gates in, one result per gate (and adapter or pair) out, and the exit code they imply.

Thresholds read the candidate's figures (``figures.py``); baseline gates ask the paired
engine (``compare_frames``) for the figure and decide with its non-inferiority check
(``no_regression``) or its verdict (``no_significant_regression``). A gate that cannot be
evaluated (no data, no baseline, an unknown adapter, another suite) is a problem, never a
pass: the caller exits 4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from harness.analysis.paired.results import FigureResult, PairComparisonResult
from harness.gates.figures import figure_value
from harness.gates.inputs import GateInput
from harness.gatespec import Gate

__all__ = ["GateReport", "GateResult", "evaluate_gates"]


class GateResult(BaseModel):
    """One gate on one adapter (threshold) or one pair (baseline gate)."""

    model_config = ConfigDict(frozen=True)

    gate: str
    origin: str
    kind: str
    target: str  # "v2" or "v1 -> v2"
    figure: str
    value: float | None
    limit: str  # ">= 0.9", "margin 0.05", "10% of the base", "alpha 0.05"
    interval: list[float] | None = None
    p_value: float | None = None
    passed: bool
    message: str


class GateReport(BaseModel):
    """Every gate's results, the gates that could not be evaluated, and warnings."""

    results: list[GateResult] = []
    problems: list[str] = []
    warnings: list[str] = []

    @property
    def exit_code(self) -> Literal[0, 1, 4]:
        if self.problems:
            return 4
        return 1 if any(not r.passed for r in self.results) else 0


@dataclass
class _Evaluator:
    candidate: GateInput
    baseline: GateInput | None
    seed: int
    n_resamples: int
    report: GateReport = field(default_factory=GateReport)
    _cache: dict[tuple[str, str, bool, float], PairComparisonResult] = field(default_factory=dict)
    _drift_told: set[tuple[str, str]] = field(default_factory=set)

    def problem(self, gate: Gate, message: str) -> None:
        where = "" if gate.origin == "--gate" else f"{gate.origin}: "
        self.report.problems.append(f"{where}gate {gate.text!r}: {message}")

    # -- thresholds ---------------------------------------------------------------------
    def threshold(self, gate: Gate, min_pass_share: float | None) -> None:
        assert gate.figure is not None and gate.op is not None and gate.value is not None
        source = self.candidate.source
        adapters = [gate.adapter] if gate.adapter else list(source.adapters)
        if gate.adapter and gate.adapter not in source.adapters:
            self.problem(
                gate,
                f"{self.candidate.label} has no adapter {gate.adapter!r}; "
                f"it has: {', '.join(source.adapters)}",
            )
            return
        if gate.figure.startswith("expectation:"):
            name = gate.figure.removeprefix("expectation:")
            self.problem(
                gate,
                f"expectation pass rates are not gated any more: use "
                f"score:{name} (its mean score) or pass_rate",
            )
            return
        only = None
        if gate.tag is not None:
            only = self.candidate.tagged(gate.tag)
            if not only:
                self.problem(gate, f"no case of {self.candidate.label} has tag {gate.tag!r}")
                return
        rule = min_pass_share if gate.figure == "pass_rate" else None
        for adapter in adapters:
            found = figure_value(
                self.candidate.cases(adapter), gate.figure, only=only, min_pass_share=rule
            )
            if found.value is None:
                self.problem(gate, f"{adapter}: cannot be evaluated: {found.why}")
                continue
            ok = found.value >= gate.value if gate.op == ">=" else found.value <= gate.value
            scope = f" of tag {gate.tag!r}" if gate.tag else ""
            rule_text = f"; a case passes when >= {rule:.0%} of its repeats pass" if rule else ""
            self.report.results.append(
                _result(
                    gate,
                    target=adapter,
                    value=found.value,
                    limit=f"{gate.op} {gate.value:g}",
                    passed=ok,
                    message=f"{adapter}: {gate.figure} = {found.value:.4g} over {found.n} "
                    f"cases{scope} {'meets' if ok else 'misses'} {gate.op} {gate.value:g}"
                    f"{rule_text}",
                )
            )

    # -- baseline gates -----------------------------------------------------------------
    def pairs(self, gate: Gate) -> tuple[GateInput, list[tuple[str, str]]] | None:
        cand = self.candidate.source
        if gate.adapter is not None and gate.adapter not in cand.adapters:
            self.problem(
                gate,
                f"{self.candidate.label} has no adapter {gate.adapter!r}; "
                f"it has: {', '.join(cand.adapters)}",
            )
            return None
        if gate.against is not None:
            base = self.baseline or self.candidate
            if gate.against not in base.source.adapters:
                self.problem(gate, f"{base.label} has no adapter {gate.against!r}")
                return None
            names = [gate.adapter] if gate.adapter else list(cand.adapters)
            names = [n for n in names if not (base is self.candidate and n == gate.against)]
            if not names:
                self.problem(
                    gate, f"nothing to compare with {gate.against!r}: the run has no other adapter"
                )
                return None
            return base, [(gate.against, n) for n in names]
        if self.baseline is None:
            self.problem(gate, "needs a baseline: give --baseline FILE_OR_RUN (or against=ADAPTER)")
            return None
        held = self.baseline.source.adapters
        if gate.adapter is not None:
            common = [gate.adapter] if gate.adapter in held else []
        else:
            common = [n for n in cand.adapters if n in held]
        if not common and gate.adapter is None and len(held) == len(cand.adapters) == 1:
            return self.baseline, [(next(iter(held)), next(iter(cand.adapters)))]
        if not common:
            self.problem(
                gate,
                f"no adapter to pair: baseline has {', '.join(held)}, "
                f"the run has {', '.join(cand.adapters)}; name the baseline's adapter with "
                "against=ADAPTER",
            )
            return None
        return self.baseline, [(n, n) for n in common]

    def compare(self, base: GateInput, pair: tuple[str, str], alpha: float) -> PairComparisonResult:
        from harness.analysis.paired.engine import compare_frames
        from harness.analysis.paired.frame import metric_directions, score_metrics

        key = (pair[0], pair[1], base is self.candidate, alpha)
        if key not in self._cache:
            b = base.source.adapters[pair[0]].frame
            c = self.candidate.source.adapters[pair[1]].frame
            metrics = sorted(set(score_metrics(b)) | set(score_metrics(c)))
            self._cache[key] = compare_frames(
                b,
                c,
                pair=pair,
                higher_is_better=metric_directions(metrics),
                seed=self.seed,
                alpha=alpha,
                n_resamples=self.n_resamples,
            )
            self._drift(base, pair, self._cache[key])
        return self._cache[key]

    def _drift(self, base: GateInput, pair: tuple[str, str], result: PairComparisonResult) -> None:
        if base is self.candidate or pair in self._drift_told:
            return
        self._drift_told.add(pair)
        added, removed = result.candidate_only, result.base_only
        if added or removed:
            self.report.warnings.append(
                f"the suite changed since the baseline ({pair[0]} -> {pair[1]}): "
                f"{len(added)} case(s) added ({_ids(added)}), {len(removed)} removed "
                f"({_ids(removed)}); only the {result.shared_cases} shared cases are compared"
            )

    def baseline_gate(self, gate: Gate) -> None:
        assert gate.figure is not None
        found = self.pairs(gate)
        if found is None:
            return
        base, pairs = found
        alpha = 1.0 - gate.confidence if gate.kind == "no_regression" else gate.alpha
        for pair in pairs:
            result = self.compare(base, pair, alpha)
            target = f"{pair[0]} -> {pair[1]}"
            figure = result.figure(gate.figure)
            if result.shared_cases == 0:
                self.problem(gate, f"{target}: the two sides share no case")
            elif figure is None or figure.delta is None:
                why = "; ".join(n for n in result.notes if gate.figure in n) or "no data"
                self.problem(gate, f"{target}: {gate.figure} cannot be evaluated ({why})")
            elif not figure.comparable:
                self.problem(
                    gate, f"{target}: {gate.figure} is not comparable: {'; '.join(figure.notes)}"
                )
            else:
                self.report.results.append(self._decide(gate, target, figure))

    def _decide(self, gate: Gate, target: str, figure: FigureResult) -> GateResult:
        from harness.analysis.paired.noninferiority import non_inferior

        interval = figure.ratio_ci if gate.relative and figure.ratio_ci else figure.ci
        what = "ratio" if gate.relative and figure.ratio_ci else "delta"
        shown = _interval(interval)
        head = (
            f"{target}: {gate.figure} base {figure.base:.4g}, candidate "
            f"{figure.candidate:.4g}, {what} {_point(figure, what)} "
            f"({figure.ci_level:.0%} CI {shown}), p={_p(figure.p_value)}"
        )
        if gate.kind == "no_regression":
            assert gate.margin is not None
            ni = non_inferior(
                figure, gate.margin, relative=gate.relative, confidence=gate.confidence
            )
            limit = (
                f"margin {gate.margin:.0%} of base"
                if gate.relative
                else (f"margin {gate.margin:g} {figure.unit}")
            )
            return _result(
                gate,
                target=target,
                value=figure.delta if what == "delta" else figure.ratio,
                limit=limit,
                interval=interval,
                p_value=figure.p_value,
                passed=ni.shown_not_worse,
                message=f"{head}: {ni.message}",
            )
        worse = figure.verdict == "worse"
        verdict = (
            "significantly worse"
            if worse
            else f"not significantly worse ({figure.verdict.replace('_', ' ')})"
        )
        return _result(
            gate,
            target=target,
            value=figure.delta,
            limit=f"alpha {gate.alpha:g} (Holm)",
            interval=interval,
            p_value=figure.p_adjusted,
            passed=not worse,
            message=f"{head}, Holm-adjusted p={_p(figure.p_adjusted)}: {verdict}",
        )


def _result(gate: Gate, **fields: object) -> GateResult:
    """A result of ``gate``: its text, origin, kind and figure, plus ``fields``."""
    return GateResult.model_validate(
        {"gate": gate.text, "origin": gate.origin, "kind": gate.kind, "figure": gate.figure}
        | fields
    )


def _ids(ids: Sequence[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (" …" if len(ids) > limit else "") if ids else "none"


def _interval(interval: list[float] | None) -> str:
    return "none" if interval is None else f"[{interval[0]:.4g}, {interval[1]:.4g}]"


def _point(figure: FigureResult, what: str) -> str:
    value = figure.ratio if what == "ratio" else figure.delta
    return "none" if value is None else f"{value:+.4g}" if what == "delta" else f"{value:.4g}"


def _p(p: float | None) -> str:
    return "none" if p is None or math.isnan(p) else f"{p:.3g}"


def evaluate_gates(
    gates: Sequence[Gate],
    candidate: GateInput,
    baseline: GateInput | None = None,
    *,
    seed: int = 0,
    n_resamples: int = 2000,
) -> GateReport:
    """Evaluate every gate; problems (exit 4) and failures (exit 1) are in the report."""
    ev = _Evaluator(candidate, baseline, seed, n_resamples)
    shares = [g for g in gates if g.kind == "min_pass_share"]
    rule = shares[-1].value if shares else None
    if len(shares) > 1:
        ev.problem(shares[1], "min_pass_share is given more than once")
    if shares and not any(g.kind == "threshold" and g.figure == "pass_rate" for g in gates):
        ev.problem(
            shares[0],
            "min_pass_share applies to pass-rate thresholds; add one, "
            "for example pass_rate>=1.0 (every case must reach the share)",
        )
    if baseline is not None:
        b, c = baseline.source.manifest, candidate.source.manifest
        if b.suite_name != c.suite_name:
            ev.report.problems.append(
                f"the baseline is of suite {b.suite_name!r} ({baseline.label}), the run of "
                f"suite {c.suite_name!r}: a baseline only gates runs of its own suite"
            )
            return ev.report
    for gate in gates:
        if gate.kind == "threshold":
            ev.threshold(gate, rule)
        elif gate.kind != "min_pass_share":
            ev.baseline_gate(gate)
    return ev.report
