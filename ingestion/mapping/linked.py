"""Checks of the tables a mapping joins to its sales rows: the returns marker, regressor history and
future values, store or product attributes. Each keeps one row per key and says how well it joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import Kind, literal, one
from ingestion.mapping.scan import TableScan, Wanted, as_date
from ingestion.mapping.schema import KeyedTable, Regressor
from shelfcast.errors import ShelfcastError


@dataclass(frozen=True)
class LinkedResult:
    key: str  # mapping key of the table
    files: str
    rows: int
    wanted: dict[str, Wanted]
    notes: list[str]


def plural(count: int, unit: str) -> str:
    return f"{count:,} {unit}{'' if count == 1 else 's'}"


def regressor_kind(spec: Regressor) -> Kind:
    return {"number": "number", "boolean": "boolean", "category": "text"}[spec.type]  # type: ignore[return-value]


def check_returns_table(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, sales: TableScan
) -> LinkedResult:
    """The returns marker table: it must join the sales rows on its keys; counts the rows it marks."""
    returns = loaded.mapping.returns
    assert returns is not None and returns.table is not None
    key = "returns.table"
    wanted = key_columns(key, returns.table, sales.wanted)
    wanted["marker"] = Wanted(returns.column, "text", "returns.column")
    scan = linked_scan(loaded, "returns_table", key, returns.table, wanted)
    values = ", ".join(map(literal, returns.values))
    marked = f"trim({scan.ref('marker', 'r')}) IN ({values})"
    stats = scan.run(con, {})
    roles = list(returns.table.keys)
    on = " AND ".join(f"{sales.ref(role, 's')} = {scan.ref(role, 'r')}" for role in roles)
    keys = ", ".join(scan.ref(role, "r") for role in roles)
    matched, marked_keys, orphans = one(
        con,
        f"SELECT (SELECT count(*) FROM sales s WHERE EXISTS (SELECT 1 FROM returns_table r WHERE {marked} "
        f"AND {on})), (SELECT count(DISTINCT ({keys})) FROM returns_table r WHERE {marked}), "
        f"(SELECT count(DISTINCT ({keys})) FROM returns_table r WHERE {marked} "
        f"AND NOT EXISTS (SELECT 1 FROM sales s WHERE {on}))",
    ) or (0, 0, 0)
    kind = "return lines" if returns.kind == "return_line" else "returned sales"
    names = ", ".join(returns.table.keys.values())
    note = f"returns: {matched:,} sales rows are {kind}, marked by {marked_keys:,} distinct {names} values"
    if orphans:
        note += f" ({orphans:,} of them match no sales row)"
    return LinkedResult(key, scan.files, stats["rows"], wanted, [note])


def check_regressor_history(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, sales: TableScan
) -> LinkedResult:
    """The regressors' table for the sales history: one row per key; how many sales rows it misses."""
    regressors = loaded.mapping.regressors
    assert regressors is not None and regressors.features is not None
    table, key = regressors.features, "regressors.features"
    wanted = {**key_columns(key, table, sales.wanted), **regressor_columns(loaded)}
    scan = linked_scan(loaded, "features", key, table, wanted)
    stats = scan.run(con, _empty_counts(scan))
    _refuse_repeated_keys(con, scan, list(table.keys))
    on = " AND ".join(f"{sales.ref(role, 's')} = {scan.ref(role, 'f')}" for role in table.keys)
    missed = one(con, f"SELECT count(*) FROM sales s WHERE NOT EXISTS (SELECT 1 FROM features f WHERE {on})")
    notes = []
    if missed and missed[0]:
        notes.append(f"regressors: {missed[0]:,} sales rows have no row in {scan.files}")
    notes.extend(_empty_note("regressors", scan, stats, stats["rows"]))
    return LinkedResult(key, scan.files, stats["rows"], wanted, notes)


