"""Store × product forecasts with their 80 % and 95 % intervals, the model that made them and that model's
backtest accuracy at the same level: a planner sees how far to trust each number beside it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import (
    Caller,
    CategoryName,
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
from api.schemas import ForecastPage

router = APIRouter(tags=["forecasts"])
ACCURACY = ("rmsse", "wape", "mase", "mae", "bias", "interval_coverage_80", "interval_coverage_95")


@router.get("/forecasts", response_model=ForecastPage, summary="Forecasts per store, product and day")
def forecasts(
    key: Caller,
    db: Db,
    window: Paging,
    store: StoreCode = None,
    product: ProductCode = None,
    region: RegionCode = None,
    category: CategoryName = None,
    horizon: Annotated[int | None, Query(ge=1, le=366, description="Days ahead, at most")] = None,
) -> dict[str, object]:
    require_region(key, region)
    require_known(db, key, store=store, product=product, category=category)
    filters = (
        Filters()
        .equal("f.store_code", store)
        .equal("f.product_code", product)
        .equal("f.region_code", region)
        .equal("f.category", category)
        .at_most("f.days_ahead", horizon)
        .regions("f.region_code", key)
    )
    select = f"""
        select
            f.store_code, f.product_code, f.region_code, f.category, f.forecast_date, f.days_ahead,
            f.forecast_units, f.forecast_units_lower_80, f.forecast_units_upper_80,
            f.forecast_units_lower_95, f.forecast_units_upper_95, f.model_name, f.forecast_method,
            f.run_id, f.generated_at,
            {", ".join(f"a.{column}" for column in ACCURACY)}
        from {db.schema}.fct_sales_forecast as f
        left join {db.schema}.mart_forecast_accuracy as a
            on a.model_name = f.model_name and a.forecast_level = 'series' and a.horizon_days = 'all'
        {filters.sql}
    """
    page = paged(
        db,
        select,
        "store_code, product_code, forecast_date",
        filters.params,
        window,
        ["fct_sales_forecast", "mart_forecast_accuracy"],
    )
    page["items"] = [_nested(row) for row in page["items"]]
    return page


def _nested(row: dict[str, object]) -> dict[str, object]:
    accuracy = {column: row.pop(column) for column in ACCURACY}
    return row | {"backtest": accuracy if any(v is not None for v in accuracy.values()) else None}
