"""One local Ray per test module (two CPUs, no dashboard, its files in a temp dir of its own),
shared by the module's tests: a Ray start costs seconds on a loaded 2-core machine, and under
``--dist loadfile`` each file runs in one xdist worker."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ray.support import REPO


@pytest.fixture(scope="module")
def ray_temp() -> Iterator[Path]:
    """One local Ray for the module; its temp dir (sessions, logs) is what the secrets test
    searches. A short path: Ray's socket names must fit in 107 characters."""
    ray = pytest.importorskip("ray")
    temp = Path(tempfile.mkdtemp(prefix="hr-"))
    before = os.environ.get("PYTHONPATH")
    # Ray's processes inherit it: workers of every driver (this one, CLI subprocesses joining
    # with --ray-address) import harness from this checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), before]))
    try:
        ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(temp), log_to_driver=False)
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    try:
        yield temp
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
