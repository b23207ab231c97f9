with

stores as (

    {{ latest_extract(ref('stg_erp__stores')) }}

),

regions as (

    {{ latest_extract(ref('stg_erp__regions')) }}

),

final as (

    select
        stores.store_code,
        stores.store_name,
        stores.region_code,
        regions.region_name,
        stores.city,
        stores.state,
        stores.store_type,
        stores.size_sqm,
        stores.latitude,
        stores.longitude,
        stores.open_date,
        stores.extracted_on as as_of

    from stores

    left join regions
        on stores.region_code = regions.region_code

)

select * from final
