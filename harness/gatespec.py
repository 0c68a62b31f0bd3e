"""The gate expression grammar: ``pass_rate[v2]>=0.9``, ``no_regression(pass_rate, margin=0.05)``.

One grammar for ``gates:`` in a suite and ``--gate`` on the command line, parsed by a small
regex tokenizer and recursive descent into one pydantic model (:class:`Gate`). It sits in the
low layer (pydantic only) so the suite loader can reject a bad gate at load with file:line and
the gate evaluator (``harness.gates``, above analysis) can read the same model.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import HarnessError

__all__ = [
    "BASELINE_FIGURES",
    "Gate",
    "GateKind",
    "GateSyntaxError",
    "is_share_figure",
    "parse_gate",
]

GateKind = Literal["threshold", "no_regression", "no_significant_regression", "min_pass_share"]

BASELINE_FIGURES = (
    "pass_rate",
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "itl_mean_ms",
    "tokens_per_s",
)
"""Figures of the paired engine (plus ``score:<metric>``) a baseline gate can name."""

_TIMING_PERCENTILE = re.compile(r"^(latency|ttft)_p(\d{1,2})_ms$")
_FUNCTIONS = ("no_regression", "no_significant_regression")
_SETTING = "min_pass_share"
_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?P<unit>%|pts|ms)?"
    r"|(?P<op>>=|<=|==|!=|=|>|<)"
    r"|(?P<name>[A-Za-z_][\w.\-]*(?::[\w.\-]+)?)"
    r"|(?P<punct>[\[\](),:])"
)


class GateSyntaxError(HarnessError):
    """A gate expression that does not parse or makes no sense; the CLI exits 4."""


def is_share_figure(figure: str) -> bool:
    """Figures whose values are shares or scores from 0 to 1."""
    return figure in ("pass_rate", "error_rate") or figure.startswith(("score:", "expectation:"))


def _threshold_figure(figure: str) -> bool:
    if is_share_figure(figure) or figure in ("itl_mean_ms", "tokens_per_s"):
        return True
    match = _TIMING_PERCENTILE.match(figure)
    return match is not None and 1 <= int(match.group(2)) <= 99


class Gate(BaseModel):
    """One gate, however it was written (expression, suite mapping); see docs/gates.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: GateKind
    text: str = Field(description="The expression as written (shown in tables and messages).")
    origin: str = Field(default="--gate", description="'--gate' or the suite's file:line:col.")
    figure: str | None = Field(default=None, description="pass_rate, latency_p95_ms, score:<m>…")
    adapter: str | None = Field(default=None, description="Only this adapter (default: each).")
    tag: str | None = Field(default=None, description="Only cases with this tag.")
    op: Literal[">=", "<="] | None = None
    value: float | None = Field(default=None, description="Threshold, or min_pass_share's share.")
    margin: float | None = Field(default=None, ge=0, description="Tolerated worsening.")
    relative: bool = Field(default=False, description="margin is a fraction of the base value.")
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    against: str | None = Field(
        default=None, description="Base adapter (of the baseline, or of the same run)."
    )

    @model_validator(mode="after")
    def _shape(self) -> Gate:
        problem = _shape_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def needs_baseline(self) -> bool:
        """Baseline gates compare two sides; without ``against`` the other side is --baseline."""
        return self.kind in _FUNCTIONS and self.against is None


def _shape_problem(g: Gate) -> str | None:
    """What is wrong with a gate's combination of fields, or None."""
    if g.kind == "min_pass_share":
        if g.value is None or not 0 < g.value <= 1:
            return f"min_pass_share is a share of repeats in (0, 1], got {g.value}"
        return None
    if g.figure is None:
        return "a gate needs a figure"
    if g.kind == "threshold":
        if not _threshold_figure(g.figure):
            return (
                f"unknown figure {g.figure!r}; thresholds take pass_rate, error_rate, "
                "score:<metric>, expectation:<metric>, latency_pNN_ms, ttft_pNN_ms, "
                "itl_mean_ms, tokens_per_s"
            )
        if g.op is None or g.value is None:
            return "a threshold needs >= or <= and a number"
        if is_share_figure(g.figure) and not 0 <= g.value <= 1:
            return f"{g.figure} is a share from 0 to 1, got {g.value:g} (write 90% as 0.9 or 90%)"
        if not is_share_figure(g.figure) and g.value <= 0:
            return f"{g.figure} must be compared with a number above 0, got {g.value:g}"
        return None
    if g.figure not in BASELINE_FIGURES and not g.figure.startswith("score:"):
        return (
            f"{g.kind} takes a figure of the paired comparison: "
            f"{', '.join(BASELINE_FIGURES)}, score:<metric>; got {g.figure!r}"
        )
    if g.kind == "no_regression" and g.margin is None:
        return "no_regression needs a margin: margin=0.05 (in the figure's unit) or margin=10%"
    if g.tag is not None:
        return "a tag selects cases of a threshold only; baseline gates compare every shared case"
    return None