def check_future(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, sales: TableScan, last: dt.date, horizon: int | None
) -> LinkedResult:
    """The regressors' future values: one row per key; with a horizon, every period after the last sales
    date up to it present for every series key the table is keyed on (else an error)."""
    mapping = loaded.mapping
    regressors = mapping.regressors
    assert regressors is not None and regressors.future is not None
    table, key = regressors.future, "regressors.future"
    wanted = {**key_columns(key, table, sales.wanted), **regressor_columns(loaded)}
    scan = linked_scan(loaded, "future", key, table, wanted)
    stats = scan.run(con, {"last": f"max({scan.ref('date')})"})
    _refuse_repeated_keys(con, scan, list(table.keys))
    step, unit = mapping.step_days, "week" if mapping.grain == "weekly" else "day"
    furthest = as_date(stats["last"])
    reach = horizon or (max(0, (furthest - last).days // step) if furthest else 0)
    roles = [role for role in table.keys if role != "date"]
    needed, gaps, first_gap = _gaps(con, sales, scan, roles, last, step, reach)
    covered = reach if first_gap is None else first_gap[0] - 1
    whom = f"all {needed:,} {'/'.join(roles)} keys of the sales rows" if roles else "every date"
    if horizon is not None and first_gap is not None:
        index, day, *values = first_gap
        which = ", ".join(f"{table.keys[r]}={v}" for r, v in zip(roles, values, strict=True))
        missing = f"{gaps:,} ({', '.join([*roles, 'date'])}) pairs are" if roles else f"{gaps:,} dates are"
        raise ShelfcastError(
            f"{scan.files} does not cover the {horizon}-{unit} horizon after the last sales date {last}: "
            f"{missing} missing, the first {which + ' on ' if which else ''}{as_date(day)} ({unit} {index}); "
            f"it covers {plural(covered, unit)} for {whom}",
            hint=f"add rows up to {last + dt.timedelta(days=horizon * step)} for every key, "
            "or forecast a shorter --horizon",
        )
    until = last + dt.timedelta(days=covered * step)
    notes = [f"future regressors cover {plural(covered, unit)} after {last} (to {until}) for {whom}"]
    window = f"{scan.ref('date')} > DATE '{last}' AND {scan.ref('date')} <= DATE '{until}'"
    counts = _empty_counts(scan)
    found = one(con, f"SELECT count(*), {', '.join(counts.values())} FROM future WHERE {window}")
    if found is not None:
        empty = dict(zip(counts, found[1:], strict=True))
        notes.extend(_empty_note(f"future regressors up to {until}", scan, empty, found[0]))
    return LinkedResult(key, scan.files, stats["rows"], wanted, notes)


def check_attributes(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, sales: TableScan, index: int
) -> LinkedResult:
    """A table of store or product attributes: one row per key; how many sales keys it lacks."""
    table, key = loaded.mapping.attributes[index], f"attributes[{index}]"
    wanted = key_columns(key, table, sales.wanted)
    for position, column in enumerate(table.columns):
        wanted[f"attribute:{column}"] = Wanted(column, "text", f"{key}.columns[{position}]")
    scan = linked_scan(loaded, f"attributes_{index}", key, table, wanted)
    stats = scan.run(con, {})
    roles = list(table.keys)
    _refuse_repeated_keys(con, scan, roles)
    keys = ", ".join(sales.ref(role, "s") for role in roles)
    on = " AND ".join(f"{sales.ref(role, 's')} = {scan.ref(role, 'a')}" for role in roles)
    lacking = one(
        con,
        f"SELECT count(DISTINCT ({keys})) FROM sales s "
        f"WHERE NOT EXISTS (SELECT 1 FROM attributes_{index} a WHERE {on})",
    )
    note = f"attributes: {', '.join(table.columns)} for {stats['rows']:,} {'/'.join(roles)} keys"
    if lacking and lacking[0]:
        note += f"; {lacking[0]:,} keys of the sales rows have none"
    return LinkedResult(key, scan.files, stats["rows"], wanted, [note])


def return_line_test(
    con: duckdb.DuckDBPyConnection,
    loaded: MappingFile,
    sales_wanted: dict[str, Wanted],
    sales_ref: Callable[[str], str],
) -> str | None:
    """SQL over the sales rows: the row is a return line, counted negative whatever its sign; None when the
    mapping marks none (a returned sale, `returns.kind: returned_sale`, happened: it is demand).
    `sales_ref(role)` is a role's typed value in the sales rows, read as `TableScan.ref` reads it."""
    returns = loaded.mapping.returns
    if returns is None or returns.kind != "return_line":
        return None
    values = ", ".join(map(literal, returns.values))
    if returns.table is None:
        return f"coalesce(trim({sales_ref('return_marker')}) IN ({values}), false)"
    key = "returns.table"
    wanted = key_columns(key, returns.table, sales_wanted)
    wanted["marker"] = Wanted(returns.column, "text", "returns.column")
    scan = linked_scan(loaded, "returns_table", key, returns.table, wanted)
    scan.run(con, {})
    # the sales side qualified: the returns table may have columns of the same names
    on = " AND ".join(f"{sales_ref(role)} = {scan.ref(role, 'r')}" for role in returns.table.keys)
    return (
        f"EXISTS (SELECT 1 FROM returns_table r WHERE trim({scan.ref('marker', 'r')}) IN ({values}) AND {on})"
    )


def linked_scan(
    loaded: MappingFile, view: str, key: str, table: KeyedTable, wanted: dict[str, Wanted]
) -> TableScan:
    """A linked table as the view `view`, read with the mapping's `read` merged with its own."""
    return TableScan(loaded, view, key, table, loaded.mapping.read.merged(table.read), wanted)


def key_columns(key: str, table: KeyedTable, sales: dict[str, Wanted]) -> dict[str, Wanted]:
    """The table's join keys, read as the sales rows (`sales`: their wanted columns) read the same roles."""
    return {
        role: Wanted(column, sales[role].kind, f"{key}.keys.{role}") for role, column in table.keys.items()
    }


def regressor_columns(loaded: MappingFile) -> dict[str, Wanted]:
    """Every regressor column as `regressor:<column>`, typed as declared."""
    regressors = loaded.mapping.regressors
    assert regressors is not None
    return {
        f"regressor:{spec.column}": Wanted(spec.column, regressor_kind(spec), f"regressors.columns[{index}]")
        for index, spec in enumerate(regressors.specs)
    }


def _empty_counts(scan: TableScan) -> dict[str, str]:
    return {
        role: f"count(*) FILTER (WHERE {scan.ref(role)} IS NULL)"
        for role in scan.wanted
        if role.startswith("regressor:")
    }


def _empty_note(what: str, scan: TableScan, stats: dict[str, object], rows: int) -> list[str]:
    empty = {
        scan.wanted[role].column: count
        for role, count in stats.items()
        if role.startswith("regressor:") and count
    }
    if not empty:
        return []
    listed = ", ".join(f"{column} {count:,}" for column, count in empty.items())
    return [f"{what}: empty values in {scan.files} ({rows:,} rows): {listed}"]


def _refuse_repeated_keys(con: duckdb.DuckDBPyConnection, scan: TableScan, roles: list[str]) -> None:
    keys = ", ".join(f"{scan.ref(role)} AS k{index}" for index, role in enumerate(roles))
    names = ", ".join(f"k{index}" for index in range(len(roles)))
    # a scalar count, not count(*) OVER (): see check._refuse_duplicates
    found = one(
        con,
        f"WITH repeated AS (SELECT {keys}, count(*) AS n FROM {scan.view} GROUP BY {names} "
        f"HAVING count(*) > 1) SELECT (SELECT count(*) FROM repeated), n, {names} FROM repeated "
        f"ORDER BY {names} LIMIT 1",
    )
    if found is None:
        return
    count, n, *values = found
    example = ", ".join(f"{scan.wanted[r].column}={v}" for r, v in zip(roles, values, strict=True))
    raise ShelfcastError(
        f"{scan.files}: {count:,} keys ({', '.join(scan.wanted[r].column for r in roles)}) occur more than "
        f"once, e.g. {example} on {n} rows; {scan.key} must have one row per key",
        hint=f"keep one row per key, or add the key that tells them apart to {scan.key}.keys",
    )


def _gaps(
    con: duckdb.DuckDBPyConnection,
    sales: TableScan,
    future: TableScan,
    roles: list[str],
    last: dt.date,
    step: int,
    reach: int,
) -> tuple[int, int, tuple[object, ...] | None]:
    """Keys the sales rows need future values for, how many (key, period) pairs within `reach` periods
    after `last` the future table lacks, and the first missing (period index, date, *key values)."""
    need_keys = ", ".join(f"{sales.ref(role)} AS k{i}" for i, role in enumerate(roles))
    have_keys = "".join(f", {future.ref(role)} AS k{i}" for i, role in enumerate(roles))
    not_null = " AND ".join(f"{sales.ref(role)} IS NOT NULL" for role in roles) or "true"
    need = f"SELECT DISTINCT {need_keys} FROM sales WHERE {not_null}" if roles else "SELECT 1 AS one"
    names = [f"k{i}" for i in range(len(roles))]
    same = "".join(f" AND h.{name} = need.{name}" for name in names)
    gaps = (
        f"WITH need AS ({need}), "
        f"steps AS (SELECT i, DATE '{last}' + CAST(i * {step} AS INTEGER) AS d "
        f"FROM range(1, {reach} + 1) t(i)), "
        f"have AS (SELECT DISTINCT {future.ref('date')} AS d{have_keys} FROM future), "
        "gaps AS (SELECT steps.i, steps.d"
        + "".join(f", need.{n}" for n in names)
        + " FROM need CROSS JOIN steps "
        f"WHERE NOT EXISTS (SELECT 1 FROM have h WHERE h.d = steps.d{same})) "
    )
    needed, missing = one(con, f"{gaps} SELECT (SELECT count(*) FROM need), count(*) FROM gaps") or (0, 0)
    order = ", ".join(["i", *names])
    first = one(con, f"{gaps} SELECT * FROM gaps ORDER BY {order} LIMIT 1")
    return needed, missing, first
