with

source as (

    select * from {{ source('erp', 'product_prices') }}

),

renamed as (

    select

        ---------- ids
        product_code,

        ---------- numerics
        list_price,
        unit_cost,

        ---------- dates
        valid_from,
        valid_to,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
