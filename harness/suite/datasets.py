"""Cases from data: a suite's ``datasets:`` entry (DatasetSpec) → the DatasetRows it selects.

The sources (CSV, JSONL, JSON, Parquet, Hugging Face ``datasets``) are read by
``dataset_readers``, which imports pyarrow and ``datasets`` on first use only, so
``import harness`` stays light. The spec models and errors are re-exported here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.registry import suggest
from harness.suite.dataset_errors import (
    DatasetError,
    DatasetProblem,
    cap_problems,
    one_line,
    shown_names,
    value_kind,
)
from harness.suite.dataset_readers import Table, read_table
from harness.suite.dataset_spec import ColumnMap, DatasetSpec, HfSource, SampleSpec

__all__ = [
    "ColumnMap",
    "DatasetError",
    "DatasetProblem",
    "DatasetRow",
    "DatasetSpec",
    "HfSource",
    "SampleSpec",
    "load_dataset_rows",
]

_ID_VALUE = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True)
class DatasetRow:
    """One selected row: its case id, prompt (None when a template renders it) and vars."""

    case_id: str
    prompt: str | None
    vars: dict[str, Any]
    tags: tuple[str, ...]  # from columns.tags, minus spec.tags: spec.tags + tags has each once
    row_index: int  # 0-based position in the source (split), before sample and limit
    cluster: str | None = None  # from columns.cluster; None when unmapped or empty


def _check_columns(spec: DatasetSpec, table: Table) -> None:
    listed = shown_names(table.columns)
    problems = [
        DatasetProblem(
            path,
            f"unknown column '{column}' in {table.source}{suggest(column, table.columns)}; "
            f"available: {listed}",
        )
        for path, column in spec.columns.used()
        if column not in table.columns
    ]
    if problems:
        raise DatasetError.of(problems)


def _select(spec: DatasetSpec, n_rows: int) -> Sequence[int]:
    """Row indices in source order: a seeded sample (Python's Mersenne Twister), then the limit."""
    indices: Sequence[int] = range(n_rows)
    if spec.sample is not None:
        if spec.sample.n > n_rows:
            message = f"cannot sample {spec.sample.n} rows from a dataset of {n_rows} rows"
            raise DatasetError.at(("sample", "n"), message)
        indices = sorted(random.Random(spec.sample.seed).sample(range(n_rows), spec.sample.n))
    if spec.limit is not None:
        indices = indices[: spec.limit]
    return indices


def _row_ids(spec: DatasetSpec, table: Table) -> list[str]:
    """Case ids for every row; an id column is checked over all rows, so ids never depend on
    sample or limit."""
    prefix = spec.case_prefix
    column = spec.columns.id
    if column is None:
        return [f"{prefix}-{i}" for i in range(len(table.rows))]
    ids: list[str] = []
    first: dict[str, int] = {}
    problems: list[DatasetProblem] = []
    at = ("columns", "id")
    for i, row in enumerate(table.rows):
        value = row.get(column)
        text = "" if value is None else str(value).strip()
        if not text:
            problems.append(DatasetProblem(at, f"{table.where(i)}: empty id in column '{column}'"))
        elif not _ID_VALUE.match(text):
            message = (
                f"{table.where(i)}: id {one_line(text, 40)!r} in column '{column}' cannot be part "
                "of a case id "
                "(letters, digits and _ . : - only)"
            )
            problems.append(DatasetProblem(at, message))
        elif text in first:
            message = (
                f"duplicate id '{text}' in column '{column}': "
                f"{table.where(first[text])} and {table.where(i)}"
            )
            problems.append(DatasetProblem(at, message))
        else:
            first[text] = i
        ids.append(f"{prefix}-{text}")
    if problems:
        raise DatasetError.of(cap_problems(problems, "bad ids"))
    return ids


def _row_tags(value: Any, static: frozenset[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    tags = (str(v).strip() for v in values if v is not None)
    return tuple(dict.fromkeys(t for t in tags if t and t not in static))


def load_dataset_rows(spec: DatasetSpec, base_dir: Path) -> list[DatasetRow]:
    """Read ``spec``'s source and turn the selected rows into DatasetRows.

    Relative paths resolve against ``base_dir`` (the suite file's folder). Checks run in
    order (the source, its columns, the id column over every row, sample size, prompts of
    the selected rows); each stage reports all its problems in one DatasetError.
    """
    table = read_table(spec, base_dir)
    if not table.rows:
        where = ("hf",) if spec.hf is not None else ("path",)
        raise DatasetError.at(where, f"{table.source} has no rows")
    _check_columns(spec, table)
    ids = _row_ids(spec, table)
    indices = _select(spec, len(table.rows))

    cols = spec.columns
    var_columns = cols.var_columns(table.columns)
    all_columns = cols.vars is None  # then a row holding every column is its own vars
    width = len(table.columns)
    reference = cols.reference_column
    static_tags = frozenset(spec.tags)
    out: list[DatasetRow] = []
    problems: list[DatasetProblem] = []
    for i in indices:
        row = table.rows[i]
        prompt: str | None = None
        if cols.prompt is not None:
            value = row.get(cols.prompt)
            if isinstance(value, (list, dict)):
                kind = value_kind(value)
                message = (
                    f"{table.where(i)}: the prompt in column '{cols.prompt}' is {kind}, not text"
                )
                problems.append(DatasetProblem(("columns", "prompt"), message))
                continue
            prompt = "" if value is None else str(value)
            if not prompt.strip():
                message = f"{table.where(i)}: empty prompt in column '{cols.prompt}'"
                problems.append(DatasetProblem(("columns", "prompt"), message))
                continue
        if all_columns and len(row) == width:
            variables = dict(row)
        else:
            variables = {var: row.get(column) for var, column in var_columns.items()}
        if reference is not None:
            variables["reference"] = row.get(reference)
        tags = _row_tags(row.get(cols.tags), static_tags) if cols.tags is not None else ()
        cluster = None
        if cols.cluster is not None:
            value = row.get(cols.cluster)
            if isinstance(value, (list, dict, bool)):
                message = (
                    f"{table.where(i)}: the cluster in column '{cols.cluster}' is "
                    f"{value_kind(value)}, not text or a number"
                )
                problems.append(DatasetProblem(("columns", "cluster"), message))
                continue
            cluster = None if value is None else str(value).strip() or None
        out.append(DatasetRow(ids[i], prompt, variables, tags, i, cluster))
    if problems:
        raise DatasetError.of(cap_problems(problems, "bad rows"))
    return out
