"""Repository-wide pytest configuration: the pytester plugin for tests that run pytest itself,
and the report worker off by default.

Many tests run ``harness run`` in a subprocess; each would start the report worker (a process
that preloads pandas, scipy and matplotlib: about 2 s of CPU) and fork chart children, a minute
of the suite's CPU on 2 cores for the same bytes (reports are identical with or without them,
``tests/report/test_forked.py``). The tests of those paths switch them on: the quickstart run,
``tests/report/test_worker.py`` and ``tests/report/test_forked.py``.
"""

import os

os.environ.setdefault("HARNESS_REPORT_WORKER", "0")

pytest_plugins = ["pytester"]
