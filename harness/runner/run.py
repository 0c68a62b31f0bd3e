"""run_suite(): plan the requests, drive them, store each record, and write run.json.

Each idea has its module: what is sent and in what order (``plan``), the run's settings
(``settings``), what happens before the clock starts (``setup``, ``prepare``), and how requests
become records (``drive``). This one composes them around the run folder.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import secrets as _secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import HarnessError
from harness.records import AdapterInfo, CaseRecord, RunManifest
from harness.records.redaction import Redactor, in_effect
from harness.records.store import RecordWriter, has_records, write_manifest
from harness.runner.drive import SYNC_THREAD_PREFIX
from harness.runner.durable import CacheAndCassette, resume_run
from harness.runner.executors import Executor, RunParts, get_executor
from harness.runner.judges import judge_limits, judges_block
from harness.runner.launch import launch, startup_figures
from harness.runner.plan import shard_cases
from harness.runner.prepare import StartupGC, warm_up_metrics
from harness.runner.settings import RunOptions, RunSettings
from harness.runner.setup import (
    EmulatorHandle,
    build_llm,
    machine_info,
    manifest_options,
    model_as_written,
    run_secrets,
    versions,
)
from harness.suite.load import Suite

__all__ = [
    "RUN_THREAD_PREFIXES",
    "RunFolderInUse",
    "RunOptions",
    "RunOutcome",
    "new_run_id",
    "run_suite",
]

WARM_UP_THREAD_PREFIX = "harness-warm-up"
#: The threads a run starts that cannot be cancelled: a stop that finds one alive must not wait.
RUN_THREAD_PREFIXES = (SYNC_THREAD_PREFIX, WARM_UP_THREAD_PREFIX)

OnRecord = Callable[[CaseRecord], None]


@dataclass
class RunOutcome:
    """What a finished (or interrupted) run produced.

    ``errored`` counts requests that failed; ``judge_errored`` the records whose request was
    answered but whose judge could not grade it (not a failed request: a run whose judge
    fails is not a run where "every request failed").
    """

    run_dir: Path
    manifest: RunManifest
    records: int = 0
    passed: int = 0
    errored: int = 0
    judge_errored: int = 0
    queue_wait_ms: float = 0.0
    per_adapter: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, record: CaseRecord) -> None:
        judged = record.error is not None and record.error.origin == "judge"
        failed = record.error is not None and not judged
        self.records += 1
        self.passed += record.passed
        self.errored += failed
        self.judge_errored += judged
        self.queue_wait_ms += record.queue_wait_ms
        stats = self.per_adapter.setdefault(
            record.adapter, {"records": 0, "passed": 0, "errored": 0}
        )
        stats["records"] += 1
        stats["passed"] += record.passed
        stats["errored"] += failed


class RunFolderInUse(HarnessError):
    """The run folder already holds records and this is not a resume: a usage error.

    Appending a second run to a folder would double its records (and its reports would
    count the copies as cases), so only a resume may write into a folder with records.
    """

    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        super().__init__(
            f"run folder {run_dir} already holds records; nothing was sent. To continue that "
            f"run, use --resume {run_id}; to start a new one, choose another --run-id (or none "
            "for a fresh one)."
        )


def new_run_id(suite_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in suite_name.lower())[:40]
    return f"{stamp}-{slug}-{_secrets.token_hex(2)}"


def _replayed_from(llm: Any) -> dict[str, str]:
    """A replay adapter's cassette and timing mode, for its AdapterInfo (else nothing)."""
    source = getattr(llm, "replay_source", None)
    if not isinstance(source, dict):
        return {}
    return {"cassette": str(source["cassette"]), "replay_timing": str(source["timing"])}


def _manifest(run: RunParts, emu: EmulatorHandle, shard_label: str | None) -> RunManifest:
    suite = run.suite
    return RunManifest(
        run_id=run.run_id,
        suite_name=suite.name,
        suite_path=str(suite.path),
        suite_sha256=suite.sha256,
        description=suite.description,
        harness_version=__version__,
        adapters=[
            AdapterInfo(
                name=a.name,
                type=a.type.name,
                model=model_as_written(a),
                served_by=a.served_by,
                role=a.role,
                options=manifest_options(emu.options_for(a, resolve=False)),
                streaming_emulated=bool(getattr(run.llms[a.name], "streaming_emulated", False)),
                **_replayed_from(run.llms[a.name]),
            )
            for a in suite.adapters
        ],
        case_count=len(run.cases),
        started_at=datetime.now(timezone.utc).isoformat(),
        versions=versions(),
        machine=machine_info(),
        emulator={
            "config": str(suite.emulator_config or "inline or built-in models"),
            "base_url": emu.base_url,
        }
        if emu.base_url
        else None,
        # every input's sha256, so a refused resume or merge can name what changed
        execution={
            **run.settings.execution(),
            "suite_inputs": suite.input_digests(),
            "judges": judges_block(run.judges, run.settings),
        },
        shard=shard_label,
    )


