"""Every dataset the lake holds besides POS lines: its columns' types, key, required columns and rules."""

from __future__ import annotations

from pyspark.sql import functions as F

from ingestion.cleaning.tables import TableSpec

# The ERP is extracted whole; its business date is the extraction date (one snapshot per day).
ERP_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "erp_regions",
            {"region_code": "code", "region_name": "text"},
            ("region_code",),
            ("region_code", "region_name"),
        ),
        TableSpec(
            "erp_stores",
            {
                "store_code": "code",
                "store_name": "text",
                "region_code": "code",
                "city": "text",
                "state": "code",
                "store_type": "text",
                "size_sqm": "int",
                "open_date": "date",
                "latitude": "number",
                "longitude": "number",
            },
            ("store_code",),
            ("store_code", "store_name", "region_code", "city", "open_date"),
            (("invalid_size", lambda: F.col("size_sqm") <= 0),),
        ),
        TableSpec(
            "erp_suppliers",
            {"supplier_code": "code", "supplier_name": "text", "country_code": "code"},
            ("supplier_code",),
            ("supplier_code", "supplier_name"),
        ),
        TableSpec(
            "erp_products",
            {
                "product_code": "code",
                "product_name": "text",
                "category": "text",
                "subcategory": "text",
                "brand": "text",
                "supplier_code": "code",
                "list_price": "money",
                "unit_cost": "money",
                "case_pack": "int",
                "lead_time_days": "int",
                "launch_date": "date",
                "discontinued_date": "date",
            },
            ("product_code",),
            ("product_code", "product_name", "category", "list_price", "unit_cost"),
            (
                ("negative_price", lambda: (F.col("list_price") < 0) | (F.col("unit_cost") < 0)),
                ("discontinued_before_launch", lambda: F.col("discontinued_date") < F.col("launch_date")),
            ),
        ),
        TableSpec(
            "erp_product_prices",
            {
                "product_code": "code",
                "valid_from": "date",
                "valid_to": "date",
                "list_price": "money",
                "unit_cost": "money",
            },
            ("product_code", "valid_from"),
            ("product_code", "valid_from", "list_price", "unit_cost"),
            (
                ("negative_price", lambda: (F.col("list_price") < 0) | (F.col("unit_cost") < 0)),
                ("inverted_validity", lambda: F.col("valid_to") < F.col("valid_from")),
            ),
        ),
        TableSpec(
            "erp_customers",
            {
                "customer_code": "code",
                "segment": "text",
                "loyalty_tier": "text",
                "region_code": "code",
                "signup_date": "date",
            },
            ("customer_code",),
            ("customer_code",),
        ),
        TableSpec(
            "erp_purchase_orders",
            {
                "po_number": "code",
                "store_code": "code",
                "supplier_code": "code",
                "order_date": "date",
                "expected_date": "date",
                "status": "code",
            },
            ("po_number",),
            ("po_number", "store_code", "supplier_code", "order_date"),
        ),
        TableSpec(
            "erp_purchase_order_lines",
            {
                "po_number": "code",
                "line_number": "int",
                "product_code": "code",
                "quantity_ordered": "int",
                "unit_cost": "money",
                "expected_date": "date",
            },
            ("po_number", "line_number"),
            ("po_number", "line_number", "product_code", "quantity_ordered"),
            (("non_positive_quantity", lambda: F.col("quantity_ordered") <= 0),),
        ),
        TableSpec(
            "erp_goods_receipts",
            {
                "receipt_number": "code",
                "po_number": "code",
                "po_line_number": "int",
                "store_code": "code",
                "product_code": "code",
                "received_date": "date",
                "quantity_received": "int",
            },
            ("receipt_number",),
            (
                "receipt_number",
                "po_number",
                "store_code",
                "product_code",
                "received_date",
                "quantity_received",
            ),
            (("negative_quantity", lambda: F.col("quantity_received") < 0),),
        ),
    )
}

INVENTORY = TableSpec(
    "inventory_snapshots",
    {
        "snapshot_date": "date",
        "store_code": "code",
        "product_code": "code",
        "on_hand_units": "int",
        "on_order_units": "int",
    },
    ("store_code", "product_code"),
    ("snapshot_date", "store_code", "product_code", "on_hand_units"),
    (
        ("snapshot_date_mismatch", lambda: F.col("snapshot_date") != F.col("business_date")),
        ("negative_stock", lambda: (F.col("on_hand_units") < 0) | (F.col("on_order_units") < 0)),
    ),
)

# REST resources: the business date is the record's own date column.
API_TABLES: dict[str, tuple[TableSpec, str]] = {
    "promotions": (
        TableSpec(
            "api_promotions",
            {
                "promo_code": "code",
                "product_code": "code",
                "region_code": "code",
                "start_date": "date",
                "end_date": "date",
                "discount_pct": "number",
                "mechanic": "code",
                "name": "text",
            },
            ("promo_code",),
            ("promo_code", "product_code", "start_date", "end_date"),
            (
                ("inverted_dates", lambda: F.col("end_date") < F.col("start_date")),
                (
                    "discount_out_of_range",
                    lambda: (F.col("discount_pct") < 0) | (F.col("discount_pct") > 100),
                ),
            ),
        ),
        "start_date",
    ),
    "holidays": (
        TableSpec(
            "api_holidays",
            {"date": "date", "name": "text", "country_code": "code"},
            ("date", "name"),
            ("date", "name"),
        ),
        "date",
    ),
    "weather": (
        TableSpec(
            "api_weather",
            {
                "city": "text",
                "state": "code",
                "date": "date",
                "temperature_c": "number",
                "precipitation_mm": "number",
            },
            ("city", "state", "date"),
            ("city", "date"),
            (
                (
                    "implausible_temperature",
                    lambda: (F.col("temperature_c") < -60) | (F.col("temperature_c") > 60),
                ),
                ("negative_precipitation", lambda: F.col("precipitation_mm") < 0),
            ),
        ),
        "date",
    ),
}
