"""The ERP database: master data and purchasing, in SQLite (embedded default) or PostgreSQL.

Ingestion reads it over JDBC like any retailer's ERP. Writes go to a side location first (a new SQLite
file, a staging schema) and are swapped in whole at the end, so a reader never sees a half-written ERP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shelfcast.errors import ShelfcastError


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type valid in SQLite and PostgreSQL)
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self, schema: str | None = None) -> str:
        qualified = f"{schema}.{self.name}" if schema else self.name
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        return f"CREATE TABLE {qualified} ({cols}, PRIMARY KEY ({', '.join(self.primary_key)}))"


MONEY = "NUMERIC(12, 2)"
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "regions", (("region_code", "TEXT NOT NULL"), ("region_name", "TEXT NOT NULL")), ("region_code",)
        ),
        Table(
            "stores",
            (
                ("store_code", "TEXT NOT NULL"),
                ("store_name", "TEXT NOT NULL"),
                ("region_code", "TEXT NOT NULL"),
                ("city", "TEXT NOT NULL"),
                ("state", "TEXT NOT NULL"),
                ("store_type", "TEXT NOT NULL"),
                ("size_sqm", "INTEGER NOT NULL"),
                ("open_date", "DATE NOT NULL"),
                ("latitude", "REAL"),
                ("longitude", "REAL"),
            ),
            ("store_code",),
        ),
        Table(
            "suppliers",
            (
                ("supplier_code", "TEXT NOT NULL"),
                ("supplier_name", "TEXT NOT NULL"),
                ("country_code", "TEXT NOT NULL"),
            ),
            ("supplier_code",),
        ),
        Table(
            "products",
            (
                ("product_code", "TEXT NOT NULL"),
                ("product_name", "TEXT NOT NULL"),
                ("category", "TEXT NOT NULL"),
                ("subcategory", "TEXT NOT NULL"),
                ("brand", "TEXT NOT NULL"),
                ("supplier_code", "TEXT NOT NULL"),
                ("list_price", MONEY + " NOT NULL"),
                ("unit_cost", MONEY + " NOT NULL"),
                ("case_pack", "INTEGER NOT NULL"),
                ("lead_time_days", "INTEGER NOT NULL"),
                ("launch_date", "DATE NOT NULL"),
                ("discontinued_date", "DATE"),
            ),
            ("product_code",),
        ),
        Table(
            "product_prices",
            (
                ("product_code", "TEXT NOT NULL"),
                ("valid_from", "DATE NOT NULL"),
                ("valid_to", "DATE"),
                ("list_price", MONEY + " NOT NULL"),
                ("unit_cost", MONEY + " NOT NULL"),
            ),
            ("product_code", "valid_from"),
        ),
        Table(
            "customers",
            (
                ("customer_code", "TEXT NOT NULL"),
                ("segment", "TEXT NOT NULL"),
                ("loyalty_tier", "TEXT NOT NULL"),
                ("region_code", "TEXT NOT NULL"),
                ("signup_date", "DATE NOT NULL"),
            ),
            ("customer_code",),
        ),
        Table(
            "purchase_orders",
            (
                ("po_number", "TEXT NOT NULL"),
                ("store_code", "TEXT NOT NULL"),
                ("supplier_code", "TEXT NOT NULL"),
                ("order_date", "DATE NOT NULL"),
                ("expected_date", "DATE NOT NULL"),
                ("status", "TEXT NOT NULL"),
            ),
            ("po_number",),
        ),
        Table(
            "purchase_order_lines",
            (
                ("po_number", "TEXT NOT NULL"),
                ("line_number", "INTEGER NOT NULL"),
                ("product_code", "TEXT NOT NULL"),
                ("quantity_ordered", "INTEGER NOT NULL"),
                ("unit_cost", MONEY + " NOT NULL"),
                ("expected_date", "DATE NOT NULL"),
            ),
            ("po_number", "line_number"),
        ),
        Table(
            "goods_receipts",
            (
                ("receipt_number", "TEXT NOT NULL"),
                ("po_number", "TEXT NOT NULL"),
                ("po_line_number", "INTEGER NOT NULL"),
                ("store_code", "TEXT NOT NULL"),
                ("product_code", "TEXT NOT NULL"),
                ("received_date", "DATE NOT NULL"),
                ("quantity_received", "INTEGER NOT NULL"),
            ),
            ("receipt_number",),
        ),
    )
}


class ErpWriter(Protocol):
    def append(self, table: str, rows: Sequence[Sequence[object]]) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...
    @property
    def location(self) -> str: ...


class SqliteErp:
    """Writes a new SQLite file beside the target; the caller moves the whole output folder into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        for table in TABLES.values():
            self.conn.execute(table.ddl())

    @property
    def location(self) -> str:
        return self.path.name

    def append(self, table: str, rows: Sequence[Sequence[object]]) -> None:
        names = TABLES[table].column_names
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows
        )

    def commit(self) -> None:
        self.conn.commit()
        self.conn.close()

    def abort(self) -> None:
        self.conn.close()


class PostgresErp:
    """Loads with COPY into a staging schema, then swaps it for the `schema` in one transaction."""

    def __init__(self, url: str, schema: str = "erp") -> None:
        import psycopg

        self.schema = schema
        self.staging = f"{schema}__loading"
        try:
            self.conn = psycopg.connect(url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ShelfcastError(
                f"cannot connect to the ERP database at {_redact(url)}: {str(exc).strip().splitlines()[0]}",
                hint="start PostgreSQL or leave erp_url unset to write the embedded SQLite ERP",
            ) from exc
        with self.conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {self.staging} CASCADE")
            cur.execute(f"CREATE SCHEMA {self.staging}")
            for table in TABLES.values():
                cur.execute(table.ddl(self.staging))

    @property
    def location(self) -> str:
        return f"postgresql schema {self.schema}"

    def append(self, table: str, rows: Iterable[Sequence[object]]) -> None:
        names = ", ".join(TABLES[table].column_names)
        with self.conn.cursor() as cur, cur.copy(f"COPY {self.staging}.{table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            cur.execute(f"ALTER SCHEMA {self.staging} RENAME TO {self.schema}")
        self.conn.commit()
        self.conn.close()

    def abort(self) -> None:
        self.conn.rollback()
        self.conn.close()


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
