"""A suite may name any file; its errors quote no more of that file than the offending line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "TOPSECRET_d41d8cd98f"
HEAD = "name: s\nadapters: {a: {type: gradient-base, base_model_slug: x}}\n"


def _validate(folder: Path, suite: str) -> str:
    (folder / "suite.yaml").write_text(suite)
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "validate", "suite.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def _dataset(path: str) -> str:
    return HEAD + f"datasets:\n  - {{path: {path}, columns: {{prompt: q}}}}\n"


@pytest.mark.parametrize(
    ("name", "text", "shown"),
    [
        # a JSON mapping that is not {split: [rows]}: one offending key named, not every key
        (
            "splits.json",
            f'{{\n  "version": 1,\n  "{SECRET}": []\n}}\n',
            "got a mapping whose key 'version' holds a number",
        ),
        # a row with the wrong number of fields; the secret is on another row
        ("rows.csv", f"q,a\nx,1\n{SECRET},2\ny\n", "rows.csv:4: 1 fields, the header has 2"),
        # invalid JSON on line 2; the secret is on line 3
        ("rows.jsonl", f'{{"q": "x"}}\n{{"q": \n{{"q": "{SECRET}"}}\n', "rows.jsonl:2: invalid"),
        # a file that is not JSON at all (as /etc/passwd would be)
        ("passwd.json", f"root:x:0:0\n{SECRET}:x:1:1\n", "passwd.json:1: invalid JSON"),
    ],
)
def test_dataset_errors_do_not_quote_other_lines(
    tmp_path: Path, name: str, text: str, shown: str
) -> None:
    (tmp_path / name).write_text(text)
    stderr = _validate(tmp_path, _dataset(name))
    assert shown in stderr
    assert SECRET not in stderr


def test_a_multi_line_value_in_an_included_file_shows_its_first_line_only(
    tmp_path: Path,
) -> None:
    (tmp_path / "other.yaml").write_text(f"adapters: |\n  first line\n  {SECRET}\n")
    stderr = _validate(tmp_path, "name: s\ninclude: [other.yaml]\ncases: [{prompt: hi}]\n")
    assert "other.yaml:1:11: adapters: expected a mapping, got 'first line…' (text of 2" in (
        stderr
    )
    assert SECRET not in stderr


def test_available_columns_are_clipped_and_counted(tmp_path: Path) -> None:
    header = ",".join(f"column_{i}" for i in range(25)) + "," + "w" * 60
    (tmp_path / "wide.csv").write_text(header + "\n" + ",".join(["v"] * 26) + "\n")
    stderr = _validate(tmp_path, _dataset("wide.csv"))
    assert "available: column_0, column_1," in stderr
    assert "column_19 and 6 more" in stderr and "column_20" not in stderr
