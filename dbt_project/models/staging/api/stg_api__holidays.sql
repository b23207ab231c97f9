with

source as (

    select * from {{ source('api', 'holidays') }}

),

renamed as (

    select

        ---------- ids
        country_code,

        ---------- strings
        name as holiday_name,

        ---------- dates
        {{ adapter.quote('date') }} as holiday_date,
        business_date,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