def _where(origin: str) -> str:
    return "" if origin in ("", "--gate") else f"{origin}: "


class _Parser:
    """Recursive descent over the tokens of one expression; errors point at the token."""

    def __init__(self, text: str, origin: str) -> None:
        self.text, self.origin = text, origin
        self.tokens: list[tuple[str, str, str, int]] = []  # (kind, value, unit, position)
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"unexpected character {text[pos]!r}", pos)
            kind = m.lastgroup if m.lastgroup != "unit" else "number"
            if kind != "space":
                unit = m.group("unit") or ""
                value = m.group("number") if kind == "number" else m.group(0)
                self.tokens.append((str(kind), value, unit, pos))
            pos = m.end()
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> GateSyntaxError:
        if pos is None:
            pos = self.tokens[self.i][3] if self.i < len(self.tokens) else len(self.text)
        where = _where(self.origin)
        return GateSyntaxError(
            f"{where}gate {self.text!r}: {message}\n  {self.text}\n  {' ' * pos}^"
        )

    def peek(self) -> tuple[str, str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None, what: str = "") -> tuple[str, str]:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            found = "the end" if tok is None else repr(tok[1] + tok[2])
            raise self.error(f"expected {what or value or kind}, found {found}")
        self.i += 1
        return tok[1], tok[2]

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (value is None or tok[1] == value)

    def parse(self) -> dict[str, object]:
        name, _ = self.take("name", what="a figure (pass_rate, latency_p95_ms...) or a function")
        if name in _FUNCTIONS:
            fields = self.call(name)
        elif name == _SETTING:
            if not (self.at("op", "=") or self.at("op", ">=") or self.at("punct", ":")):
                raise self.error("expected min_pass_share=SHARE (for example 0.8)")
            self.i += 1
            fields = {"kind": _SETTING, "value": self.number()[0]}
        else:
            fields = {"kind": "threshold", "figure": name, **self.selector()}
            op, _ = self.take("op", what=">= or <=")
            if op not in (">=", "<="):
                raise self.error(f"use >= (at least) or <= (at most), not {op!r}", self.last_pos)
            value, unit = self.number()
            fields.update(op=op, value=value / 100 if unit in ("%", "pts") else value)
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra[1]!r} after a complete gate")
        return fields

    @property
    def last_pos(self) -> int:
        return self.tokens[self.i - 1][3]

    def number(self) -> tuple[float, str]:
        value, unit = self.take("number", what="a number")
        return float(value), unit

    def selector(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if not self.at("punct", "["):
            return out
        self.i += 1
        while True:
            key, _ = self.take("name", what="an adapter name or tag=NAME")
            if self.at("op", "="):
                self.i += 1
                if key not in ("adapter", "tag"):
                    raise self.error(f"unknown selector {key!r}; use [ADAPTER] or [tag=NAME]")
                value, _ = self.take("name", what=f"a {key} name")
                out[key] = value
            else:
                out["adapter"] = key
            if self.at("punct", "]"):
                self.i += 1
                return out
            self.take("punct", ",", what="',' or ']'")

    def call(self, function: str) -> dict[str, object]:
        self.take("punct", "(", what="'('")
        figure, _ = self.take("name", what="a figure (pass_rate, latency_p50_ms...)")
        fields: dict[str, object] = {"kind": function, "figure": figure, **self.selector()}
        while self.at("punct", ","):
            self.i += 1
            key, _ = self.take("name", what="an option (margin=, confidence=, alpha=, against=)")
            self.take("op", "=", what="'='")
            if key == "against":
                fields["against"] = self.take("name", what="an adapter name")[0]
                continue
            if key not in ("margin", "confidence", "alpha"):
                raise self.error(
                    f"unknown option {key!r}; {function} takes margin=, confidence=, alpha=, "
                    "against=",
                    self.last_pos - len(key),
                )
            value, unit = self.number()
            if key == "margin":
                fields["relative"] = unit == "%"
                fields["margin"] = value / 100 if unit in ("%", "pts") else value
            else:
                fields[key] = value / 100 if unit == "%" else value
        self.take("punct", ")", what="',' or ')'")
        return fields


def parse_gate(text: str, origin: str = "--gate") -> Gate:
    """Parse one gate expression (see docs/gates.md for the grammar).

    Raises:
        GateSyntaxError: the expression does not parse or names an impossible gate; the
            message quotes it (with ``origin``, a suite's file:line:col) and points at the
            offending token.
    """
    from pydantic import ValidationError

    parser = _Parser(text.strip(), origin)
    if not parser.tokens:
        raise parser.error("empty gate")
    fields = parser.parse()
    try:
        return Gate.model_validate({**fields, "text": text.strip(), "origin": origin})
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise GateSyntaxError(f"{_where(origin)}gate {text.strip()!r}: {reasons}") from None
