with

source as (

    select * from {{ source('erp', 'customers') }}

),

renamed as (

    select

        ---------- ids
        customer_code,
        region_code,

        ---------- strings
        segment,
        loyalty_tier,

        ---------- dates
        signup_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
