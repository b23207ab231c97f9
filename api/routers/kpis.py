"""Sales KPIs per day, week or month from the KPI marts, summed over the filters (and per region, store or
category on request): revenue, gross margin, orders, units, average order value, units per order and
growth over the same period a year before."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import (
    Caller,
    CategoryName,
    Db,
    Filters,
    Paging,
    RegionCode,
    StoreCode,
    paged,
    require_known,
    require_region,
)
from api.schemas import KpiPage

router = APIRouter(tags=["kpis"])
MARTS = {
    "day": ("mart_kpi_daily", "date_day"),
    "week": ("mart_kpi_weekly", "period_start"),
    "month": ("mart_kpi_monthly", "period_start"),
}
GROUPS = {
    "none": "cast(null as varchar)",
    "region": "region_code",
    "store": "store_code",
    "category": "category",
}


@router.get("/kpis", response_model=KpiPage, summary="Sales KPIs per period")
def kpis(
    key: Caller,
    db: Db,
    window: Paging,
    grain: Annotated[Literal["day", "week", "month"], Query(description="Period of each row")] = "day",
    date_from: Annotated[dt.date | None, Query(description="First period (inclusive)")] = None,
    date_to: Annotated[dt.date | None, Query(description="Last period (inclusive)")] = None,
    region: RegionCode = None,
    store: StoreCode = None,
    category: CategoryName = None,
    group_by: Annotated[Literal["none", "region", "store", "category"], Query()] = "none",
) -> dict[str, object]:
    if date_from and date_to and date_from > date_to:
        # the same body as every other invalid parameter
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "date_from"),
                    "msg": f"date_from {date_from} is after date_to {date_to}",
                    "input": str(date_from),
                }
            ]
        )
    require_region(key, region)
    require_known(db, key, store=store, category=category)
    mart, period = MARTS[grain]
    filters = (
        Filters()
        .at_least(period, date_from)
        .at_most(period, date_to)
        .equal("region_code", region)
        .equal("store_code", store)
        .equal("category", category)
        .regions("region_code", key)
    )
    # last year's revenue only where every row summed has it: a partial sum would fake growth
    select = f"""
        select
            {period} as period_start,
            {GROUPS[group_by]} as "group",
            sum(revenue) as revenue,
            sum(gross_margin) as gross_margin,
            sum(cost_of_goods) as cost_of_goods,
            sum(units) as units,
            sum(orders) as orders,
            sum(order_lines) as order_lines,
            case when count(revenue_last_year) = count(*) then sum(revenue_last_year) end as revenue_last_year
        from {db.schema}.{mart}
        {filters.sql}
        group by 1, 2
    """
    page = paged(db, select, 'period_start, "group"', filters.params, window, [mart])
    page["items"] = [_with_ratios(row) for row in page["items"]]
    return page


def _with_ratios(row: dict[str, object]) -> dict[str, object]:
    revenue, orders = float(row["revenue"] or 0), float(row["orders"] or 0)
    last_year = row["revenue_last_year"]
    return row | {
        "gross_margin_rate": float(row["gross_margin"] or 0) / revenue if revenue else None,
        "average_order_value": revenue / orders if orders else None,
        "units_per_order": float(row["units"] or 0) / orders if orders else None,
        "revenue_growth_yoy": revenue / float(last_year) - 1 if last_year else None,
    }
