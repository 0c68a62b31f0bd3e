"""The gate table in Markdown (GitHub's step summary) and GitHub Actions annotations."""

from __future__ import annotations

from harness.gates.evaluate import GateReport

__all__ = ["gate_annotations", "gate_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def gate_markdown(report: GateReport, title: str) -> str:
    """A heading, a verdict line, the table of gates, then warnings and problems."""
    failed = sum(not r.passed for r in report.results)
    if report.problems:
        verdict = f"**{len(report.problems)} gate(s) could not be evaluated** (exit 4)"
    elif failed:
        verdict = f"**{failed} of {len(report.results)} gate check(s) failed** (exit 1)"
    else:
        verdict = f"all {len(report.results)} gate check(s) passed"
    lines = [f"### Gates: {_cell(title)}", "", verdict, ""]
    if report.results:
        lines += [
            "| gate | on | value | threshold / margin | interval | p | verdict |",
            "|---|---|---:|---|---|---:|---|",
        ]
        for r in report.results:
            interval = "-" if r.interval is None else f"[{r.interval[0]:.4g}, {r.interval[1]:.4g}]"
            verdict_cell = "✅ pass" if r.passed else "❌ fail"
            lines.append(
                f"| `{_cell(r.gate)}` | {_cell(r.target)} | {_number(r.value)} | "
                f"{_cell(r.limit)} | {interval} | {_number(r.p_value)} | {verdict_cell} |"
            )
        lines.append("")
        lines += [
            f"- {'❌' if not r.passed else '✅'} {_cell(r.message)}"
            for r in report.results
            if r.kind != "threshold" or not r.passed
        ]
    lines += [f"- ⚠️ {_cell(w)}" for w in report.warnings]
    lines += [f"- ⛔ {_cell(p)}" for p in report.problems]
    return "\n".join(lines) + "\n"


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub workflow-command escaping (``%``, CR, LF; and ``:`` ``,`` in properties)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def gate_annotations(report: GateReport) -> list[str]:
    """``::error`` per failed gate and per gate that could not be evaluated, ``::warning``
    per warning (a suite changed since the baseline)."""
    out = [
        f"::error title={_escape(f'gate failed: {r.gate} [{r.target}]', property_value=True)}"
        f"::{_escape(r.message)}"
        for r in report.results
        if not r.passed
    ]
    out += [
        f"::error title={_escape('gate cannot be evaluated', property_value=True)}::{_escape(p)}"
        for p in report.problems
    ]
    out += [
        f"::warning title={_escape('harness gates', property_value=True)}::{_escape(w)}"
        for w in report.warnings
    ]
    return out
