"""harness compare writes compare.html: verdicts first, the forest plot, flipped cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli
from harness.report.html_data import embedded_data
from tests.report.conftest import HOSTILE_OUTPUT


def test_compare_writes_compare_html(comparison_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(comparison_run),
            "--pair",
            "support-bot-v1:support-bot-v2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert str(out / "compare.html") in result.output
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert html.index('id="verdicts"') < html.index('id="charts"') < html.index('id="cases"')
    assert "support-bot-v2 vs support-bot-v1" in html
    assert re.search(r'<td class="v-worse" aria-label="pass rate: ✗ worse">|class="v-better"', html)
    assert "data:image/svg+xml;base64," in html  # the forest plot
    assert "<script>alert(1)" not in html
    data = embedded_data(html)
    assert data["mode"] == "compare"
    doc = json.loads((out / "compare.json").read_text())
    flipped = [f["case_id"] for f in doc["pairs"][0]["flipped"]]
    assert data["C"]["id"] == flipped and "c03" in flipped
    c03 = data["C"]["id"].index("c03")
    sides = [i for i, c in enumerate(data["R"]["c"]) if c == c03]
    assert [data["R"]["x"][i] for i in sides] == ["v1 answer 3", HOSTILE_OUTPUT]
    assert data["T"][data["C"]["g"][c03][0]] == "pass → fail (regression)"
