with

source as (

    select * from {{ source('api', 'promotions') }}

),

renamed as (

    select

        ---------- ids
        promo_code,
        product_code,
        region_code,

        ---------- strings
        mechanic,
        name as promo_name,

        ---------- numerics
        discount_pct,

        ---------- dates
        start_date,
        end_date,
        business_date,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
