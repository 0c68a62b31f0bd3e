"""Suite files and their ``include:``s, loaded depth first with include cycles refused.

Each file is parsed and validated as a ``SuiteFileSpec``; errors in an included file name the
file and the line it was included from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from harness.errors import Location, SuiteError
from harness.suite.model import SuiteFileSpec
from harness.yamlio import YamlDocument, load_yaml, locations_from_validation_error

__all__ = ["FileLoader", "SuiteFile"]


@dataclass
class SuiteFile:
    """One loaded file: its document, validated spec and the files it includes."""

    path: Path
    doc: YamlDocument
    spec: SuiteFileSpec | None  # None when the file has errors; its raw data is still checked
    includes: list[SuiteFile] = field(default_factory=list)

    def in_order(self) -> list[SuiteFile]:
        """Depth first: an included file's content comes before the file that includes it."""
        out: list[SuiteFile] = []
        for child in self.includes:
            out.extend(child.in_order())
        out.append(self)
        return out


class FileLoader:
    """Loads a file and its includes; problems go to ``errors``, every file read to ``files``."""

    def __init__(self, errors: list[Location]) -> None:
        self.errors = errors
        self.files: list[Path] = []

    def load(self, path: Path, chain: tuple[Path, ...] = (), suffix: str = "") -> SuiteFile | None:
        real = path.resolve()
        before = len(self.errors)
        try:
            doc = load_yaml(path, display_name=_display(path))
        except SuiteError as exc:
            self.errors.extend(_suffixed(exc.locations, suffix))
            return None
        self.files.append(real)
        spec: SuiteFileSpec | None = None
        if not isinstance(doc.data, dict):
            self.errors.append(doc.location((), "expected a mapping at the top level"))
            return SuiteFile(path, doc, None)
        try:
            spec = SuiteFileSpec.model_validate(doc.data)
        except ValidationError as exc:
            self.errors.extend(locations_from_validation_error(exc, doc, SuiteFileSpec))
        unit = SuiteFile(path, doc, spec)
        raw_includes = doc.data.get("include")
        if isinstance(raw_includes, list):
            for i, inc in enumerate(raw_includes):
                if not isinstance(inc, str):
                    continue
                target = (path.parent / inc).resolve()
                line, col = doc.position(("include", i))
                where = f"{doc.file}:{line}:{col}"
                if target in chain or target == real:
                    top = (chain or (real,))[0].parent
                    cycle = " -> ".join(os.path.relpath(p, top) for p in (*chain, real, target))
                    self.errors.append(doc.location(("include", i), f"include cycle: {cycle}"))
                    continue
                if not target.is_file():
                    message = f"include: file not found: {inc}"
                    self.errors.append(doc.location(("include", i), message))
                    continue
                child = self.load(target, (*chain, real), f" (included from {where})")
                if child is not None:
                    unit.includes.append(child)
        if suffix:
            self.errors[before:] = _suffixed(self.errors[before:], suffix)
        return unit


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _suffixed(locations: list[Location], suffix: str) -> list[Location]:
    if not suffix:
        return locations
    return [Location(x.file, x.line, x.column, x.message + suffix) for x in locations]
