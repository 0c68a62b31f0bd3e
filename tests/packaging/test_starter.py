"""``harness init`` writes the packaged starter; the packaged starter is the checkout's quickstart.

The wheel test (test_wheel.py) runs the same command from an installed wheel; these tests run
it from the checkout, in-process through click's runner, so each rule is checked quickly.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner, Result

from harness import __version__
from harness.cli import cli
from harness.cli.exits import ExitCode
from harness.cli.init import SCHEMA_FILE
from harness.starter import STARTER_FILES
from harness.suite.load import load_suite

REPO = Path(__file__).resolve().parents[2]
WRITTEN = (*STARTER_FILES, SCHEMA_FILE)


def _init(*args: str) -> Result:
    return CliRunner().invoke(cli, ["init", *args], prog_name="harness")


def test_the_packaged_starter_is_the_checkouts_quickstart_byte_for_byte() -> None:
    # One suite, two places: change suites/ and harness/starter/suites/ together.
    for name in STARTER_FILES:
        packaged = files("harness.starter").joinpath(name).read_bytes()
        assert packaged == (REPO / name).read_bytes(), f"{name} differs from harness/starter/{name}"


def test_init_writes_the_starter_and_the_schema_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _init()
    assert result.exit_code == ExitCode.OK, result.output
    for name in STARTER_FILES:
        assert (tmp_path / name).read_bytes() == (REPO / name).read_bytes()
    schema = (tmp_path / SCHEMA_FILE).read_text(encoding="utf-8")
    assert schema == (REPO / "docs" / "suite.schema.json").read_text(encoding="utf-8")
    assert "next: harness run suites/quickstart.yaml" in result.output
    # the written suite loads on its own, outside the checkout: its emulator models are
    # where it says (a starter missing them fails to load)
    assert len(load_suite(tmp_path / STARTER_FILES[0]).cases) == 22


def test_init_into_a_new_folder_names_the_cd(tmp_path: Path) -> None:
    target = tmp_path / "new project"
    result = _init(str(target))
    assert result.exit_code == ExitCode.OK, result.output
    assert all((target / name).is_file() for name in WRITTEN)
    assert f"next: cd '{target}' && harness run suites/quickstart.yaml" in result.output


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "suites" / "quickstart.yaml"
    mine.parent.mkdir()
    mine.write_text("name: mine\n", encoding="utf-8")
    result = _init(str(tmp_path))
    assert result.exit_code == ExitCode.USAGE_ERROR
    assert str(mine) in result.output and "--force" in result.output
    assert mine.read_text(encoding="utf-8") == "name: mine\n"
    assert not (tmp_path / "suites" / "emulator").exists()
    assert not (tmp_path / SCHEMA_FILE).exists()


def test_init_force_overwrites(tmp_path: Path) -> None:
    mine = tmp_path / "suites" / "quickstart.yaml"
    mine.parent.mkdir()
    mine.write_text("name: mine\n", encoding="utf-8")
    result = _init(str(tmp_path), "--force")
    assert result.exit_code == ExitCode.OK, result.output
    assert mine.read_bytes() == (REPO / STARTER_FILES[0]).read_bytes()


def test_the_version_has_one_source() -> None:
    # pyproject reads harness.__version__; nothing else states a version.
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "harness.__version__"}
    result = CliRunner().invoke(cli, ["--version"], prog_name="harness")
    assert result.output == f"harness, version {__version__}\n"
