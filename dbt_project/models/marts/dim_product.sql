with

products as (

    {{ latest_extract(ref('stg_erp__products')) }}

),

suppliers as (

    {{ latest_extract(ref('stg_erp__suppliers')) }}

),

final as (

    select
        products.product_code,
        products.product_name,
        products.category,
        products.subcategory,
        products.brand,
        products.supplier_code,
        suppliers.supplier_name,
        products.list_price,
        products.unit_cost,
        {{ safe_divide('products.list_price - products.unit_cost', 'products.list_price') }}
            as list_margin_rate,
        products.case_pack,
        products.lead_time_days,
        products.launch_date,
        products.discontinued_date,
        products.discontinued_date is not null as is_discontinued,
        products.extracted_on as as_of

    from products

    left join suppliers
        on products.supplier_code = suppliers.supplier_code

)

select * from final
