"""A mapping checked against its data with DuckDB (`shelfcast dataset check`): every mapped column exists
and parses, the date format is certain, no key repeats at the declared grain, weekly dates share a weekday,
linked tables join, and future regressor values cover the horizon. Returns what a user should see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.mapping.linked import (
    LinkedResult,
    check_attributes,
    check_future,
    check_regressor_history,
    check_returns_table,
    regressor_kind,
)
from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import literal, one
from ingestion.mapping.scan import TableScan, Wanted, as_date
from ingestion.mapping.schema import FLAGS, MEASURES, TEXTS, WEEKDAYS, Mapping, TableSource
from shelfcast.errors import ShelfcastError


@dataclass(frozen=True)
class CheckSummary:
    """What the data holds as the mapping reads it."""

    name: str
    mapping: Path
    source: str
    grain: str
    rows: int | None  # None: a JDBC source, not read by the check
    series: int | None = None
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # mapping key -> source column
    unused: list[str] = field(default_factory=list)  # sales columns no key maps
    tables: list[tuple[str, str, int]] = field(default_factory=list)  # mapping key, files, rows
    notes: list[str] = field(default_factory=list)
    sales_date_format: str | None = None  # the strftime format the sales dates are read with; None: native


def check_mapping(loaded: MappingFile, horizon: int | None = None) -> CheckSummary:
    """Check `loaded` against its files; `horizon` (periods of the grain) asks that the future regressors
    cover that many periods after the last sales date. Raises ShelfcastError on the first problem."""
    mapping = loaded.mapping
    if horizon is not None and horizon < 1:
        raise ShelfcastError(f"--horizon {horizon} is not a number of periods", hint="give 1 or more")
    if mapping.source.jdbc is not None:
        return CheckSummary(
            mapping.name,
            loaded.path,
            mapping.source.where,
            _grain_text(mapping),
            None,
            columns=_columns(sales_wanted(mapping)),
            notes=["the JDBC table is not read by this check: Spark reads it when the dataset is landed"],
        )
    con = duckdb.connect()
    try:
        return _check(con, loaded, horizon)
    finally:
        con.close()


def _check(con: duckdb.DuckDBPyConnection, loaded: MappingFile, horizon: int | None) -> CheckSummary:
    mapping = loaded.mapping
    sales = TableScan(loaded, "sales", "source", mapping.source, mapping.read, sales_wanted(mapping))
    stats = sales.run(con, _sales_aggregates(mapping, sales))
    if not stats["rows"]:
        raise ShelfcastError(f"{sales.files} has no data rows", hint="check source.files")
    _refuse_duplicates(con, mapping, sales)
    _refuse_off_weekday(mapping, sales, stats)
    first, last = as_date(stats["first"]), as_date(stats["last"])
    assert sales.table is not None and last is not None
    notes = _sales_notes(con, mapping, sales, stats)
    results: list[LinkedResult] = []
    # linked tables in a database are validated, not read: Spark reads them when the dataset is landed
    unread = [key for key, table in _linked_tables(mapping) if table.jdbc is not None]
    notes.extend(f"{key}: the JDBC table is not read by this check" for key in unread)
    if mapping.returns is not None and mapping.returns.table is not None and "returns.table" not in unread:
        results.append(check_returns_table(con, loaded, sales))
    if mapping.regressors is not None:
        if mapping.regressors.features is not None and "regressors.features" not in unread:
            results.append(check_regressor_history(con, loaded, sales))
        if mapping.regressors.future is not None and "regressors.future" not in unread:
            results.append(check_future(con, loaded, sales, last, horizon))
        elif mapping.regressors.future is None and horizon is not None:
            raise ShelfcastError(
                f"the regressors have no future values for a {horizon}-period horizon",
                hint=f"declare regressors.future in {loaded.path}: a table of their values after {last}",
            )
    for index in range(len(mapping.attributes)):
        if f"attributes[{index}]" not in unread:
            results.append(check_attributes(con, loaded, sales, index))
    columns = _columns(sales.wanted)
    for result in results:
        columns.update(_columns(result.wanted))
        notes.extend(result.notes)
    used = {w.column for w in sales.wanted.values()}
    return CheckSummary(
        mapping.name,
        loaded.path,
        sales.files,
        _grain_text(mapping),
        stats["rows"],
        stats["series"],
        first,
        last,
        (sales.date_format or "native date") + (" (detected)" if sales.date_detected else ""),
        columns,
        [column for column in sales.table.header if column not in used],
        [("source", sales.files, stats["rows"]), *((r.key, r.files, r.rows) for r in results)],
        notes,
        sales.date_format,
    )


def _linked_tables(mapping: Mapping) -> list[tuple[str, TableSource]]:
    """Every table joined to the sales rows, by its mapping key."""
    tables: list[tuple[str, TableSource | None]] = [
        ("returns.table", mapping.returns.table if mapping.returns else None),
        ("regressors.features", mapping.regressors.features if mapping.regressors else None),
        ("regressors.future", mapping.regressors.future if mapping.regressors else None),
        *((f"attributes[{index}]", table) for index, table in enumerate(mapping.attributes)),
    ]
    return [(key, table) for key, table in tables if table is not None]


def sales_wanted(mapping: Mapping) -> dict[str, Wanted]:
    """Every column the sales rows must have, with what it must parse as and the key that maps it."""
    columns = mapping.columns
    wanted = {"date": Wanted(columns.date, "date", "columns.date")}
    for index, (role, column) in enumerate(columns.series_keys()):
        key = f"columns.{role}" if columns.series is None else f"columns.series[{index}]"
        wanted[role] = Wanted(column, "key", key)
    for roles, kind in ((MEASURES, "number"), (FLAGS, "boolean"), (TEXTS, "text")):
        for role in roles:
            if (column := getattr(columns, role)) is not None:
                wanted[role] = Wanted(column, kind, f"columns.{role}")  # type: ignore[arg-type]
    if mapping.returns is not None and mapping.returns.table is None:
        wanted["return_marker"] = Wanted(mapping.returns.column, "text", "returns.column")
    if mapping.regressors is not None and mapping.regressors.features is None:
        for index, spec in enumerate(mapping.regressors.specs):
            key = f"regressors.columns[{index}]"
            wanted[f"regressor:{spec.column}"] = Wanted(spec.column, regressor_kind(spec), key)
    return wanted


def _sales_aggregates(mapping: Mapping, sales: TableScan) -> dict[str, str]:
    date = sales.ref("date")
    keys = [sales.ref(role) for role, _ in mapping.columns.series_keys()]
    measures = [sales.ref(role) for role in ("quantity", "revenue") if role in sales.wanted]
    signed = sales.ref("quantity" if "quantity" in sales.wanted else "revenue")
    aggregates = {
        "first": f"min({date})",
        "last": f"max({date})",
        "series": f"count(DISTINCT ({', '.join(keys)}))" if len(keys) > 1 else f"count(DISTINCT {keys[0]})",
        "incomplete": f"count(*) FILTER (WHERE {date} IS NULL OR "
        + " OR ".join(f"{k} IS NULL" for k in keys)
        + " OR ("
        + " AND ".join(f"{m} IS NULL" for m in measures)
        + "))",
        "negative": f"count(*) FILTER (WHERE {signed} < 0)",
    }
    if mapping.keys_as_text:
        padded = " OR ".join(f"regexp_matches({k}, '^0[0-9A-Za-z]')" for k in keys)
        aggregates["leading_zeros"] = f"count(*) FILTER (WHERE {padded})"
    if mapping.week is not None:
        anchor = WEEKDAYS.index(mapping.week.anchor) + 1
        aggregates["off_weekday"] = f"count(*) FILTER (WHERE isodow({date}) <> {anchor})"
        aggregates["off_example"] = f"min({date}) FILTER (WHERE isodow({date}) <> {anchor})"
        aggregates["usual_weekday"] = f"mode(isodow({date}))"
    if "is_open" in sales.wanted:
        aggregates["closed"] = f"count(*) FILTER (WHERE NOT {sales.ref('is_open')})"
    if "return_marker" in sales.wanted and mapping.returns is not None:
        values = ", ".join(map(literal, mapping.returns.values))
        aggregates["returns"] = f"count(*) FILTER (WHERE trim({sales.ref('return_marker')}) IN ({values}))"
    if {"quantity", "unit_price", "revenue"} <= set(sales.wanted):
        quantity, price, revenue = (sales.ref(r) for r in ("quantity", "unit_price", "revenue"))
        aggregates["price_mismatch"] = f"count(*) FILTER (WHERE abs({quantity} * {price} - {revenue}) > 0.01)"
    return aggregates


def _refuse_duplicates(con: duckdb.DuckDBPyConnection, mapping: Mapping, sales: TableScan) -> None:
    roles = mapping.grain_keys()
    keys = ", ".join(f"{sales.ref(role)} AS k{index}" for index, role in enumerate(roles))
    names = ", ".join(f"k{index}" for index in range(len(roles)))
    # rows lacking a key part are counted as incomplete, not as one another's duplicates
    complete = " AND ".join(f"{sales.ref(role)} IS NOT NULL" for role in roles)
    # the count is a scalar subquery, not count(*) OVER (): DuckDB 1.5 intermittently fails that window under
    # ORDER BY … LIMIT with an internal error (duckdb/duckdb#22352; it failed a CI run here)
    found = one(
        con,
        f"WITH repeated AS (SELECT {keys}, count(*) AS n FROM {sales.view} WHERE {complete} "
        f"GROUP BY {names} HAVING count(*) > 1) SELECT (SELECT count(*) FROM repeated), "
        f"(SELECT sum(n) FROM repeated), n, {names} FROM repeated ORDER BY {names} LIMIT 1",
    )
    if found is None:
        return
    count, rows, n, *values = found
    example = ", ".join(f"{sales.wanted[r].column}={v}" for r, v in zip(roles, values, strict=True))
    grain = {"daily": "series and day", "weekly": "series and week"}.get(mapping.grain, "order line")
    hint = (
        "order_id + order_line must identify a row: map a unique line number to columns.order_line"
        if mapping.grain == "order_line"
        else f"sum the rows to one per {grain}, add the series key that tells them apart, "
        "or declare grain: order_line with columns.order_id"
    )
    raise ShelfcastError(
        f"{sales.files}: {count:,} keys ({', '.join(sales.wanted[r].column for r in roles)}) occur more "
        f"than once at the {mapping.grain} grain, {rows:,} rows in all; e.g. {example} on {n} rows",
        hint=hint,
    )


def _refuse_off_weekday(mapping: Mapping, sales: TableScan, stats: dict[str, object]) -> None:
    if mapping.week is None or not stats["off_weekday"]:
        return
    example = as_date(stats["off_example"])
    usual = WEEKDAYS[int(stats["usual_weekday"]) - 1]  # type: ignore[call-overload]
    raise ShelfcastError(
        f"{sales.files}: {stats['off_weekday']:,} weekly dates in column {sales.wanted['date'].column!r} "
        f"are not a {mapping.week.anchor.title()}, e.g. {example} ({example:%A}); most are a {usual.title()}",
        hint=f"set week.anchor: {usual} if that is the data's weekday, or fix the dates",
    )


def _sales_notes(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, sales: TableScan, stats: dict[str, object]
) -> list[str]:
    notes = []
    if stats["incomplete"]:
        notes.append(
            f"{stats['incomplete']:,} rows lack the date, a series key or both quantity and revenue: "
            "ingestion quarantines them"
        )
    if stats["negative"]:
        measure = "quantity" if "quantity" in sales.wanted else "revenue"
        meaning = (
            "returns, netted against the period's sales"
            if mapping.negative_quantities == "return"
            else "invalid (negative_quantities: invalid): ingestion quarantines them"
        )
        notes.append(f"{stats['negative']:,} rows have a negative {measure}: {meaning}")
    if stats.get("returns"):
        kind = (
            "return lines" if mapping.returns and mapping.returns.kind == "return_line" else "returned sales"
        )
        notes.append(
            f"{stats['returns']:,} rows are marked as {kind} by {sales.wanted['return_marker'].column}"
        )
    if stats.get("closed"):
        notes.append(f"{stats['closed']:,} rows say the store was closed ({sales.wanted['is_open'].column})")
    if stats.get("price_mismatch"):
        notes.append(
            f"{stats['price_mismatch']:,} rows: quantity × unit_price differs from revenue by over a cent"
        )
    if stats.get("leading_zeros"):
        notes.append(f"{stats['leading_zeros']:,} rows have codes with leading zeros, kept as text")
    notes.append(_spans_note(con, mapping, sales))
    return notes


def _spans_note(con: duckdb.DuckDBPyConnection, mapping: Mapping, sales: TableScan) -> str:
    """How many series start late or stop early, and how many periods inside their spans have no row."""
    date, step = sales.ref("date"), mapping.step_days
    keys = ", ".join(sales.ref(role) for role, _ in mapping.columns.series_keys())
    late, early, gaps, gapped = one(
        con,
        f"WITH spans AS (SELECT min({date}) AS a, max({date}) AS b, count(DISTINCT {date}) AS n "
        f"FROM {sales.view} WHERE {date} IS NOT NULL GROUP BY {keys}) "
        "SELECT count(*) FILTER (WHERE a > (SELECT min(a) FROM spans)), "
        "count(*) FILTER (WHERE b < (SELECT max(b) FROM spans)), "
        f"coalesce(sum((b - a) // {step} + 1 - n), 0), count(*) FILTER (WHERE (b - a) // {step} + 1 > n) "
        "FROM spans",
    ) or (0, 0, 0, 0)
    unit = "week" if mapping.grain == "weekly" else "day"
    meaning = "zero sales" if mapping.missing_days == "zero" else "closed or unknown, not zero"
    return (
        f"{late:,} series start after the first date and {early:,} stop before the last; {gaps:,} {unit}s "
        f"inside {gapped:,} series' spans have no row: {meaning} (missing_days: {mapping.missing_days})"
    )


def _grain_text(mapping: Mapping) -> str:
    if mapping.week is not None:
        return f"weekly: every date a {mapping.week.anchor.title()}, the week's {mapping.week.label}"
    return {"daily": "daily: one row per series and day", "order_line": "order lines, summed per day"}[
        mapping.grain
    ]


def _columns(wanted: dict[str, Wanted]) -> dict[str, str]:
    return {w.key: w.column for w in wanted.values()}
