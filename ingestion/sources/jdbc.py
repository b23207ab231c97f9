"""The ERP over JDBC: PostgreSQL (schema `erp`) when `erp_url` is set, else the embedded SQLite file.

Every column is read as text, exactly as the database renders it: typing is the clean zone's job, and
one string-typed raw zone reads the same for every database. Rows get a stable position (their order by
primary key) so a quarantined row can be found again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from pyspark.sql import Window
from pyspark.sql import functions as F

from shelfcast.errors import ShelfcastError
from shelfcast.spark import spark_error_message

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from shelfcast.config import Settings


@dataclass(frozen=True)
class JdbcSource:
    url: str
    driver: str
    schema: str | None
    display: str  # the URL without credentials, for lineage and messages
    properties: dict[str, str] = field(default_factory=dict, repr=False)

    def qualified(self, table: str) -> str:
        return f"{self.schema}.{table}" if self.schema else table


def erp_source(settings: Settings) -> JdbcSource:
    if settings.erp_url:
        parts = urlsplit(settings.erp_url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ShelfcastError(
                f"erp_url must be a postgresql:// URL, got {parts.scheme}://",
                hint="e.g. postgresql://user:password@127.0.0.1:5432/shop",
            )
        host = parts.hostname or "127.0.0.1"
        where = f"{host}:{parts.port or 5432}{parts.path}"
        properties = {"user": unquote(parts.username or ""), "password": unquote(parts.password or "")}
        return JdbcSource(
            url=f"jdbc:postgresql://{where}",
            driver="org.postgresql.Driver",
            schema="erp",
            display=f"postgresql://{where}",
            properties={k: v for k, v in properties.items() if v},
        )
    path = (settings.sources_path / "erp.sqlite").resolve()
    if not path.is_file():
        raise ShelfcastError(
            f"the ERP database {path} does not exist",
            hint="run `shelfcast generate`, or set erp_url to your PostgreSQL ERP",
        )
    # Without date_string_format the driver tries to read ISO dates as timestamps and fails.
    return JdbcSource(
        url=f"jdbc:sqlite:{path}?date_string_format=yyyy-MM-dd",
        driver="org.sqlite.JDBC",
        schema=None,
        display=f"sqlite:{Path(path).name}",
    )


def read_table(spark: SparkSession, source: JdbcSource, table: str, key: tuple[str, ...]) -> DataFrame:
    """The table with every column as text, plus `source_file` (table) and `source_line` (position)."""

    def reader():
        r = spark.read.format("jdbc").option("url", source.url).option("driver", source.driver)
        for k, v in source.properties.items():
            r = r.option(k, v)
        return r.option("dbtable", source.qualified(table))

    try:
        columns = reader().load().columns
        frame = reader().option("customSchema", ", ".join(f"`{c}` STRING" for c in columns)).load()
    except Exception as error:
        raise ShelfcastError(
            f"ERP {source.display}: cannot read {source.qualified(table)}: {spark_error_message(error)}",
            hint="is the database up and the table there? check erp_url",
        ) from error
    position = Window.orderBy(*key)
    return frame.select(
        *columns,
        F.lit(f"{source.display}/{source.qualified(table)}").alias("source_file"),
        F.row_number().over(position).cast("int").alias("source_line"),
    )
