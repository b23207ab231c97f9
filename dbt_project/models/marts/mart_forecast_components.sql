with

components as (

    select * from {{ ref('stg_ml__forecast_components') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

regions as (

    select distinct
        region_code,
        region_name
    from stores

),

final as (

    select
        components.forecast_component_id,
        components.forecast_level,
        components.level_key as series_key,
        stores.store_code,
        stores.store_name,
        regions.region_code,
        regions.region_name,
        components.forecast_date,
        components.component_name,
        components.effect_units,
        components.run_id,
        components.generated_at,
        case components.forecast_level
            when 'store' then stores.store_name
            when 'region' then regions.region_name
            when 'category' then components.level_key
            else 'All stores'
        end as series_name,
        case when components.forecast_level = 'category' then components.level_key end as category

    from components

    left join stores
        on components.forecast_level = 'store'
            and components.level_key = stores.store_code

    left join regions
        on (components.forecast_level = 'region' and components.level_key = regions.region_code)
            or (components.forecast_level = 'store' and stores.region_code = regions.region_code)

)

select * from final
