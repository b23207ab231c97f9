"""`dbt build` on the embedded DuckDB target over the landed xs lake: every model and test passes, the KPI
mart matches an independent pandas computation from the lake, incremental facts equal a full rebuild, and
a failed build leaves the published warehouse untouched; the docs describe every model and column."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from deltalake import DeltaTable

from ingestion.run import SourceName, ingest
from shelfcast.dbt import build_warehouse, generate_docs
from shelfcast.errors import ShelfcastError
from shelfcast.warehouse import duckdb_path
from tests.dbt.conftest import BuiltWarehouse, query, warehouse_settings

pytestmark = pytest.mark.spark


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["business_date"] == frame["business_date"].max()]


def lake_sales(lake: str) -> pd.DataFrame:
    """Clean POS lines with the product's category and the store's region, straight from the Delta lake."""
    lines = DeltaTable(f"{lake}/clean/pos_lines").to_pandas()
    products = latest(DeltaTable(f"{lake}/clean/erp_products").to_pandas())[["product_code", "category"]]
    stores = latest(DeltaTable(f"{lake}/clean/erp_stores").to_pandas())[["store_code", "region_code"]]
    return lines.merge(products, on="product_code").merge(stores, on="store_code")


def test_build_passes_every_model_and_test(warehouse: BuiltWarehouse) -> None:
    assert warehouse.result.failures == []
    assert warehouse.result.nodes > 50
    tables = set(query(warehouse.path, "select table_name from information_schema.tables")["table_name"])
    assert {
        "dim_date",
        "dim_store",
        "dim_product",
        "fct_order_lines",
        "fct_daily_sales",
        "mart_kpi_daily",
    } <= tables
    assert not Path(f"{warehouse.path}.wal").exists()


def test_the_test_status_mart_lists_every_test_of_the_published_build(warehouse: BuiltWarehouse) -> None:
    manifest = json.loads(
        (warehouse.settings.data_dir / "dbt" / "duckdb" / "target" / "manifest.json").read_text()
    )
    data_tests = {k for k, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    status = query(warehouse.path, "select test_id, test_kind, status, model_name from mart_dbt_test_status")
    assert set(status.loc[status["test_kind"] == "data", "test_id"]) == data_tests
    assert set(status.loc[status["test_kind"] == "unit", "test_id"]) == set(manifest["unit_tests"])
    # published only when it passed: warnings at most
    assert set(status["status"]) <= {"pass", "warn"} and status["model_name"].ne("").all()


def test_kpis_match_an_independent_computation(warehouse: BuiltWarehouse) -> None:
    sales = lake_sales(warehouse.settings.lake)
    sales["line_amount"] = sales["line_amount"].astype(float)
    expected = (
        sales.groupby(["region_code", "category"])
        .agg(revenue=("line_amount", "sum"), units=("quantity", "sum"))
        .sort_index()
    )
    mart = (
        query(
            warehouse.path,
            "select region_code, category, sum(revenue) as revenue, sum(units) as units "
            "from mart_kpi_daily group by all",
        )
        .set_index(["region_code", "category"])
        .sort_index()
    )
    pd.testing.assert_frame_equal(
        mart.astype(float), expected.astype(float), check_exact=False, rtol=1e-9, check_names=False
    )

    # orders and average order value per region: an order belongs to one store, so counts are exact
    per_region = sales.groupby("region_code").agg(
        revenue=("line_amount", "sum"), orders=("transaction_id", "nunique")
    )
    per_region["aov"] = per_region["revenue"] / per_region["orders"]
    mart_region = query(
        warehouse.path,
        "select region_code, sum(orders) as orders, sum(revenue) / sum(orders) as aov "
        "from mart_kpi_daily group by all",
    ).set_index("region_code")
    assert mart_region["orders"].round(6).tolist() == per_region.loc[mart_region.index, "orders"].tolist()
    assert mart_region["aov"].to_numpy() == pytest.approx(per_region.loc[mart_region.index, "aov"].to_numpy())


def test_rolling_and_year_over_year_windows_count_days(warehouse: BuiltWarehouse) -> None:
    sales = lake_sales(warehouse.settings.lake)
    sales["line_amount"] = sales["line_amount"].astype(float)
    daily = sales.groupby(["store_code", "category", "transaction_date"])["line_amount"].sum()
    row = query(
        warehouse.path,
        "select * from mart_kpi_daily where revenue_last_year is not null and revenue > 0 "
        "order by date_day desc, store_code, category limit 1",
    ).iloc[0]
    key = (row["store_code"], row["category"])
    day = row["date_day"].date()

    def revenue_between(first: dt.date, last: dt.date) -> float:
        series = daily.loc[key]
        return float(series[(series.index >= first) & (series.index <= last)].sum())

    assert row["revenue_7d"] == pytest.approx(revenue_between(day - dt.timedelta(6), day))
    assert row["revenue_28d"] == pytest.approx(revenue_between(day - dt.timedelta(27), day))
    last_year = day - dt.timedelta(364)
    assert row["revenue_last_year"] == pytest.approx(revenue_between(last_year, last_year))


def fact_digest(path: Path) -> dict[str, tuple[int, str]]:
    digests = {}
    for table, key in (("fct_order_lines", "order_line_id"), ("fct_orders", "order_id")):
        frame = query(path, f"select * exclude (ingested_at) from {table} order by {key}")
        digests[table] = (len(frame), hashlib.sha256(pd.util.hash_pandas_object(frame).values).hexdigest())
    return digests


def test_incremental_facts_equal_a_full_rebuild(
    warehouse: BuiltWarehouse, landed, spark, tmp_path: Path
) -> None:
    settings = warehouse_settings(landed, tmp_path)
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, duckdb_path(settings))
    before = fact_digest(duckdb_path(settings))

    build_warehouse(settings)  # nothing new landed: the facts stay exactly as they were
    assert fact_digest(duckdb_path(settings)) == before

    day = query(warehouse.path, "select max(sold_on) as d from fct_order_lines")["d"][0].date()
    loaded_sql = f"select max(ingested_at) as t from fct_order_lines where sold_on = date '{day}'"
    loaded_before = query(duckdb_path(settings), loaded_sql)["t"][0]
    assert ingest(spark, landed.settings, [SourceName.pos], [day], print).failures == []
    build_warehouse(settings)  # the relanded day is rebuilt from its new batch, replacing, not adding
    assert query(duckdb_path(settings), loaded_sql)["t"][0] > loaded_before
    assert fact_digest(duckdb_path(settings)) == before

    build_warehouse(settings, full_refresh=True)
    assert fact_digest(duckdb_path(settings)) == before


def test_a_failed_build_publishes_nothing(warehouse: BuiltWarehouse, landed, tmp_path: Path) -> None:
    settings = warehouse_settings(landed, tmp_path).model_copy(
        update={"lake_uri": str(tmp_path / "empty-lake")}
    )
    published = duckdb_path(settings)
    published.parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, published)
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    with pytest.raises(ShelfcastError, match=r"dbt source freshness failed: source \w+\.\w+: runtime error"):
        build_warehouse(settings)
    assert hashlib.sha256(published.read_bytes()).hexdigest() == digest
    assert not published.with_suffix(".building.duckdb").exists()


def test_a_lake_table_that_changed_shape_stops_the_build(
    warehouse: BuiltWarehouse, landed, spark, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(landed.settings.lake, lake)
    spark.sql(f"alter table delta.`{lake}/clean/api_holidays` add columns (holiday_type string)")
    settings = warehouse_settings(landed, tmp_path).model_copy(update={"lake_uri": str(lake)})
    published = duckdb_path(settings)
    published.parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, published)
    with pytest.raises(ShelfcastError, match=r"build failed: test api_holidays_has_lake_columns") as error:
        build_warehouse(settings)
    assert "changed shape: new column(s) holiday_type" in error.value.message


def test_docs_describe_every_model_and_column(warehouse: BuiltWarehouse) -> None:
    index = generate_docs(warehouse.settings)
    assert index.is_file()
    manifest = json.loads((index.parent / "manifest.json").read_text())
    catalog = json.loads((index.parent / "catalog.json").read_text())
    undocumented = []
    for key, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        if not node["description"].strip():
            undocumented.append(node["name"])
        # every column the warehouse really has, not only those the YAML lists
        for column in catalog["nodes"][key]["columns"]:
            if not node["columns"].get(column.lower(), {}).get("description", "").strip():
                undocumented.append(f"{node['name']}.{column}")
    assert undocumented == []
    assert "mart_kpi_daily" in {n["name"] for n in manifest["nodes"].values()}
    # the docs read a copy: the published warehouse is neither locked nor changed
    duckdb.connect(str(warehouse.path)).close()
