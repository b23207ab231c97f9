"""The ml package's side of the warehouse: read `int_sales__features` from the active target, write the
forecast tables back into schema `ml`, where dbt declares them as sources.

Write-back is atomic. On DuckDB the tables are written into a copy of the warehouse file that replaces the
published one in a single rename (the same swap `shelfcast transform` uses), so a dashboard reading the
file never sees a half-written forecast and dbt never fights the forecast over the file's lock. On
PostgreSQL each table is loaded under a temporary name and swapped in one transaction. On Spark each table
is a Delta table in database `ml` of the warehouse's metastore, replaced by one overwrite commit: readers
see the previous forecast until the commit, then the new one (Delta's snapshot isolation); on a cluster
the frames go to the executors like any other DataFrame.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

import pandas as pd

from ml.panel import ATTRIBUTES, KNOWN_AHEAD, SERIES_KEYS
from ml.target import SHOP, ForecastTarget
from shelfcast.errors import ShelfcastError
from shelfcast.warehouse import model_schema

if TYPE_CHECKING:
    import pyarrow as pa

    from shelfcast.config import Settings

SCHEMA = "ml"
# demand: net units without the lines ingestion flagged as outliers (a landed dataset's measure: units or
# revenue), read as the panel's `units`
FEATURE_COLUMNS = (*SERIES_KEYS, *ATTRIBUTES, "date_day", "demand as units", *KNOWN_AHEAD)


def read_features(settings: Settings, forecast_target: ForecastTarget = SHOP) -> pd.DataFrame:
    target = settings.warehouse_target.value
    columns = ", ".join(FEATURE_COLUMNS)
    if forecast_target.dataset and target != "duckdb":
        raise ShelfcastError(
            f"forecasting a landed dataset on the {target} target is not supported yet",
            hint="build and forecast it on the embedded DuckDB warehouse: SHELFCAST_WAREHOUSE_TARGET=duckdb",
        )
    if target == "duckdb":
        from shelfcast.warehouse import connect_duckdb

        schema = forecast_target.duckdb_schema
        with connect_duckdb(settings) as con:
            _require_duckdb_table(con, schema, "int_sales__features", forecast_target)
            # Arrow, not pandas' own conversion: 13.5 M rows at scale s arrive in seconds
            return (
                con.sql(f"select {columns} from {schema}.int_sales__features")
                .to_arrow_table()
                .to_pandas(date_as_object=False, strings_to_categorical=True)
            )
    if target == "postgres":
        from shelfcast.warehouse import connect_postgres

        with connect_postgres() as con, con.cursor() as cursor:
            cursor.execute(f"select {columns} from {model_schema(settings)}.int_sales__features")
            rows = cursor.fetchall()
            return pd.DataFrame(rows, columns=[d.name for d in cursor.description])
    if target == "spark":
        from shelfcast.spark import warehouse_spark

        spark = warehouse_spark(settings, "shelfcast-forecast")
        table = f"{model_schema(settings)}.int_sales__features"
        if not spark.catalog.tableExists(table):
            raise ShelfcastError(
                f"the Spark warehouse has no {table}, the features forecasting reads",
                hint="run `shelfcast transform` first",
            )
        # Arrow-backed collection: the panel is built on the driver whatever the cluster's size
        spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        return spark.table(table).selectExpr(*FEATURE_COLUMNS).toPandas()
    raise ShelfcastError(
        f"forecasting reads the warehouse of target {target}, which it does not support yet",
        hint="use the duckdb (default), postgres or spark target",
    )


def read_holidays(
    settings: Settings, first: dt.date, last: dt.date, forecast_target: ForecastTarget = SHOP
) -> set[dt.date]:
    """The holidays `dim_date` has from `first` to `last`: the calendar the features' `is_holiday` comes
    from (the shop's holiday source, or a dataset's holiday regressor with its future values), read for
    the days the forecast is of."""
    sql = (
        "select date_day from {schema}.dim_date where is_holiday and date_day between '{first}' and '{last}'"
    )
    target = settings.warehouse_target.value
    if target == "duckdb":
        from shelfcast.warehouse import connect_duckdb

        with connect_duckdb(settings) as con:
            schema = forecast_target.duckdb_schema
            rows = con.execute(sql.format(schema=schema, first=first, last=last)).fetchall()
    elif target == "postgres":
        from shelfcast.warehouse import connect_postgres

        with connect_postgres() as con, con.cursor() as cursor:
            cursor.execute(sql.format(schema=model_schema(settings), first=first, last=last))
            rows = cursor.fetchall()
    else:
        from shelfcast.spark import warehouse_spark

        spark = warehouse_spark(settings, "shelfcast-forecast")
        rows = spark.sql(sql.format(schema=model_schema(settings), first=first, last=last)).collect()
    return {pd.Timestamp(row[0]).date() for row in rows}


def write_tables(
    settings: Settings, tables: dict[str, pd.DataFrame], forecast_target: ForecastTarget = SHOP
) -> None:
    """Replace each table of the forecast's schema (`ml`, or a dataset's `<name>_ml`) with its frame;
    columns named `*_date` are stored as dates."""
    tables = {name: _with_dates(frame) for name, frame in tables.items()}
    target = settings.warehouse_target.value
    if target == "duckdb":
        _write_duckdb(settings, tables, forecast_target.ml_schema)
    elif target == "postgres":
        _write_postgres(tables)
    elif target == "spark":
        _write_spark(settings, tables)
    else:
        raise ShelfcastError(f"forecast write-back to target {target} is not supported yet")


def _write_duckdb(settings: Settings, tables: dict[str, pd.DataFrame], schema: str) -> None:
    import duckdb

    from shelfcast.warehouse import duckdb_build, published_warehouse

    published_warehouse(settings)  # the forecast is written into the published warehouse, never a new one
    with duckdb_build(settings) as building:
        con = duckdb.connect(str(building))
        try:
            con.execute(f"create schema if not exists {schema}")
            for name, frame in tables.items():
                # through Arrow with typed columns: an all-empty text column (a dataset's series without a
                # product, a run without Prophet's components) stays text instead of DuckDB's NULL type
                con.register("incoming", typed_arrow(frame))
                con.execute(f"create or replace table {schema}.{name} as select * from incoming")
                con.unregister("incoming")
            con.execute("checkpoint")
        finally:
            con.close()


def _write_postgres(tables: dict[str, pd.DataFrame]) -> None:
    from shelfcast.warehouse import connect_postgres

    with connect_postgres() as con, con.cursor() as cursor:
        cursor.execute(f"create schema if not exists {SCHEMA}")
        for name, frame in tables.items():
            staged = f"{name}__incoming"
            cursor.execute(f"drop table if exists {SCHEMA}.{staged}")
            cursor.execute(f"create table {SCHEMA}.{staged} ({_pg_columns(frame)})")
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S")
            buffer.seek(0)
            with cursor.copy(f"copy {SCHEMA}.{staged} from stdin with (format csv)") as copy:
                copy.write(buffer.read())
            # cascade: dbt's staging views on the table go with it, and `dbt build --select source:ml+`
            # (run right after by `shelfcast forecast`) recreates them; the marts are tables and stay
            cursor.execute(f"drop table if exists {SCHEMA}.{name} cascade")
            cursor.execute(f"alter table {SCHEMA}.{staged} rename to {name}")
        con.commit()


def _write_spark(settings: Settings, tables: dict[str, pd.DataFrame]) -> None:
    from shelfcast.spark import warehouse_spark

    spark = warehouse_spark(settings, "shelfcast-forecast")
    spark.sql(f"create database if not exists {SCHEMA}")
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    for name, frame in tables.items():
        data = spark.createDataFrame(frame, schema=_spark_schema(frame))
        # overwriteSchema: a new release may add columns; the old table's readers keep their snapshot
        data.write.format("delta").mode("overwrite").option("overwriteSchema", "true").saveAsTable(
            f"{SCHEMA}.{name}"
        )


def typed_arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow, a column with no value to type it by (all null, or an empty frame's) as text:
    no warehouse stores a column of type NULL (DuckDB would, then refuse it in a union; Delta refuses it)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = pa.schema(
        [field.with_type(pa.string()) if pa.types.is_null(field.type) else field for field in table.schema]
    )
    return table.cast(schema)


def _spark_schema(frame: pd.DataFrame) -> object:
    """The frame's Arrow types (`typed_arrow`) as a Spark schema; times are TIMESTAMP (without a zone,
    Spark would pick TIMESTAMP_NTZ, a Delta table feature older readers lack)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(typed_arrow(frame).schema, prefer_timestamp_ntz=False)


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    dated = frame.copy()
    for column in dated.columns:
        if column.endswith("_date") and pd.api.types.is_datetime64_any_dtype(dated[column]):
            dated[column] = dated[column].dt.date
    return dated


def _pg_columns(frame: pd.DataFrame) -> str:
    import pyarrow as pa

    from shelfcast.warehouse import pg_type

    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    return ", ".join(f'"{field.name}" {pg_type(field.type)}' for field in schema)


def _require_duckdb_table(con: object, schema: str, table: str, forecast_target: ForecastTarget) -> None:
    found = con.execute(  # type: ignore[attr-defined]
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if not found:
        command = "shelfcast transform" + (" --dataset MAPPING.yml" if forecast_target.dataset else "")
        raise ShelfcastError(
            f"the warehouse has no {schema}.{table}, the features forecasting reads",
            hint=f"run `{command}` first",
        )
