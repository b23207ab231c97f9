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

order_lines as (

    select * from {{ ref('int_order_lines__enriched') }}
    where {{ relanded_days('sold_on') }}

),

orders as (

    select
        order_id,
        min(store_code) as store_code,
        min(region_code) as region_code,
        min(customer_code) as customer_code,
        min(payment_type) as payment_type,
        min(original_order_id) as original_order_id,
        max(case when is_return then 1 else 0 end) = 1 as is_return,
        max(case when is_promoted then 1 else 0 end) = 1 as has_promotion,
        count(*) as order_lines,
        count(distinct product_code) as distinct_products,
        cast(sum(quantity) as bigint) as units,
        cast(sum(revenue) as decimal(18, 2)) as revenue,
        cast(sum(cost_of_goods) as decimal(18, 2)) as cost_of_goods,
        cast(sum(gross_margin) as decimal(18, 2)) as gross_margin,
        cast(sum(discount_amount) as decimal(18, 2)) as discount_amount,
        min(sold_on) as sold_on,
        min({{ truncate_date('month', 'sold_on') }}) as sold_month,
        min(transacted_at) as transacted_at,
        max(ingested_at) as ingested_at

    from order_lines
    -- a landed dataset at a daily or weekly grain has no orders: none rather than one of every line
    where order_id is not null
    group by order_id

)

select * from orders
