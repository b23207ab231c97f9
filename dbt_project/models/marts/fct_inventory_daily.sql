with

positions as (

    select * from {{ ref('int_inventory__daily_position') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

final as (

    select
        {{ dbt.concat([
            "positions.store_code", "'|'", "positions.product_code", "'|'",
            "cast(positions.snapshot_date as " ~ dbt.type_string() ~ ")"
        ]) }} as inventory_position_id,
        positions.snapshot_date,
        positions.store_code,
        positions.product_code,
        products.category,
        positions.on_hand_units,
        positions.on_order_units,
        positions.units_sold,
        positions.units_returned,
        positions.units_received,
        cast(positions.on_hand_units * products.unit_cost as decimal(14, 2)) as stock_value_at_cost,
        positions.mean_daily_units_28d,
        {{ safe_divide('positions.on_hand_units', 'positions.mean_daily_units_28d') }} as days_of_cover,
        positions.on_hand_units = 0 as is_stockout,
        positions.ingested_at

    from positions

    inner join products
        on positions.product_code = products.product_code

)

select * from final