def run_suite(
    suite: Suite, options: RunOptions | None = None, on_record: OnRecord | None = None
) -> RunOutcome:
    """Run every case of ``suite`` on every adapter, writing records as they arrive.

    On Ctrl-C the records written so far stay on disk, the manifest says ``interrupted``,
    and KeyboardInterrupt propagates to the caller.

    Raises:
        RunFolderInUse: the run folder already holds records and ``options.resume`` is off.
    """
    called_ns = time.perf_counter_ns()
    options = (options or RunOptions()).with_execution(suite)
    run_id = options.run_id or new_run_id(suite.name)
    run_dir = options.output_dir / run_id
    if not options.resume and has_records(run_dir):
        raise RunFolderInUse(run_dir, run_id)
    cases, shard_label = shard_cases(suite.cases, options.shard)
    with contextlib.ExitStack() as stack:
        collector = stack.enter_context(StartupGC())
        # Metrics warm up in a thread while the adapters are prepared. The LLMs are built
        # first, so the two threads never import the same (llama-index) modules at once.
        background = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix=WARM_UP_THREAD_PREFIX
        )
        stack.callback(background.shutdown, wait=False, cancel_futures=True)
        emu = stack.enter_context(EmulatorHandle(suite))
        resolved = {a.name: emu.options_for(a, resolve=True) for a in suite.adapters}
        # In effect before the LLMs are built: a client's error may already hold a key.
        redactor = stack.enter_context(in_effect(Redactor(run_secrets(suite, resolved))))
        llms = {a.name: build_llm(a, resolved[a.name]) for a in suite.adapters}
        run = RunParts(
            suite=suite,
            cases=cases,
            llms=llms,
            redactor=redactor,
            run_id=run_id,
            settings=RunSettings.of(suite, options),
            recorded=set(),
            judges=judge_limits(suite.adapters, suite.cases, options.rpm),
            aids=CacheAndCassette(),
            # a distributed run's workers warm their own metrics
            metrics_warmed=background.submit(
                warm_up_metrics, cases if options.executor == "local" else ()
            ),
            collector=collector,
            launched=launch(),
            called_ns=called_ns,
            options=options,
            resolved=resolved,
        )
        executor = get_executor(options.executor or "local")  # unknown or not installed: refused
        # before anything is written
        manifest = run.manifest = _manifest(run, emu, shard_label)
        if options.resume:
            manifest, run.recorded = resume_run(run_dir, manifest)
        write_manifest(run_dir, manifest, run.redactor)
        outcome = _execute(run, executor, manifest, options, run_dir, on_record)
    return outcome


def _execute(
    run: RunParts,
    executor: Executor,
    manifest: RunManifest,
    options: RunOptions,
    run_dir: Path,
    on_record: OnRecord | None,
) -> RunOutcome:
    """Drive the run to its end, keeping run.json's status true whatever happens."""
    outcome = RunOutcome(run_dir=run_dir, manifest=manifest)
    status = "interrupted"
    try:
        with contextlib.ExitStack() as stack:
            _open_aids(stack, run, options, manifest, run_dir)
            writer = stack.enter_context(RecordWriter(run_dir, redactor=run.redactor))

            def store(record: CaseRecord) -> None:
                writer.write(record)
                outcome.add(record)
                if on_record is not None:
                    on_record(record)

            lag = asyncio.run(executor(run, store))
            mean_wait_ms = round(outcome.queue_wait_ms / max(1, outcome.records), 3)
            manifest.harness_lag = {**lag, "queue_wait_mean_ms": mean_wait_ms}
        if run.aids.cache is not None:
            manifest.execution["cache_hits"] = run.aids.cache.hits
            manifest.execution["cache_misses"] = run.aids.cache.misses
        everything_failed = outcome.records and outcome.errored == outcome.records
        status = "failed" if everything_failed else "completed"
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise KeyboardInterrupt from None
    finally:
        manifest.status = status
        manifest.finished_at = datetime.now(timezone.utc).isoformat()
        manifest.startup = startup_figures(run.launched, run.called_ns, run.first_send_ns)
        manifest.execution["judges"] = judges_block(run.judges, run.settings, run.judge_tallies)
        write_manifest(run_dir, manifest, run.redactor)
    return outcome


def _open_aids(
    stack: contextlib.ExitStack,
    run: RunParts,
    options: RunOptions,
    manifest: RunManifest,
    run_dir: Path,
) -> None:
    """Open the response cache (--cache) and the cassette (--record) the options ask for."""
    if options.cache_path is not None:
        from harness.runner.cache import AdapterIdentity, ResponseCache

        run.aids.cache = stack.enter_context(ResponseCache(options.cache_path))
        run.aids.identities = {
            a.name: AdapterIdentity(a.type.name, a.resolved_options(), served_by=a.served_by)
            for a in run.suite.candidates
        }
        manifest.execution["cache"] = str(options.cache_path)
    if options.record:
        from harness.records.cassette import CassetteWriter
        from harness.records.store import CASSETTE_FILE

        run.aids.cassette = stack.enter_context(
            CassetteWriter(run_dir / CASSETTE_FILE, redactor=run.redactor)
        )
        manifest.execution["record"] = CASSETTE_FILE
