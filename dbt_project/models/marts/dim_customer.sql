with

customers as (

    {{ latest_extract(ref('stg_erp__customers')) }}

),

final as (

    select
        customer_code,
        segment,
        loyalty_tier,
        region_code,
        signup_date,
        extracted_on as as_of

    from customers

)

select * from final
