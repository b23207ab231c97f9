"""Read-only access to the active warehouse for the API: the published DuckDB file or PostgreSQL.

DuckDB: builds publish a new warehouse file by one rename (`shelfcast.warehouse.duckdb_build`). The API
holds a read-only connection to the file it opened and reopens when the published file changes, so a
request reads the previous warehouse or the new one, never a mix, and never holds a lock a build needs.
PostgreSQL (the local stand-in for Redshift): a small pool of connections whose transactions are
read-only. Queries are written once with `?` placeholders for both.

Spark is not served: a Thrift round trip per request is not an interactive API; publish the marts to
PostgreSQL/Redshift (or DuckDB) for it.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from shelfcast.errors import ShelfcastError
from shelfcast.warehouse import duckdb_path, model_schema

if TYPE_CHECKING:
    from shelfcast.config import Settings


Row = dict[str, Any]
TABLES_SQL = "select table_name from information_schema.tables where table_schema = ?"


class WarehouseUnavailableError(Exception):
    """The warehouse, or a mart a request needs, is not there (yet): the pipeline has not built it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class Warehouse(Protocol):
    target: str
    schema: str

    def rows(
        self, sql: str, params: Sequence[object] = (), needs: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """The query's rows as dicts; `needs` names the models it reads, for a clear error when one is
        missing."""
        ...

    def tables(self) -> set[str]: ...

    def updated_at(self) -> dt.datetime | None: ...

    def close(self) -> None: ...


class DuckDBWarehouse:
    """DuckDB caches one database instance per file path in a process: a connection opened while the old
    one is still open would get the old file again. So when the published file changes, the old connection
    is closed once the requests reading it are done (new requests wait for that, a few milliseconds), and
    only then is the new file opened."""

    target = "duckdb"
    schema = "main"
    DRAIN_SECONDS = 5.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._changed = threading.Condition()
        self._connection: Any = None
        self._stamp: tuple[int, int] | None = None
        self._reading = 0  # cursors handed out and not yet closed

    def _cursor(self) -> Any:
        import duckdb

        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise WarehouseUnavailableError(
                f"the warehouse {self.path} does not exist", "run `shelfcast transform`"
            ) from None
        stamp = (stat.st_ino, stat.st_mtime_ns)
        with self._changed:
            if stamp != self._stamp and self._changed.wait_for(
                lambda: self._reading == 0, timeout=self.DRAIN_SECONDS
            ):
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None
                try:
                    self._connection = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as error:
                    raise WarehouseUnavailableError(
                        f"cannot open the warehouse {self.path}: {error}", "rerun `shelfcast transform`"
                    ) from error
                self._stamp = stamp
            self._reading += 1
            return self._connection.cursor()

    def _done(self, cursor: Any) -> None:
        cursor.close()
        with self._changed:
            self._reading -= 1
            self._changed.notify_all()

    def rows(
        self, sql: str, params: Sequence[object] = (), needs: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        import duckdb

        cursor = self._cursor()
        try:
            result = cursor.execute(sql, list(params))
            columns = [d[0] for d in result.description]
            found = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        except duckdb.CatalogException as error:
            missing = error
        except duckdb.BinderException as error:
            # a mart built by an older release: the table is there, a column this API reads is not
            raise _outdated(self, needs, error) from error
        else:
            return found
        finally:
            self._done(cursor)
        raise _missing(self, needs) from missing

    def tables(self) -> set[str]:
        return {row["table_name"] for row in self.rows(TABLES_SQL, [self.schema])}

    def updated_at(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC).replace(microsecond=0)
        except FileNotFoundError:
            return None

    def close(self) -> None:
        with self._changed:
            if self._connection is not None:
                self._connection.close()
            self._connection, self._stamp = None, None


class PostgresWarehouse:
    target = "postgres"

    def __init__(self, schema: str, size: int = 4) -> None:
        self.schema = schema
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=size)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        from shelfcast.warehouse import connect_postgres

        try:
            con = self._idle.get_nowait()
        except queue.Empty:
            try:
                con = connect_postgres()
            except ShelfcastError as error:
                raise WarehouseUnavailableError(str(error), error.hint or "") from error
            # each query its own transaction (none left open between requests), and every one read-only
            con.autocommit = True
            con.execute("set default_transaction_read_only = on")
        try:
            yield con
        except BaseException:
            con.close()
            raise
        if con.closed:
            return
        try:
            self._idle.put_nowait(con)
        except queue.Full:
            con.close()

    def rows(
        self, sql: str, params: Sequence[object] = (), needs: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        import psycopg

        with self._connection() as con:
            try:
                cursor = con.execute(sql.replace("?", "%s"), list(params))
            except psycopg.errors.UndefinedTable as error:
                raise _missing(self, needs) from error
            except psycopg.errors.UndefinedColumn as error:
                raise _outdated(self, needs, error) from error
            columns = [d.name for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def tables(self) -> set[str]:
        return {row["table_name"] for row in self.rows(TABLES_SQL, [self.schema])}

    def updated_at(self) -> dt.datetime | None:
        return None

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def _missing(warehouse: Warehouse, needs: Iterable[str]) -> WarehouseUnavailableError:
    absent = sorted(set(needs) - warehouse.tables())
    what = ", ".join(absent) if absent else "a table this request reads"
    return WarehouseUnavailableError(
        f"the {warehouse.target} warehouse has no {what} yet",
        "run `shelfcast transform` (and `shelfcast forecast` for forecasts and inventory)",
    )


def _outdated(warehouse: Warehouse, needs: Iterable[str], error: Exception) -> WarehouseUnavailableError:
    what = ", ".join(sorted(needs)) or "a table this request reads"
    detail = str(error).splitlines()[0]
    return WarehouseUnavailableError(
        f"the {warehouse.target} warehouse's {what} lacks a column this API reads ({detail}): it was built "
        "by an older shelfcast",
        "rebuild it: `shelfcast transform` (and `shelfcast forecast` for forecasts and inventory)",
    )


def open_warehouse(settings: Settings) -> Warehouse:
    target = settings.warehouse_target.value
    if target == "duckdb":
        return DuckDBWarehouse(duckdb_path(settings))
    if target == "postgres":
        return PostgresWarehouse(model_schema(settings))
    raise ShelfcastError(
        f"the API does not serve the {target} warehouse",
        hint="serve from the duckdb (default) or postgres target; a Thrift round trip per request is no "
        "interactive API",
    )
