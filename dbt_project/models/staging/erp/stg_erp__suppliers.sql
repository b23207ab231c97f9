with

source as (

    select * from {{ source('erp', 'suppliers') }}

),

renamed as (

    select

        ---------- ids
        supplier_code,
        country_code,

        ---------- strings
        supplier_name,

        ---------- dates
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
