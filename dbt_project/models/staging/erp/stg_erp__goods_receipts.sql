with

source as (

    select * from {{ source('erp', 'goods_receipts') }}

),

renamed as (

    select

        ---------- ids
        receipt_number,
        po_number,
        cast(po_line_number as integer) as po_line_number,
        store_code,
        product_code,

        ---------- numerics
        cast(quantity_received as integer) as quantity_received,

        ---------- dates
        received_date,
        business_date as extracted_on,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
