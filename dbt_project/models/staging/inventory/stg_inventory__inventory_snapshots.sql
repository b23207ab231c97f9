with

source as (

    select * from {{ source('inventory', 'inventory_snapshots') }}

),

renamed as (

    select

        ---------- ids
        store_code,
        product_code,

        ---------- numerics
        cast(on_hand_units as integer) as on_hand_units,
        cast(on_order_units as integer) as on_order_units,

        ---------- dates
        snapshot_date,
        business_date,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
