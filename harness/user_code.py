"""Code a suite names (``custom`` checks, ``class_path``): found, checked statically, or imported.

A module beside the suite is loaded by its path, under a private package name
(``harness_suite_<hash>.<module>``), so it never shadows an installed package and an installed
package never shadows it; the suite's folder is never put on ``sys.path``. ``harness validate``
checks such names without running them: it finds the module's file and parses it with
:mod:`ast` for the top-level name (``find_user_object``); ``harness run`` imports them
(``import_user_object``). See ``docs/trust.md``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.registry import import_object

__all__ = [
    "FoundObject",
    "UserCodeScope",
    "current_scope",
    "find_user_object",
    "import_user_object",
    "split_import_path",
    "suite_package",
    "user_code_scope",
    "user_module_file",
]

_MAX_HOPS = 8  # re-exports followed (``from .impl import Name``) before giving up


@dataclass
class UserCodeScope:
    """Where a suite's own modules live, and whether naming one may run it.

    ``notes`` collects what could not be checked statically, for the loader to show as
    warnings.
    """

    base_dir: Path | None = None
    execute: bool = True
    notes: list[str] = field(default_factory=list)


_SCOPE: ContextVar[UserCodeScope | None] = ContextVar("harness_user_code", default=None)


def current_scope() -> UserCodeScope:
    """The scope set by :func:`user_code_scope`; outside one: import, nothing beside a suite."""
    return _SCOPE.get() or UserCodeScope()


@contextmanager
def user_code_scope(scope: UserCodeScope) -> Iterator[UserCodeScope]:
    """Resolve the import paths validated inside the block in ``scope``."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def split_import_path(path: str, *, dotted_class: bool = False) -> tuple[str, str]:
    """``'pkg.mod:name'`` → (module, attribute); raises ValueError.

    ``dotted_class``: ``'pkg.mod.Class'`` is accepted too (the last dot splits).
    """
    if dotted_class and ":" not in path:
        module_name, _, attr = path.rpartition(".")
    else:
        module_name, _, attr = path.partition(":")
    if not module_name or not attr or ":" in attr:
        raise ValueError(f"expected 'package.module:name', got {path!r}")
    return module_name, attr


# -- locating modules ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Module:
    """Where a module's code is: a .py file, or a reason it cannot be read statically."""

    name: str
    file: Path | None  # a .py source file (a package's __init__.py)
    search: tuple[str, ...] = ()  # a package's folders
    local: bool = False  # beside the suite, not installed
    opaque: str | None = None  # e.g. "a compiled extension": no source to parse


def _in_folders(part: str, folders: tuple[str, ...], name: str, local: bool) -> _Module | None:
    """The module ``part`` inside ``folders``, found the way the path finder would."""
    for folder in folders:
        base = Path(folder)
        package = base / part
        if (package / "__init__.py").is_file():
            return _Module(name, package / "__init__.py", (str(package),), local)
        if (base / f"{part}.py").is_file():
            return _Module(name, base / f"{part}.py", (), local)
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if (base / f"{part}{suffix}").is_file():
                return _Module(name, None, (), local, "a compiled extension")
    for folder in folders:  # a folder without __init__.py: a namespace package
        if (Path(folder) / part).is_dir():
            return _Module(name, None, (str(Path(folder) / part),), local)
    return None


def _local_top(top: str, base_dir: Path | None) -> bool:
    if base_dir is None:
        return False
    return (base_dir / f"{top}.py").is_file() or (base_dir / top / "__init__.py").is_file()


