"""Delimited text exports (POS lines, inventory snapshots): one file per store and day, in any dialect.

Spark reads the files as bytes (`binaryFile`) and a Python parser, run on the executors, turns each file
into rows that keep their file and 1-based line number: Spark's CSV reader cannot report source lines and
takes one encoding and delimiter per read, while real exports mix them. Per file the parser
- decodes UTF-8 (BOM allowed), falling back to the configured single-byte encoding (Latin-1 by default);
- finds the delimiter from the header line (`,` `;` tab `|`) and checks the header names;
- detects the decimal separator from the file's majority money format;
- refuses, with a reason, what cannot be a whole export: empty, binary, wrong header, truncated.
A refused file fails its batch (source + date): nothing of that date is landed until the file is fixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatch
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DELIMITERS = (",", ";", "\t", "|")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")
_DECIMAL_POINT = re.compile(r"^-?\d+\.\d{1,2}$")
OUTPUT_BATCH_ROWS = 65_536
TASK_BYTES = 64 * 1024 * 1024  # of CSV per parse task


class FileError(StrEnum):
    empty_file = "empty_file"
    binary_content = "binary_content"
    wrong_header = "wrong_header"
    truncated_file = "truncated_file"


@dataclass(frozen=True)
class FileDataset:
    """A family of delimited files: where they are, what their header must be, how to date them."""

    name: str
    folder: str  # below the sources root
    file_glob: str
    columns: tuple[str, ...]
    date_pattern: str  # regex with groups y, m, d, matched against the file name
    day_glob: str  # the files of one day below the sources root, a strftime pattern
    money_columns: tuple[str, ...] = field(default=())

    def business_date(self, file_name: str) -> dt.date | None:
        match = re.search(self.date_pattern, file_name)
        if match is None:
            return None
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))


POS_LINES = FileDataset(
    name="pos_lines",
    folder="pos",
    file_glob="pos_*.csv",
    columns=(
        "transaction_id",
        "line_number",
        "transaction_type",
        "transaction_ts",
        "store_code",
        "product_code",
        "product_description",
        "quantity",
        "unit_price",
        "line_amount",
        "promo_code",
        "customer_id",
        "payment_type",
        "original_transaction_id",
    ),
    date_pattern=r"_(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\.csv$",
    day_glob="pos/%Y-%m-%d/pos_*_%Y%m%d.csv",
    money_columns=("unit_price", "line_amount"),
)
INVENTORY_SNAPSHOTS = FileDataset(
    name="inventory_snapshots",
    folder="inventory",
    file_glob="inventory_*.csv",
    columns=("snapshot_date", "store_code", "product_code", "on_hand_units", "on_order_units"),
    date_pattern=r"_(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\.csv$",
    day_glob="inventory/inventory_%Y%m%d.csv",
)
FILE_DATASETS = {d.name: d for d in (POS_LINES, INVENTORY_SNAPSHOTS)}

# Columns every parsed row carries besides the dataset's own (all strings but the line number).
PARSE_COLUMNS = (
    "business_date",
    "source_file",
    "source_line",
    "file_sha256",
    "file_error",
    "file_error_detail",
    "encoding",
    "delimiter",
    "decimal_comma",
    "row_error",
    "raw_record",
)


def parse_schema(dataset: FileDataset) -> str:
    fixed = (
        "business_date string, source_file string, source_line int, file_sha256 string, "
        "file_error string, file_error_detail string, encoding string, delimiter string, "
        "decimal_comma boolean, row_error string, raw_record string"
    )
    return fixed + "".join(f", `{c}` string" for c in dataset.columns)


@dataclass
class ParsedFile:
    """One file's records, column by column: well-formed ones in `values`, the rest as raw text."""

    lines: list[int] = field(default_factory=list)  # 1-based source line of each well-formed record
    values: list[tuple[str, ...]] = field(default_factory=list)  # per dataset column, one value per record
    bad_lines: list[int] = field(default_factory=list)
    bad_records: list[str] = field(default_factory=list)  # records with the wrong number of fields
    error: FileError | None = None
    detail: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_comma: bool = False

    @property
    def records(self) -> int:
        return len(self.lines) + len(self.bad_lines)


