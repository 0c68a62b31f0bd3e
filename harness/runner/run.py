"""run_suite(): plan the (case, adapter) requests, drive them concurrently, store each record.

Adapters are interleaved case by case (the first adapter rotates from case to case), so that
neither side of a comparison always goes first or owns a warm connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import secrets as _secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import __version__
from harness.adapters.base import is_secret_option, redact_options
from harness.metrics import Observation
from harness.records import AdapterInfo, CaseRecord, RunManifest
from harness.runner.execute import execute_case
from harness.store import RecordWriter, write_manifest
from harness.suite.envref import find_env_refs, resolve_env_refs
from harness.suite.load import AdapterConfig, Case, Suite

__all__ = ["RunOptions", "RunOutcome", "new_run_id", "run_suite"]

OnRecord = Callable[[CaseRecord], None]


@dataclass(frozen=True)
class RunOptions:
    """How to run a suite; the CLI's flags map onto these one to one."""

    output_dir: Path = Path("reports")
    run_id: str | None = None
    concurrency: int | None = None  # None: the suite's own setting


@dataclass
class RunOutcome:
    """What a finished (or interrupted) run produced."""

    run_dir: Path
    manifest: RunManifest
    records: int = 0
    passed: int = 0
    errored: int = 0
    per_adapter: dict[str, dict[str, int]] = field(default_factory=dict)


