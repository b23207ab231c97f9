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
        daily_sales.*,
        loaded.ingested_at,
        {{ truncate_date('month', 'daily_sales.sold_on') }} as sold_month

    from daily_sales

    inner join loaded
        on daily_sales.sold_on = loaded.sold_on

)

select * from final
