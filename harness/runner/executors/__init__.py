"""Executors: how a run's planned requests reach the adapters (``--executor``).

``local`` drives them on this process's event loop; ``ray`` hands them to Ray actors, each
running the same :class:`~harness.runner.drive.Driver` on its share (docs/scale-out.md).
Third-party executors register through the ``harness.executors`` entry-point group.
"""

from __future__ import annotations

import importlib

from harness.errors import HarnessError
from harness.registry import Registry
from harness.runner.executors.base import Executor, RunParts, Store

__all__ = [
    "EXECUTORS",
    "Executor",
    "ExecutorUnavailable",
    "RunParts",
    "Store",
    "get_executor",
]

EXECUTORS: Registry[Executor] = Registry("executor", "harness.executors")
EXECUTORS.add("local", "harness.runner.executors.local:drive_locally", description="this process")
EXECUTORS.add(
    "ray",
    "harness.runner.executors.ray_driver:drive_on_ray",
    description="Ray actors on this machine or a cluster",
    requires="ray",
    install='pip install "llm-adapter-harness[ray]"',
)


class ExecutorUnavailable(HarnessError):
    """The executor's engine is not installed: a usage error (exit 4) that says what to install."""


def get_executor(name: str) -> Executor:
    """The executor registered as ``name``, its engine imported.

    Raises:
        UnknownNameError: no such executor (the message suggests the nearest name).
        ExecutorUnavailable: its engine (``requires``) cannot be imported.
    """
    entry = EXECUTORS.entry(name)
    requires = entry.metadata.get("requires")
    if requires:
        install = entry.metadata.get("install", f"pip install {requires}")
        try:
            importlib.import_module(requires)
        except ImportError as exc:
            raise ExecutorUnavailable(
                f"--executor {name} needs the {requires!r} package, which is not installed "
                f"({exc}); install it with: {install}"
            ) from None
    return entry.load()
