with

source as (

    select * from {{ source('erp', 'purchase_order_lines') }}

),

renamed as (

    select

        ---------- ids
        po_number,
        cast(line_number as integer) as line_number,
        product_code,

        ---------- numerics
        cast(quantity_ordered as integer) as quantity_ordered,
        unit_cost,

        ---------- dates
        expected_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
