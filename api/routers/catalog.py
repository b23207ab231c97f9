"""Stores (within the key's regions) and products: what the other endpoints' codes refer to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from api.deps import (
    PRINTABLE,
    Caller,
    CategoryName,
    Db,
    Filters,
    Paging,
    RegionCode,
    paged,
    require_region,
)
from api.schemas import Product, ProductPage, Store, StorePage

router = APIRouter(tags=["catalog"])
STORE_COLUMNS = (
    "store_code, store_name, region_code, region_name, city, state, store_type, size_sqm, latitude, "
    "longitude, open_date"
)
PRODUCT_COLUMNS = (
    "product_code, product_name, category, subcategory, brand, supplier_code, supplier_name, list_price, "
    "unit_cost, case_pack, lead_time_days, launch_date, discontinued_date, is_discontinued"
)
Code = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]


@router.get("/stores", response_model=StorePage, summary="Stores in the key's regions")
def stores(
    key: Caller,
    db: Db,
    window: Paging,
    region: RegionCode = None,
) -> dict[str, object]:
    require_region(key, region)
    filters = Filters().equal("region_code", region).regions("region_code", key)
    select = f"select {STORE_COLUMNS} from {db.schema}.dim_store {filters.sql}"
    return paged(db, select, "store_code", filters.params, window, ["dim_store"])


@router.get("/stores/{store_code}", response_model=Store, summary="One store")
def store(key: Caller, db: Db, store_code: Code) -> dict[str, object]:
    filters = Filters().equal("store_code", store_code).regions("region_code", key)
    rows = db.rows(
        f"select {STORE_COLUMNS} from {db.schema}.dim_store {filters.sql}", filters.params, ["dim_store"]
    )
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown store {store_code!r}")
    return rows[0]


@router.get("/products", response_model=ProductPage, summary="Products")
def products(
    key: Caller,
    db: Db,
    window: Paging,
    category: CategoryName = None,
) -> dict[str, object]:
    filters = Filters().equal("category", category)
    select = f"select {PRODUCT_COLUMNS} from {db.schema}.dim_product {filters.sql}"
    return paged(db, select, "product_code", filters.params, window, ["dim_product"])


@router.get("/products/{product_code}", response_model=Product, summary="One product")
def product(key: Caller, db: Db, product_code: Code) -> dict[str, object]:
    sql = f"select {PRODUCT_COLUMNS} from {db.schema}.dim_product where product_code = ?"
    rows = db.rows(sql, [product_code], ["dim_product"])
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown product {product_code!r}")
    return rows[0]
