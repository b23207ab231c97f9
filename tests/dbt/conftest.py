"""The dbt tests' helpers; the session's xs warehouse fixture lives in tests/conftest.py, which the ml
tests share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from shelfcast.config import Settings
from shelfcast.dbt import DbtResult
from shelfcast.warehouse import duckdb_path
from tests.support import LandedLake


@dataclass
class BuiltWarehouse:
    settings: Settings
    result: DbtResult

    @property
    def path(self) -> Path:
        return duckdb_path(self.settings)


def query(path: Path, sql: str) -> pd.DataFrame:
    """`sql` on a DuckDB warehouse file, opened read-only and closed again."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def warehouse_settings(landed: LandedLake, data_dir: Path) -> Settings:
    """A data dir of its own (warehouse file) over the session's landed lake."""
    return landed.settings.model_copy(update={"data_dir": data_dir, "lake_uri": landed.settings.lake})
