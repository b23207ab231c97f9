with

source as (

    select * from {{ source('erp', 'purchase_orders') }}

),

renamed as (

    select

        ---------- ids
        po_number,
        store_code,
        supplier_code,

        ---------- strings
        status,

        ---------- dates
        order_date,
        expected_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
