"""Run the bootstrap's matrix products on one BLAS thread.

The products are tall and thin (a few dozen resamples x 100,000 cases times a few dozen
columns): a second OpenBLAS thread barely shortens them, and on a busy machine its threads
spin while they wait, which doubled the CPU time of a 4-adapter run's comparison (8.5 s
against 4.9 s) for the same wall time. numpy's bundled OpenBLAS exposes its thread count
under prefixed names; where it cannot be found (another BLAS, another OS) nothing changes,
and ``OPENBLAS_NUM_THREADS=1`` does the same by hand.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Callable, Iterator

__all__ = ["one_blas_thread"]

_NAMES = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@functools.cache
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """The loaded OpenBLAS's (get, set) thread-count functions, found in this process's maps."""
    import numpy  # noqa: F401  (loads the BLAS whose library is looked for)

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        return None
    for path in paths:
        if ".so" not in path:
            continue
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in _NAMES:
            if hasattr(library, get) and hasattr(library, put):
                getter, setter = getattr(library, get), getattr(library, put)
                getter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                return getter, setter
    return None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Inside, OpenBLAS uses one thread; its earlier count is restored on leaving."""
    found = _openblas()
    if found is None:
        yield
        return
    get, put = found
    before = int(get())
    put(1)
    try:
        yield
    finally:
        put(before)
