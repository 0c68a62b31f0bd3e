"""Cases from data: a suite's ``datasets:`` entries → DatasetRow values.

A suite's ``datasets:`` entry (DatasetSpec) names a source, maps its columns to a prompt, case
id, template vars, reference and tags, and may sample and limit the rows. The sources (CSV,
JSONL, JSON, Parquet, Hugging Face ``datasets``) are read by ``dataset_readers``, which imports
pyarrow and ``datasets`` on first use only, so ``import harness`` stays light.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import HarnessError
from harness.registry import suggest
from harness.yamlio import describe_path

if TYPE_CHECKING:
    from harness.suite.dataset_readers import _Table

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

Format = Literal["csv", "jsonl", "json", "parquet"]
FieldPath = tuple[str | int, ...]

MAX_LISTED = 10  # problems of one kind listed per dataset; the rest are counted
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_ID_VALUE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HfSource(_Strict):
    """Arguments for ``datasets.load_dataset``."""

    path: str = Field(
        description="A dataset folder (relative to the suite file); a file builder (csv, json, "
        "parquet, text, arrow, pandas, xml) with data_files; or a Hub dataset name (needs the "
        "network)"
    )
    name: str | None = Field(default=None, description="Configuration (subset) name")
    data_files: str | list[str] | dict[str, str | list[str]] | None = Field(
        default=None,
        description="Files or glob patterns, optionally per split; relative to the suite file "
        "with a file builder, to the dataset folder or Hub repository otherwise",
    )
    data_dir: str | None = Field(default=None, description="Sub-folder of the dataset to read")
    revision: str | None = Field(default=None, description="Git revision of a Hub dataset")


class SampleSpec(_Strict):
    """A seeded random sample of rows, without replacement, taken before ``limit``."""

    n: int = Field(ge=1, description="Number of rows to draw; at most the number of rows")
    seed: int = Field(default=0, description="Seed of the draw; same seed, same rows")


class ColumnMap(_Strict):
    """Which source columns feed the prompt, the case id, the template vars and the tags."""

    prompt: str | None = Field(
        default=None, description="Column holding the prompt; required without a 'prompt' template"
    )
    id: str | None = Field(
        default=None,
        description="Column of unique row ids; case ids become '<name>-<id>' instead of "
        "'<name>-<row index>'",
    )
    vars: list[str] | dict[str, str] | None = Field(
        default=None,
        description="Columns that become template vars: a list of columns, or a mapping "
        "var name -> column; default every column",
    )
    reference: str | None = Field(
        default=None, description="Column whose value becomes the var 'reference'"
    )
    expected: str | None = Field(default=None, description="Same as 'reference' (an alias)")
    tags: str | None = Field(default=None, description="Column holding a tag or a list of tags")

    @model_validator(mode="after")
    def _one_reference(self) -> ColumnMap:
        if self.reference is not None and self.expected is not None:
            raise ValueError("give 'reference' or its alias 'expected', not both")
        if isinstance(self.vars, dict) and "reference" in self.vars and self.reference_column:
            raise ValueError("the var 'reference' is set both in 'vars' and by 'reference'")
        return self

    @property
    def reference_column(self) -> str | None:
        return self.reference if self.reference is not None else self.expected

    def var_columns(self, columns: Sequence[str]) -> dict[str, str]:
        """var name → column, the default being every column under its own name."""
        if self.vars is None:
            return {c: c for c in columns}
        if isinstance(self.vars, list):
            return {c: c for c in self.vars}
        return dict(self.vars)

    def used(self) -> Iterator[tuple[FieldPath, str]]:
        """Every column this map names, with the field that names it."""
        for key in ("prompt", "id", "reference", "expected", "tags"):
            column = getattr(self, key)
            if column is not None:
                yield ("columns", key), column
        if isinstance(self.vars, list):
            for i, column in enumerate(self.vars):
                yield ("columns", "vars", i), column
        elif isinstance(self.vars, dict):
            for var, column in self.vars.items():
                yield ("columns", "vars", var), column


class DatasetSpec(_Strict):
    """One ``datasets:`` entry of a suite: a source of rows, each of which becomes a case."""

    name: str | None = Field(
        default=None,
        pattern=_NAME,
        description="Case-id prefix; default the file's stem (or the last part of hf.path)",
    )
    path: str | None = Field(
        default=None, description="Local data file, relative to the suite file's folder"
    )
    hf: HfSource | None = Field(
        default=None, description="A Hugging Face dataset, read with datasets.load_dataset"
    )
    format: Format | None = Field(
        default=None, description="File format; inferred from the extension of 'path' when absent"
    )
    split: str | None = Field(
        default=None,
        description="Split to read: for 'hf', and for JSON files shaped {split: [rows]}; "
        "default 'train'",
    )
    columns: ColumnMap = Field(default_factory=ColumnMap, description="Column mapping")
    prompt: str | None = Field(
        default=None,
        min_length=1,
        description="Jinja2 prompt template over the row's vars, instead of columns.prompt",
    )
    expect: list[Any] = Field(
        default_factory=list,
        description="Expectations for every row's case; may use row vars, e.g. '{{ reference }}'",
    )
    tags: list[str] = Field(default_factory=list, description="Tags for every row's case")
    generation: dict[str, Any] | None = Field(
        default=None, description="Generation options for every row's case"
    )
    limit: int | None = Field(
        default=None, ge=1, description="Keep the first N rows (after 'sample', if any)"
    )
    sample: SampleSpec | None = Field(
        default=None, description="Seeded random sample of rows, taken before 'limit'"
    )

    @model_validator(mode="after")
    def _consistent(self) -> DatasetSpec:
        problems = []
        if (self.path is None) == (self.hf is None):
            problems.append(
                "give exactly one of 'path' (a local file) or 'hf' (a Hugging Face dataset)"
            )
        if self.hf is not None and self.format is not None:
            problems.append("'format' applies to 'path'; Hugging Face datasets detect their own")
        if self.columns.prompt is None and self.prompt is None:
            problems.append("give the prompt column as 'columns.prompt', or a 'prompt' template")
        elif self.columns.prompt is not None and self.prompt is not None:
            problems.append("give 'columns.prompt' or a 'prompt' template, not both")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def case_prefix(self) -> str:
        """The case-id prefix: ``name``, else the source's stem made id-safe."""
        if self.name is not None:
            return self.name
        source = self.path if self.path is not None else self.hf.path if self.hf else ""
        stem = Path(source.rstrip("/\\")).stem or "dataset"
        return re.sub(r"[^A-Za-z0-9_.:-]+", "-", stem).strip("-.:_") or "dataset"


