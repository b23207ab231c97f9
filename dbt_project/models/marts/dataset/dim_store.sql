{#- A landed dataset's stores: the store codes its sales rows have, with the region the rows agree on.
    Names, places and formats are an ERP's; a dataset without them leaves them null. -#}

with

sales as (

    select * from {{ ref('stg_dataset__sales') }}

),

stores as (

    select
        store_code,
        {{ agreed_value('region_code') }} as region_code,
        max(ingested_at) as ingested_at

    from sales
    group by store_code

),

final as (

    select
        store_code,
        cast(null as {{ dbt.type_string() }}) as store_name,
        region_code,
        region_code as region_name,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as state,
        cast(null as {{ dbt.type_string() }}) as store_type,
        cast(null as integer) as size_sqm,
        cast(null as {{ type_double() }}) as latitude,
        cast(null as {{ type_double() }}) as longitude,
        cast(null as date) as open_date,
        cast(ingested_at as date) as as_of

    from stores

)

select * from final
