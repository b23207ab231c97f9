with

source as (

    select * from {{ source('erp', 'regions') }}

),

renamed as (

    select

        ---------- ids
        region_code,

        ---------- strings
        region_name,

        ---------- dates
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
