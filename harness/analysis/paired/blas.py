"""Run the bootstrap's matrix products on one BLAS thread (threadpoolctl).

The products are tall and thin (a few dozen resamples x 100,000 cases times a few dozen
columns): a second OpenBLAS thread barely shortens them, and on a busy machine its threads
spin while they wait, which doubled the CPU time of a 4-adapter run's comparison (8.5 s
against 4.9 s) for the same wall time. threadpoolctl finds whichever BLAS numpy loaded
(OpenBLAS, MKL, BLIS) and restores its thread count on leaving; ``OPENBLAS_NUM_THREADS=1``
does the same by hand for a whole process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["blas_threads", "one_blas_thread"]


def blas_threads() -> int | None:
    """The thread count of the BLAS numpy loaded (the first one found), or None if none."""
    import numpy  # noqa: F401  (loads the BLAS whose thread pool is looked for)
    from threadpoolctl import threadpool_info

    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return int(pools[0]["num_threads"]) if pools else None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Inside, the BLAS uses one thread; its earlier count is restored on leaving."""
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
