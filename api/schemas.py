"""Response bodies: the OpenAPI page documents them, and every answer is validated against them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """The warehouse stores times as UTC without a zone; answers carry it (RFC 3339 needs an offset)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(_in_utc)]


class Problem(BaseModel):
    detail: str = Field(description="What is wrong, naming the key, region, store or product concerned")


class Unavailable(Problem):
    hint: str = Field(description="What builds the missing warehouse or mart")


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable when the warehouse or a mart is missing")
    warehouse: str = Field(description="The warehouse target served: duckdb or postgres")
    updated_at: UtcDateTime | None = Field(None, description="When the DuckDB warehouse was last published")
    missing: list[str] = Field(default_factory=list, description="Marts the API reads that are absent")


class Store(BaseModel):
    store_code: str
    store_name: str | None
    region_code: str
    region_name: str | None
    city: str | None
    state: str | None
    store_type: str | None
    size_sqm: int | None
    latitude: float | None
    longitude: float | None
    open_date: dt.date | None


class Product(BaseModel):
    product_code: str
    product_name: str | None
    category: str | None
    subcategory: str | None
    brand: str | None
    supplier_code: str | None
    supplier_name: str | None
    list_price: float | None
    unit_cost: float | None
    case_pack: int | None
    lead_time_days: int | None
    launch_date: dt.date | None
    discontinued_date: dt.date | None
    is_discontinued: bool | None


class Kpi(BaseModel):
    period_start: dt.date = Field(description="The day, or the first day of the week (Monday) or month")
    group: str | None = Field(description="The region, store or category of the row (group_by); null: all")
    revenue: float
    gross_margin: float
    cost_of_goods: float
    units: int
    orders: float = Field(description="Orders, an order split across the categories of its lines")
    order_lines: int
    gross_margin_rate: float | None
    average_order_value: float | None
    units_per_order: float | None
    revenue_last_year: float | None = Field(
        description="Revenue of the same period a year earlier; null where the data does not go back a year"
    )
    revenue_growth_yoy: float | None


class BacktestAccuracy(BaseModel):
    """The forecasting model's accuracy over the backtest, at the store × product level."""

    rmsse: float | None
    wape: float | None
    mase: float | None
    mae: float | None
    bias: float | None
    interval_coverage_80: float | None
    interval_coverage_95: float | None


class Forecast(BaseModel):
    store_code: str
    product_code: str
    region_code: str | None
    category: str | None
    forecast_date: dt.date
    days_ahead: int
    forecast_units: float
    forecast_units_lower_80: float
    forecast_units_upper_80: float
    forecast_units_lower_95: float
    forecast_units_upper_95: float
    model_name: str
    forecast_method: str | None
    run_id: str | None
    generated_at: UtcDateTime | None
    backtest: BacktestAccuracy | None


class StockAlert(BaseModel):
    store_code: str
    product_code: str
    region_code: str | None
    alert_type: str = Field(description="stockout_risk or overstock")
    projected_stockout_date: dt.date | None
    days_until_stockout: int | None
    on_hand_units: int | None
    days_of_cover: float | None
    lead_time_days: int | None
    suggested_order_units: int | None


class Recommendation(BaseModel):
    store_code: str
    product_code: str
    region_code: str | None
    snapshot_date: dt.date | None
    has_inventory_position: bool | None
    on_hand_units: int | None
    on_order_units: int | None
    inventory_position_units: int | None
    lead_time_days: int | None
    case_pack: int | None
    mean_daily_forecast_units: float | None
    lead_time_demand_units: float | None
    safety_stock_units: float | None
    reorder_point_units: float | None
    order_up_to_units: float | None
    is_discontinued: bool | None
    needs_order: bool | None
    suggested_order_units: int | None
    days_of_cover: float | None


class PageInfo(BaseModel):
    total: int = Field(description="Rows matching the filters, over every page")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last one")


class StorePage(PageInfo):
    items: list[Store]


class ProductPage(PageInfo):
    items: list[Product]


class KpiPage(PageInfo):
    items: list[Kpi]


class ForecastPage(PageInfo):
    items: list[Forecast]


class StockAlertPage(PageInfo):
    items: list[StockAlert]


class RecommendationPage(PageInfo):
    items: list[Recommendation]
