with

snapshots as (

    select * from {{ ref('stg_inventory__inventory_snapshots') }}

),

daily_sales as (

    select * from {{ ref('int_sales__daily_by_store_product') }}

),

goods_receipts as (

    {{ latest_extract(ref('stg_erp__goods_receipts')) }}

),

received_by_day as (

    select
        store_code,
        product_code,
        received_date,
        cast(sum(quantity_received) as bigint) as units_received

    from goods_receipts
    group by store_code, product_code, received_date

),

positions as (

    select
        snapshots.snapshot_date,
        snapshots.store_code,
        snapshots.product_code,
        snapshots.on_hand_units,
        snapshots.on_order_units,
        snapshots.ingested_at,
        coalesce(daily_sales.units_sold, 0) as units_sold,
        coalesce(daily_sales.units_returned, 0) as units_returned,
        coalesce(received_by_day.units_received, 0) as units_received

    from snapshots

    left join daily_sales
        on
            snapshots.store_code = daily_sales.store_code
            and snapshots.product_code = daily_sales.product_code
            and snapshots.snapshot_date = daily_sales.sold_on

    left join received_by_day
        on
            snapshots.store_code = received_by_day.store_code
            and snapshots.product_code = received_by_day.product_code
            and snapshots.snapshot_date = received_by_day.received_date

),

final as (

    select
        *,
        -- mean daily units sold over the 28 snapshots up to the day: the demand stock has to cover
        cast(avg(units_sold) over (
            partition by store_code, product_code
            order by snapshot_date
            rows between 27 preceding and current row
        ) as {{ type_double() }}) as mean_daily_units_28d

    from positions

)

select * from final