def new_run_id(suite_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in suite_name.lower())[:40]
    return f"{stamp}-{slug}-{_secrets.token_hex(2)}"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "harness": __version__}
    for dist in ("gradientai", "llama-index-core", "pydantic", "aiohttp"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _machine() -> dict[str, Any]:
    return {
        "node": platform.node(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python_implementation": platform.python_implementation(),
    }


def _plan(
    cases: tuple[Case, ...], adapters: tuple[AdapterConfig, ...]
) -> Iterator[tuple[Case, AdapterConfig, int]]:
    n = len(adapters)
    step = 0
    for case in cases:
        for repeat in range(case.repeat):
            for k in range(n):
                yield case, adapters[(step + k) % n], repeat
            step += 1


def _warm_up_metrics(suite: Suite) -> None:
    """Evaluate each metric in use once on an empty output, off the clock (lazy imports)."""
    done: set[str] = set()
    for case in suite.cases:
        for e in case.expectations:
            m = e.metric
            if m.name in done or m.needs_judge or not m.warm_up:
                continue
            done.add(m.name)
            with contextlib.suppress(Exception):
                e.evaluate(Observation(output=""))


class _Judges:
    """The JudgeContext a run gives LLM-as-judge metrics: judge adapters by name, cached.

    The cache is keyed by (adapter, prompt), so the same judgement is asked once per run.
    """

    def __init__(self, llms: dict[str, Any]) -> None:
        self._llms = llms
        self._cache: dict[tuple[str, str], asyncio.Future[str]] = {}

    async def complete(self, adapter: str, prompt: str) -> str:
        key = (adapter, prompt)
        future = self._cache.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._cache[key] = future
            try:
                response = await self._llms[adapter].acomplete(prompt)
                future.set_result(str(response.text))
            except BaseException as exc:
                del self._cache[key]
                future.set_exception(exc)
                future.exception()  # retrieved here; the caller re-raises below
                raise
        return await asyncio.shield(future)


def _secret_values(options: dict[str, Any]) -> list[str]:
    return [str(v) for k, v in options.items() if v and is_secret_option(k)]


def _env_values(adapter: AdapterConfig) -> list[str]:
    """Values read from ${ENV} references: treated as secrets in every message."""
    return [str(resolve_env_refs(v)) for v in adapter.raw_options.values() if find_env_refs(v)]


class _EmulatorHandle:
    """Starts the suite's embedded emulator (if any) and fills in served adapters' settings."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.server: Any = None
        self.base_url: str | None = None
        self.access_token: str | None = None
        self.workspace_id: str | None = None

    def __enter__(self) -> _EmulatorHandle:
        if self.suite.emulator_config is None:
            return self
        from harness.emulator import (
            DEFAULT_ACCESS_TOKEN,
            DEFAULT_WORKSPACE_ID,
            EmulatorServer,
            load_emulator_config,
        )

        config = load_emulator_config(self.suite.emulator_config)
        self.server = EmulatorServer(config)
        self.base_url = self.server.start()
        self.access_token = config.access_token or DEFAULT_ACCESS_TOKEN
        self.workspace_id = config.workspace_id or DEFAULT_WORKSPACE_ID
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()

    def options_for(self, adapter: AdapterConfig, *, resolve: bool) -> dict[str, Any]:
        """The adapter's options as written (``resolve=False``, for run.json) or as used."""
        options = adapter.resolved_options() if resolve else dict(adapter.raw_options)
        if adapter.served_by == "emulator" and self.base_url is not None:
            options.setdefault("host", self.base_url)
            options.setdefault("access_token", self.access_token)
            options.setdefault("workspace_id", self.workspace_id)
        return options


def _build(adapter: AdapterConfig, options: dict[str, Any]) -> Any:
    return adapter.type.build(adapter.type.options.model_validate(options))


async def _close(llm: Any) -> None:
    aclose = getattr(llm, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(llm, "close", None)
    if close is not None:
        close()


async def _drive(
    suite: Suite,
    llms: dict[str, Any],
    secrets: tuple[str, ...],
    run_id: str,
    concurrency: int,
    writer: RecordWriter,
    on_record: OnRecord | None,
    outcome: RunOutcome,
) -> None:
    plan = _plan(suite.cases, suite.candidates)
    _warm_up_metrics(suite)
    # Resolve models and open connections before the clock starts, so the first cases do not
    # carry set-up time; an adapter whose set-up fails fails each of its cases with that error.
    broken: dict[str, BaseException] = {}
    for name, llm in llms.items():
        prepare = getattr(llm, "aprepare", None)
        if prepare is not None:
            try:
                await asyncio.wait_for(prepare(), suite.request_timeout_s)
            except Exception as exc:  # a failing adapter fails its cases, not the run
                broken[name] = exc

    judges = _Judges(llms)

    async def worker() -> None:
        for case, adapter, repeat in plan:  # one shared iterator: never materialised
            record = await execute_case(
                case,
                adapter.name,
                llms[adapter.name],
                run_id=run_id,
                timeout_s=suite.request_timeout_s,
                secrets=secrets,
                setup_error=broken.get(adapter.name),
                repeat=repeat,
                judge=judges,
            )
            writer.write(record)
            outcome.records += 1
            outcome.passed += record.passed
            outcome.errored += record.error is not None
            stats = outcome.per_adapter.setdefault(
                adapter.name, {"records": 0, "passed": 0, "errored": 0}
            )
            stats["records"] += 1
            stats["passed"] += record.passed
            stats["errored"] += record.error is not None
            if on_record is not None:
                on_record(record)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await asyncio.gather(*(_close(llm) for llm in llms.values()), return_exceptions=True)


def run_suite(
    suite: Suite, options: RunOptions | None = None, on_record: OnRecord | None = None
) -> RunOutcome:
    """Run every case of ``suite`` on every adapter, writing records as they arrive.

    On Ctrl-C the records written so far stay on disk, the manifest says ``interrupted``,
    and KeyboardInterrupt propagates to the caller.
    """
    options = options or RunOptions()
    run_id = options.run_id or new_run_id(suite.name)
    run_dir = options.output_dir / run_id
    concurrency = options.concurrency or suite.concurrency

    with _EmulatorHandle(suite) as emu:
        resolved = {a.name: emu.options_for(a, resolve=True) for a in suite.adapters}
        secrets = tuple(
            {s for opts in resolved.values() for s in _secret_values(opts)}
            | {s for a in suite.adapters for s in _env_values(a)}
            | {os.environ.get("GRADIENT_ACCESS_TOKEN", "")}
        )
        llms = {a.name: _build(a, resolved[a.name]) for a in suite.adapters}
        manifest = RunManifest(
            run_id=run_id,
            suite_name=suite.name,
            suite_path=str(suite.path),
            suite_sha256=suite.sha256,
            description=suite.description,
            harness_version=__version__,
            adapters=[
                AdapterInfo(
                    name=a.name,
                    type=a.type.name,
                    model=a.model,
                    served_by=a.served_by,
                    role=a.role,
                    options=redact_options(emu.options_for(a, resolve=False)),
                    streaming_emulated=bool(getattr(llms[a.name], "streaming_emulated", False)),
                )
                for a in suite.adapters
            ],
            case_count=len(suite.cases),
            started_at=datetime.now(timezone.utc).isoformat(),
            versions=_versions(),
            machine=_machine(),
            emulator={"config": str(suite.emulator_config), "base_url": emu.base_url}
            if emu.base_url
            else None,
        )
        write_manifest(run_dir, manifest)
        outcome = RunOutcome(run_dir=run_dir, manifest=manifest)
        status = "interrupted"
        try:
            with RecordWriter(run_dir) as writer:
                asyncio.run(
                    _drive(suite, llms, secrets, run_id, concurrency, writer, on_record, outcome)
                )
            status = (
                "failed"
                if outcome.records and outcome.errored == outcome.records
                else ("completed")
            )
        except (KeyboardInterrupt, asyncio.CancelledError):
            raise KeyboardInterrupt from None
        finally:
            manifest.status = status
            manifest.finished_at = datetime.now(timezone.utc).isoformat()
            write_manifest(run_dir, manifest)
    return outcome
