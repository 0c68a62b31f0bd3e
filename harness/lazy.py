"""Names a package exports but imports only when they are first used (PEP 562).

Why: ``import harness``, ``harness --help`` and suite validation must not pay for
llama-index, aiohttp or pandas; the packages that re-export such names use one
``__getattr__`` made here instead of each writing its own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(module: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A ``__getattr__`` for ``module`` that imports each name from its home module on use.

    ``homes`` maps an exported name to the module that defines it. The value is then set on
    ``module``, so the second use is a plain attribute lookup.
    """

    def module_getattr(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[module], name, value)
        return value

    return module_getattr
