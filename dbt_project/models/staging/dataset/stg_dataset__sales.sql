with

source as (

    select * from {{ source('dataset', 'sales') }}

),

renamed as (

    select

        ---------- ids
        store_code,
        product_code,
        order_id,
        order_line,
        customer_code,
        region_code,

        ---------- strings
        category,

        ---------- numerics
        quantity,
        revenue,
        net_quantity,
        net_revenue,
        unit_price,
        cost,
        stock_on_hand,

        ---------- booleans
        is_promo as is_promoted,
        is_open,
        is_return,

        ---------- dates
        sold_on,

        ---------- lineage
        source,
        batch_id,
        ingested_at,
        source_file,
        source_line

    from source

)

select * from renamed
