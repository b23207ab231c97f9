"""The Redshift target: the whole project compiles with dbt-redshift (its driver, its introspection) against
PostgreSQL as the stand-in, and the lake's export for `COPY … FORMAT AS PARQUET` holds exactly each Delta
table's current rows, with a manifest COPY can read and the load statements the run-operation issues."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from shelfcast.config import Settings, WarehouseTarget
from shelfcast.dbt import load_lake_into_redshift, redshift_load_operation, run_dbt
from shelfcast.errors import ShelfcastError
from shelfcast.redshift import export_lake_for_redshift, s3_url
from shelfcast.warehouse import lake_tables
from tests.dbt.conftest import warehouse_settings
from tests.redshift_wire import RedshiftWireRelay
from tests.support import LandedLake
from tests.synthetic.test_erp_postgres import pg_url  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres]

# no "shelfcast" in it: dbt masks the secret password (here "shelfcast") wherever it appears in output
ROLE = "arn:aws:iam::123456789012:role/lake-copy"


@pytest.fixture(scope="module")
def redshift_env(pg_url: str) -> Iterator[dict[str, str]]:  # noqa: F811 - the fixture
    """The redshift profile's variables, pointing at the relay in front of the local PostgreSQL, on a
    database of its own: a fresh warehouse whatever the other tests left in theirs (dbt-redshift's
    catalog queries call Redshift-only functions once a source's schema exists, e.g. `ml` after a
    forecast on PostgreSQL)."""
    import psycopg

    url = urlparse(pg_url)
    database = f"shelfcast_redshift_{secrets.token_hex(4)}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"create database {database}")
    relay = RedshiftWireRelay(url.hostname or "127.0.0.1", url.port or 5432)
    try:
        yield {
            "REDSHIFT_HOST": "127.0.0.1",
            "REDSHIFT_PORT": str(relay.port),
            # scripts/postgres.sh creates this md5-authenticated role for dbt-redshift's driver
            "REDSHIFT_USER": "shelfcast_redshift",
            "DBT_ENV_SECRET_REDSHIFT_PASSWORD": url.password or "",
            "REDSHIFT_DATABASE": database,
            "REDSHIFT_SSLMODE": "disable",
        }
    finally:
        relay.close()
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"drop database if exists {database} with (force)")


def local(url: str) -> Path:
    """A manifest URL of the local test lake (Hadoop writes file:/…) as a path."""
    return Path(url.removeprefix("file:"))


def _redshift_settings(settings: Settings, data_dir: Path) -> Settings:
    return settings.model_copy(update={"data_dir": data_dir, "warehouse_target": WarehouseTarget.redshift})


def test_project_compiles_on_redshift(
    redshift_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in redshift_env.items():
        monkeypatch.setenv(key, value)
    settings = _redshift_settings(Settings(), tmp_path)
    result = run_dbt(settings, ["compile"])
    compiled = tmp_path / "dbt" / "redshift" / "target" / "compiled" / "shelfcast" / "dbt_project" / "models"
    models = {path.stem for path in compiled.rglob("*.sql") if path.parent.name != "__sources.yml"}
    assert {"fct_daily_sales", "mart_kpi_daily", "int_sales__features", "dim_date"} <= models
    assert result.nodes > 200
    # fresh warehouse: the incremental fact compiles as its first, full build
    assert "delete from" not in (compiled / "marts" / "fct_daily_sales.sql").read_text().lower()


@pytest.mark.spark
def test_lake_export_holds_each_tables_current_rows(
    spark, landed: LandedLake, redshift_env: dict[str, str], tmp_path: Path, monkeypatch, capfd
) -> None:
    settings = warehouse_settings(landed, tmp_path)
    lines: list[str] = []
    loads = export_lake_for_redshift(spark, settings, lines.append)
    tables = lake_tables(settings)
    assert {load.table for load in loads} == set(tables)
    for load in loads:
        delta = DeltaTable(tables[load.table])
        assert load.version == delta.version()
        manifest = json.loads(local(load.manifest).read_text())
        files = [local(entry["url"]) for entry in manifest["entries"]]
        assert files, load.table
        for entry, file in zip(manifest["entries"], files, strict=True):
            assert entry["mandatory"] is True
            assert entry["meta"]["content_length"] == file.stat().st_size
        exported = pq.ParquetDataset(files).read()
        current = delta.to_pyarrow_table()
        assert exported.num_rows == current.num_rows == load.rows, load.table
        # the partition column lives in folder names in the lake; COPY needs it inside the files
        assert sorted(exported.column_names) == sorted(current.column_names)
        assert [name for name, _ in load.columns] == exported.column_names
    stores = next(load for load in loads if load.table == "erp_stores")
    exported = pq.ParquetDataset(
        [local(e["url"]) for e in json.loads(local(stores.manifest).read_text())["entries"]]
    ).read()
    current = DeltaTable(tables["erp_stores"]).to_pyarrow_table().select(exported.column_names)
    key = [("store_code", "ascending"), ("business_date", "ascending")]
    assert exported.sort_by(key).to_pylist() == current.sort_by(key).to_pylist()

    # unchanged tables are not exported again
    again: list[str] = []
    assert export_lake_for_redshift(spark, settings, again.append) == loads
    assert all("reused" in line for line in again)

    # the statements the run-operation issues, printed instead of run
    for key_name, value in redshift_env.items():
        monkeypatch.setenv(key_name, value)
    redshift = _redshift_settings(settings, tmp_path)
    capfd.readouterr()
    run_dbt(redshift, redshift_load_operation(loads, ROLE, dry_run=True))
    printed = capfd.readouterr().out
    statements = [line.strip() for line in printed.splitlines() if line.strip().endswith(";")]
    expected = ["create schema if not exists lake;"]
    for load in loads:
        loading = f'lake."{load.table}__loading"'
        columns = ", ".join(f'"{name}" {kind}' for name, kind in load.columns)
        expected += [
            "begin;",
            f"drop table if exists {loading};",
            f"create table {loading} ({columns});",
            f"copy {loading} from '{load.manifest}' iam_role '{ROLE}' format as parquet manifest;",
            f'drop table if exists lake."{load.table}" cascade;',
            f'alter table {loading} rename to "{load.table}";',
            "commit;",
        ]
    assert statements == expected

    with pytest.raises(
        ShelfcastError, match=r"run-operation failed: operation macro\.shelfcast\.load_lake_into_redshift"
    ):
        run_dbt(redshift, redshift_load_operation(loads, "", dry_run=True))
    captured = capfd.readouterr()
    assert "no IAM role given" in captured.out + captured.err


def test_s3a_objects_are_named_for_copy() -> None:
    assert s3_url("s3a://bucket/lake/export/x.json") == "s3://bucket/lake/export/x.json"
    assert s3_url("s3://bucket/x") == "s3://bucket/x"


def test_redshift_load_refuses_a_lake_off_s3_or_without_a_role(tmp_path: Path) -> None:
    local = Settings(data_dir=tmp_path, warehouse_target=WarehouseTarget.redshift, redshift_iam_role=ROLE)
    with pytest.raises(ShelfcastError, match="Redshift loads the lake from S3"):
        load_lake_into_redshift(local)
    on_s3 = local.model_copy(update={"lake_uri": "s3a://bucket/lake", "redshift_iam_role": None})
    with pytest.raises(ShelfcastError, match="no IAM role"):
        load_lake_into_redshift(on_s3)