def _locate(module_name: str, base_dir: Path | None) -> _Module | None:
    """Find ``module_name`` without running any of it: beside the suite first, then installed.

    Installed modules are found with ``importlib.util.find_spec`` on the top-level name only
    (a dotted ``find_spec`` would import the parent packages), then folder by folder.
    """
    parts = module_name.split(".")
    top = parts[0]
    current: _Module | None
    if _local_top(top, base_dir):
        assert base_dir is not None
        current = _in_folders(top, (str(base_dir),), top, True)
    else:
        loaded = sys.modules.get(top)
        spec = getattr(loaded, "__spec__", None) if loaded is not None else None
        if spec is None:
            try:
                spec = importlib.util.find_spec(top)
            except (ImportError, ValueError):
                spec = None
        if spec is None:
            return None
        search = tuple(spec.submodule_search_locations or ())
        origin = spec.origin
        if origin is not None and origin.endswith(".py") and Path(origin).is_file():
            current = _Module(top, Path(origin), search)
        elif search:
            current = _Module(top, None, search)
        else:
            kind = "built into Python" if origin in ("built-in", "frozen") else "compiled"
            current = _Module(top, None, (), False, f"a module {kind}")
    for i, part in enumerate(parts[1:], 2):
        if current is None or current.opaque is not None:
            return current
        if not current.search:
            return None  # a plain module has no submodules
        current = _in_folders(part, current.search, ".".join(parts[:i]), current.local)
    return current


def user_module_file(module_name: str, base_dir: Path | None) -> Path | None:
    """The .py file of ``module_name`` (beside the suite first), found without importing it."""
    found = _locate(module_name, base_dir)
    return found.file if found is not None else None


# -- importing -------------------------------------------------------------------------------


# Folders whose modules were loaded, latest last: options validated again outside a loader's
# scope (the runner rebuilding an adapter from resolved options) find the same module.
_LOADED_FROM: list[Path] = []


def suite_package(base_dir: Path) -> str:
    """The private package whose only folder is ``base_dir``: modules beside a suite live in it.

    Its name hashes the folder, so two suites' ``checks.py`` never collide, and nothing a
    suite holds can shadow an installed module (or be shadowed by one).
    """
    folder = base_dir.resolve()
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:16]
    name = f"harness_suite_{digest}"
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        sys.modules[name] = importlib.util.module_from_spec(spec)
    if folder in _LOADED_FROM:
        _LOADED_FROM.remove(folder)
    _LOADED_FROM.append(folder)
    return name


def import_user_object(
    path: str, base_dir: Path | None = None, *, dotted_class: bool = False
) -> Any:
    """Import ``path`` (running its module) and return the object; raises ValueError.

    A module beside the suite (``base_dir``) is loaded from there by its path; any other name
    is imported as installed. Returns Any: the object is whatever the user named.
    """
    module_name, attr = split_import_path(path, dotted_class=dotted_class)
    top = module_name.split(".")[0]
    if base_dir is None:  # not from a loader: the latest suite folder that has the module
        base_dir = next((f for f in reversed(_LOADED_FROM) if _local_top(top, f)), None)
    target = module_name
    if base_dir is not None and _local_top(top, base_dir):
        target = f"{suite_package(base_dir)}.{module_name}"
    try:
        return import_object(f"{target}:{attr}")
    except ValueError as exc:  # name the module as the suite does, not by its private name
        raise ValueError(str(exc).replace(repr(target), repr(module_name))) from None


# -- checking statically ---------------------------------------------------------------------


@dataclass(frozen=True)
class FoundObject:
    """What parsing found for a name: its ``def``/``class`` node, or why it cannot tell more.

    ``node`` is None when the name exists but is not a ``def`` or ``class`` reachable by
    parsing (an assignment, an ``import``); ``note`` then says what stays unchecked until the
    run imports it.
    """

    file: Path | None
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None
    note: str | None = None


_DYNAMIC_CALLS = frozenset({"globals", "exec", "setattr", "vars", "__import__"})


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking inside if/try/with blocks (still module level)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.With, ast.AsyncWith)):
            yield from _statements(stmt.body)
            if isinstance(stmt, ast.If):
                yield from _statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _try_blocks(stmt)
        elif type(stmt).__name__ == "TryStar":  # try/except* (Python 3.11+)
            yield from _try_blocks(stmt)


def _try_blocks(stmt: Any) -> Iterator[ast.stmt]:  # Any: ast.Try, or ast.TryStar (3.11+)
    for block in (stmt.body, stmt.orelse, stmt.finalbody):
        yield from _statements(block)
    for handler in stmt.handlers:
        yield from _statements(handler.body)