def parse_export(content: bytes, dataset: FileDataset, fallback_encoding: str) -> ParsedFile:
    """Records of one file with their 1-based line numbers (the header is line 1), or why it is refused."""
    if not content.strip():
        return ParsedFile(error=FileError.empty_file, detail="the file has no header and no rows")
    if _looks_binary(content):
        return ParsedFile(error=FileError.binary_content, detail="NUL or control bytes: not a text export")
    try:
        text, encoding = content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = content.decode(fallback_encoding), fallback_encoding
    header_line, _, _ = text.partition("\n")
    header_line = header_line.rstrip("\r")
    delimiter = _delimiter(header_line, dataset.columns)
    if delimiter is None:
        return ParsedFile(
            error=FileError.wrong_header,
            detail=f"line 1 is {header_line[:200]!r}; expected {','.join(dataset.columns)}",
            encoding=encoding,
        )
    width = len(dataset.columns)
    good: list[list[str]] = []
    parsed = ParsedFile(encoding=encoding, delimiter=delimiter)
    last_bad = False
    for line, fields in _records(text, delimiter):
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank lines carry nothing; they are not records
        last_bad = len(fields) != width
        if last_bad:
            parsed.bad_lines.append(line)
            parsed.bad_records.append(delimiter.join(fields))
        else:
            parsed.lines.append(line)
            good.append(fields)
    if last_bad and not content.endswith((b"\n", b"\r")):
        return ParsedFile(
            error=FileError.truncated_file,
            detail=f"the file ends inside line {parsed.bad_lines[-1]} "
            f"({len(parsed.bad_records[-1].split(delimiter))} of {width} fields, no final newline)",
            encoding=encoding,
            delimiter=delimiter,
        )
    parsed.values = list(zip(*good, strict=True)) if good else [() for _ in dataset.columns]
    parsed.decimal_comma = _decimal_comma(
        [parsed.values[dataset.columns.index(c)] for c in dataset.money_columns]
    )
    return parsed


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every record after the header.

    Exports without quotes or stray carriage returns (nearly all) are split directly, several times
    faster than the csv module; anything else goes through it."""
    if '"' not in text and "\r" not in (text := text.replace("\r\n", "\n")):
        for number, line in enumerate(text.split("\n")[1:], start=2):
            yield number, line.split(delimiter) if line else []
        return
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    line = reader.line_num
    for fields in reader:
        line += 1
        yield line, fields


def _looks_binary(content: bytes) -> bool:
    sample = content[:65536]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return control > len(sample) * 0.01


def _delimiter(header: str, columns: tuple[str, ...]) -> str | None:
    expected = [c.casefold() for c in columns]
    for delimiter in DELIMITERS:
        names = [name.strip().strip('"').casefold() for name in header.split(delimiter)]
        if names == expected:
            return delimiter
    return None


def _decimal_comma(money_values: list[tuple[str, ...]]) -> bool:
    """True when the file writes money with a decimal comma; decided by majority of plain values."""
    comma = point = 0
    for values in money_values:
        for value in values:
            comma += bool(_DECIMAL_COMMA.match(value))
            point += bool(_DECIMAL_POINT.match(value))
    return comma > point


def _arrow_schema(dataset: FileDataset) -> pa.Schema:
    fields = [pa.field(name, pa.string()) for name in PARSE_COLUMNS]
    fields[PARSE_COLUMNS.index("source_line")] = pa.field("source_line", pa.int32())
    fields[PARSE_COLUMNS.index("decimal_comma")] = pa.field("decimal_comma", pa.bool_())
    return pa.schema(fields + [pa.field(c, pa.string()) for c in dataset.columns])


def _parse_partition(
    batches: Iterator[pa.RecordBatch], dataset: FileDataset, root: str, fallback_encoding: str
) -> Iterator[pa.RecordBatch]:
    out = _Columns(_arrow_schema(dataset))
    for files in batches:
        paths = files.column("path").to_pylist()
        contents = files.column("content").to_pylist()
        for path, content in zip(paths, contents, strict=True):
            relative = path[len(root) :].lstrip("/") if path.startswith(root) else path
            _add_file(out, relative, content, dataset, fallback_encoding)
            if out.rows >= OUTPUT_BATCH_ROWS:  # bounded memory however many files a task reads
                yield out.flush()
    if out.rows:
        yield out.flush()


class _Columns:
    """Parsed records gathered column by column, turned into one Arrow batch per flush."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows = 0
        self.values: dict[str, list[object]] = {name: [] for name in schema.names}

    def add(self, size: int, constants: dict[str, object], columns: dict[str, Sequence[object]]) -> None:
        for name, values in self.values.items():
            values.extend(columns[name] if name in columns else [constants.get(name)] * size)
        self.rows += size

    def flush(self) -> pa.RecordBatch:
        batch = pa.RecordBatch.from_arrays(
            [pa.array(self.values[f.name], f.type) for f in self.schema], schema=self.schema
        )
        self.values = {name: [] for name in self.schema.names}
        self.rows = 0
        return batch


def _add_file(
    out: _Columns, relative: str, content: bytes, dataset: FileDataset, fallback_encoding: str
) -> None:
    """A file's records, or one row standing for the whole file (refused, or a header without records:
    a valid export of a day without sales)."""
    day = dataset.business_date(relative)
    parsed = parse_export(content, dataset, fallback_encoding)
    file_values: dict[str, object] = {
        "business_date": day.isoformat() if day else None,
        "source_file": relative,
        "file_sha256": hashlib.sha256(content).hexdigest(),
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
        "decimal_comma": parsed.decimal_comma,
    }
    if parsed.error is not None or not parsed.records:
        if parsed.error is not None:
            file_values |= {"file_error": parsed.error.value, "file_error_detail": parsed.detail}
        out.add(1, file_values, {})
        return
    if parsed.lines:
        values = dict(zip(dataset.columns, parsed.values, strict=True))
        out.add(len(parsed.lines), file_values, values | {"source_line": parsed.lines})
    if parsed.bad_lines:
        out.add(
            len(parsed.bad_lines),
            file_values | {"row_error": "wrong_field_count"},
            {"source_line": parsed.bad_lines, "raw_record": parsed.bad_records},
        )


