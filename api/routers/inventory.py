"""Stock alerts (stockout risk, overstock) and reorder recommendations from the inventory marts, limited to
the stores of the key's regions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import (
    Caller,
    Db,
    Filters,
    Paging,
    ProductCode,
    RegionCode,
    StoreCode,
    paged,
    require_known,
    require_region,
)
from api.schemas import RecommendationPage, StockAlertPage

router = APIRouter(prefix="/inventory", tags=["inventory"])


@router.get("/alerts", response_model=StockAlertPage, summary="Stock alerts, most urgent first")
def alerts(
    key: Caller,
    db: Db,
    window: Paging,
    store: StoreCode = None,
    product: ProductCode = None,
    region: RegionCode = None,
    alert_type: Annotated[Literal["stockout_risk", "overstock"] | None, Query()] = None,
) -> dict[str, object]:
    require_region(key, region)
    require_known(db, key, store=store, product=product)
    filters = (
        Filters()
        .equal("a.store_code", store)
        .equal("a.product_code", product)
        .equal("s.region_code", region)
        .equal("a.alert_type", alert_type)
        .regions("s.region_code", key)
    )
    select = f"""
        select
            a.store_code, a.product_code, s.region_code, a.alert_type, a.projected_stockout_date,
            a.days_until_stockout, a.on_hand_units, a.days_of_cover, a.lead_time_days,
            a.suggested_order_units
        from {db.schema}.mart_stock_alerts as a
        inner join {db.schema}.dim_store as s on s.store_code = a.store_code
        {filters.sql}
    """
    # stockouts soonest first, then overstock by most days of cover
    order = (
        "case when alert_type = 'stockout_risk' then 0 else 1 end, days_until_stockout, "
        "days_of_cover desc, store_code, product_code"
    )
    return paged(db, select, order, filters.params, window, ["mart_stock_alerts", "dim_store"])


@router.get("/recommendations", response_model=RecommendationPage, summary="Reorder recommendations")
def recommendations(
    key: Caller,
    db: Db,
    window: Paging,
    store: StoreCode = None,
    product: ProductCode = None,
    region: RegionCode = None,
    needs_order: Annotated[bool | None, Query(description="Only the lines to order now (true)")] = None,
) -> dict[str, object]:
    require_region(key, region)
    require_known(db, key, store=store, product=product)
    filters = (
        Filters()
        .equal("r.store_code", store)
        .equal("r.product_code", product)
        .equal("s.region_code", region)
        .equal("r.needs_order", needs_order)
        .regions("s.region_code", key)
    )
    select = f"""
        select
            r.store_code, r.product_code, s.region_code, r.snapshot_date, r.has_inventory_position,
            r.on_hand_units, r.on_order_units, r.inventory_position_units, r.lead_time_days, r.case_pack,
            r.mean_daily_forecast_units, r.lead_time_demand_units, r.safety_stock_units,
            r.reorder_point_units, r.order_up_to_units, r.is_discontinued, r.needs_order,
            r.suggested_order_units, r.days_of_cover
        from {db.schema}.mart_inventory_recommendations as r
        inner join {db.schema}.dim_store as s on s.store_code = r.store_code
        {filters.sql}
    """
    return paged(
        db,
        select,
        "store_code, product_code",
        filters.params,
        window,
        ["mart_inventory_recommendations", "dim_store"],
    )
