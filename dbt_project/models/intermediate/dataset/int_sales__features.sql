{{ config(materialized='table') }}

{#- A landed dataset's version of int_sales__features (same name, columns and types; dbt_project.yml enables
    one or the other). One row per series and period of the data's grain (var dataset_period_days: every
    7th day from the series' first at a weekly grain). `demand` is the mapping's measure: net units, or net
    revenue when the data has no units. Windows are in days turned into periods (macro units_windows). A
    dataset has no weather, price list or stock: null. -#}

{%- set period_days = var('dataset_period_days') | int -%}

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

-- a store's day a row marks closed (is_open = false) is not a day without sales: it is left out, unknown
closed_days as (

    select distinct
        store_code,
        sold_on

    from {{ ref('stg_dataset__sales') }}
    where not is_open

),

series as (

    select
        store_code,
        product_code,
        min(sold_on) as first_day,
        count(net_units) > 0 as has_units

    from daily_sales
    group by store_code, product_code

),

sales_end as (

    select max(sold_on) as last_day
    from daily_sales

),

-- missing_days: zero (the mapping's choice) makes every period from a series' first to the end of the data
-- a row, a period without sales a zero; closed keeps only the periods with rows, the rest unknown
series_days as (

    select
        series.store_code,
        series.product_code,
        series.first_day,
        series.has_units,
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

    left join closed_days
        on
            series.store_code = closed_days.store_code
            and calendar.date_day = closed_days.sold_on

    -- read by missing_days: closed only
    left join daily_sales  -- noqa: ST11
        on
            series.store_code = daily_sales.store_code
            and series.product_code = daily_sales.product_code
            and calendar.date_day = daily_sales.sold_on

    where
        closed_days.sold_on is null
        {% if var('dataset_missing_days') == 'closed' %}
            and daily_sales.sold_on is not null
        {% else %}
            and {{ dbt.datediff('series.first_day', 'calendar.date_day', 'day') }} % {{ period_days }} = 0
        {% endif %}

),

joined as (

    select
        series_days.*,
        stores.store_type,
        -- a dataset without regions or categories is forecast and reported at its store and product there
        -- instead (as `shelfcast evaluate` does): the levels stay the same five on every dataset
        coalesce(stores.region_code, series_days.store_code) as region_code,
        coalesce(products.category, series_days.product_code) as category,
        case when series_days.has_units then coalesce(daily_sales.net_units, 0) end as units,
        coalesce(daily_sales.revenue, 0) as revenue,
        coalesce(daily_sales.had_promotion, false) as is_promoted

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

),

lagged as (

    select
        *,
        {{ units_windows(period_days) }}

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
        cast(units as bigint) as units,
        cast(units as bigint) as demand_units,
        cast(
            {{ 'revenue' if var('dataset_measure') == 'revenue' else 'units' }} as {{ type_double() }}
        ) as demand,
        cast(revenue as decimal(18, 2)) as revenue,
        iso_day_of_week,
        calendar_month,
        day_of_month,
        is_weekend,
        is_holiday,
        cast(null as decimal(12, 2)) as list_price,
        cast(null as {{ type_double() }}) as promo_discount_pct,
        is_promoted,
        cast(null as {{ type_double() }}) as temperature_c,
        cast(null as {{ type_double() }}) as precipitation_mm,
        cast(null as integer) as on_hand_units,
        cast(null as boolean) as is_stockout,
        cast(units_lag_7 as bigint) as units_lag_7,
        cast(units_lag_14 as bigint) as units_lag_14,
        cast(units_lag_28 as bigint) as units_lag_28,
        cast(units_lag_364 as bigint) as units_lag_364,
        units_mean_7,
        units_mean_28,
        cast({{ dbt.datediff('first_day', 'date_day', 'day') }} as integer) as days_since_first_sale

    from lagged

)

select * from final
