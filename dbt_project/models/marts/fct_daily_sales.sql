{{
    config(
        materialized='incremental',
        incremental_strategy=day_incremental_strategy(),
        unique_key='sold_on',
        partition_by=fact_partition_by('sold_month'),
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('stg_ingestion__batches') }}

with

daily_sales as (

    select * from {{ ref('int_sales__daily_by_store_product') }}
    where {{ relanded_days('sold_on') }}

),

order_lines as (

    select * from {{ ref('int_order_lines__enriched') }}
    where {{ relanded_days('sold_on') }}

),

loaded as (

    select
        sold_on,
        max(ingested_at) as ingested_at

    from order_lines
    group by sold_on

),

final as (

    select
        daily_sales.daily_sales_id,
        daily_sales.sold_on,
        daily_sales.store_code,
        daily_sales.product_code,
        daily_sales.units_sold,
        daily_sales.units_returned,
        daily_sales.net_units,
        daily_sales.revenue,
        daily_sales.cost_of_goods,
        daily_sales.gross_margin,
        daily_sales.discount_amount,
        daily_sales.orders,
        daily_sales.order_lines,
        daily_sales.gross_revenue,
        daily_sales.had_promotion,
        daily_sales.had_outlier,
        daily_sales.average_unit_price,
        loaded.ingested_at,
        {{ truncate_date('month', 'daily_sales.sold_on') }} as sold_month

    from daily_sales

    inner join loaded
        on daily_sales.sold_on = loaded.sold_on

)

select * from final
