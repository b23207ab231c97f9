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
from api.keys import ApiKey
from api.schemas import RecommendationPage, StockAlertPage

router = APIRouter(prefix="/inventory", tags=["inventory"])


def scoped(key: ApiKey, store: str | None, product: str | None, region: str | None) -> Filters:
    """The filters both inventory marts take; they carry their store's region, so the key's scope is a
    condition on their own rows."""
    return (
        Filters()
        .equal("store_code", store)
        .equal("product_code", product)
        .equal("region_code", region)
        .regions("region_code", key)
    )


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
    filters = scoped(key, store, product, region).equal("alert_type", alert_type)
    select = f"""
        select
            store_code, product_code, region_code, alert_type, projected_stockout_date, days_until_stockout,
            on_hand_units, days_of_cover, lead_time_days, suggested_order_units
        from {db.schema}.mart_stock_alerts
        {filters.sql}
    """
    # stockouts soonest first, then overstock by most days of cover
    order = (
        "case when alert_type = 'stockout_risk' then 0 else 1 end, days_until_stockout, "
        "days_of_cover desc, store_code, product_code"
    )
    return paged(db, select, order, filters.params, window, ["mart_stock_alerts"])


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
    filters = scoped(key, store, product, region).equal("needs_order", needs_order)
    select = f"""
        select
            store_code, product_code, region_code, snapshot_date, has_inventory_position, on_hand_units,
            on_order_units, inventory_position_units, lead_time_days, case_pack, mean_daily_forecast_units,
            lead_time_demand_units, safety_stock_units, reorder_point_units, order_up_to_units,
            is_discontinued, needs_order, suggested_order_units, days_of_cover
        from {db.schema}.mart_inventory_recommendations
        {filters.sql}
    """
    return paged(
        db, select, "store_code, product_code", filters.params, window, ["mart_inventory_recommendations"]
    )
