with

source as (

    select * from {{ source('erp', 'stores') }}

),

renamed as (

    select

        ---------- ids
        store_code,
        region_code,

        ---------- strings
        store_name,
        city,
        state,
        store_type,

        ---------- numerics
        cast(size_sqm as integer) as size_sqm,
        latitude,
        longitude,

        ---------- dates
        open_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
