"""A mapping's files as DuckDB relations for checking: their header, typed scans whose refused values keep
their file and line, and the date format a column is written in."""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from ingestion.mapping.schema import FileFormat, ReadOptions, TableSource
from shelfcast.errors import ShelfcastError

Kind = Literal["date", "key", "number", "boolean", "text"]
FILE_COLUMN = "__file"  # DuckDB's filename column, named so a source column called `filename` stays usable
ROW_COLUMN = "__row"
REJECTS_LIMIT = 1000  # refused rows recorded per file: enough to count "1,000+" and show the first
# Formats tried on a date column that declares none; day-first and month-first pairs make ambiguity visible.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%d-%m-%y",
    "%m-%d-%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%d.%m.%Y %H:%M",
)
_PYTHON_ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}
_TIME_CODES = ("%H", "%I", "%M", "%S", "%p")
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_STRUCTURE_PROBLEMS = {
    "MISSING COLUMNS": "has fewer fields than the header",
    "TOO MANY COLUMNS": "has more fields than the header",
    "UNQUOTED VALUE": "has a quote inside an unquoted value",
    "INVALID ENCODING": "is not valid in the declared encoding",
}


@dataclass(frozen=True)
class FileTable:
    """One table of a mapping as files: which, how they are read and the columns they have."""

    key: str  # the mapping key that declares it: "source", "regressors.future", "attributes[0]"
    files: list[Path]
    format: FileFormat
    read: ReadOptions
    header: list[str]
    types: dict[str, str]  # DuckDB type of every column as stored (all VARCHAR for text files)


@dataclass(frozen=True)
class BadValue:
    """The first value a typed scan refused, and how many it refused."""

    file: Path
    position: str  # "line 12" (text files: the physical line, header = 1) or "row 12" (Parquet)
    column: str | None  # None: the line itself is broken (fields, quotes, encoding)
    value: str | None
    target: str | None  # the DuckDB type the value was to become
    problem: str
    count: int


def open_table(con: duckdb.DuckDBPyConnection, key: str, source: TableSource, read: ReadOptions) -> FileTable:
    """The files a source names, with the header they share."""
    pattern = source.files or ""
    files = _matching(pattern)
    if not files:
        raise ShelfcastError(
            f"{key}.files: no file matches {pattern}",
            hint="check the path (relative paths start at the mapping's folder) and the ${VAR} it uses",
        )
    if source.file_format == "csv":
        types = {name: "VARCHAR" for name in _csv_header(files[0], read)}
        for other in files[1:]:
            _same_header(key, files[0], list(types), other, _csv_header(other, read))
    else:
        types = _parquet_types(con, files[0])
        for other in files[1:]:
            _same_header(key, files[0], list(types), other, list(_parquet_types(con, other)))
    return FileTable(key, files, source.file_format, read, list(types), types)


