"""A mapped dataset's sales rows staged for landing: one Parquet file, one row per source row, holding the
row as received (every field as text, as JSON), its file and position, its values typed into the shelfcast
sales contract, and the reason the row cannot be clean, if any.

DuckDB reads the files with the mapping's reader (the dialect, null markers, decimal separator and date
format `shelfcast dataset check` settled), so a row is typed exactly as the check accepted it; Spark then
lands the staged rows in the lake (`ingestion/mapping/land.py`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.mapping.check import sales_wanted
from ingestion.mapping.linked import return_line_test
from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import (
    FILE_COLUMN,
    FileTable,
    create_view,
    ident,
    literal,
    open_table,
    sql_type,
    typed_cast,
)
from ingestion.mapping.scan import Wanted

TEXT_VIEW = "sales_text"
# the contract: every column is there whatever the mapping maps (absent roles are null, never invented)
CONTRACT = {
    "sold_on": "DATE",
    "store_code": "VARCHAR",
    "product_code": "VARCHAR",
    "quantity": "DOUBLE",
    "revenue": "DOUBLE",
    "net_quantity": "DOUBLE",
    "net_revenue": "DOUBLE",
    "unit_price": "DOUBLE",
    "cost": "DOUBLE",
    "stock_on_hand": "DOUBLE",
    "is_promo": "BOOLEAN",
    "is_open": "BOOLEAN",
    "is_return": "BOOLEAN",
    "order_id": "VARCHAR",
    "order_line": "VARCHAR",
    "customer_code": "VARCHAR",
    "region_code": "VARCHAR",
    "category": "VARCHAR",
}
# contract column <- mapping role, where the names differ
_ROLE_OF = {
    "is_promo": "promo_flag",
    "customer_code": "customer",
    "region_code": "region",
}
_DIRECT = (
    "quantity",
    "revenue",
    "unit_price",
    "cost",
    "stock_on_hand",
    "is_promo",
    "is_open",
    "order_id",
    "order_line",
    "customer_code",
    "region_code",
    "category",
)


@dataclass(frozen=True)
class StagedSales:
    path: Path  # the Parquet file
    rows: int
    quarantined: int
    files: str  # the source files, for messages
    measure: str  # quantity (when mapped) or revenue: what the forecast is of


def stage_sales(loaded: MappingFile, target: Path, date_format: str | None) -> StagedSales:
    """Write the sales rows of `loaded` to `target` (Parquet). `date_format` is the one the check settled
    (None for native dates); call after `check_mapping` accepted the mapping."""
    mapping = loaded.mapping
    con = duckdb.connect()
    try:
        table = open_table(con, "source", mapping.source, mapping.read)
        create_view(con, TEXT_VIEW, table, {}, None)
        wanted = sales_wanted(mapping)
        typed = {
            role: typed_cast(
                table, w.column, sql_type(w.kind, date_format, mapping.keys_as_text), date_format, "s"
            )
            for role, w in wanted.items()
        }
        columns = _contract_columns(con, loaded, wanted, typed)
        measure = "quantity" if "quantity" in wanted else "revenue"
        reason, detail = _reason(loaded, wanted, typed, columns, measure)
        contract = [(name, expression, CONTRACT[name]) for name, expression in columns.items()]
        rows, quarantined = write_staged(con, TEXT_VIEW, table, contract, reason, detail, target)
    finally:
        con.close()
    files = (
        str(table.files[0]) if len(table.files) == 1 else f"{mapping.source.files} ({len(table.files)} files)"
    )
    return StagedSales(target, int(rows), int(quarantined), files, measure)


def write_staged(
    con: duckdb.DuckDBPyConnection,
    view: str,
    table: FileTable,
    columns: list[tuple[str, str, str]],
    reason: str,
    detail: str,
    target: Path,
) -> tuple[int, int]:
    """Stage every row of the text view `view` (aliased `s`) to `target`: its file and position, its
    record as received (JSON), `columns` (name, SQL, DuckDB type) and its quarantine reason and detail;
    returns the rows written and how many have a reason."""
    record = (
        "json_object("
        + ", ".join(f"{literal(name)}, CAST(s.{ident(name)} AS VARCHAR)" for name in table.header)
        + ")"
    )
    selected = [
        f"s.{FILE_COLUMN} AS source_file",
        f"{record} AS record",
        *(f"CAST({expression} AS {kind}) AS {name}" for name, expression, kind in columns),
        f"{reason} AS reason",
        f"{detail} AS reason_detail",
    ]
    # A plain scan keeps the files' order (DuckDB preserves insertion order without ORDER BY), so the rows
    # are numbered as they stream; a window function numbered them in whatever order its parallel
    # partitions ran.
    result = con.execute(f"SELECT {', '.join(selected)} FROM {view} s")
    return _write_numbered(result.to_arrow_reader(100_000), target, 1 if table.read.header else 0)


def _write_numbered(batches: pa.RecordBatchReader, target: Path, header: int) -> tuple[int, int]:
    """Stream `batches` to Parquet with `source_line`: the row's position in its file (header = line 1);
    returns the rows written and how many have a quarantine reason."""
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = batches.schema.insert(1, pa.field("source_line", pa.int64()))
    rows = quarantined = 0
    current, position = None, header
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in batches:
            files = batch.column(0).to_numpy(zero_copy_only=False)
            lines = np.empty(len(files), dtype=np.int64)
            starts = [0, *(np.flatnonzero(files[1:] != files[:-1]) + 1).tolist(), len(files)]
            for start, end in itertools.pairwise(starts):
                if files[start] != current:
                    current, position = files[start], header
                lines[start:end] = np.arange(position + 1, position + 1 + end - start)
                position += end - start
            columns = batch.columns
            writer.write_batch(pa.record_batch([columns[0], pa.array(lines), *columns[1:]], schema=schema))
            rows += len(files)
            quarantined += len(files) - batch.column(batch.schema.get_field_index("reason")).null_count
    return rows, quarantined


def _contract_columns(
    con: duckdb.DuckDBPyConnection,
    loaded: MappingFile,
    wanted: dict[str, Wanted],
    typed: dict[str, str],
) -> dict[str, str]:
    """Every contract column's SQL over the text view aliased `s`."""
    mapping = loaded.mapping
    keys = [role for role, _ in mapping.columns.series_keys()]
    text = {role: f"trim(CAST({typed[role]} AS VARCHAR))" for role in keys}
    # as `ml.mapped_panel.series_codes` names the series: without a store the dataset is one store; with
    # `series` columns the first is the store level and the others, joined by |, the product
    if mapping.columns.store is None and mapping.columns.series is None:
        store, product_keys = literal(mapping.name), keys
    else:
        store, product_keys = text[keys[0]], keys[1:]
    product = " || '|' || ".join(text[role] for role in product_keys) if product_keys else "''"
    columns = {name: "NULL" for name in CONTRACT}
    columns |= {"sold_on": typed["date"], "store_code": store, "product_code": product}
    for name in _DIRECT:
        role = _ROLE_OF.get(name, name)
        if role in typed:
            columns[name] = f"trim({typed[role]})" if CONTRACT[name] == "VARCHAR" else typed[role]
    returned = return_line_test(
        con, loaded, wanted, lambda role: _as_scanned(typed[role], wanted[role], mapping.keys_as_text)
    )
    columns["is_return"] = returned or "false"
    for measure in ("quantity", "revenue"):
        if measure in typed:
            value = typed[measure]
            signed = (
                value if returned is None else f"CASE WHEN {returned} THEN -abs({value}) ELSE {value} END"
            )
            columns[f"net_{measure}"] = signed
    return columns


