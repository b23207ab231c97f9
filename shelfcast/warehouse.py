"""The one place a warehouse connection is opened, and the DuckDB file's build-then-swap publishing.

The embedded warehouse is one DuckDB file. Readers (Superset, the API) open it read-only; a writer holding
it would lock them out, so `shelfcast transform` builds a copy beside it and swaps it in with one rename:
a reader sees the previous warehouse or the new one, never a half-built one, and a failed build publishes
nothing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from shelfcast.config import Settings

# DuckDB would download these at run time, which fails offline; the PyPI wheels ship the signed binaries.
DUCKDB_EXTENSIONS = ("delta", "httpfs", "postgres_scanner")


def install_duckdb_extensions() -> None:
    """Install the extensions from their wheels into DuckDB's extension folder, once.

    After this `LOAD delta` works in any DuckDB process of the same version (dbt-duckdb, Superset),
    with no network."""
    con = duckdb.connect()
    try:
        installed = {
            name
            for (name,) in con.execute(
                "select extension_name from duckdb_extensions() where installed"
            ).fetchall()
        }
        for name in DUCKDB_EXTENSIONS:
            if name in installed:
                continue
            spec = importlib.util.find_spec(f"duckdb_extension_{name}")
            if spec is None or not spec.submodule_search_locations:
                raise ShelfcastError(
                    f"the DuckDB extension {name} is not installed",
                    hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
                )
            folder = Path(next(iter(spec.submodule_search_locations)))
            binary = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
            if not binary.is_file():
                raise ShelfcastError(
                    f"no DuckDB {duckdb.__version__} build of the {name} extension in {folder}",
                    hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
                )
            con.execute(f"install '{binary}'")
    finally:
        con.close()


# The schema dbt builds the models in, per target (profiles.example.yml)
MODEL_SCHEMAS = {"duckdb": "main", "postgres": "analytics", "redshift": "analytics", "spark": "shelfcast"}


def model_schema(settings: Settings) -> str:
    return MODEL_SCHEMAS[settings.warehouse_target.value]


def duckdb_path(settings: Settings) -> Path:
    return (settings.data_dir / "warehouse" / "shelfcast.duckdb").resolve()


def building_path(settings: Settings) -> Path:
    return duckdb_path(settings).with_suffix(".building.duckdb")


@contextmanager
def duckdb_build(settings: Settings) -> Iterator[Path]:
    """A private copy of the warehouse to build in; swapped in atomically when the block succeeds."""
    published = duckdb_path(settings)
    building = building_path(settings)
    published.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (building, building.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        # Incremental models continue from the published state.
        shutil.copyfile(published, building)
    try:
        yield building
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    building.replace(published)


def published_warehouse(settings: Settings) -> Path:
    """The published DuckDB warehouse file; a one-line error when `shelfcast transform` has not made it."""
    path = duckdb_path(settings)
    if not path.exists():
        raise ShelfcastError(f"the warehouse {path} does not exist", hint="run `shelfcast transform` first")
    return path


def connect_duckdb(settings: Settings, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    path = published_warehouse(settings) if read_only else duckdb_path(settings)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        raise ShelfcastError(f"cannot open the warehouse {path}: {error}") from error


def lake_tables(settings: Settings) -> dict[str, str]:
    """Every lake table dbt reads, as `lake.<identifier>` name → Delta folder (the dbt sources)."""
    from ingestion.datasets import API_TABLES, ERP_TABLES, INVENTORY
    from ingestion.lake import normalise_root

    root = normalise_root(settings.lake)
    clean = [*ERP_TABLES, "pos_lines", INVENTORY.name, *(spec.name for spec, _ in API_TABLES.values())]
    tables = {name: f"{root}/clean/{name}" for name in clean}
    tables |= {"audit_batches": f"{root}/audit/batches", "quarantine_rows": f"{root}/quarantine/rows"}
    return tables


def postgres_params() -> dict[str, str]:
    """The PostgreSQL warehouse's connection, from the libpq variables the dbt profile reads too."""
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "shelfcast"),
        "dbname": os.environ.get("PGDATABASE", "shelfcast"),
        "password": os.environ.get("DBT_ENV_SECRET_PG_PASSWORD", os.environ.get("PGPASSWORD", "shelfcast")),
    }


def connect_postgres() -> Any:
    """A connection to the PostgreSQL warehouse (`postgres_params`)."""
    import psycopg

    params = postgres_params()
    try:
        return psycopg.connect(**params, connect_timeout=10)
    except psycopg.OperationalError as error:
        where = f"postgresql://{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
        raise ShelfcastError(
            f"cannot connect to the PostgreSQL warehouse {where}: {str(error).strip().splitlines()[0]}",
            hint="start it (make postgres), or set PGHOST, PGPORT, PGUSER, PGDATABASE and "
            "DBT_ENV_SECRET_PG_PASSWORD",
        ) from error


_PG_TYPES = {
    "string": "text",
    "large_string": "text",
    "int8": "smallint",
    "int16": "smallint",
    "int32": "integer",
    "int64": "bigint",
    "double": "double precision",
    "float": "real",
    "bool": "boolean",
    "date32[day]": "date",
    "null": "text",  # a column with no values yet (an empty frame's text column)
}


def pg_type(arrow_type: Any) -> str:
    """The PostgreSQL column type for an Arrow type."""
    import pyarrow as pa

    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    return _PG_TYPES[str(arrow_type)]


def load_lake_into_postgres(settings: Settings, log: Callable[[str], None]) -> dict[str, int]:
    """Copy every lake table into schema `lake` with COPY, each swapped in whole in one transaction.

    PostgreSQL (and Redshift) cannot read Delta in place. Each table is loaded into a fresh table and
    renamed over the old one in the same transaction: readers see the previous load or the new one."""
    import io
    import time

    import pyarrow.csv as pacsv
    from deltalake import DeltaTable

    counts: dict[str, int] = {}
    with connect_postgres() as conn:
        conn.execute("create schema if not exists lake")
        for name, path in lake_tables(settings).items():
            started = time.perf_counter()
            try:
                dataset = DeltaTable(path).to_pyarrow_dataset()
            except Exception as error:  # deltalake raises its own TableNotFoundError
                raise ShelfcastError(
                    f"the lake table {path} cannot be read: {str(error).splitlines()[0]}",
                    hint="run `shelfcast ingest` first",
                ) from error
            columns = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in dataset.schema)
            rows = 0
            with conn.transaction():
                conn.execute(f"drop table if exists lake.{name}__loading")
                conn.execute(f"create table lake.{name}__loading ({columns})")
                with conn.cursor().copy(f"copy lake.{name}__loading from stdin with (format csv)") as copy:
                    for batch in dataset.to_batches(batch_size=200_000):
                        buffer = io.BytesIO()
                        pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
                        copy.write(buffer.getvalue())
                        rows += batch.num_rows
                # the staging views over it go too; the dbt build that follows every load recreates them
                conn.execute(f"drop table if exists lake.{name} cascade")
                conn.execute(f"alter table lake.{name}__loading rename to {name}")
            counts[name] = rows
            log(f"  lake.{name:<26} {rows:>12,} rows  {time.perf_counter() - started:6.1f} s")
    return counts
