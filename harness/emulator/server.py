"""Runs the emulator on its own asyncio loop in a background thread, on 127.0.0.1:0 by default.

Tests, the ``harness emulator serve`` command and ``harness run`` all start it through
:class:`EmulatorServer` (or the :func:`emulator` context manager) and talk to it over real
loopback HTTP: the Gradient API at :attr:`~EmulatorServer.base_url`, the OpenAI-compatible
API at :attr:`~EmulatorServer.openai_base_url`. Stopping wakes every delayed or hanging
request and every open stream first, so shutdown is prompt.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from harness.emulator.app import API_PREFIX, EmulatorApp
from harness.emulator.load import load_default_config, load_emulator_config
from harness.emulator.openai_api import OPENAI_PREFIX
from harness.emulator.profiles import EmulatorConfig

__all__ = ["EmulatorServer", "emulator"]

T = TypeVar("T")

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 30.0
_SHUTDOWN_GRACE_S = 5.0  # aiohttp's wait for in-flight handlers; they were all woken already


class EmulatorServer:
    """A running (or runnable) emulator; ``with EmulatorServer(cfg) as url:`` gives its base URL.

    ``base_url`` ends in ``/api``: pass it as the SDK's ``host`` or ``GRADIENT_API_URL``.
    """

    def __init__(self, config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._app = EmulatorApp(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Bind, start serving in a daemon thread and return :attr:`base_url`."""
        if self._thread is not None:
            raise RuntimeError("this EmulatorServer was already started; create a new one")
        self._thread = threading.Thread(target=self._run, name="harness-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise RuntimeError("the emulator did not start within 30 s")
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        return self.base_url

    def stop(self) -> None:
        """Release waiting requests, close every connection and join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None or not thread.is_alive():
            return
        if not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(_STOP_TIMEOUT_S)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT_S)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:  # reported to start()'s caller, e.g. port in use
                self._startup_error = exc
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            _close_loop(loop)

    async def _startup(self) -> None:
        runner = web.AppRunner(
            self._app.build(), access_log=None, shutdown_timeout=_SHUTDOWN_GRACE_S
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.host, self._requested_port, backlog=1024)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        for address in runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self._port = int(address[1])
                break

    async def _shutdown(self) -> None:
        self._app.release_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://host:port``: the same routes are served here without ``/api``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://host:port/api``: what the SDK takes as ``host``."""
        return self.root_url + API_PREFIX

    @property
    def openai_base_url(self) -> str:
        """``http://host:port/v1``: what OpenAI clients take as ``base_url`` / ``api_base``."""
        return self.root_url + OPENAI_PREFIX

    # -- introspection ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Request counts by status, route and model, as ``GET /_emulator/stats`` returns."""
        return self._on_loop(self._app.stats.snapshot)

    def reset(self) -> None:
        """Forget counts and prompt hits, so outcomes replay as after a fresh start."""
        self._on_loop(self._app.reset)

    def _on_loop(self, fn: Callable[[], T]) -> T:
        # State is owned by the server's loop; reading it there gives a consistent snapshot.
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return fn()

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(_STOP_TIMEOUT_S)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@contextmanager
def emulator(config: EmulatorConfig | str | Path | None = None) -> Iterator[str]:
    """Serve ``config`` (a model, a YAML path, or the built-in default) and yield the base URL."""
    if config is None:
        config = load_default_config()
    elif not isinstance(config, EmulatorConfig):
        config = load_emulator_config(Path(config))
    with EmulatorServer(config) as base_url:
        yield base_url
