"""Secrets out of everything a run writes: one :class:`Redactor`, used at every write boundary.

Producers (adapters, metrics, custom checks, judges, a model echoing its prompt) can put a
secret into any string; scrubbing each producer's message misses the next producer. So the
writers scrub instead: ``results.jsonl`` (``RecordWriter``), ``cassette.jsonl``
(``CassetteWriter``) and ``run.json`` (``write_manifest``) pass every string through the run's
``Redactor``; reports are built from those files only. Console and log output are scrubbed
process-wide while a run's secrets are :func:`in_effect`: a log-record factory scrubs every
log message (whichever logger or handler), and the CLI wraps ``sys.stdout``/``sys.stderr``.

Which values are secrets is the runner's decision (``harness.runner.setup.run_secrets``);
this module only replaces them. Values shorter than :data:`MIN_SECRET_CHARS` are never
scrubbed as substrings: a 2-character "secret" would turn every "HTTP 500" into garbage.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = [
    "MASK",
    "MIN_SECRET_CHARS",
    "Redactor",
    "clip",
    "current",
    "held",
    "in_effect",
    "redact",
    "redacted_stdio",
]

MASK = "***"
#: Shorter values are not scrubbed inside text (structural redaction of options still masks them).
MIN_SECRET_CHARS = 4


def _json_escaped(secret: str) -> bytes:
    """How ``secret`` looks inside a JSON string (quotes, backslashes, control characters)."""
    return json.dumps(secret, ensure_ascii=False)[1:-1].encode("utf-8")


def _alternation(items: Iterable[str]) -> str:
    # Longest first: at each position the longest secret wins, so one containing another is
    # replaced whole, not in pieces.
    return "|".join(re.escape(s) for s in sorted(set(items), key=lambda s: (-len(s), s)))


class Redactor:
    """Replaces each known secret by ``***`` in text, nested values, chunked text and models.

    Immutable. Empty, too-short and duplicate secrets are dropped; ``secrets`` is the rest,
    longest first. A Redactor without secrets is falsy and costs one check per call.
    """

    __slots__ = ("_pattern", "_probe", "secrets")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        kept = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_CHARS}
        self.secrets: tuple[str, ...] = tuple(sorted(kept, key=lambda s: (-len(s), s)))
        self._pattern = re.compile(_alternation(kept)) if kept else None
        forms = {form for s in kept for form in (s.encode("utf-8"), _json_escaped(s))}
        self._probe = (
            re.compile(b"|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f))))
            if forms
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:
        return f"Redactor({len(self.secrets)} secrets)"  # never the values

    def union(self, other: Redactor) -> Redactor:
        return Redactor((*self.secrets, *other.secrets))

    def text(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        return text if self._pattern is None else self._pattern.sub(MASK, text)

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys too) scrubbed."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def pieces(self, pieces: Sequence[str]) -> list[str]:
        """Scrub text that arrived in pieces (stream chunks), across the pieces' boundaries.

        A secret split over several chunks is found in their concatenation; the chunk where it
        starts gets ``***`` and the rest of it is cut from the following chunks, so the count
        of pieces stays (their timings stay paired) and ``"".join`` equals :meth:`text` of
        the joined text.
        """
        joined = "".join(pieces)
        if self._pattern is None or self._pattern.search(joined) is None:
            return list(pieces)
        spans = [m.span() for m in self._pattern.finditer(joined)]
        out: list[str] = []
        k, start = 0, 0
        for piece in pieces:
            end = start + len(piece)
            parts: list[str] = []
            pos = start
            while pos < end:
                while k < len(spans) and spans[k][1] <= pos:
                    k += 1
                if k == len(spans) or spans[k][0] >= end:
                    parts.append(joined[pos:end])
                    break
                s0, s1 = spans[k]
                if s0 >= pos:  # the secret starts in this piece: mask it here
                    parts += [joined[pos:s0], MASK]
                pos = min(s1, end)
            out.append("".join(parts))
            start = end
        return out

    def json_bytes(self, model: BaseModel) -> bytes:
        """``model`` as one line of compact JSON, every string scrubbed.

        The hot path (no secret in the serialised bytes) is pydantic's own serialiser plus
        one regex scan; only a line that holds a secret is rebuilt through :meth:`value`.
        """
        raw = model.__pydantic_serializer__.to_json(model)
        if self._probe is None or self._probe.search(raw) is None:
            return raw
        data = self.value(model.model_dump(mode="json"))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def clip(text: str, limit: int, marker: str = "") -> str:
    """``text`` scrubbed of the secrets in effect, then cut to ``limit`` characters.

    Scrubbing comes first: a secret cut in half by the limit would no longer match when the
    record is written, and its first half would leak (reasons quoting a check's exception).
    """
    text = current().text(text)
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` (4 characters or more) replaced by ``***``."""
    return Redactor(secrets).text(text)


# -- process-wide: console and logs ----------------------------------------------------------

_lock = threading.Lock()
_live: list[Redactor] = []  # inside in_effect() now
_kept: list[Redactor] = []  # left in_effect() inside a held() block that is still open
_holds = 0
_combined = Redactor()
_factory_installed = False


def current() -> Redactor:
    """Every secret in effect in this process now (for console and log output)."""
    return _combined


def _recombine() -> None:
    global _combined
    _combined = Redactor(s for r in (*_live, *_kept) for s in r.secrets)


@contextlib.contextmanager
def in_effect(redactor: Redactor) -> Iterator[Redactor]:
    """While inside, every log record and (under the CLI) every console write of the process
    is scrubbed of ``redactor``'s secrets; inside a :func:`held` block they stay until it ends.
    """
    _install_log_factory()
    with _lock:
        _live.append(redactor)
        _recombine()
    try:
        yield redactor
    finally:
        with _lock:
            _live.remove(redactor)
            if _holds:
                _kept.append(redactor)
            _recombine()


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Keep secrets put :func:`in_effect` inside this block in effect until it ends.

    The CLI prints an error after ``run_suite`` has returned or raised: the run's secrets
    must still be scrubbed from that message.
    """
    global _holds
    with _lock:
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            if not _holds:
                _kept.clear()
                _recombine()


def _scrub_log_record(record: logging.LogRecord, redactor: Redactor) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format: logging reports it when the record is emitted
        return
    clean = redactor.text(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        shown = logging.Formatter().formatException(record.exc_info)
        if redactor.text(shown) != shown:
            record.exc_text = redactor.text(shown)
    if record.stack_info:
        record.stack_info = redactor.text(record.stack_info)


def _install_log_factory() -> None:
    """Scrub every log record as it is made: a filter on one logger or handler would miss
    records of other loggers and handlers made later (a library's, pytest's)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor = _combined
        if redactor:
            _scrub_log_record(record, redactor)
        return record

    logging.setLogRecordFactory(factory)


class _RedactedStream:
    """A text stream that scrubs what is written through it, delegating everything else.

    It has no ``buffer``: click would write bytes to the buffer and bypass the scrubbing, so
    without one it writes text here.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(_combined.text(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextlib.contextmanager
def redacted_stdio() -> Iterator[None]:
    """Inside, ``sys.stdout`` and ``sys.stderr`` scrub every secret :func:`in_effect` (and
    :func:`held`) from what is printed: rich, click, tracebacks and warnings alike."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _RedactedStream(out), _RedactedStream(err)
    try:
        with held():
            yield
    finally:
        sys.stdout, sys.stderr = out, err
