"""What a suite's ``datasets:`` entry may say: the source, column mapping, sample and limit.

These are the user-facing models; ``datasets`` turns a DatasetSpec into rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.yamlio import KeyPath

__all__ = ["ColumnMap", "DatasetSpec", "Format", "HfSource", "SampleSpec"]

Format = Literal["csv", "jsonl", "json", "parquet"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


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
    cluster: str | None = Field(
        default=None,
        description="Column naming each row's cluster (rows sharing a context); an empty cell "
        "means no cluster",
    )

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

    def used(self) -> Iterator[tuple[KeyPath, str]]:
        """Every column this map names, with the field that names it."""
        for key in ("prompt", "id", "reference", "expected", "tags", "cluster"):
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
