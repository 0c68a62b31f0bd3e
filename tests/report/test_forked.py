"""Forked report jobs: run on another core when safe, same result as inline, nothing left over.

Each check runs in a fresh interpreter: a pytest worker has threads of its own, and the helper
(rightly) never forks a process with more than one thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.report.forked import ENV_SWITCH, usable_cores

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or usable_cores() < 2, reason="forking needs POSIX and two cores"
)


def _python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, ENV_SWITCH: "1", **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_job_runs_in_a_child_and_its_value_comes_back() -> None:
    out = _python(
        """
        import os
        from harness.report.forked import Forked
        with Forked(lambda: (os.getpid(), [1.5, "svg <text>"])) as job:
            pid, value = job.result()
        print(pid != os.getpid(), value)  # made by another process
        """
    )
    assert out == "True [1.5, 'svg <text>']"


def test_switched_off_or_with_other_threads_the_job_runs_here() -> None:
    code = """
        import os, threading, time
        from harness.report.forked import Forked
        if os.environ.get("EXTRA_THREAD"):
            threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        job = Forked(lambda: os.getpid())
        print(job.in_child, job.result() == os.getpid())
        """
    assert _python(code, **{ENV_SWITCH: "0"}) == "False True"
    assert _python(code, EXTRA_THREAD="1") == "False True"


def test_a_job_that_fails_in_the_child_is_run_again_here() -> None:
    """The child's failure is not the answer: the parent's own attempt is (its value, or its
    real traceback)."""
    out = _python(
        """
        import os
        from harness.report.forked import Forked
        parent = os.getpid()
        def job():
            if os.getpid() != parent:
                raise RuntimeError("only in the child")
            return "made here"
        with Forked(job) as forked:
            print(forked.in_child, forked.result())
        """
    )
    assert out == "True made here"


def test_leaving_early_kills_and_reaps_the_child() -> None:
    out = _python(
        """
        import os, time
        from harness.report.forked import Forked
        started = time.monotonic()
        try:
            with Forked(lambda: time.sleep(60)) as job:
                pid = job._pid
                raise KeyError("the build failed")
        except KeyError:
            pass
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        print(alive, time.monotonic() - started < 30)
        """
    )
    assert out == "False True"


def test_report_html_is_the_same_built_with_children_or_in_one_process(
    comparison_run: Path, tmp_path: Path
) -> None:
    """With forking on, the drill-down is built in a child started before the statistics;
    off, in the process itself: the same bytes either way."""
    alone = tmp_path / "alone"
    shutil.copytree(comparison_run, alone)
    code = """
        import os, sys
        from pathlib import Path
        import harness.report.html as html
        from harness.report import write_reports
        parent, build = os.getpid(), html._drilldown
        def spy(records, names):
            where = "child" if os.getpid() != parent else "parent"
            print("drill-down built in the", where, flush=True)
            return build(records, names)
        html._drilldown = spy
        write_reports(Path(sys.argv[1]), ["html"])
        """
    said = {}
    for run_dir, switch in ((comparison_run, "1"), (alone, "0")):
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), str(run_dir)],
            capture_output=True,
            text=True,
            env={**os.environ, ENV_SWITCH: switch},
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        said[switch] = done.stdout.strip()
    assert said == {"1": "drill-down built in the child", "0": "drill-down built in the parent"}
    forked = (comparison_run / "report.html").read_bytes()
    assert forked == (alone / "report.html").read_bytes()
    assert forked.count(b"data:image/svg+xml") >= 4  # the children's charts are in it
