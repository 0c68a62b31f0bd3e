"""The built sdist and wheel: what they hold, and that the installed wheel works outside a checkout.

Builds both archives once from a copy of the checkout (``python -m build --no-isolation``: the
build backend comes from this environment, nothing is downloaded), with a planted run folder
under ``reports/`` so leaving reports out is tested, not assumed. The wheel goes into a fresh
virtualenv that borrows this environment's site-packages for its dependencies; the checkout's
own editable ``harness`` is then visible there too, so the run test first proves the venv's copy
is the one that runs.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

from harness import __version__
from harness.cli.exits import ExitCode

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DIST = "llm_adapter_harness"
LEFT_BEHIND = shutil.ignore_patterns(
    ".git", "reports", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ".benchmarks", ".venv", "venv", "node_modules",
)  # fmt: skip
# Every file the wheel may hold besides harness/**.py (docs/packaging.md lists them).
WHEEL_DATA = (
    "harness/py.typed",
    "harness/report/templates/*",
    "harness/emulator/*.yaml",
    "harness/starter/suites/*.yaml",
    "harness/starter/suites/emulator/*.yaml",
    f"{DIST}-{__version__}.dist-info/*",
)
SDIST_EXTRA = (
    "PKG-INFO", "pyproject.toml", "setup.cfg", "MANIFEST.in", "README.md", "LICENSE",
    "CHANGELOG.md",
)  # fmt: skip


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    venv: Path
    env: dict[str, str]


def _run(
    args: list[str | Path], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion and insist on exit 0, showing its output when it fails."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _borrow_this_environment(python: Path) -> None:
    """Let the venv import this environment's packages, after its own (dependencies and pip).

    ``--system-site-packages`` would lend the base interpreter's packages, which are not this
    environment's when the tests run in a virtualenv (as CI does); a ``.pth`` file in the venv's
    own site-packages adds this environment's site directories after it, so the wheel's
    ``harness`` is found first and nothing needs downloading.
    """
    outer = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    own = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], REPO)
    calls = "; ".join(f"site.addsitedir({p!r})" for p in outer)
    (Path(own.stdout.strip()) / "borrowed_environment.pth").write_text(f"import site; {calls}\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=LEFT_BEHIND)
    planted = source / "reports" / "20260101-000000-planted"
    planted.mkdir(parents=True)
    (planted / "run.json").write_text("{}", encoding="utf-8")
    out = root / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source], cwd=root)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root)
    _borrow_this_environment(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", "VIRTUAL_ENV": str(venv)}
    env |= {"PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", wheel]
    _run([*pip, "--disable-pip-version-check", "-q"], cwd=root, env=env)
    yield Built(sdist, wheel, venv, env)


def _unexpected(names: list[str], allowed: tuple[str, ...]) -> list[str]:
    return [n for n in names if not any(fnmatch.fnmatch(n, pattern) for pattern in allowed)]


def test_the_wheel_holds_the_package_its_data_and_nothing_else(built: Built) -> None:
    names = zipfile.ZipFile(built.wheel).namelist()
    assert _unexpected(names, ("harness/*.py", *WHEEL_DATA)) == []
    for needed in (
        "harness/py.typed",
        "harness/report/templates/report.html.j2",
        "harness/report/templates/report.css",
        "harness/report/templates/report.js",
        "harness/emulator/default.yaml",
        "harness/starter/suites/quickstart.yaml",
        "harness/starter/suites/emulator/quickstart-models.yaml",
        f"{DIST}-{__version__}.dist-info/licenses/LICENSE",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "reports/", "benchmarks/", "suites/"))]
    # every template in the checkout ships (other kinds of template file included)
    templates = {p.name for p in (REPO / "harness" / "report" / "templates").iterdir()}
    assert {f"harness/report/templates/{t}" for t in templates} <= set(names)


def test_the_sdist_holds_the_package_and_its_notes_and_no_tests_or_reports(built: Built) -> None:
    with tarfile.open(built.sdist) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
    allowed = ("harness/*.py", *WHEEL_DATA[:-1], *SDIST_EXTRA, f"{DIST}.egg-info/*")
    assert _unexpected(names, allowed) == []
    assert "harness/starter/suites/quickstart.yaml" in names and "CHANGELOG.md" in names
    assert not [n for n in names if n.startswith(("tests/", "reports/", "benchmarks/"))]


def test_metadata_name_version_license_and_twine_check(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as whl:
        text = whl.read(f"{DIST}-{__version__}.dist-info/METADATA").decode()
    meta = Parser().parsestr(text)
    assert meta["Name"] == "llm-adapter-harness"
    assert meta["Version"] == __version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert "ray" in meta.get_all("Provides-Extra")
    assert built.wheel.name == f"{DIST}-{__version__}-py3-none-any.whl"
    twine = [sys.executable, "-m", "twine", "check", "--strict"]
    done = _run([*twine, built.sdist, built.wheel], REPO)
    assert done.stdout.count("PASSED") == 2


def test_the_installed_wheel_runs_the_quickstart_outside_the_checkout(
    built: Built, tmp_path: Path
) -> None:
    python = built.venv / "bin" / "python"
    where = _run([python, "-c", "import harness; print(harness.__file__)"], tmp_path, built.env)
    assert Path(where.stdout.strip()).is_relative_to(built.venv), "the checkout's harness ran"
    assert shutil.which("harness", path=built.env["PATH"]) == str(built.venv / "bin" / "harness")

    version = _run(["harness", "--version"], tmp_path, built.env)
    assert version.stdout == f"harness, version {__version__}\n"
    init = _run(["harness", "init"], tmp_path, built.env)
    assert "next: harness run suites/quickstart.yaml" in init.stdout
    _run(["harness", "validate", "suites/quickstart.yaml"], tmp_path, built.env)
    schema = (tmp_path / "docs" / "suite.schema.json").read_text(encoding="utf-8")
    assert schema == (REPO / "docs" / "suite.schema.json").read_text(encoding="utf-8")

    run = subprocess.run(
        ["harness", "run", "suites/quickstart.yaml", "-q", "--run-id", "wheel"],
        cwd=tmp_path, env=built.env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == ExitCode.OK, run.stdout + run.stderr
    manifest = json.loads((tmp_path / "reports" / "wheel" / "run.json").read_text())
    assert manifest["status"] == "completed"
    assert manifest["harness_version"] == manifest["versions"]["harness"] == __version__
    records = (tmp_path / "reports" / "wheel" / "results.jsonl").read_text().splitlines()
    assert len(records) == 22 * 4
    assert (tmp_path / "reports" / "wheel" / "report.html").is_file()  # templates were found
