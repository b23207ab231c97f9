"""One table of a mapping scanned once: its mapped columns found, its dates' format settled, every mapped
value typed, and the aggregates the checks ask for; a problem is an error naming the data file and line,
the mapping key and the fix."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

import duckdb

from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import (
    REJECTS_LIMIT,
    BadValue,
    FileTable,
    Kind,
    create_view,
    first_bad_value,
    guess_date_format,
    ident,
    one,
    open_table,
    sql_type,
)
from ingestion.mapping.schema import ReadOptions, TableSource
from shelfcast.errors import ShelfcastError


@dataclass(frozen=True)
class Wanted:
    """A source column a table must have, what it must parse as, and the mapping key that names it."""

    column: str
    kind: Kind
    key: str


class TableScan:
    """A table of the mapping as the typed DuckDB view `view`; `ref(role)` is a role's SQL expression."""

    def __init__(
        self,
        loaded: MappingFile,
        view: str,
        key: str,
        source: TableSource,
        read: ReadOptions,
        wanted: dict[str, Wanted],
    ) -> None:
        self.loaded, self.view, self.key, self.source, self.read = loaded, view, key, source, read
        self.wanted = wanted
        self.date_format: str | None = None
        self.date_detected = False
        self.table: FileTable | None = None

    def ref(self, role: str, alias: str | None = None) -> str:
        """The role's typed value in SQL (of the view aliased `alias`, if given): dates as DATE, text keys
        trimmed as ingestion trims codes."""
        wanted = self.wanted[role]
        column = (f"{alias}." if alias else "") + ident(wanted.column)
        if wanted.kind == "date":
            return f"CAST({column} AS DATE)"
        if wanted.kind == "key" and self.loaded.mapping.keys_as_text:
            return f"trim({column})"
        return column

    def run(self, con: duckdb.DuckDBPyConnection, aggregates: dict[str, str]) -> dict[str, Any]:
        """Scan the table once and return `aggregates` (name -> SQL aggregate over the view) plus `rows`."""
        self.table = table = open_table(con, self.key, self.source, self.read)
        for wanted in self.wanted.values():
            self._require(table, wanted)
        dates = [w for w in self.wanted.values() if w.kind == "date"]
        if dates:
            self._settle_date_format(con, table, dates[0])
        targets = self._targets()
        create_view(con, self.view, table, targets, self.date_format)
        # counting every typed column makes DuckDB convert (and so refuse) each of them
        forced = {f"_typed_{index}": f"count({ident(c)})" for index, c in enumerate(targets)}
        selected = {"rows": "count(*)", **forced, **aggregates}
        query = f"SELECT {', '.join(selected.values())} FROM {self.view}"
        values = one(con, query) or ()
        bad = first_bad_value(con, self.view, table, targets, self.date_format)
        if bad is not None:
            raise self._bad_value_error(bad)
        return dict(zip(selected, values, strict=True))

    @property
    def files(self) -> str:
        """The files scanned, for messages: the path, or the pattern and how many files it matched."""
        table = self.table
        if table is None or len(table.files) == 1:
            return str(table.files[0]) if table else str(self.source.files)
        return f"{self.source.files} ({len(table.files):,} files)"

    def _require(self, table: FileTable, wanted: Wanted) -> None:
        if wanted.column in table.header:
            return
        close = difflib.get_close_matches(wanted.column, table.header, n=1, cutoff=0.5)
        folded = [name for name in table.header if name.casefold() == wanted.column.casefold()]
        guess = folded[0] if folded else close[0] if close else None
        raise ShelfcastError(
            f"{table.files[0]} has no column {wanted.column!r} (mapped as {wanted.key} in "
            f"{self.loaded.at(wanted.key)}); its columns are: {', '.join(table.header)}",
            hint=(f"did you mean {guess!r}? " if guess else "") + f"fix {wanted.key} in the mapping",
        )

    def _settle_date_format(self, con: duckdb.DuckDBPyConnection, table: FileTable, date: Wanted) -> None:
        if self.read.date_format is not None:
            self.date_format = self.read.date_format
            return
        guess = guess_date_format(con, self.view, table, date.column)
        if guess is None:  # a Parquet DATE or TIMESTAMP column
            return
        read_key = self._read_key()
        if len(guess.fitting) == 1:
            self.date_format, self.date_detected = guess.fitting[0], True
            return
        if guess.fitting:
            readings = " or ".join(guess.readings)
            raise ShelfcastError(
                f"{self.files}: the dates in column {date.column!r} are ambiguous: they read as "
                f"{' and as '.join(guess.fitting)}; {guess.example!r} is {readings}",
                hint=f'set {read_key}.date_format to the one meant, e.g. date_format: "{guess.fitting[0]}"',
            )
        raise ShelfcastError(
            f"{self.files}: no date format reads every value of column {date.column!r}: the closest, "
            f"{guess.closest}, fails on {guess.failures:,} value{'s' if guess.failures > 1 else ''}, e.g. "
            f"{guess.example!r}",
            hint=f"set {read_key}.date_format (strftime codes, e.g. %d.%m.%Y) or fix those values",
        )

    def _targets(self) -> dict[str, str]:
        """Source column -> the DuckDB type it is read as; one column in two roles must agree."""
        targets: dict[str, str] = {}
        owners: dict[str, str] = {}
        for wanted in self.wanted.values():
            target = sql_type(wanted.kind, self.date_format, self.loaded.mapping.keys_as_text)
            if targets.get(wanted.column, target) != target:
                raise ShelfcastError(
                    f"column {wanted.column!r} is mapped as {owners[wanted.column]} and as {wanted.key}, "
                    "which read it differently",
                    hint=f"map another column to one of them in {self.loaded.path}",
                )
            targets[wanted.column], owners[wanted.column] = target, wanted.key
        return targets

    def _bad_value_error(self, bad: BadValue) -> ShelfcastError:
        many = f"{bad.count:,}+" if bad.count >= REJECTS_LIMIT else f"{bad.count:,}"
        what = "line" if bad.column is None else "value"
        refused = f" ({many} {what}{'s' if bad.count > 1 else ''} refused)"
        if bad.column is None:
            return ShelfcastError(
                f"{bad.file} {bad.position} {bad.problem}{refused}",
                hint=f"fix the line, or set {self._read_key()}.delimiter/quote/encoding to the file's",
            )
        keys = [w.key for w in self.wanted.values() if w.column == bad.column]
        mapped = f" ({', '.join(keys)})" if keys else ""
        if bad.target == "DOUBLE":
            fix = "set read.decimal / read.thousands, add the marker to read.null_values, or fix the value"
        elif bad.target in ("DATE", "TIMESTAMP"):
            fix = "set read.date_format to the format the column is written in, or fix the value"
        else:
            fix = "fix the value, or add it to read.null_values if it means missing"
        return ShelfcastError(
            f"{bad.file} {bad.position}: column {bad.column!r}{mapped}: {bad.value!r} {bad.problem}{refused}",
            hint=fix.replace("read.", f"{self._read_key()}."),
        )

    def _read_key(self) -> str:
        return "read" if self.key == "source" else f"{self.key}.read"


def as_date(value: Any) -> dt.date | None:
    """A DuckDB DATE (or TIMESTAMP) result as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value
