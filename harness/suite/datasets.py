"""Cases from data: CSV, JSONL, JSON, Parquet and Hugging Face ``datasets`` → DatasetRow values.

A suite's ``datasets:`` entry (DatasetSpec) names a source, maps its columns to a prompt, case
id, template vars, reference and tags, and may sample and limit the rows. pyarrow and
``datasets`` are imported on first use only, so ``import harness`` stays light.
"""

from __future__ import annotations

import csv
import difflib
import glob
import io
import json
import math
import random
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import HarnessError
from harness.registry import suggest
from harness.suite.locate import describe_path

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

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MAX_LISTED = 10  # problems of one kind listed per dataset; the rest are counted
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_ID_VALUE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_FILE_BUILDERS = frozenset({"arrow", "csv", "json", "pandas", "parquet", "text", "xml"})
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


def _plain(value: Any) -> Any:
    """Plain Python values: NaN → None, numpy scalars → Python scalars, tuples → lists."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return _plain(item())
    return value  # datetime, Decimal, bytes: already plain Python


@dataclass
class _Table:
    source: str  # the path as the suite wrote it, for messages
    columns: list[str]
    rows: list[dict[str, Any]]
    lines: list[int] | None = None  # 1-based line where each row starts, when the format has lines

    def where(self, i: int) -> str:
        if self.lines is not None:
            return f"{self.source}:{self.lines[i]} (row {i})"
        return f"{self.source} row {i}"


def _columns_of(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _read_text(path: Path, source: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(("path",), f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            ("path",), f"{source}:{line}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})"
        ) from None


def _json_constant(name: str) -> float | None:
    return None if name == "NaN" else float(name)  # Infinity, -Infinity


def _read_csv(path: Path, source: str) -> _Table:
    """Cells stay text, exactly as written ("007", "NA"); an empty cell is None."""
    reader = csv.reader(io.StringIO(_read_text(path, source), newline=""), strict=True)
    problems: list[DatasetProblem] = []
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(("path",), f"{source}: the file is empty; expected a header row")
        for i, name in enumerate(header):
            if not name.strip():
                problems.append(
                    DatasetProblem(("path",), f"{source}:1: header column {i + 1} has no name")
                )
            elif name in header[:i]:
                problems.append(
                    DatasetProblem(
                        ("path",), f"{source}:1: duplicate column '{name}' in the header"
                    )
                )
        if problems:
            raise DatasetError.of(problems)
        width = len(header)
        previous = reader.line_num
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record:
                continue  # blank line
            if len(record) != width:
                problems.append(
                    DatasetProblem(
                        ("path",),
                        f"{source}:{start}: {len(record)} fields, the header has {width}",
                    )
                )
                continue
            rows.append({h: (v if v != "" else None) for h, v in zip(header, record, strict=True)})
            lines.append(start)
    except csv.Error as exc:
        raise _fail(("path",), f"{source}:{reader.line_num}: malformed CSV: {exc}") from None
    if problems:
        raise DatasetError.of(_capped(problems, "rows with the wrong number of fields"))
    return _Table(source, list(header), rows, lines)


def _read_jsonl(path: Path, source: str) -> _Table:
    decoder = json.JSONDecoder(parse_constant=_json_constant)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[DatasetProblem] = []
    # split("\n"), not splitlines(): a JSON string may hold U+2028, which splitlines breaks on
    for n, line in enumerate(_read_text(path, source).split("\n"), 1):
        text = line.strip()
        if not text:
            continue
        try:  # raw_decode: no per-call decoder set-up, about half the cost of json.loads
            obj, end = decoder.raw_decode(text)
        except json.JSONDecodeError:
            end = -1
        if end != len(text):
            message = f"{source}:{n}: invalid JSON: {_json_problem(decoder, line)}"
            problems.append(DatasetProblem(("path",), message))
        elif not isinstance(obj, dict):
            message = f"{source}:{n}: expected a JSON object per line, got {_kind(obj)}"
            problems.append(DatasetProblem(("path",), message))
        else:
            rows.append(obj)
            lines.append(n)
    if problems:
        raise DatasetError.of(_capped(problems, "bad lines"))
    return _Table(source, _columns_of(rows), rows, lines)


def _json_problem(decoder: json.JSONDecoder, line: str) -> str:
    try:
        decoder.decode(line)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} (column {exc.colno})"
    return "not one JSON value"  # unreachable: raw_decode and decode agree


def _read_json(path: Path, source: str, split: str | None) -> _Table:
    try:
        data = json.loads(_read_text(path, source), parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        message = f"{source}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        raise _fail(("path",), message) from None
    shape = "expected a list of row objects, or a mapping of split name to such a list"
    if isinstance(data, list):
        if split is not None:
            message = f"{source} holds one list of rows, not splits; remove 'split'"
            raise _fail(("split",), message)
        rows: Any = data
    elif isinstance(data, dict):
        if not data or not all(isinstance(v, list) for v in data.values()):
            keys = ", ".join(map(str, data)) or "none"
            raise _fail(("path",), f"{source}: {shape}; got a mapping with keys: {keys}")
        rows = _pick_split(data, split, list(data), source)
    else:
        raise _fail(("path",), f"{source}: {shape}; got {_kind(data)}")
    problems = [
        DatasetProblem(("path",), f"{source} row {i}: expected a JSON object, got {_kind(row)}")
        for i, row in enumerate(rows)
        if not isinstance(row, dict)
    ]
    if problems:
        raise DatasetError.of(_capped(problems, "rows that are not objects"))
    return _Table(source, _columns_of(rows), rows)


def _pick_split(data: dict[str, Any], split: str | None, available: list[str], source: str) -> Any:
    wanted = split if split is not None else "train"
    if wanted in data:
        return data[wanted]
    listed = ", ".join(available)
    if split is None:
        message = f"{source} has no 'train' split; choose one with 'split': {listed}"
    else:
        message = (
            f"unknown split '{split}' in {source}{suggest(split, available)}; available: {listed}"
        )
    raise _fail(("split",), message)


def _read_parquet(path: Path, source: str) -> _Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:  # ParquetFile, not read_table: read_table's dataset layer costs ~250 ms on first use
        with pq.ParquetFile(path) as file:
            table = file.read()
    except (pa.ArrowException, OSError) as exc:
        raise _fail(("path",), f"{source}: cannot read Parquet: {exc}") from None
    return _Table(source, *_arrow_rows(table))


def _arrow_rows(table: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Column by column: only float and nested columns need the NaN walk of _plain."""
    import pyarrow as pa

    names = list(table.column_names)
    columns = []
    for column in table.columns:
        values = column.to_pylist()
        kind = column.type
        if not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_boolean(kind)
        ):
            values = [_plain(v) for v in values]
        columns.append(values)
    return names, [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


@contextmanager
def _quiet(datasets: Any) -> Iterator[None]:
    """No progress bars or log lines from ``datasets`` (its failures become our message)."""
    was_enabled = datasets.is_progress_bar_enabled()
    verbosity = datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(verbosity)
        if was_enabled:
            datasets.enable_progress_bars()


def _innermost(exc: BaseException) -> str:
    causes = [exc]
    while causes[-1].__cause__ is not None and len(causes) < 10:
        causes.append(causes[-1].__cause__)
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    inner = causes[-1]
    if inner is not exc:
        text += f" ({type(inner).__name__}: {inner})"
    return text


def _hf_data_files(hf: HfSource, base_dir: Path) -> Any:
    """Relative data_files of a builder name (csv, json …) resolve against the suite's folder."""

    def resolve(pattern: str) -> str:
        if "://" in pattern or Path(pattern).is_absolute():
            return pattern
        if not glob.glob(pattern, root_dir=base_dir, recursive=True):
            message = f"no file matches '{pattern}' in {base_dir.resolve()}"
            raise _fail(("hf", "data_files"), message)
        return str(base_dir / pattern)

    files = hf.data_files
    if isinstance(files, str):
        return resolve(files)
    if isinstance(files, list):
        return [resolve(f) for f in files]
    if isinstance(files, dict):
        return {
            split: resolve(f) if isinstance(f, str) else [resolve(x) for x in f]
            for split, f in files.items()
        }
    return None


def _read_hf(spec: DatasetSpec, base_dir: Path) -> _Table:
    import datasets

    assert spec.hf is not None
    hf = spec.hf
    local = base_dir / hf.path
    if local.exists():
        target, data_files = str(local), hf.data_files  # the folder resolves its own data_files
    elif hf.path in _FILE_BUILDERS:
        target, data_files = hf.path, _hf_data_files(hf, base_dir)
    else:  # a Hub dataset: its data_files are paths inside its repository
        target, data_files = hf.path, hf.data_files
    split = spec.split if spec.split is not None else "train"
    options: dict[str, Any] = {
        "name": hf.name,
        "data_files": data_files,
        "data_dir": hf.data_dir,
        "revision": hf.revision,
    }
    options = {k: v for k, v in options.items() if v is not None}
    source = f"hf:{hf.path}" + (f" ({hf.name})" if hf.name else "")
    with _quiet(datasets):
        try:
            ds = datasets.load_dataset(target, split=split, **options)
        except Exception as exc:  # noqa: BLE001 - any failure of the third-party loader is input
            available = _hf_split_names(datasets, target, options)
            base_split = split.split("[", 1)[0]
            if available and base_split not in available:
                listed = ", ".join(available)
                message = (
                    f"unknown split '{base_split}' in {source}"
                    f"{suggest(base_split, available)}; available: {listed}"
                )
                raise _fail(("split",), message) from exc
            message = f"cannot load Hugging Face dataset {source}: {_innermost(exc)}"
            raise _fail(("hf",), message) from exc
    return _Table(source, *_arrow_rows(ds.with_format("arrow")[:]))


def _hf_split_names(datasets: Any, target: str, options: dict[str, Any]) -> list[str]:
    try:
        return list(datasets.get_dataset_split_names(target, **options))
    except Exception:  # noqa: BLE001 - only used to explain a failure already being reported
        return []


def _read(spec: DatasetSpec, base_dir: Path) -> _Table:
    if spec.hf is not None:
        return _read_hf(spec, base_dir)
    assert spec.path is not None
    source = spec.path
    path = base_dir / source
    fmt = spec.format or EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(set(EXTENSIONS.values())))
        message = (
            f"cannot tell the format of '{source}' from its extension; set it to one of {known}"
        )
        raise _fail(("format",), message)
    if not path.is_file():
        raise _fail(("path",), _not_found(path, source, base_dir))
    if spec.split is not None and fmt != "json":
        message = (
            f"'split' applies to 'hf' and to JSON files holding {{split: [rows]}}; "
            f"{source} is a {fmt.upper() if fmt == 'csv' else fmt.capitalize()} file"
        )
        raise _fail(("split",), message)
    if fmt == "csv":
        return _read_csv(path, source)
    if fmt == "jsonl":
        return _read_jsonl(path, source)
    if fmt == "json":
        return _read_json(path, source, spec.split)
    return _read_parquet(path, source)


def _not_found(path: Path, source: str, base_dir: Path) -> str:
    resolved = path.resolve()
    if resolved.is_dir():
        return f"{resolved} is a folder; 'path' names a data file"
    message = f"file not found: {resolved} ('{source}' is relative to the suite's folder)"
    if resolved.parent.is_dir():
        names = [p.name for p in resolved.parent.iterdir() if p.is_file()]
        close = difflib.get_close_matches(resolved.name, names, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
    return message


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
