"""The drill-down data of ``report.html``: every record of a run, compact, for the page's script.

The page renders only the rows in view, so it can hold a 100,000-case run: the records go
into one JSON block, column-wise (one list per field, names and tags as indexes), read once
by the browser. Texts stay raw here; the page inserts them with ``textContent`` only, and
:func:`pack_json` writes them so that no ``<`` can close the ``<script>`` block they sit in.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from harness.analysis.text import clip_text
from harness.records.columns import (
    ErrorRow,
    ExpectationRow,
    RecordColumns,
    gc_paused,
    read_columns,
)

__all__ = [
    "DATA_SCHEMA",
    "TEXT_LIMIT",
    "AdapterExtras",
    "CaseData",
    "case_data",
    "embedded_data",
    "pack_json",
    "read_case_data",
    "split_texts",
]

DATA_SCHEMA = 1
"""Version of the embedded JSON layout (``D.v`` in the page's script)."""

TEXT_LIMIT = 20_000
"""Characters kept per prompt, output or reason; longer text is clipped with a marker (the
full text stays in ``results.jsonl``). Bounds the file however long one answer is."""

PASS, FAIL, ERROR, MISSING, NOT_RUN = 0, 1, 2, 3, 4
"""Outcome codes of the embedded records and case statuses (the script uses the same)."""


@dataclass
class AdapterExtras:
    """Figures of one adapter the run summary does not keep: speed, retries, scores."""

    itl_ms: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    retried: int = 0
    extra_attempts: int = 0
    scores: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class CaseData:
    """The compact columns embedded in the page plus per-adapter extras and per-tag rates."""

    data: dict[str, Any]
    extras: dict[str, AdapterExtras]
    tag_rates: dict[str, dict[str, tuple[int, int]]]
    """tag -> adapter -> (passed, graded) over records."""


def _num(value: float | None) -> float | None:
    if value is not None and math.isfinite(value):
        return round(float(value), 1)
    return None


def _text(value: str | None) -> str | None:
    return None if value is None else clip_text(value, TEXT_LIMIT)


class _Index:
    """Names to small integers, first seen first."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.pos: dict[str, int] = {}
        for name in names:
            self.of(name)

    def of(self, name: str) -> int:
        return self.pos.setdefault(name, len(self.pos))

    @property
    def names(self) -> list[str]:
        return list(self.pos)


def _outcome(error: ErrorRow | None, passed: bool) -> int:
    if error is not None:
        return MISSING if error.origin == "judge" else ERROR
    return PASS if passed else FAIL


def _error_text(error: ErrorRow | None) -> str | None:
    if error is None:
        return None
    return clip_text(("judge " if error.origin == "judge" else "") + error.text, TEXT_LIMIT)


class _Verdicts:
    """Each record's measured expectations as the page's lists: [metric, passed, score,
    reason]. A run repeats the same verdicts many times (a pass with score 1.0 and no reason),
    so each distinct set (:meth:`RecordColumns.verdict_patterns`) is one list, made once, on
    first use (metrics are numbered first seen first)."""

    def __init__(self, patterns: list[tuple[ExpectationRow, ...]], metrics: _Index) -> None:
        self.patterns = patterns
        self.metrics = metrics
        self._made: list[list[list[Any]] | None] = [None] * len(patterns)

    def __call__(self, pattern: int) -> list[list[Any]]:
        made = self._made[pattern]
        if made is None:
            made = self._made[pattern] = [
                [self.metrics.of(m.name), 1 if m.passed else 0, _num3(m.score), _text(m.reason)]
                for m in self.patterns[pattern]
                if m.measured
            ]
        return made


def _own_prompt(own: str | None, case_prompt: str) -> str | None:
    """A record's prompt where it differs from its case's (another adapter's template)."""
    if own is None:
        return None
    clipped = clip_text(own, TEXT_LIMIT)
    return None if clipped == case_prompt else clipped


def case_data(records: RecordColumns, adapters: list[str]) -> CaseData:
    """The page's columns of a run's counted records (``adapters``: the report's order;
    records of other adapters, judges included, are left out).

    One compact row per counted record (the latest per (case_id, adapter, repeat), in the
    place of the first, as every reader of the file counts them), built column by column from
    the columns the run summary read, so the records are not read again.
    """
    adapter_ix = _Index(adapters)
    shown = [adapter_ix.pos.get(name) for name in records.adapters]
    every = all(a is not None for a in shown)
    rows = (
        range(len(records))
        if every
        else [i for i, a in enumerate(records.adapter) if shown[a] is not None]
    )

    def pick(column: Sequence[Any]) -> Sequence[Any]:
        return column if every else [column[i] for i in rows]

    cases, tags, metrics = _Index(), _Index(), _Index()
    of_row, patterns = records.verdict_patterns()
    with gc_paused():  # many small lists that never form cycles
        numbers: dict[int, int] = {}  # the records' case numbers -> the page's, first seen first
        c_col = [numbers.setdefault(c, len(numbers)) for c in pick(records.case)]
        for c in numbers:
            cases.of(records.case_ids[c])
        prompts = [_text(records.case_prompts[c]) or "" for c in numbers]
        case_tags = [[tags.of(t) for t in records.case_tags[c]] for c in numbers]
        outcomes = [
            _outcome(e, p) for e, p in zip(pick(records.error), pick(records.passed), strict=True)
        ]
        cols: dict[str, list[Any]] = {
            "c": c_col,
            "a": [shown[a] for a in pick(records.adapter)],
            "k": list(pick(records.repeat)),
            "o": outcomes,
            # an error's duration is a timeout or a refusal, not a speed
            "l": [
                None if o == ERROR else _num(v)
                for o, v in zip(outcomes, pick(records.latency_ms), strict=True)
            ],
            "f": [
                None if o == ERROR else _num(v)
                for o, v in zip(outcomes, pick(records.ttft_ms), strict=True)
            ],
            "x": [_text(v) for v in pick(records.output)],
            "e": [_error_text(e) for e in pick(records.error)],
            "n": [n or 1 for n in pick(records.attempts)],
            "m": list(map(_Verdicts(patterns, metrics), pick(of_row))),
            "t": [_num(v) for v in pick(records.tokens_per_s)],
            "i": [_num(v) for v in pick(records.itl_mean_ms)],
            "u": [1 if u else 0 for u in pick(records.streaming_emulated)],
            "p": [
                _own_prompt(p, prompts[c]) for c, p in zip(c_col, pick(records.prompt), strict=True)
            ],
        }
    data = {
        "v": DATA_SCHEMA,
        "A": adapter_ix.names,
        "T": tags.names,
        "E": metrics.names,
        "C": {"id": cases.names, "p": prompts, "g": case_tags},
        "R": cols,
    }
    return CaseData(data=data, extras=_extras(data), tag_rates=_tag_rates(data))


def read_case_data(run_dir: Path, adapters: list[str]) -> CaseData:
    """:func:`case_data` of ``run_dir/results.jsonl``, read now (a report uses the summary's
    records instead: :meth:`RunSummary.records`)."""
    return case_data(read_columns(run_dir), adapters)


def _extras(data: Mapping[str, Any]) -> dict[str, AdapterExtras]:
    names, metric_names, r = data["A"], data["E"], data["R"]
    extras = {name: AdapterExtras() for name in names}
    for a, o, n, t, i, m in zip(r["a"], r["o"], r["n"], r["t"], r["i"], r["m"], strict=True):
        extra = extras[names[a]]
        if n > 1:
            extra.retried += 1
            extra.extra_attempts += n - 1
        for metric, _, score, _ in m:
            if score is not None:
                extra.scores.setdefault(metric_names[metric], []).append(score)
        if o == ERROR:
            continue
        if i is not None:
            extra.itl_ms.append(i)
        if t is not None:
            extra.tokens_per_s.append(t)
    return extras


def _tag_rates(data: Mapping[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    """tag -> adapter -> (passed, graded) over records (ungraded ones left out)."""
    names, tag_names, case_tags, r = data["A"], data["T"], data["C"]["g"], data["R"]
    tallies: dict[tuple[int, int], list[int]] = {}
    for c, a, o in zip(r["c"], r["a"], r["o"], strict=True):
        if o == MISSING:
            continue
        for t in case_tags[c]:
            tally = tallies.setdefault((t, a), [0, 0])
            tally[0] += o == PASS
            tally[1] += 1
    rates: dict[str, dict[str, tuple[int, int]]] = {}
    for (t, a), (passed, total) in sorted(tallies.items()):
        rates.setdefault(tag_names[t], {})[names[a]] = (passed, total)
    return rates


def _num3(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return round(float(value), 3)
    return None


PREVIEW = 120
"""Characters of each case's prompt in the first data block (the table's Prompt column)."""
_TEXT_KEYS = {"C": ("p",), "R": ("x", "e", "m", "p")}


def split_texts(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data`` as (what the table needs, the long texts): the page parses the second block
    only when a case is opened, searched or filtered by expectation, so a large report's first
    rows appear sooner. The first block keeps a short preview of each prompt."""
    index = {k: (dict(v) if k in _TEXT_KEYS else v) for k, v in data.items()}
    texts: dict[str, Any] = {}
    for part, keys in _TEXT_KEYS.items():
        texts[part] = {key: index[part].pop(key) for key in keys}
    index["C"]["q"] = [p[:PREVIEW] for p in texts["C"]["p"]]
    return index, texts


COMPRESS_LEVEL = 1
"""gzip level of a packed block: level 1 already shrinks record JSON 5 to 15 times, in a
fraction of the time of level 6 (0.4 s against 2 s for 400,000 records)."""

PACK_ABOVE = 2_000_000
"""Characters of JSON above which a block is gzipped: smaller reports keep readable JSON (a
person or a secret scanner can grep them), larger ones load much faster packed."""


def pack_json(data: Any, scrub: Callable[[str], str] = str) -> tuple[str, str]:
    """``data`` for a ``<script type="application/json">`` block, as (encoding, text).

    ``json``: every ``<`` written ``\\u003c``, so no text can end or alter the block.
    ``gzip-base64`` (above ``PACK_ABOVE``): base64 has no ``<`` at all; the page decompresses
    it with the browser's own ``DecompressionStream``. A 100,000-case report is then about 7
    times smaller: loading its 120 MB of HTML took Chromium 3 s before any script ran.
    ``scrub`` runs on the JSON text first (the secret redaction of ``write_text`` cannot see
    into a packed block).
    """
    # msgspec writes what json.dumps(separators=(",", ":"), ensure_ascii=False) writes (floats
    # past 1e16 or below 1e-4 aside: 1e16 for 1e+16, the same number) in a fifth of the time
    raw = scrub(_ENCODER.encode(data).decode("utf-8"))
    if len(raw) <= PACK_ABOVE:
        escaped = (
            raw.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        )
        return "json", escaped
    packed = gzip.compress(raw.encode("utf-8"), compresslevel=COMPRESS_LEVEL, mtime=0)
    return "gzip-base64", base64.b64encode(packed).decode("ascii")


_ENCODER = msgspec.json.Encoder()

_BLOCK = re.compile(
    r'<script type="application/json" id="report-(data|text)" data-encoding="([a-z0-9-]+)">'
    r"([^<]*)</script>"
)


def _unpack(encoding: str, text: str) -> Any:
    if encoding == "gzip-base64":
        return json.loads(gzip.decompress(base64.b64decode(text)))
    return json.loads(text)


def embedded_data(html: str) -> dict[str, Any]:
    """The drill-down data of a written ``report.html`` or ``compare.html``, both blocks merged
    (for tools and tests that read a report back)."""
    blocks = {name: _unpack(encoding, text) for name, encoding, text in _BLOCK.findall(html)}
    data: dict[str, Any] = blocks["data"]
    texts = blocks["text"]
    for part in ("C", "R"):
        data[part].update(texts[part])
    return data
