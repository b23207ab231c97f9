with

source as (

    select * from {{ source('api', 'weather') }}

),

renamed as (

    select

        ---------- strings
        city,
        state,

        ---------- numerics
        temperature_c,
        precipitation_mm,

        ---------- dates
        {{ adapter.quote('date') }} as weather_date,
        business_date,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
