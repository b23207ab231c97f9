"""The KPI marts against pandas reading the generator's own output: the POS CSV files in each store's
dialect (delimiter, encoding, decimal comma) and the ERP's SQLite file, with no lake, Spark or dbt code in
between. The retailer is generated without dirt, so every raw line must be counted exactly once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ingestion.run import SourceName, ingest
from shelfcast.dbt import build_warehouse
from shelfcast.warehouse import duckdb_path
from tests.dbt.conftest import query
from tests.support import lake_settings, start_rest_server

pytestmark = [pytest.mark.spark, pytest.mark.extended]


@pytest.fixture(scope="module")
def clean_warehouse(
    spark, clean_xs_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    server = start_rest_server(clean_xs_dataset)
    try:
        settings = lake_settings(tmp_path_factory.mktemp("clean-warehouse"), clean_xs_dataset, server.port)
        report = ingest(spark, settings, list(SourceName), None, print)
    finally:
        server.stop()
    assert report.failures == []
    build_warehouse(settings)
    yield duckdb_path(settings)


def raw_pos_lines(sources: Path) -> pd.DataFrame:
    manifest = json.loads((sources / "manifest.json").read_text())
    frames = []
    for store, dialect in manifest["pos_dialects"].items():
        for file in sorted(sources.glob(f"pos/*/pos_{store}_*.csv")):
            frame = pd.read_csv(
                file,
                sep=dialect["delimiter"],
                encoding=dialect["encoding"],
                decimal="," if dialect["decimal_comma"] else ".",
                dtype={"transaction_id": str, "store_code": str, "product_code": str},
                usecols=["transaction_id", "store_code", "product_code", "quantity", "line_amount"],
            )
            frame["day"] = pd.Timestamp(file.parent.name)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def raw_sales(sources: Path) -> pd.DataFrame:
    with sqlite3.connect(sources / "erp.sqlite") as erp:
        products = pd.read_sql("select product_code, category from products", erp)
        stores = pd.read_sql("select store_code, region_code from stores", erp)
    lines = raw_pos_lines(sources)
    sales = lines.merge(products, on="product_code", how="left").merge(stores, on="store_code", how="left")
    assert sales["category"].notna().all() and sales["region_code"].notna().all()
    return sales


def as_days(values: pd.Index) -> pd.Index:
    return pd.DatetimeIndex(pd.to_datetime(values)).astype("datetime64[ns]")


def test_kpi_marts_match_pandas_over_the_raw_files(clean_warehouse: Path, clean_xs_dataset: Path) -> None:
    sales = raw_sales(clean_xs_dataset)
    manifest = json.loads((clean_xs_dataset / "manifest.json").read_text())
    assert len(sales) == manifest["counts"]["pos_rows"]

    expected = (
        sales.groupby(["region_code", "category"])
        .agg(revenue=("line_amount", "sum"), units=("quantity", "sum"))
        .sort_index()
    )
    daily = query(
        clean_warehouse,
        "select region_code, category, sum(revenue) as revenue, sum(units) as units "
        "from mart_kpi_daily group by all",
    ).set_index(["region_code", "category"])
    pd.testing.assert_frame_equal(
        daily.sort_index().astype(float), expected.astype(float), rtol=1e-9, check_names=False
    )

    # per day and region: revenue, orders (an order is one transaction id) and average order value
    per_day = sales.groupby(["day", "region_code"]).agg(
        revenue=("line_amount", "sum"), orders=("transaction_id", "nunique")
    )
    per_day["average_order_value"] = per_day["revenue"] / per_day["orders"]
    mart_day = query(
        clean_warehouse,
        "select date_day as day, region_code, sum(revenue) as revenue, sum(orders) as orders, "
        "sum(revenue) / sum(orders) as average_order_value "
        "from mart_kpi_daily group by all having sum(order_lines) > 0",
    ).set_index(["day", "region_code"])
    mart_day.index = mart_day.index.set_levels(as_days(mart_day.index.levels[0]), level=0)
    per_day.index = per_day.index.set_levels(as_days(per_day.index.levels[0]), level=0)
    pd.testing.assert_frame_equal(
        mart_day.sort_index().astype(float), per_day.sort_index().astype(float), rtol=1e-9, check_names=False
    )

    # monthly mart: revenue per month and category
    sales["month"] = sales["day"].dt.to_period("M").dt.to_timestamp()
    per_month = sales.groupby(["month", "category"])["line_amount"].sum().sort_index()
    mart_month = query(
        clean_warehouse,
        "select period_start as month, category, sum(revenue) as line_amount "
        "from mart_kpi_monthly group by all",
    ).set_index(["month", "category"])["line_amount"]
    mart_month.index = mart_month.index.set_levels(as_days(mart_month.index.levels[0]), level=0)
    per_month.index = per_month.index.set_levels(as_days(per_month.index.levels[0]), level=0)
    pd.testing.assert_series_equal(
        mart_month.sort_index().astype(float), per_month.astype(float), rtol=1e-9, check_names=False
    )