def _targets(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for item in node.elts:
            yield from _targets(item)


def _parse(file: Path) -> ast.Module:
    try:
        return ast.parse(file.read_bytes(), filename=str(file))
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {file}: line {exc.lineno}: {exc.msg}") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {file}: {exc}") from None


def _relative_base(module: _Module, level: int) -> str:
    package = module.name if module.search else module.name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _find(module: _Module, name: str, base_dir: Path | None, hops: int) -> FoundObject:
    shown = f"{module.name!r} ({module.file})" if module.file else repr(module.name)
    if module.opaque is not None:
        note = f"module {module.name!r} is {module.opaque}: '{name}' is checked when it is imported"
        return FoundObject(None, None, note)
    if module.file is None:  # a namespace package: only submodules
        sub = _in_folders(name, module.search, f"{module.name}.{name}", module.local)
        if sub is not None:
            return FoundObject(sub.file, None, f"'{name}' is a module, not a def or class")
        raise ValueError(f"module {module.name!r} has no attribute {name!r}")
    tree = _parse(module.file)
    dynamic = False
    for stmt in _statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.name == name:
                return FoundObject(module.file, stmt)
            dynamic = dynamic or stmt.name == "__getattr__"
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(name in _targets(t) for t in targets):
                note = f"'{name}' is assigned in {shown}, not defined by def or class"
                return FoundObject(module.file, None, note)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    note = f"'{name}' is a module imported in {shown}"
                    return FoundObject(module.file, None, note)
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    dynamic = True
                elif (alias.asname or alias.name) == name:
                    return _follow(module, stmt, alias.name, base_dir, hops, shown)
    if not dynamic:
        dynamic = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC_CALLS
            for n in ast.walk(tree)
        )
    if dynamic:
        note = (
            f"{shown} defines no top-level '{name}' that parsing can see, but it creates names "
            "at import time (a star import, __getattr__, globals() or exec): checked when it is "
            "imported"
        )
        return FoundObject(module.file, None, note)
    raise ValueError(f"module {shown} defines no top-level name {name!r}")


def _follow(
    module: _Module,
    stmt: ast.ImportFrom,
    name: str,
    base_dir: Path | None,
    hops: int,
    shown: str,
) -> FoundObject:
    """A name imported from elsewhere: look there (a re-export), or say why not."""
    source = stmt.module or ""
    if stmt.level:
        prefix = _relative_base(module, stmt.level)
        source = ".".join(part for part in (prefix, source) if part)
    source_module = None
    if hops < _MAX_HOPS and source:
        # only a relative import stays beside the suite; an absolute one means an installed
        # module (the suite's folder is not on sys.path)
        source_module = _locate(source, base_dir if stmt.level and module.local else None)
    if source_module is None:
        note = f"'{name}' is imported in {shown} from a module that parsing cannot follow"
        return FoundObject(module.file, None, note)
    try:
        return _find(source_module, name, base_dir, hops + 1)
    except ValueError:  # maybe a submodule: `from pkg import submodule`
        sub = _locate(f"{source}.{name}", base_dir if source_module.local else None)
        if sub is not None:
            return FoundObject(sub.file, None, f"'{name}' is a module imported in {shown}")
        raise


def find_user_object(
    path: str, base_dir: Path | None = None, *, dotted_class: bool = False
) -> FoundObject:
    """Check that ``path`` names something, without importing (running) its module.

    Finds the module (beside the suite first, then installed) and parses it for the
    top-level name. Raises ValueError when the module or the name is certainly missing;
    returns a ``note`` when parsing cannot decide (a compiled module, a name made at import
    time) or cannot see the definition (an assignment): a warning, not an error.
    """
    module_name, attr = split_import_path(path, dotted_class=dotted_class)
    module = _locate(module_name, base_dir)
    if module is None:
        where = f" (beside the suite in {base_dir}, or installed)" if base_dir else ""
        raise ValueError(f"cannot find module {module_name!r}{where}")
    first, _, rest = attr.partition(".")
    found = _find(module, first, base_dir, 0)
    if rest and found.note is None:
        note = f"only '{first}' is checked before the run; '.{rest}' is checked when imported"
        return FoundObject(found.file, None, note)
    return found
