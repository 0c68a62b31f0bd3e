"""compare.json and compare.md from real run folders and the real engine: schema, content."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.analysis.paired.document import (
    CompareDocument,
    compare_schema_json,
    compare_sources,
    resolve_pairs,
)
from harness.analysis.paired.sources import load_source
from harness.report.compare_md import FLIP_OUTPUT_LIMIT, render_compare_md
from tests.analysis.test_compare_frame_sources import make_record, write_run

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "docs" / "compare.schema.json"
HOSTILE = "```\n# not a heading\n<script>x</script> | pipe\n" + "y" * (FLIP_OUTPUT_LIMIT + 500)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> CompareDocument:
    """v2 fails 12 of 40 cases v1 passes (one of them with a hostile answer), and one more."""
    root = tmp_path_factory.mktemp("doc")
    records = []
    for i in range(40):
        case = f"c{i:02d}"
        records.append(make_record("r", "v1", case, True, latency_ms=100.0 + i))
        worse = i < 12
        output = HOSTILE if i == 0 else None
        records.append(make_record("r", "v2", case, not worse, output=output, latency_ms=101.0 + i))
    records.append(make_record("r", "v1", "only-v1", True))
    run = load_source(write_run(root, "r", records), "BASE")
    pairs = resolve_pairs(run, run, ("v1:v2",))
    return compare_sources(run, run, pairs, seed=0, alpha=0.05, harness_version="9.9")


def test_the_published_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == compare_schema_json(), (
        "regenerate docs/compare.schema.json: python -c 'from harness.analysis.paired.document "
        'import compare_schema_json as s; open("docs/compare.schema.json", "w").write(s())\''
    )


def test_compare_json_validates_against_the_schema_and_reads_back(
    document: CompareDocument,
) -> None:
    text = document.model_dump_json(indent=2)
    jsonschema.validate(json.loads(text), json.loads(compare_schema_json()))
    assert CompareDocument.model_validate_json(text) == document


def test_document_content(document: CompareDocument) -> None:
    assert (document.schema_version, document.kind) == (1, "harness.compare")
    assert document.harness_version == "9.9"
    assert document.same_run and document.warnings == []
    (pair,) = document.pairs
    assert pair.base_only == ["only-v1"] and pair.candidate_only == []
    pass_rate = pair.figure("pass_rate")
    assert pass_rate is not None and pass_rate.verdict == "worse"
    verdicts = [f.verdict for f in pair.figures]
    assert pair.counts == {v: verdicts.count(v) for v in ("better", "worse", "no_difference")}
    assert pair.headline == (
        f"v2 vs v1: {pair.counts['better']} better, {pair.counts['worse']} worse, "
        f"{pair.counts['no_difference']} no difference"
    )
    assert [f.case_id for f in pair.flipped] == [f"c{i:02d}" for i in range(12)]
    assert pair.flipped[0].candidate.output == HOSTILE  # compare.json keeps all of it


def test_markdown_verdicts_first_and_untrusted_output_fenced(document: CompareDocument) -> None:
    md = render_compare_md(document)
    assert md.index("## Verdicts") < md.index("| Figure |") < md.index("### Flipped")
    assert "- **v2 vs v1: " in md
    assert "✗ worse: pass rate 100.0% → 70.0%" in md
    # the hostile answer sits in a fence longer than any backtick run inside it, clipped
    assert "````text\n```\n# not a heading" in md
    assert f"… [{len(HOSTILE) - FLIP_OUTPUT_LIMIT} more chars]\n````" in md
    assert "only in the base (v1) (1): ` only-v1 `" in md
