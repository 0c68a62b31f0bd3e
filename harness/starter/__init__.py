"""The starter project ``harness init`` writes: the quickstart suite and its emulator models.

The files under ``suites/`` are package data, byte-identical to the checkout's
``suites/quickstart.yaml`` and ``suites/emulator/quickstart-models.yaml`` (a test keeps them
so), so an installed wheel can run the quickstart outside the checkout.
"""

from __future__ import annotations

__all__ = ["STARTER_FILES"]

STARTER_FILES: tuple[str, ...] = (
    "suites/quickstart.yaml",
    "suites/emulator/quickstart-models.yaml",
)
"""The starter's files, as paths relative to this package and to the folder they go into."""
