"""Per-format dataset readers: CSV, JSONL, JSON and Parquet files, Hugging Face ``datasets``."""

from __future__ import annotations

import csv
import difflib
import glob
import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
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
from harness.suite.dataset_spec import DatasetSpec, Format, HfSource

__all__ = ["EXTENSIONS", "Table", "read_table"]

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FILE_BUILDERS = frozenset({"arrow", "csv", "json", "pandas", "parquet", "text", "xml"})


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
class Table:
    """A source read into memory: column names, rows, and where each row is, for messages."""

    source: str  # the path as the suite wrote it, for messages
    columns: list[str]
    rows: list[dict[str, Any]]
    lines: list[int] | None = None  # 1-based line where each row starts, when the format has lines

    def where(self, i: int) -> str:
        """Row ``i`` as a message names it: ``data.csv:12 (row 10)`` or ``data.json row 10``."""
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
        raise DatasetError.at(("path",), f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError.at(
            ("path",), f"{source}:{line}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})"
        ) from None


def _json_constant(name: str) -> float | None:
    return None if name == "NaN" else float(name)  # Infinity, -Infinity


def _read_csv(path: Path, source: str) -> Table:
    """Cells stay text, exactly as written ("007", "NA"); an empty cell is None."""
    reader = csv.reader(io.StringIO(_read_text(path, source), newline=""), strict=True)
    problems: list[DatasetProblem] = []
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None:
            raise DatasetError.at(("path",), f"{source}: the file is empty; expected a header row")
        for i, name in enumerate(header):
            if not name.strip():
                problems.append(
                    DatasetProblem(("path",), f"{source}:1: header column {i + 1} has no name")
                )
            elif name in header[:i]:
                problems.append(
                    DatasetProblem(
                        ("path",),
                        f"{source}:1: duplicate column '{one_line(name, 40)}' in the header",
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
        raise DatasetError.at(
            ("path",), f"{source}:{reader.line_num}: malformed CSV: {exc}"
        ) from None
    if problems:
        raise DatasetError.of(cap_problems(problems, "rows with the wrong number of fields"))
    return Table(source, list(header), rows, lines)


def _read_jsonl(path: Path, source: str) -> Table:
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
            message = f"{source}:{n}: expected a JSON object per line, got {value_kind(obj)}"
            problems.append(DatasetProblem(("path",), message))
        else:
            rows.append(obj)
            lines.append(n)
    if problems:
        raise DatasetError.of(cap_problems(problems, "bad lines"))
    return Table(source, _columns_of(rows), rows, lines)


def _json_problem(decoder: json.JSONDecoder, line: str) -> str:
    try:
        decoder.decode(line)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} (column {exc.colno})"
    return "not one JSON value"  # unreachable: raw_decode and decode agree


def _read_json(path: Path, source: str, split: str | None) -> Table:
    try:
        data = json.loads(_read_text(path, source), parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        message = f"{source}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        raise DatasetError.at(("path",), message) from None
    shape = "expected a list of row objects, or a mapping of split name to such a list"
    if isinstance(data, list):
        if split is not None:
            message = f"{source} holds one list of rows, not splits; remove 'split'"
            raise DatasetError.at(("split",), message)
        rows: Any = data
    elif isinstance(data, dict):
        if not data:
            raise DatasetError.at(("path",), f"{source}: {shape}; got an empty mapping")
        # name one offending key, never the whole mapping (it may span the file)
        bad = next(((k, v) for k, v in data.items() if not isinstance(v, list)), None)
        if bad is not None:
            message = (
                f"{source}: {shape}; got a mapping whose key '{one_line(str(bad[0]), 40)}' "
                f"holds {value_kind(bad[1])}"
            )
            raise DatasetError.at(("path",), message)
        rows = _pick_split(data, split, list(data), source)
    else:
        raise DatasetError.at(("path",), f"{source}: {shape}; got {value_kind(data)}")
    problems = [
        DatasetProblem(
            ("path",), f"{source} row {i}: expected a JSON object, got {value_kind(row)}"
        )
        for i, row in enumerate(rows)
        if not isinstance(row, dict)
    ]
    if problems:
        raise DatasetError.of(cap_problems(problems, "rows that are not objects"))
    return Table(source, _columns_of(rows), rows)


def _pick_split(data: dict[str, Any], split: str | None, available: list[str], source: str) -> Any:
    wanted = split if split is not None else "train"
    if wanted in data:
        return data[wanted]
    listed = shown_names(available)
    if split is None:
        message = f"{source} has no 'train' split; choose one with 'split': {listed}"
    else:
        message = (
            f"unknown split '{split}' in {source}{suggest(split, available)}; available: {listed}"
        )
    raise DatasetError.at(("split",), message)


def _read_parquet(path: Path, source: str) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:  # ParquetFile, not read_table: read_table's dataset layer costs ~250 ms on first use
        with pq.ParquetFile(path) as file:
            table = file.read()
    except (pa.ArrowException, OSError) as exc:
        message = f"{source}: cannot read Parquet: {one_line(str(exc))}"
        raise DatasetError.at(("path",), message) from None
    return Table(source, *_arrow_rows(table))


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
    # a library's message may quote the file (e.g. a row that failed to parse): first line only
    text = f"{type(exc).__name__}: {one_line(str(exc))}" if str(exc) else type(exc).__name__
    inner = causes[-1]
    if inner is not exc:
        text += f" ({type(inner).__name__}: {one_line(str(inner))})"
    return text


def _hf_data_files(hf: HfSource, base_dir: Path) -> Any:
    """Relative data_files of a builder name (csv, json …) resolve against the suite's folder."""

    def resolve(pattern: str) -> str:
        if "://" in pattern or Path(pattern).is_absolute():
            return pattern
        if not glob.glob(pattern, root_dir=base_dir, recursive=True):
            message = f"no file matches '{pattern}' in {base_dir.resolve()}"
            raise DatasetError.at(("hf", "data_files"), message)
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


def _read_hf(spec: DatasetSpec, base_dir: Path) -> Table:
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
                raise DatasetError.at(("split",), message) from exc
            message = f"cannot load Hugging Face dataset {source}: {_innermost(exc)}"
            raise DatasetError.at(("hf",), message) from exc
    return Table(source, *_arrow_rows(ds.with_format("arrow")[:]))


def _hf_split_names(datasets: Any, target: str, options: dict[str, Any]) -> list[str]:
    try:
        return list(datasets.get_dataset_split_names(target, **options))
    except Exception:  # noqa: BLE001 - only used to explain a failure already being reported
        return []


def read_table(spec: DatasetSpec, base_dir: Path) -> Table:
    """Every row of ``spec``'s source; relative paths resolve against ``base_dir``."""
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
        raise DatasetError.at(("format",), message)
    if not path.is_file():
        raise DatasetError.at(("path",), _not_found(path, source, base_dir))
    if spec.split is not None and fmt != "json":
        message = (
            f"'split' applies to 'hf' and to JSON files holding {{split: [rows]}}; "
            f"{source} is a {fmt.upper() if fmt == 'csv' else fmt.capitalize()} file"
        )
        raise DatasetError.at(("split",), message)
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
