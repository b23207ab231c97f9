"""The tables a mapping joins to its sales rows, staged for landing like the sales rows (`stage.py`): the
regressors' history (`regressors.features`) and known future values (`regressors.future`), one row per
source row with its keys and every regressor as a column; the attribute tables (`attributes[i]`), one row
per store or product key with its attribute columns.

Column names become Delta-safe snake case (`Fuel_Price` → `fuel_price`, `MarkDown1` → `markdown1`);
`columns` of the result maps each to the source column it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.mapping.check import sales_wanted
from ingestion.mapping.linked import key_columns, linked_scan, regressor_columns
from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import create_view, ident, literal, open_table, sql_type, typed_cast
from ingestion.mapping.scan import TableScan, Wanted
from ingestion.mapping.schema import KeyedTable
from ingestion.mapping.stage import write_staged
from shelfcast.errors import ShelfcastError

# key role -> the contract column it fills in a linked table
KEY_COLUMNS = {"date": "sold_on", "store": "store_code", "product": "product_code"}
_TYPES = {"number": "DOUBLE", "boolean": "BOOLEAN", "text": "VARCHAR"}


@dataclass(frozen=True)
class StagedTable:
    table: str  # the lake table: regressors, future_regressors, attributes_<i>
    key: str  # the mapping key that declares it
    path: Path
    rows: int
    quarantined: int
    files: str
    columns: dict[str, str] = field(default_factory=dict)  # lake column -> source column
    keys: list[str] = field(default_factory=list)  # its key columns in the lake


def lake_name(column: str) -> str:
    """A source column's name as a lake column: lower snake case, letters, digits and _ only."""
    name = re.sub(r"[^0-9a-z]+", "_", column.strip().lower()).strip("_")
    return name if name and not name[0].isdigit() else f"c_{name}"


def stage_linked(loaded: MappingFile, folder: Path) -> list[StagedTable]:
    """Stage every linked table file the mapping declares (a JDBC one is refused for now) into `folder`."""
    mapping = loaded.mapping
    staged = []
    con = duckdb.connect()
    try:
        regressors = mapping.regressors
        if regressors is not None:
            parts = [
                ("features", "regressors", regressors.features),
                ("future", "future_regressors", regressors.future),
            ]
            for part, name, table in parts:
                if table is not None:
                    staged.append(
                        _stage_regressors(con, loaded, part, name, table, folder / f"{name}.parquet")
                    )
        for index, table in enumerate(mapping.attributes):
            name = f"attributes_{index}"
            staged.append(_stage_attributes(con, loaded, index, table, folder / f"{name}.parquet"))
    finally:
        con.close()
    return staged


def _scan(
    con: duckdb.DuckDBPyConnection,
    loaded: MappingFile,
    view: str,
    key: str,
    table: KeyedTable,
    wanted: dict[str, Wanted],
) -> TableScan:
    if table.jdbc is not None:
        raise ShelfcastError(
            f"{key} is a JDBC table: landing linked tables from a database is not supported yet",
            hint="export it to CSV or Parquet and point files at it",
        )
    scan = linked_scan(loaded, view, key, table, wanted)
    scan.run(con, {})  # settles the table's date format exactly as the check read it
    return scan


def _stage_regressors(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, part: str, name: str, table: KeyedTable, target: Path
) -> StagedTable:
    key = f"regressors.{part}"
    sales = sales_wanted(loaded.mapping)
    wanted = {**key_columns(key, table, sales), **regressor_columns(loaded)}
    scan = _scan(con, loaded, f"{name}_typed", key, table, wanted)
    values = {role: w for role, w in wanted.items() if role.startswith("regressor:")}
    return _stage(con, loaded, name, key, table, scan, wanted, values, target)


def _stage_attributes(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, index: int, table: KeyedTable, target: Path
) -> StagedTable:
    key = f"attributes[{index}]"
    wanted = key_columns(key, table, sales_wanted(loaded.mapping))
    columns = getattr(table, "columns", [])
    values = {
        f"attribute:{column}": Wanted(column, "text", f"{key}.columns[{position}]")
        for position, column in enumerate(columns)
    }
    wanted |= values
    scan = _scan(con, loaded, f"attributes_{index}_typed", key, table, wanted)
    return _stage(con, loaded, f"attributes_{index}", key, table, scan, wanted, values, target)


def _stage(
    con: duckdb.DuckDBPyConnection,
    loaded: MappingFile,
    name: str,
    key: str,
    table: KeyedTable,
    scan: TableScan,
    wanted: dict[str, Wanted],
    values: dict[str, Wanted],
    target: Path,
) -> StagedTable:
    mapping = loaded.mapping
    read = mapping.read.merged(table.read)
    text = open_table(con, key, table, read)
    view = f"{name}_text"
    create_view(con, view, text, {}, None)
    date_format = scan.date_format

    def typed(want: Wanted) -> str:
        return typed_cast(
            text, want.column, sql_type(want.kind, date_format, mapping.keys_as_text), date_format, "s"
        )

    columns: list[tuple[str, str, str]] = []
    sources: dict[str, str] = {}
    keys = list(table.keys)
    for role in keys:
        column = KEY_COLUMNS.get(role, lake_name(wanted[role].column))
        expression = typed(wanted[role])
        if wanted[role].kind == "key":
            expression = f"trim(CAST({expression} AS VARCHAR))"
        kind = "DATE" if role == "date" else "VARCHAR"
        columns.append((column, expression, kind))
        sources[column] = wanted[role].column
    for want in values.values():
        column = lake_name(want.column)
        if column in sources:
            raise ShelfcastError(
                f"{key}: column {want.column!r} becomes {column!r} in the lake, as {sources[column]!r} does",
                hint="rename one of the two columns in the data",
            )
        kind = _TYPES[regressor_kind_of(want)]
        columns.append((column, typed(want), kind))
        sources[column] = want.column
    missing = [(wanted[role].column, f"{typed(wanted[role])} IS NULL") for role in keys]
    unparsed = [
        (
            want.column,
            f"nullif(trim(CAST(s.{ident(want.column)} AS VARCHAR)), '') IS NOT NULL "
            f"AND {typed(want)} IS NULL",
        )
        for want in values.values()
    ]
    reason = (
        "CASE "
        + (f"WHEN {' OR '.join(f'({t})' for _, t in unparsed)} THEN 'invalid_value' " if unparsed else "")
        + f"WHEN {' OR '.join(f'({t})' for _, t in missing)} THEN 'missing_required' END"
    )
    parts = [f"CASE WHEN {t} THEN {literal(c + ' does not parse')} END" for c, t in unparsed]
    parts += [f"CASE WHEN {t} THEN {literal('empty: ' + c)} END" for c, t in missing]
    detail = f"CASE WHEN ({reason}) IS NOT NULL THEN concat_ws(', ', {', '.join(parts)}) END"
    rows, quarantined = write_staged(con, view, text, columns, reason, detail, target)
    files = str(text.files[0]) if len(text.files) == 1 else f"{table.files} ({len(text.files)} files)"
    key_names = [column for column, _, _ in columns[: len(keys)]]
    return StagedTable(name, key, target, rows, quarantined, files, sources, key_names)


def regressor_kind_of(want: Wanted) -> str:
    return want.kind if want.kind in _TYPES else "text"