@dataclass(frozen=True, order=True)
class SourceFile:
    uri: str  # qualified, as Spark's binaryFile reports it
    size: int


def parsed_files(
    spark: SparkSession,
    sources_root: str,
    dataset: FileDataset,
    files: list[SourceFile],
    fallback_encoding: str = "latin-1",
) -> DataFrame:
    """Every row of the dataset's `files` (from `list_files`), parsed, with file-level refusals as rows.

    A row with `file_error` set stands for a refused file; a row with `source_line` null for a file with
    a header and no data.
    """
    uri_root = _qualified(spark, sources_root.rstrip("/"))
    readable = [f for f in files if f.size > 0]
    if readable:
        parsed = (
            _load_binary(spark, [f.uri for f in readable])
            .select("path", "content")
            # Spark packs small files by a 4 MB "open cost" each: a day's POS export is kilobytes, so
            # years of them became thousands of tiny tasks and every later pass paid for each one.
            .coalesce(_tasks_for(spark, sum(f.size for f in readable)))
            .mapInArrow(
                partial(
                    _parse_partition, dataset=dataset, root=uri_root, fallback_encoding=fallback_encoding
                ),
                parse_schema(dataset),
            )
        )
    else:
        parsed = spark.createDataFrame([], parse_schema(dataset))
    # Spark's file sources skip zero-byte files silently; an empty export must fail its day instead.
    empty = [
        (
            day.isoformat() if (day := dataset.business_date(name)) else None,
            name,
            FileError.empty_file.value,
            "the file has 0 bytes",
        )
        for name in (f.uri[len(uri_root) :].lstrip("/") for f in files if f.size == 0)
    ]
    if not empty:
        return parsed
    refusals = spark.createDataFrame(
        empty, "business_date string, source_file string, file_error string, file_error_detail string"
    )
    return parsed.unionByName(refusals, allowMissingColumns=True)


def _tasks_for(spark: SparkSession, total_bytes: int) -> int:
    return max(2 * spark.sparkContext.defaultParallelism, -(-total_bytes // TASK_BYTES))


def _load_binary(spark: SparkSession, uris: list[str]) -> DataFrame:
    """The files' bytes. Spark lists explicitly named files again, in a parallel job of one task per file
    once there are more than 32; on a local disk the driver lists thousands in the time of a few tasks."""
    reader = spark.read.format("binaryFile")
    if not uris[0].startswith("file:"):
        return reader.load(uris)
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    previous = spark.conf.get(key)
    spark.conf.set(key, str(len(uris) + 1))
    try:
        return reader.load(uris)
    finally:
        spark.conf.set(key, previous)


def list_files(
    spark: SparkSession, root: str, dataset: FileDataset, dates: list[dt.date] | None
) -> list[SourceFile]:
    """The dataset's files (of `dates`, or all) with their sizes, sorted: one listing on the driver."""
    uri_root = _qualified(spark, root)
    if uri_root.startswith("file:"):
        base = Path(uri_root.removeprefix("file:"))
        candidates = (
            base.joinpath(dataset.folder).rglob(dataset.file_glob)
            if dates is None
            else (p for d in sorted(set(dates)) for p in base.glob(d.strftime(dataset.day_glob)))
        )
        files = (p for p in candidates if p.is_file())
        return sorted(SourceFile(f"{uri_root}/{p.relative_to(base)}", p.stat().st_size) for p in files)
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    found = []
    if dates is None:
        folder = jvm.org.apache.hadoop.fs.Path(f"{root}/{dataset.folder}")
        listing = folder.getFileSystem(conf).listFiles(folder, True)
        while listing.hasNext():
            status = listing.next()
            if fnmatch(status.getPath().getName(), dataset.file_glob):
                found.append(SourceFile(str(status.getPath().toString()), int(status.getLen())))
    else:
        for day in sorted(set(dates)):
            pattern = jvm.org.apache.hadoop.fs.Path(f"{root}/{day.strftime(dataset.day_glob)}")
            for status in pattern.getFileSystem(conf).globStatus(pattern) or []:
                if status.isFile():
                    found.append(SourceFile(str(status.getPath().toString()), int(status.getLen())))
    return sorted(found)


def _qualified(spark: SparkSession, path: str) -> str:
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    return str(fs.makeQualified(hadoop_path).toString()).rstrip("/")
