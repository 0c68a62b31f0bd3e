"""The layout keeps its own rules: small modules, public names for what is shared, a light start.

The layer contract itself (which package may import which, no cycles) is import-linter's
job (``lint-imports``, configured in pyproject.toml, run by CI); these are the rules it
cannot express.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "harness"
MAX_MODULE_LINES = 500
HEAVY = (
    "pandas",
    "matplotlib",
    "scipy",
    "llama_index",
    "gradientai",
    "numpy",
    "datasets",
    "tiktoken",
    "aiohttp",
)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {p.relative_to(PACKAGE.parent): len(p.read_text().splitlines()) for p in _modules()}
    too_big = {str(p): n for p, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_big, f"split these along the ideas they hold: {too_big}"


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno}: {node.module}.{alias.name}")
                elif alias.asname and alias.asname.startswith("_") and alias.name[:1].islower():
                    module = f"{node.module}.{alias.name}"
                    if not (PACKAGE.parent / module.replace(".", "/")).with_suffix(".py").exists():
                        found.append(f"{path.name}:{node.lineno}: {alias.name} as {alias.asname}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    found = [hit for path in _modules() for hit in _private_imports(path)]
    assert not found, "make what is shared public and named for what it is: " + "; ".join(found)


def test_the_private_name_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from harness.suite.datasets import _read\nfrom harness.metrics.base import preview as _p\n"
    )
    assert len(_private_imports(bad)) == 2


def _loaded_after(code: str) -> list[str]:
    probe = (
        "import sys, runpy\n"
        f"{code}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return list(ast.literal_eval(out.stdout.strip().splitlines()[-1]))


def _command(*args: str) -> str:
    return (
        f"sys.argv = ['harness', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('harness', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
    )


@pytest.mark.parametrize(
    "code",
    [
        "import harness",
        "import harness.cli",
        _command("--help"),
        _command("--version"),
        _command("run", "--help"),
        _command("validate", "suites/quickstart.yaml"),
        _command("schema"),
        _command("list", "adapters"),
    ],
)
def test_start_up_does_not_import_the_heavy_stack(code: str) -> None:
    assert _loaded_after(code) == []


def test_the_heavy_import_check_can_fail() -> None:
    assert _loaded_after("import harness\nimport pandas") == ["numpy", "pandas"]
