{#- A landed dataset's customers: the customer codes its sales rows have (none when the mapping maps no
    customer), with the region the rows agree on. -#}

with

sales as (

    select * from {{ ref('stg_dataset__sales') }}

),

customers as (

    select
        customer_code,
        {{ agreed_value('region_code') }} as region_code,
        max(ingested_at) as ingested_at

    from sales
    where customer_code is not null
    group by customer_code

),

final as (

    select
        customer_code,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as loyalty_tier,
        region_code,
        cast(null as date) as signup_date,
        cast(ingested_at as date) as as_of

    from customers

)

select * from final