def _as_scanned(expression: str, wanted: Wanted, keys_as_text: bool) -> str:
    """A typed sales value as `TableScan.ref` reads its role (trimmed text keys, dates as DATE), so it
    compares with a linked table's keys."""
    if wanted.kind == "key" and keys_as_text:
        return f"trim({expression})"
    if wanted.kind == "date":
        return f"CAST({expression} AS DATE)"
    return expression


def _reason(
    loaded: MappingFile,
    wanted: dict[str, Wanted],
    typed: dict[str, str],
    columns: dict[str, str],
    measure: str,
) -> tuple[str, str]:
    """SQL of the quarantine reason of a row (NULL when clean) and its detail."""
    mapping = loaded.mapping
    required = ["date", *(role for role, _ in mapping.columns.series_keys())]
    closed = f"coalesce(NOT {columns['is_open']}, false)" if "is_open" in typed else "false"
    measures = [role for role in ("quantity", "revenue") if role in typed]
    raw = {role: f"nullif(trim(CAST(s.{ident(wanted[role].column)} AS VARCHAR)), '')" for role in typed}
    unparsed = [
        (role, f"{raw[role]} IS NOT NULL AND {typed[role]} IS NULL")
        for role in typed
        if role != "return_marker"
    ]
    missing = [(role, f"{typed[role]} IS NULL") for role in required]
    no_measure = " AND ".join(f"{typed[role]} IS NULL" for role in measures)
    checks = [
        ("invalid_value", " OR ".join(f"({test})" for _, test in unparsed)),
        (
            "missing_required",
            " OR ".join([*(f"({test})" for _, test in missing), f"(({no_measure}) AND NOT {closed})"]),
        ),
    ]
    if mapping.negative_quantities == "invalid":
        checks.append(("negative_not_allowed", f"coalesce({typed[measure]} < 0, false)"))
    reason = "CASE " + " ".join(f"WHEN {test} THEN {literal(name)}" for name, test in checks) + " END"
    parts = [
        *(
            f"CASE WHEN {test} THEN {literal(wanted[role].column + ' = ')} || {raw[role]} END"
            for role, test in unparsed
        ),
        *(f"CASE WHEN {test} THEN {literal('empty: ' + wanted[role].column)} END" for role, test in missing),
        f"CASE WHEN ({no_measure}) AND NOT {closed} THEN "
        f"{literal('empty: ' + ' and '.join(wanted[role].column for role in measures))} END",
    ]
    if mapping.negative_quantities == "invalid":
        parts.append(
            f"CASE WHEN coalesce({typed[measure]} < 0, false) THEN "
            f"{literal(wanted[measure].column + ' < 0 (negative_quantities: invalid)')} END"
        )
    detail = f"CASE WHEN ({reason}) IS NOT NULL THEN concat_ws(', ', {', '.join(parts)}) END"
    return reason, detail
