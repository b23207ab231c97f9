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
from collections.abc import Iterator
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
    rows: list[dict[str, object]]
    error: FileError | None = None
    detail: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal_comma: bool = False


def parse_export(content: bytes, dataset: FileDataset, fallback_encoding: str) -> ParsedFile:
    """Rows of one file with their 1-based line numbers (the header is line 1), or why it is refused."""
    if not content.strip():
        return ParsedFile([], FileError.empty_file, "the file has no header and no rows")
    if _looks_binary(content):
        return ParsedFile([], FileError.binary_content, "NUL or control bytes: not a text export")
    try:
        text, encoding = content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = content.decode(fallback_encoding), fallback_encoding
    header_line, _, _ = text.partition("\n")
    header_line = header_line.rstrip("\r")
    delimiter = _delimiter(header_line, dataset.columns)
    if delimiter is None:
        return ParsedFile(
            [],
            FileError.wrong_header,
            f"line 1 is {header_line[:200]!r}; expected {','.join(dataset.columns)}",
            encoding,
        )
    rows: list[dict[str, object]] = []
    width = len(dataset.columns)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    line = reader.line_num
    for fields in reader:
        line += 1
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank lines carry nothing; they are not rows
        if len(fields) == width:
            rows.append(dict(zip(dataset.columns, fields, strict=True), source_line=line))
        else:
            rows.append(
                {
                    "source_line": line,
                    "row_error": "wrong_field_count",
                    "raw_record": delimiter.join(fields),
                }
            )
    if rows and rows[-1].get("row_error") and not content.endswith((b"\n", b"\r")):
        return ParsedFile(
            [],
            FileError.truncated_file,
            f"the file ends inside line {rows[-1]['source_line']} "
            f"({len(str(rows[-1]['raw_record']).split(delimiter))} of {width} fields, no final newline)",
            encoding,
            delimiter,
        )
    return ParsedFile(rows, None, None, encoding, delimiter, _decimal_comma(rows, dataset.money_columns))


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


def _decimal_comma(rows: list[dict[str, object]], money_columns: tuple[str, ...]) -> bool:
    """True when the file writes money with a decimal comma; decided by majority of plain values."""
    comma = point = 0
    for row in rows:
        for column in money_columns:
            value = str(row.get(column) or "")
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
    schema = _arrow_schema(dataset)
    for files in batches:
        out: list[dict[str, object]] = []
        paths = files.column("path").to_pylist()
        contents = files.column("content").to_pylist()
        for path, content in zip(paths, contents, strict=True):
            relative = path[len(root) :].lstrip("/") if path.startswith(root) else path
            day = dataset.business_date(relative)
            parsed = parse_export(content, dataset, fallback_encoding)
            common = {
                "business_date": day.isoformat() if day else None,
                "source_file": relative,
                "file_sha256": hashlib.sha256(content).hexdigest(),
                "encoding": parsed.encoding,
                "delimiter": parsed.delimiter,
                "decimal_comma": parsed.decimal_comma,
            }
            if parsed.error is not None:
                out.append(common | {"file_error": parsed.error.value, "file_error_detail": parsed.detail})
            elif not parsed.rows:
                # A header-only file is a valid export of a day without rows; one marker row keeps
                # the file known to its batch.
                out.append(common)
            else:
                out.extend(common | row for row in parsed.rows)
        yield pa.RecordBatch.from_pylist(out, schema=schema)


def parsed_files(
    spark: SparkSession,
    sources_root: str,
    dataset: FileDataset,
    dates: list[dt.date] | None,
    fallback_encoding: str = "latin-1",
) -> DataFrame:
    """Every row of the dataset's files (for `dates`, or all), parsed, with file-level refusals as rows.

    A row with `file_error` set stands for a refused file; a row with `source_line` null for a file with
    a header and no data.
    """
    root = sources_root.rstrip("/")
    reader = spark.read.format("binaryFile").option("pathGlobFilter", dataset.file_glob)
    if dates is None:
        frame = reader.option("recursiveFileLookup", "true").load(f"{root}/{dataset.folder}")
    else:
        files = [f for d in dates for f in _glob(spark, f"{root}/{d.strftime(dataset.day_glob)}")]
        if not files:
            return spark.createDataFrame([], parse_schema(dataset))
        frame = reader.load(files)
    uri_root = _qualified(spark, root)
    parsed = frame.select("path", "content").mapInArrow(
        partial(_parse_partition, dataset=dataset, root=uri_root, fallback_encoding=fallback_encoding),
        parse_schema(dataset),
    )
    # Spark's file sources skip zero-byte files silently; an empty export must fail its day instead.
    empty = [
        (
            day.isoformat() if (day := dataset.business_date(name)) else None,
            name,
            FileError.empty_file.value,
            "the file has 0 bytes",
        )
        for name in _empty_files(spark, root, dataset, dates)
    ]
    if not empty:
        return parsed
    refusals = spark.createDataFrame(
        empty, "business_date string, source_file string, file_error string, file_error_detail string"
    )
    return parsed.unionByName(refusals, allowMissingColumns=True)


def _empty_files(
    spark: SparkSession, root: str, dataset: FileDataset, dates: list[dt.date] | None
) -> list[str]:
    """Zero-byte files of the dataset, relative to the sources root."""
    if "://" not in root or root.startswith("file:"):
        base = Path(root.removeprefix("file:"))
        candidates = (
            base.joinpath(dataset.folder).rglob(dataset.file_glob)
            if dates is None
            else (p for d in dates for p in base.glob(d.strftime(dataset.day_glob)))
        )
        return sorted(str(p.relative_to(base)) for p in candidates if p.is_file() and p.stat().st_size == 0)
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    empty = []
    if dates is None:
        folder = jvm.org.apache.hadoop.fs.Path(f"{root}/{dataset.folder}")
        listing = folder.getFileSystem(conf).listFiles(folder, True)
        while listing.hasNext():
            status = listing.next()
            if status.getLen() == 0 and fnmatch(status.getPath().getName(), dataset.file_glob):
                empty.append(str(status.getPath().toString()))
    else:
        for day in dates:
            pattern = jvm.org.apache.hadoop.fs.Path(f"{root}/{day.strftime(dataset.day_glob)}")
            for status in pattern.getFileSystem(conf).globStatus(pattern) or []:
                if status.isFile() and status.getLen() == 0:
                    empty.append(str(status.getPath().toString()))
    qualified = _qualified(spark, root)
    return sorted(p[len(qualified) :].lstrip("/") for p in empty)


def _qualified(spark: SparkSession, path: str) -> str:
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    return str(fs.makeQualified(hadoop_path).toString()).rstrip("/")


def _glob(spark: SparkSession, pattern: str) -> list[str]:
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    hadoop_path = jvm.org.apache.hadoop.fs.Path(pattern)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    found = fs.globStatus(hadoop_path)
    return sorted(str(status.getPath().toString()) for status in found or [] if status.isFile())
