"""Every file that shapes a suite's cases, each with its sha256, and the suite's overall sha256.

Resume and merge compare these, so a changed dataset, include, emulator model file, custom-check
module or replay cassette is never mixed with the run it changed under. Paths are relative to
the suite file's folder (so shards on different machines agree), posix-style.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.suite.envref import find_env_refs, resolve_env_refs
from harness.suite.expand import Case
from harness.suite.loaded import AdapterConfig, SuiteInput
from harness.user_code import user_module_file

__all__ = ["SuiteInput", "collect_inputs", "suite_sha256"]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shown(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), root)).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_posix()


def _folder_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(folder).parts):
            yield path


def _dataset_files(raw: Any, base_dir: Path) -> Iterator[Path]:
    """The local files a ``datasets:`` entry reads (a Hub dataset has none)."""
    if not isinstance(raw, dict):
        return
    path = raw.get("path")
    if isinstance(path, str) and (base_dir / path).is_file():
        yield base_dir / path
    hf = raw.get("hf")
    if not isinstance(hf, dict) or not isinstance(hf.get("path"), str):
        return
    local = base_dir / hf["path"]
    if local.is_dir():
        yield from _folder_files(local)
        return
    if local.is_file():
        yield local
        return
    files = hf.get("data_files")
    patterns: list[Any] = []
    if isinstance(files, str):
        patterns = [files]
    elif isinstance(files, list):
        patterns = files
    elif isinstance(files, dict):
        for value in files.values():
            patterns.extend(value if isinstance(value, list) else [value])
    for pattern in patterns:
        if isinstance(pattern, str) and "://" not in pattern:
            root = None if Path(pattern).is_absolute() else base_dir
            for match in sorted(glob.glob(pattern, root_dir=root, recursive=True)):
                found = Path(match) if root is None else root / match
                if found.is_file():
                    yield found


def _module_file(function: str, base_dir: Path | None) -> Path | None:
    """The .py file of ``module:function`` (beside the suite first), found without running it."""
    module_name = function.partition(":")[0]
    return user_module_file(module_name, base_dir) if module_name else None


def _custom_functions(cases: Iterable[Case]) -> Iterator[tuple[str, Path | None]]:
    """(function, the folder of the suite file naming it) of every custom check."""
    for case in cases:
        for expectation in case.expectations:
            if expectation.metric.name == "custom":
                function = getattr(expectation.options, "function", None)
                folder = getattr(expectation.options, "folder", None)
                if isinstance(function, str):
                    yield function, folder() if callable(folder) else None


def _adapter_files(adapters: Iterable[AdapterConfig]) -> Iterator[tuple[str, Path]]:
    for adapter in adapters:
        for key in adapter.type.path_options:
            value = adapter.raw_options.get(key)
            if value is None:
                value = getattr(adapter.options, key, None)
            value = str(value) if value is not None else None
            if value is None or any(n not in os.environ for n in find_env_refs(value)):
                continue
            path = Path(str(resolve_env_refs(value)))
            if path.is_file():
                kind = "cassette" if key == "cassette" else f"{adapter.type.name} {key}"
                yield kind, path


def collect_inputs(
    root: Path,
    files: Iterable[Path],
    datasets: Iterable[tuple[Path, Any]],
    emulator_config: Path | None,
    cases: Iterable[Case],
    adapters: Iterable[AdapterConfig],
) -> tuple[SuiteInput, ...]:
    """Every input of a suite, in a stable order, each file once.

    Args:
        root: the suite file's folder; paths are shown relative to it.
        files: the YAML files read (the suite and its includes), in load order.
        datasets: (the file that declares it, the raw ``datasets:`` entry).
    """
    found: dict[Path, str] = {}
    for i, path in enumerate(files):
        found.setdefault(path.resolve(), "suite file" if i == 0 else "included file")
    for declared_in, raw in datasets:
        for path in _dataset_files(raw, declared_in.parent):
            found.setdefault(path.resolve(), "dataset")
    if emulator_config is not None:
        found.setdefault(emulator_config.resolve(), "emulator config")
    for function, folder in dict.fromkeys(_custom_functions(cases)):
        module = _module_file(function, folder)
        if module is not None:
            found.setdefault(module.resolve(), "custom check")
    for kind, path in _adapter_files(adapters):
        found.setdefault(path.resolve(), kind)
    return tuple(SuiteInput(kind, _shown(p, root), _file_sha256(p)) for p, kind in found.items())


def suite_sha256(files: Iterable[Path], inputs: Iterable[SuiteInput]) -> str:
    """The suite's sha256: its YAML files' bytes in load order, then every other input.

    A suite whose only inputs are YAML files keeps the sha256 earlier versions gave it, so its
    runs still resume.
    """
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    for item in inputs:
        if item.kind not in ("suite file", "included file"):
            digest.update(f"\0{item.kind}\0{item.path}\0{item.sha256}".encode())
    return digest.hexdigest()
