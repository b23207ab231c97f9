"""The ERP written into PostgreSQL equals the embedded SQLite ERP, and a failed write keeps the old one."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import psycopg
import pytest

from synthetic.erp import TABLES
from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> str:
    url = os.environ.get("SHELFCAST_TEST_PG_URL")
    if not url:
        pytest.fail("SHELFCAST_TEST_PG_URL is not set: run the tests with `make test` (it starts PostgreSQL)")
    return url


def _rows_pg(url: str, table: str) -> list[tuple]:
    cols = ", ".join(TABLES[table].column_names)
    with psycopg.connect(url) as conn:
        return [
            tuple(_plain(v) for v in row)
            for row in conn.execute(
                f"SELECT {cols} FROM erp.{table} ORDER BY {', '.join(TABLES[table].primary_key)}"
            )
        ]


def _rows_sqlite(path: Path, table: str) -> list[tuple]:
    cols = ", ".join(TABLES[table].column_names)
    with sqlite3.connect(path) as conn:
        return [
            tuple(_plain(v) for v in row)
            for row in conn.execute(
                f"SELECT {cols} FROM {table} ORDER BY {', '.join(TABLES[table].primary_key)}"
            )
        ]


def _plain(value: object) -> object:
    return None if value is None else str(value)


def test_postgres_erp_matches_sqlite(pg_url: str, xs_dataset: Path, tmp_path: Path) -> None:
    generate(GenerateOptions(out=tmp_path / "pg", scale=ScaleName.xs, seed=42, erp_url=pg_url))
    assert not (tmp_path / "pg" / "erp.sqlite").exists()
    for table in TABLES:
        expected = _rows_sqlite(xs_dataset / "erp.sqlite", table)
        assert expected, table
        got = _rows_pg(pg_url, table)
        assert len(got) == len(expected), table
        for a, b in zip(got, expected, strict=True):
            assert [_norm(x) for x in a] == [_norm(x) for x in b], (table, a, b)


def _norm(value: object) -> object:
    if value is None:
        return None
    try:
        return round(float(value), 6)  # NUMERIC vs REAL text forms differ; the values must not
    except ValueError:
        return value


def test_interrupted_write_keeps_previous_erp(pg_url: str, tmp_path: Path) -> None:
    generate(GenerateOptions(out=tmp_path / "first", scale=ScaleName.xs, seed=5, erp_url=pg_url))
    before = _rows_pg(pg_url, "stores")

    def explode(done: int, total: int, counts: dict[str, int]) -> None:
        if done > 200:
            raise RuntimeError("simulated crash mid-generation")

    with pytest.raises(RuntimeError, match="simulated crash"):
        generate(
            GenerateOptions(out=tmp_path / "second", scale=ScaleName.xs, seed=6, erp_url=pg_url), explode
        )
    assert _rows_pg(pg_url, "stores") == before
    assert not (tmp_path / "second").exists()
    with psycopg.connect(pg_url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT schema_name FROM information_schema.schemata")}
    assert "erp__loading" not in schemas
