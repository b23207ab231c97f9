"""ERP, inventory and REST datasets land whole and reconcile; counts equal what the generator wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone

pytestmark = pytest.mark.spark


def audit_totals(spark, landed, dataset: str) -> dict:
    audit = Lake(landed.settings.lake).read(spark, Zone.audit, "batches").where(F.col("dataset") == dataset)
    rows = [r.asDict() for r in audit.collect()]
    assert rows and all(r["reconciled"] for r in rows), dataset
    return {k: sum(r[k] for r in rows) for k in ("rows_in", "rows_clean", "rows_quarantined")}


@pytest.mark.parametrize(
    ("dataset", "count_key"),
    [
        ("erp_stores", "stores"),
        ("erp_products", "products"),
        ("erp_customers", "customers"),
        ("erp_suppliers", "suppliers"),
        ("erp_purchase_orders", "purchase_orders"),
        ("erp_purchase_order_lines", "purchase_order_lines"),
        ("erp_goods_receipts", "goods_receipts"),
        ("inventory_snapshots", "inventory_rows"),
        ("api_promotions", "api_promotions"),
        ("api_holidays", "api_holidays"),
        ("api_weather", "api_weather"),
    ],
)
def test_dataset_lands_every_row_clean(spark, landed, xs_dataset: Path, dataset: str, count_key: str) -> None:
    expected = json.loads((xs_dataset / "manifest.json").read_text(encoding="utf-8"))["counts"][count_key]
    totals = audit_totals(spark, landed, dataset)
    assert totals == {"rows_in": expected, "rows_clean": expected, "rows_quarantined": 0}
    clean = Lake(landed.settings.lake).read(spark, Zone.clean, dataset)
    assert clean.count() == expected


def test_clean_types_are_business_types(spark, landed) -> None:
    lake = Lake(landed.settings.lake)
    products = dict(lake.read(spark, Zone.clean, "erp_products").dtypes)
    assert products["list_price"] == "decimal(12,2)" and products["launch_date"] == "date"
    lines = dict(lake.read(spark, Zone.clean, "pos_lines").dtypes)
    assert lines["transaction_ts"] == "timestamp" and lines["quantity"] == "int"
    assert lines["unit_price"] == "decimal(12,2)" and lines["business_date"] == "date"
    weather = dict(lake.read(spark, Zone.clean, "api_weather").dtypes)
    assert weather["temperature_c"] == "double"


def test_report_has_no_failures(landed) -> None:
    assert landed.report.failures == []
