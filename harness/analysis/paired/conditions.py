"""Were two runs made under the same conditions? Timings compare only when they were.

Latency, TTFT and throughput depend on how hard the harness pushed (concurrency, rate
limits, warm-up), on the machine and on the harness itself as much as on the model. Each
difference between the two runs' ``run.json`` becomes one warning naming it and both values;
a field one run does not record (an older run) is not a difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.records import RunManifest

__all__ = ["MACHINE_FIELDS", "condition_warnings", "status_warnings"]

MACHINE_FIELDS = (
    ("node", "machine (hostname)"),
    ("system", "operating system"),
    ("release", "OS release"),
    ("machine", "CPU architecture"),
    ("cpu", "CPU model"),
    ("cpu_count", "CPU count"),
    ("python_implementation", "Python implementation"),
)
"""run.json ``machine`` keys compared, with the words a warning uses for each."""

_UNSET = object()
_TAIL = "timings from the two runs may not be comparable"


_SUITE_TAIL = "the runs used different suite files (cases, expectations or adapters may differ)"


def _differs(what: str, base: Any, candidate: Any, tail: str = _TAIL) -> str | None:
    if base is _UNSET or candidate is _UNSET or base == candidate:
        return None
    return f"{what} differs: base {_show(base)}, candidate {_show(candidate)}; {tail}"


def _show(value: Any) -> str:
    return "unset" if value is None else repr(value) if isinstance(value, str) else str(value)


def _get(block: Mapping[str, Any] | None, *path: str) -> Any:
    value: Any = block if block is not None else _UNSET
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return _UNSET
        value = value[key]
    return value


def _served_by(manifest: RunManifest, adapter: str) -> Any:
    for info in manifest.adapters:
        if info.name == adapter:
            return info.served_by
    return _UNSET


def condition_warnings(
    base: RunManifest, candidate: RunManifest, pairs: Iterable[tuple[str, str]]
) -> list[str]:
    """One sentence per condition that differs between ``base`` and ``candidate`` runs.

    ``pairs`` are the (base adapter, candidate adapter) names compared; their own limits
    (``adapter_concurrency``, ``rpm``) and where they were served from are compared too.
    Two sides from one run share every condition: no warning.
    """
    if base.run_id == candidate.run_id:
        return []
    found = [
        _differs("harness version", base.harness_version, candidate.harness_version),
        _differs(
            "Python version",
            _get(base.versions, "python"),
            _get(candidate.versions, "python"),
        ),
        _differs("suite sha256", base.suite_sha256[:12], candidate.suite_sha256[:12], _SUITE_TAIL),
        _differs(
            "concurrency",
            _get(base.execution, "concurrency"),
            _get(candidate.execution, "concurrency"),
        ),
        _differs(
            "warm-up requests per adapter",
            _get(base.execution, "warmup_requests_per_adapter"),
            _get(candidate.execution, "warmup_requests_per_adapter"),
        ),
    ]
    for key, words in MACHINE_FIELDS:
        found.append(_differs(words, _get(base.machine, key), _get(candidate.machine, key)))
    for base_name, candidate_name in pairs:
        label = (
            f"'{base_name}'" if base_name == candidate_name else f"'{base_name}'/'{candidate_name}'"
        )
        for key, words in (("adapter_concurrency", "concurrency limit"), ("rpm", "rate limit")):
            found.append(
                _differs(
                    f"{label} {words}",
                    _get(base.execution, key, base_name),
                    _get(candidate.execution, key, candidate_name),
                )
            )
        found.append(
            _differs(
                f"{label} served by",
                _served_by(base, base_name),
                _served_by(candidate, candidate_name),
            )
        )
    return [w for w in found if w]


def status_warnings(manifests: Iterable[tuple[str, RunManifest]]) -> list[str]:
    """A warning for each run that did not complete (its cases may be missing)."""
    return [
        f"the {side} run {m.run_id} is {m.status}, not completed: some of its cases may be missing"
        for side, m in manifests
        if m.status != "completed"
    ]
