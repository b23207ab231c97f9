with

source as (

    select * from {{ source('pos', 'pos_lines') }}

),

renamed as (

    select

        ---------- ids
        transaction_id,
        line_number,
        store_code,
        product_code,
        promo_code,
        customer_id as customer_code,
        original_transaction_id,

        ---------- strings
        transaction_type,
        product_description,
        payment_type,
        corrections,

        ---------- numerics
        quantity,
        unit_price,
        line_amount,
        outlier_score,

        ---------- booleans
        is_outlier,

        ---------- dates
        transaction_ts as transacted_at,
        transaction_date,
        business_date,

        ---------- lineage
        batch_id,
        ingested_at

    from source

)

select * from renamed