def _matching(pattern: str) -> list[Path]:
    """Files a path or glob names (`**` crosses folders), in name order: the order lines are reported in."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), len(parts))
    if fixed == len(parts):
        return [Path(pattern)] if Path(pattern).is_file() else []
    root = Path(*parts[:fixed]) if fixed else Path()
    return sorted(path for path in root.glob("/".join(parts[fixed:])) if path.is_file())


def _csv_header(path: Path, read: ReadOptions) -> list[str]:
    encoding = _PYTHON_ENCODINGS[read.encoding]
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding=encoding, newline="") as handle:
            first = next(csv.reader(handle, delimiter=read.delimiter, quotechar=read.quote), None)
    except UnicodeDecodeError as error:
        raise ShelfcastError(
            f"{path} is not {read.encoding} text ({error.reason})",
            hint="set read.encoding to the file's: utf-8, latin-1 or utf-16",
        ) from None
    if not first:
        raise ShelfcastError(f"{path} is empty", hint="remove it or export it again")
    if not read.header:
        return [f"column{index}" for index in range(1, len(first) + 1)]
    duplicated = sorted({name for name in first if first.count(name) > 1})
    if duplicated:
        raise ShelfcastError(f"{path}: the header names {duplicated[0]!r} twice", hint="rename one of them")
    if len(first) == 1 and any(sep in first[0] for sep in ",;\t|" if sep != read.delimiter):
        raise ShelfcastError(
            f"{path}: the header is one column {first[0]!r}",
            hint="set read.delimiter to the file's separator",
        )
    return first


def _parquet_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise ShelfcastError(
            f"{path} is not a readable Parquet file: {error}", hint="set format: csv?"
        ) from None
    return {row[0]: row[1] for row in rows}


def _same_header(key: str, first: Path, header: list[str], other: Path, other_header: list[str]) -> None:
    if other_header != header:
        missing = [name for name in header if name not in other_header]
        extra = [name for name in other_header if name not in header]
        detail = f"lacks {missing}" if missing else f"adds {extra}" if extra else "orders them differently"
        raise ShelfcastError(
            f"{key}.files: {other} does not have the columns of {first}: it {detail}",
            hint="every file a glob matches must have the same columns; narrow the glob",
        )


def sql_type(kind: Kind, date_format: str | None, keys_as_text: bool) -> str:
    """DuckDB type a column of this kind is read as."""
    if kind == "date":
        return "TIMESTAMP" if date_format and any(code in date_format for code in _TIME_CODES) else "DATE"
    if kind == "key":
        return "VARCHAR" if keys_as_text else "BIGINT"
    return {"number": "DOUBLE", "boolean": "BOOLEAN", "text": "VARCHAR"}[kind]


def create_view(
    con: duckdb.DuckDBPyConnection,
    name: str,
    table: FileTable,
    targets: dict[str, str],
    date_format: str | None,
) -> None:
    """A view `name` of the table with the `targets` columns (source column -> DuckDB type) typed, plus
    FILE_COLUMN. Text files record refused values in `<name>_errors` as the view is scanned."""
    if table.format == "csv":
        columns = {column: targets.get(column, "VARCHAR") for column in table.header}
        relation = _csv_relation(name, table, columns, date_format)
        select = ", ".join(ident(column) for column in table.header)
    else:
        relation = _parquet_relation(table)
        select = ", ".join(
            f"{typed_cast(table, column, targets[column], date_format)} AS {ident(column)}"
            if column in targets
            else ident(column)
            for column in table.header
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {select}, {FILE_COLUMN} FROM {relation}")


def _csv_relation(name: str, table: FileTable, columns: dict[str, str], date_format: str | None) -> str:
    read = table.read
    options = [
        _list(table.files),
        f"delim={literal(read.delimiter)}",
        f"quote={literal(read.quote)}",
        f"escape={literal(read.quote)}",
        f"header={'true' if read.header else 'false'}",
        f"encoding={literal(read.encoding)}",
        f"nullstr=[{', '.join(map(literal, read.null_values)) or literal('')}]",
        f"decimal_separator={literal(read.decimal)}",
        "columns={" + ", ".join(f"{literal(c)}: {literal(t)}" for c, t in columns.items()) + "}",
        "auto_detect=false",
        f"filename={literal(FILE_COLUMN)}",
        f"store_rejects=true, rejects_table='{name}_errors', rejects_scan='{name}_scans'",
        f"rejects_limit={REJECTS_LIMIT}",
    ]
    if read.thousands is not None:
        options.append(f"thousands={literal(read.thousands)}")
    if date_format is not None:
        options.append(f"dateformat={literal(date_format)}, timestampformat={literal(date_format)}")
    return f"read_csv({', '.join(options)})"


def _parquet_relation(table: FileTable) -> str:
    return (
        f"(SELECT *, file_row_number + 1 AS {ROW_COLUMN} FROM read_parquet({_list(table.files)}, "
        f"filename={literal(FILE_COLUMN)}, file_row_number=true))"
    )


def typed_cast(
    table: FileTable, column: str, target: str, date_format: str | None, alias: str | None = None
) -> str:
    """A column as `target` (of the relation aliased `alias`, if given): natively typed Parquet columns
    are cast, text columns parsed as text files are; what does not parse becomes NULL (for Parquet,
    `first_bad_value` reports it)."""
    stored, value = table.types[column], (f"{alias}." if alias else "") + ident(column)
    if stored != "VARCHAR" or target == "VARCHAR":
        return f"TRY_CAST({value} AS {target})"
    if target in ("DATE", "TIMESTAMP"):
        return f"TRY_CAST(try_strptime({value}, {literal(date_format or '%Y-%m-%d')}) AS {target})"
    if target == "DOUBLE":
        text = (
            value
            if table.read.thousands is None
            else f"replace({value}, {literal(table.read.thousands)}, '')"
        )
        return f"TRY_CAST(replace(trim({text}), {literal(table.read.decimal)}, '.') AS DOUBLE)"
    return f"TRY_CAST(trim({value}) AS {target})"


def first_bad_value(
    con: duckdb.DuckDBPyConnection,
    name: str,
    table: FileTable,
    targets: dict[str, str],
    date_format: str | None,
) -> BadValue | None:
    """The first value (in file and line order) the view `name` could not type, after it was scanned."""
    if table.format == "csv":
        return _first_rejected(con, name, table, date_format)
    checks = [
        f"SELECT {literal(column)} AS col, {FILE_COLUMN} AS file, {ROW_COLUMN} AS row, "
        f"CAST({ident(column)} AS VARCHAR) AS value FROM raw WHERE {ident(column)} IS NOT NULL "
        f"AND {typed_cast(table, column, target, date_format)} IS NULL"
        for column, target in targets.items()
        if target != "VARCHAR"
    ]
    if not checks:
        return None
    # the count is a scalar subquery, not count(*) OVER (): DuckDB 1.5 intermittently fails that window under
    # ORDER BY … LIMIT with an internal error (duckdb/duckdb#22352; it failed a CI run here)
    query = (
        f"WITH raw AS (SELECT * FROM {_parquet_relation(table)}), bad AS ({' UNION ALL '.join(checks)}) "
        "SELECT col, file, row, value, (SELECT count(*) FROM bad) FROM bad ORDER BY file, row LIMIT 1"
    )
    found = one(con, query)
    if found is None:
        return None
    column, file, row, value, count = found
    problem = _type_problem(targets[column], table.read, date_format)
    return BadValue(Path(file), f"row {row}", column, value, targets[column], problem, count)


def _first_rejected(
    con: duckdb.DuckDBPyConnection, name: str, table: FileTable, date_format: str | None
) -> BadValue | None:
    exists = one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [f"{name}_errors"])
    if not exists or not exists[0]:
        return None
    found = one(
        con,
        # a scalar count, not count(*) OVER (): see first_bad_value
        f"SELECT s.file_path, e.line, e.line_byte_position, e.column_name, e.error_type, e.error_message, "
        f"(SELECT count(*) FROM {name}_errors) FROM {name}_errors e "
        f"JOIN {name}_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line LIMIT 1",
    )
    if found is None:
        return None
    file, line, byte_position, column, error_type, message, count = found
    path = Path(file)
    if table.read.encoding != "utf-16" and byte_position is not None and path.suffix.lower() != ".gz":
        # DuckDB counts records; a quoted field with a line break makes the file's line number larger
        line = _physical_line(path, byte_position)
    if error_type == "CAST":
        quoted = re.search(r'Could not convert string "(.*)" to', message or "", re.DOTALL)
        value = quoted.group(1) if quoted else None
        target = next((t for c, t in _declared_types(con, name) if c == column), "VARCHAR")
        problem = _type_problem(target, table.read, date_format)
        return BadValue(path, f"line {line}", column, value, target, problem, count)
    problem = _STRUCTURE_PROBLEMS.get(error_type, (message or error_type).splitlines()[0])
    return BadValue(path, f"line {line}", None, None, None, problem, count)


def _declared_types(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {name}").fetchall()]


def _type_problem(target: str, read: ReadOptions, date_format: str | None) -> str:
    if target == "DOUBLE":
        thousands = f", thousands {read.thousands!r}" if read.thousands else ""
        return f"is not a number (decimal {read.decimal!r}{thousands})"
    if target in ("DATE", "TIMESTAMP"):
        return f"is not a date in {date_format}" if date_format else "is not a date"
    if target == "BOOLEAN":
        return "is not a boolean (true/false, yes/no, 1/0)"
    if target == "BIGINT":
        return "is not an integer code (keys_as_text is false)"
    return "does not parse"


def _physical_line(path: Path, byte_position: int) -> int:
    newlines, left = 0, byte_position
    with path.open("rb") as handle:
        while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
            newlines += chunk.count(b"\n")
            left -= len(chunk)
    return newlines + 1


@dataclass(frozen=True)
class DateFormatGuess:
    """The formats that read every value of a date column, or the closest one and a value it fails on."""

    fitting: list[str]
    closest: str
    failures: int
    example: str | None  # a value the closest fails on, or (ambiguous) one the fitting formats read apart
    readings: list[str]  # the example as each fitting format reads it


def guess_date_format(
    con: duckdb.DuckDBPyConnection, name: str, table: FileTable, column: str
) -> DateFormatGuess | None:
    """Which of DATE_FORMATS read every value of `column`; None when the column is a native date. Lines a
    text file cannot split are left out here (the typed scan reports them)."""
    if table.types[column] != "VARCHAR":
        return None
    if table.format == "csv":
        relation = _csv_relation(f"{name}_guess", table, {c: "VARCHAR" for c in table.header}, None)
    else:
        relation = f"read_parquet({_list(table.files)})"
    value = ident(column)

    def fails(fmt: str) -> str:
        parsed = f"try_strptime(v, {literal(fmt)})"
        return f"({parsed} IS NULL OR year({parsed}) NOT BETWEEN 1900 AND 2199)"

    counts = ", ".join(f"count(*) FILTER (WHERE v IS NOT NULL AND {fails(fmt)})" for fmt in DATE_FORMATS)
    base = f"(SELECT {value} AS v FROM {relation})"
    rows, present, *failures = one(con, f"SELECT count(*), count(v), {counts} FROM {base}") or (0, 0)
    if not rows:
        raise ShelfcastError(f"{table.files[0]} has no data rows", hint="check the files the mapping names")
    if not present:
        raise ShelfcastError(
            f"{table.files[0]}: column {column!r} is empty on every row", hint="map the date"
        )
    fitting = [fmt for fmt, count in zip(DATE_FORMATS, failures, strict=True) if count == 0]
    if len(fitting) == 1:
        return DateFormatGuess(fitting, fitting[0], 0, None, [])
    if fitting:
        first, second = (literal(fmt) for fmt in fitting[:2])
        example = one(
            con,
            f"SELECT v FROM {base} WHERE v IS NOT NULL ORDER BY "
            f"try_strptime(v, {first}) IS DISTINCT FROM try_strptime(v, {second}) DESC, v LIMIT 1",
        )
        text = example[0] if example else None
        readings = [
            str(one(con, "SELECT CAST(strptime(?, ?) AS DATE)", [text, fmt])[0])  # type: ignore[index]
            for fmt in fitting
        ]
        return DateFormatGuess(fitting, fitting[0], 0, text, readings)
    best = min(range(len(DATE_FORMATS)), key=lambda index: failures[index])
    example = one(con, f"SELECT v FROM {base} WHERE v IS NOT NULL AND {fails(DATE_FORMATS[best])} LIMIT 1")
    return DateFormatGuess([], DATE_FORMATS[best], failures[best], example[0] if example else None, [])


def one(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, its result read whole: a text scan records its refused values only when
    its result has been read to the end."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def ident(name: str) -> str:
    """A column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def _list(paths: list[Path]) -> str:
    return "[" + ", ".join(literal(str(path)) for path in paths) + "]"
