"""Why requests failed: errored records grouped by adapter and kind, one example each.

Light on purpose (records only, no pandas): the console prints these right after a run, and
the reports show them near the top. Kinds come from each record's ``ErrorInfo``: the harness's
own error kinds, the class names other clients raise (openai, httpx, aiohttp), else the HTTP
status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.text import clip_text
from harness.records import CaseRecord, ErrorInfo

__all__ = [
    "ERROR_KINDS",
    "EXAMPLE_LIMIT",
    "ErrorGroup",
    "ErrorKind",
    "ErrorTally",
    "NOT_SENT_PREFIX",
    "error_groups",
    "error_kind",
]

ErrorKind = Literal[
    "authentication", "not found", "rate limited", "timeout", "connection", "server error", "other"
]
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "authentication",
    "not found",
    "rate limited",
    "timeout",
    "connection",
    "server error",
    "other",
)
EXAMPLE_LIMIT = 300
"""Characters of the example message kept per group (messages can hold a whole server body)."""

NOT_SENT_PREFIX = "not sent:"
"""How the runner starts the message of a request it never sent (see ``ErrorGroup.not_sent``)."""

# ErrorInfo.type is the harness's AdapterError.kind, or the class name of anything else raised.
_BY_TYPE: dict[str, ErrorKind] = {
    "authentication": "authentication",
    "authenticationerror": "authentication",
    "permissiondeniederror": "authentication",
    "not_found": "not found",
    "modelnotfounderror": "not found",
    "notfounderror": "not found",
    "rate_limited": "rate limited",
    "ratelimitederror": "rate limited",
    "ratelimiterror": "rate limited",
    "timeout": "timeout",
    "requesttimeouterror": "timeout",
    "timeouterror": "timeout",
    "apitimeouterror": "timeout",
    "readtimeout": "timeout",
    "connecttimeout": "timeout",
    "servertimeouterror": "timeout",
    "connection": "connection",
    "connectionfailederror": "connection",
    "apiconnectionerror": "connection",
    "connectionerror": "connection",
    "connecterror": "connection",
    "clientconnectorerror": "connection",
    "serverdisconnectederror": "connection",
    "remoteprotocolerror": "connection",
    "server_error": "server error",
    "servererror": "server error",
    "internalservererror": "server error",
}


def error_kind(info: ErrorInfo) -> ErrorKind:
    """The kind of one error: by its type first, else by its HTTP status, else ``other``."""
    kind = _BY_TYPE.get(info.type.lower())
    if kind is not None:
        return kind
    status = info.status
    if status in (401, 403):
        return "authentication"
    if status == 404:
        return "not found"
    if status == 429:
        return "rate limited"
    if status == 408:
        return "timeout"
    if status is not None and status >= 500:
        return "server error"
    return "other"


class ErrorGroup(BaseModel):
    """The errored records of one adapter that share a kind.

    ``not_sent`` counts those the runner never sent (the adapter's set-up failed, or it was
    stopped after errors that cannot heal); ``example`` is one message, clipped, preferring a
    request that was sent. Messages are untrusted text: renderers escape them.
    """

    model_config = ConfigDict(frozen=True)

    adapter: str
    kind: ErrorKind
    count: int
    not_sent: int = 0
    example: str
    example_status: int | None = Field(default=None, description="HTTP status of the example")

    @property
    def example_text(self) -> str:
        """The example message with its HTTP status, as reports and the console show it."""
        status = self.example_status
        if status is None or f"HTTP {status}" in self.example:  # said already
            return self.example
        return f"{self.example} (HTTP {status})"


class _Group:
    def __init__(self) -> None:
        self.count = 0
        self.not_sent = 0
        self.example: ErrorInfo | None = None
        self.example_sent = False


class ErrorTally:
    """Collects errors record by record; a later record of the same request replaces an earlier.

    Only errored requests are held, so a long run with few errors costs little memory.
    """

    def __init__(self) -> None:
        self._latest: dict[tuple[str, str, int], tuple[ErrorInfo, bool]] = {}
        self._adapters: dict[str, None] = {}

    def add(self, record: CaseRecord) -> None:
        key = (record.adapter, record.case_id, record.repeat)
        self._adapters.setdefault(record.adapter)
        self._latest.pop(key, None)
        if record.error is not None:
            sent = record.attempts > 0 and not record.error.message.startswith(NOT_SENT_PREFIX)
            self._latest[key] = (record.error, sent)

    def groups(self, adapter_order: Iterable[str] = ()) -> list[ErrorGroup]:
        """Groups per adapter (``adapter_order`` first, then as seen), largest first."""
        by_adapter: dict[str, dict[ErrorKind, _Group]] = {}
        for (adapter, _, _), (info, sent) in self._latest.items():
            group = by_adapter.setdefault(adapter, {}).setdefault(error_kind(info), _Group())
            group.count += 1
            group.not_sent += not sent
            if group.example is None or (sent and not group.example_sent):
                group.example, group.example_sent = info, sent
        order = list(dict.fromkeys([*adapter_order, *self._adapters]))
        out: list[ErrorGroup] = []
        for adapter in order:
            kinds = by_adapter.get(adapter, {})
            ranked = sorted(kinds.items(), key=lambda kv: (-kv[1].count, ERROR_KINDS.index(kv[0])))
            for kind, g in ranked:
                assert g.example is not None
                out.append(
                    ErrorGroup(
                        adapter=adapter,
                        kind=kind,
                        count=g.count,
                        not_sent=g.not_sent,
                        example=clip_text(g.example.message, EXAMPLE_LIMIT),
                        example_status=g.example.status,
                    )
                )
        return out


def error_groups(
    records: Iterable[CaseRecord], adapter_order: Iterable[str] = ()
) -> list[ErrorGroup]:
    """Errored records grouped by adapter and kind, with a count and one example message.

    A request recorded twice (a resumed run) counts once, as its last record says.
    """
    tally = ErrorTally()
    for record in records:
        tally.add(record)
    return tally.groups(adapter_order)