@dataclass(frozen=True)
class DatasetRow:
    """One selected row: its case id, prompt (None when a template renders it) and vars."""

    case_id: str
    prompt: str | None
    vars: dict[str, Any]
    tags: tuple[str, ...]  # from columns.tags, minus spec.tags: spec.tags + tags has each once
    row_index: int  # 0-based position in the source (split), before sample and limit


@dataclass(frozen=True)
class DatasetProblem:
    """One problem with a dataset; ``path`` is the DatasetSpec field at fault, as YAML keys."""

    path: FieldPath
    message: str

    @property
    def field(self) -> str:
        return describe_path(self.path)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class DatasetError(HarnessError):
    """A dataset cannot become cases; holds every problem found, ``field``/``message`` the first's.

    ``field`` is the dotted DatasetSpec field at fault ("path", "columns.prompt", "split",
    "sample.n", "columns.vars[1]"); ``problems`` holds each problem with its key path, so a
    loader can point each at its own YAML line.
    """

    def __init__(
        self, message: str, field: str, *, problems: Sequence[DatasetProblem] = ()
    ) -> None:
        self.message = message
        self.field = field
        self.problems = tuple(problems) or (DatasetProblem(_parse_field(field), message),)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, problems: Sequence[DatasetProblem]) -> DatasetError:
        first = problems[0]
        return cls(first.message, first.field, problems=problems)


def _parse_field(field: str) -> FieldPath:
    return tuple(int(m[2]) if m[2] else m[1] for m in _FIELD_PART.finditer(field))


def _fail(path: FieldPath, message: str) -> DatasetError:
    return DatasetError.of([DatasetProblem(path, message)])


def _capped(problems: list[DatasetProblem], what: str) -> list[DatasetProblem]:
    if len(problems) <= MAX_LISTED:
        return problems
    last = problems[MAX_LISTED - 1]
    more = len(problems) - MAX_LISTED
    return [
        *problems[: MAX_LISTED - 1],
        DatasetProblem(last.path, f"{last.message} (and {more} more {what})"),
    ]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else type(value).__name__


def _check_columns(spec: DatasetSpec, table: _Table) -> None:
    listed = ", ".join(table.columns) or "none"
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
            raise _fail(("sample", "n"), message)
        indices = sorted(random.Random(spec.sample.seed).sample(range(n_rows), spec.sample.n))
    if spec.limit is not None:
        indices = indices[: spec.limit]
    return indices


def _row_ids(spec: DatasetSpec, table: _Table) -> list[str]:
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
                f"{table.where(i)}: id {text!r} in column '{column}' cannot be part of a case id "
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
        raise DatasetError.of(_capped(problems, "bad ids"))
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
    # imported here: the readers import this module's types (DatasetSpec, DatasetError)
    from harness.suite.dataset_readers import _read

    table = _read(spec, base_dir)
    if not table.rows:
        where = ("hf",) if spec.hf is not None else ("path",)
        raise _fail(where, f"{table.source} has no rows")
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
                kind = _kind(value)
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
        out.append(DatasetRow(ids[i], prompt, variables, tags, i))
    if problems:
        raise DatasetError.of(_capped(problems, "bad prompts"))
    return out
