with

source as (

    select * from {{ source('erp', 'products') }}

),

renamed as (

    select

        ---------- ids
        product_code,
        supplier_code,

        ---------- strings
        product_name,
        category,
        subcategory,
        brand,

        ---------- numerics
        list_price,
        unit_cost,
        cast(case_pack as integer) as case_pack,
        cast(lead_time_days as integer) as lead_time_days,

        ---------- dates
        launch_date,
        discontinued_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
