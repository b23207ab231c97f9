"""A mapped dataset read straight from its files with DuckDB, for forecasting without landing it
(`shelfcast evaluate`): the sales summed per series and period, and the regressors the models use per
period. `check_mapping` is meant to have accepted the mapping first; this reads what it accepted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ingestion.mapping.check import sales_wanted
from ingestion.mapping.linked import key_columns, linked_scan, regressor_columns, return_line_test
from ingestion.mapping.load import MappingFile
from ingestion.mapping.read import ident, open_table
from ingestion.mapping.scan import TableScan, Wanted
from ingestion.mapping.schema import REGRESSOR_ROLES, DatedTable, TableSource
from shelfcast.errors import ShelfcastError

# columns the frames below and `shelfcast evaluate`'s outputs hold beside the series keys: a key column
# may not be named like one of them
RESERVED = (
    "date",
    "sales",
    "closed",
    "flag",
    "rows",
    "region",
    "category",
    "value",
    "step",
    "model",
    "forecast",
    "actual",
    "scale",
    "series",
    "weight",
)


@dataclass(frozen=True)
class PeriodSales:
    """Sales per series and period: the series key columns (named as in the source), `date`, `sales`
    (quantity if mapped, else revenue; returns netted, negative when they exceed sales), `closed` (a row
    said the store was closed), `rows` (source rows summed) and `flag` (the flag column asked for)."""

    keys: list[str]
    rows: pd.DataFrame
    files: str
    measure: str  # the mapped role summed: quantity or revenue


@dataclass(frozen=True)
class RegressorValues:
    """A regressor with a role, per period: per date alone (`keys` empty: a calendar, the same for every
    series) or per the series keys it is given for; columns `keys`…, `date`, `value`."""

    covariate: str  # the panel's known-ahead name (`ml.panel.KNOWN_AHEAD`)
    keys: list[str]
    rows: pd.DataFrame


def read_period_sales(
    con: duckdb.DuckDBPyConnection,
    loaded: MappingFile,
    source: TableSource | None = None,
    flag: str | None = None,
) -> PeriodSales:
    """The mapping's sales rows, or those of `source` (a file with the same columns), summed per series
    and period. Rows lacking the date, a series key or the measure are left out, as ingestion quarantines
    them, and so are negative ones under `negative_quantities: invalid`. `flag` names a true/false column
    whose value per period is kept (true if any row says so)."""
    mapping = loaded.mapping
    table = source or mapping.source
    view = "sales" if source is None else "actuals"
    wanted = sales_wanted(mapping)
    keys = [column for _, column in mapping.columns.series_keys()]
    clash = next((column for column in keys if column in RESERVED), None)
    if clash is not None:
        raise ShelfcastError(
            f"series key column {clash!r} has a name evaluate uses for its own columns",
            hint="rename the column in the data (reserved: " + ", ".join(RESERVED) + ")",
        )
    if flag is not None:
        header = open_table(con, "source", table, mapping.read).header
        if flag not in header:
            raise ShelfcastError(
                f"{table.files} has no column {flag!r} (--weight-column); its columns are: "
                + ", ".join(header),
                hint="name a true/false column of the sales rows, e.g. a holiday flag",
            )
        wanted["flag"] = Wanted(flag, "boolean", "--weight-column")
    scan = TableScan(loaded, view, "source", table, mapping.read, wanted)
    if not scan.run(con, {})["rows"]:
        raise ShelfcastError(f"{scan.files} has no data rows", hint="check the file")
    roles = [role for role, _ in mapping.columns.series_keys()]
    measure = "quantity" if "quantity" in wanted else "revenue"
    is_open = scan.ref("is_open") if "is_open" in wanted else "NULL::BOOLEAN"
    closed = f"coalesce(NOT {is_open}, false)"
    selected = [f"{scan.ref(role)} AS {ident(column)}" for role, column in zip(roles, keys, strict=True)]
    selected += [
        f"{scan.ref('date')} AS date",
        f"{_signed(con, loaded, scan, measure)} AS sales",
        f"{closed} AS closed",
        *([f"{scan.ref('flag')} AS flag"] if flag is not None else []),
        *(f"{scan.ref(role)} AS {role}" for role in ("region", "category") if role in wanted),
    ]
    complete = " AND ".join(f"{scan.ref(role)} IS NOT NULL" for role in ["date", *roles])
    counted = f"({scan.ref(measure)} IS NOT NULL OR {closed})"  # a closed day may carry no figures
    if mapping.negative_quantities == "invalid":  # ingestion quarantines them
        counted += f" AND coalesce({scan.ref(measure)} >= 0, true)"
    rows = f"SELECT {', '.join(selected)} FROM {view} s WHERE {complete} AND {counted}"
    key_list = ", ".join(ident(column) for column in keys)
    per_period = [
        "sum(sales) AS sales",
        "bool_or(closed) AS closed",
        "count(*) AS rows",
        *(["coalesce(bool_or(flag), false) AS flag"] if flag is not None else []),
    ]
    frame = con.execute(
        f"SELECT {key_list}, date, {', '.join(per_period)} FROM ({rows}) GROUP BY {key_list}, date"
    ).df()
    attributes = [role for role in ("region", "category") if role in wanted]
    if attributes:
        # one value per series: the most frequent, as a series belongs to one region and category
        modes = ", ".join(f"mode({role}) AS {role}" for role in attributes)
        per_series = con.execute(f"SELECT {key_list}, {modes} FROM ({rows}) GROUP BY {key_list}").df()
        frame = frame.merge(per_series, on=keys, how="left")
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return PeriodSales(keys, frame, scan.files, measure)


def _signed(con: duckdb.DuckDBPyConnection, loaded: MappingFile, sales: TableScan, measure: str) -> str:
    """The measure with return lines counted negative, whatever their sign in the file, in SQL over the
    sales view aliased `s`."""
    value = sales.ref(measure)
    marked = return_line_test(con, loaded, sales.wanted, lambda role: sales.ref(role, "s"))
    return value if marked is None else f"CASE WHEN {marked} THEN -abs({value}) ELSE {value} END"


def read_regressor_values(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, last_sales_date: dt.date
) -> list[RegressorValues]:
    """The values of every regressor with a role: from `regressors.features` (or the sales rows) up to the
    last sales date, and from `regressors.future` after it (one item per role and table, as the two tables
    may be keyed differently). A holiday is a calendar: a date any row marks is a holiday for every
    series; a promotion or discount is per the series keys its table has."""
    regressors = loaded.mapping.regressors
    specs = [spec for spec in regressors.specs if spec.role is not None] if regressors else []
    if regressors is None or not specs:
        return []
    last = f"DATE '{last_sales_date}'"
    tables = [(_regressor_scan(con, loaded, "features", regressors.features), f"<= {last}")]
    if regressors.future is not None:
        tables.append((_regressor_scan(con, loaded, "future", regressors.future), f"> {last}"))
    sales_columns = dict(loaded.mapping.columns.series_keys())
    found = []
    for spec in specs:
        for scan, condition in tables:
            roles = [] if spec.role == "holiday" else [role for role in scan.wanted if role in sales_columns]
            keys = [ident(sales_columns[role]) for role in roles]
            selected = [
                *(f"{scan.ref(role)} AS {key}" for role, key in zip(roles, keys, strict=True)),
                f"{scan.ref('date')} AS date",
                f"max(CAST({scan.ref(f'regressor:{spec.column}')} AS DOUBLE)) AS value",
            ]
            frame = con.execute(
                f"SELECT {', '.join(selected)} FROM {scan.view} WHERE {scan.ref('date')} {condition} "
                "GROUP BY ALL"
            ).df()
            frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
            covariate = REGRESSOR_ROLES[spec.role]  # type: ignore[index]
            found.append(RegressorValues(covariate, [sales_columns[role] for role in roles], frame))
    return found


def _regressor_scan(
    con: duckdb.DuckDBPyConnection, loaded: MappingFile, part: str, table: DatedTable | None
) -> TableScan:
    """The regressors' table (`regressors.<part>`, or the sales rows when it is not declared), scanned."""
    mapping = loaded.mapping
    everything = sales_wanted(mapping)
    if table is None:
        series = {role for role, _ in mapping.columns.series_keys()}
        wanted = {
            role: want
            for role, want in everything.items()
            if role == "date" or role in series or role.startswith("regressor:")
        }
        scan = TableScan(loaded, "sales_regressors", "source", mapping.source, mapping.read, wanted)
    else:
        key = f"regressors.{part}"
        wanted = {**key_columns(key, table, everything), **regressor_columns(loaded)}
        scan = linked_scan(loaded, f"regressors_{part}", key, table, wanted)
    scan.run(con, {})
    return scan
