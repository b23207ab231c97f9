{#- A landed dataset's products: the product codes its sales rows have, with the category the rows agree
    on. Prices, suppliers and life cycle are an ERP's; a dataset without them leaves them null. -#}

with

sales as (

    select * from {{ ref('stg_dataset__sales') }}

),

products as (

    select
        product_code,
        {{ agreed_value('category') }} as category,
        max(ingested_at) as ingested_at

    from sales
    group by product_code

),

final as (

    select
        product_code,
        cast(null as {{ dbt.type_string() }}) as product_name,
        category,
        cast(null as {{ dbt.type_string() }}) as subcategory,
        cast(null as {{ dbt.type_string() }}) as brand,
        cast(null as {{ dbt.type_string() }}) as supplier_code,
        cast(null as {{ dbt.type_string() }}) as supplier_name,
        cast(null as decimal(12, 2)) as list_price,
        cast(null as decimal(12, 2)) as unit_cost,
        cast(null as {{ type_double() }}) as list_margin_rate,
        cast(null as integer) as case_pack,
        cast(null as integer) as lead_time_days,
        cast(null as date) as launch_date,
        cast(null as date) as discontinued_date,
        cast(null as boolean) as is_discontinued,
        cast(ingested_at as date) as as_of

    from products

)

select * from final
