{{ config(materialized='table') }}

{#- Lags and rolling means read only days strictly before the row's day, so a model trained on a row never
    sees its own target; calendar, price list, promotions and weather are known (or forecast) in advance. -#}

with

daily_sales as (

    select * from {{ ref('int_sales__daily_by_store_product') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

product_prices as (

    {{ latest_extract(ref('stg_erp__product_prices')) }}

),

promotions as (

    select * from {{ ref('stg_api__promotions') }}

),

weather as (

    select * from {{ ref('stg_api__weather') }}

),

inventory as (

    select * from {{ ref('stg_inventory__inventory_snapshots') }}

),

series as (

    select
        store_code,
        product_code,
        min(sold_on) as first_day

    from daily_sales
    group by store_code, product_code

),

sales_end as (

    select max(sold_on) as last_day
    from daily_sales

),

-- every day from a series' first sale to the end of the data: a day without sales is a zero
series_days as (

    select
        series.store_code,
        series.product_code,
        calendar.date_day,
        calendar.iso_day_of_week,
        calendar.calendar_month,
        calendar.day_of_month,
        calendar.is_weekend,
        calendar.is_holiday

    from series

    cross join sales_end

    inner join calendar
        on calendar.date_day between series.first_day and sales_end.last_day

),

active_promotions as (

    select
        series_days.store_code,
        series_days.product_code,
        series_days.date_day,
        max(promotions.discount_pct) as promo_discount_pct

    from series_days

    inner join stores
        on series_days.store_code = stores.store_code

    inner join promotions
        on
            series_days.product_code = promotions.product_code
            and stores.region_code = promotions.region_code
            and series_days.date_day between promotions.start_date and promotions.end_date

    group by series_days.store_code, series_days.product_code, series_days.date_day

),

joined as (

    select
        series_days.*,
        stores.region_code,
        stores.store_type,
        products.category,
        weather.temperature_c,
        weather.precipitation_mm,
        inventory.on_hand_units,
        coalesce(daily_sales.net_units, 0) as units,
        coalesce(daily_sales.net_units_excluding_outliers, 0) as demand_units,
        coalesce(daily_sales.revenue, 0) as revenue,
        coalesce(product_prices.list_price, products.list_price) as list_price,
        coalesce(active_promotions.promo_discount_pct, 0) as promo_discount_pct,
        active_promotions.promo_discount_pct is not null as is_promoted,
        coalesce(inventory.on_hand_units = 0, false) as is_stockout

    from series_days

    inner join stores
        on series_days.store_code = stores.store_code

    inner join products
        on series_days.product_code = products.product_code

    left join daily_sales
        on
            series_days.store_code = daily_sales.store_code
            and series_days.product_code = daily_sales.product_code
            and series_days.date_day = daily_sales.sold_on

    left join product_prices
        on
            series_days.product_code = product_prices.product_code
            and series_days.date_day >= product_prices.valid_from
            and (product_prices.valid_to is null or series_days.date_day <= product_prices.valid_to)

    left join active_promotions
        on
            series_days.store_code = active_promotions.store_code
            and series_days.product_code = active_promotions.product_code
            and series_days.date_day = active_promotions.date_day

    left join weather
        on
            stores.city = weather.city
            and stores.state = weather.state
            and series_days.date_day = weather.weather_date

    left join inventory
        on
            series_days.store_code = inventory.store_code
            and series_days.product_code = inventory.product_code
            and series_days.date_day = inventory.snapshot_date

),

lagged as (

    select
        *,
        {{ units_windows() }},
        cast(row_number() over (partition by store_code, product_code order by date_day) - 1 as integer)
            as days_since_first_sale

    from joined

),

final as (

    select
        {{ dbt.concat([
            "store_code", "'|'", "product_code", "'|'", "cast(date_day as " ~ dbt.type_string() ~ ")"
        ]) }} as feature_row_id,
        store_code,
        product_code,
        region_code,
        category,
        store_type,
        date_day,
        units,
        demand_units,
        cast(demand_units as {{ type_double() }}) as demand,
        revenue,
        iso_day_of_week,
        calendar_month,
        day_of_month,
        is_weekend,
        is_holiday,
        list_price,
        promo_discount_pct,
        is_promoted,
        temperature_c,
        precipitation_mm,
        on_hand_units,
        is_stockout,
        units_lag_7,
        units_lag_14,
        units_lag_28,
        units_lag_364,
        units_mean_7,
        units_mean_28,
        days_since_first_sale

    from lagged

)

select * from final
