{#- Every level the forecast is made at, as planners pick a line to look at: one product at one store
    (series), a store, a region, a category, all stores. The forecast's own levels come from the forecast
    (store × product) and its reconciled roll-up; actual demand is summed here the same way. -#}
{%- set levels = {
    'series': {'key': dbt.concat(['store_code', "'|'", 'product_code']),
               'attributes': ['store_code', 'product_code', 'region_code', 'category']},
    'store': {'key': 'store_code', 'attributes': ['store_code']},
    'region': {'key': 'region_code', 'attributes': ['region_code']},
    'category': {'key': 'category', 'attributes': ['category']},
    'total': {'key': "'total'", 'attributes': []},
} -%}
{%- set attributes = ['store_code', 'product_code', 'region_code', 'category'] -%}

with

features as (

    select * from {{ ref('int_sales__features') }}

),

series_forecasts as (

    select * from {{ ref('fct_sales_forecast') }}

),

rollup_forecasts as (

    select * from {{ ref('stg_ml__sales_forecast_rollup') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

regions as (

    select distinct
        region_code,
        region_name
    from stores

),

forecast_start as (

    select min(forecast_date) as first_forecast_date from series_forecasts

),

recent_demand as (

    {#- the history shown before the forecast, and every actual since: demand that arrives after a forecast
        was made lands beside it. Nothing before the first forecast. #}

    select features.*

    from features

    cross join forecast_start

    where features.date_day >= {{ dbt.dateadd('day', -var('forecast_history_days'), 'forecast_start.first_forecast_date') }}

),

actuals as (

    {%- for level, spec in levels.items() %}

        select
            '{{ level }}' as forecast_level,
            {{ spec.key }} as series_key,
            {%- for attribute in attributes %}
                {{ attribute if attribute in spec.attributes else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as {{ attribute }},
            {%- endfor %}
            date_day,
            cast(round(sum(demand)) as {{ dbt.type_bigint() }}) as actual_units

        from recent_demand

        {# the key is made of the attributes (a constant for the total): grouping by them groups by it #}
        group by {% for attribute in spec.attributes %}{{ attribute }}, {% endfor %}date_day
        {{ 'union all' if not loop.last }}
    {%- endfor %}

),

forecasts as (

    select
        'series' as forecast_level,
        {{ dbt.concat(['store_code', "'|'", 'product_code']) }} as series_key,
        store_code,
        product_code,
        region_code,
        category,
        forecast_date as date_day,
        forecast_units,
        forecast_units_lower_80,
        forecast_units_upper_80,
        forecast_units_lower_95,
        forecast_units_upper_95,
        model_name

    from series_forecasts

    union all

    select
        rollup_level as forecast_level,
        rollup_key as series_key,
        case when rollup_level = 'store' then rollup_key end as store_code,
        cast(null as {{ dbt.type_string() }}) as product_code,
        case when rollup_level = 'region' then rollup_key end as region_code,
        case when rollup_level = 'category' then rollup_key end as category,
        forecast_date as date_day,
        forecast_units,
        forecast_units_lower_80,
        forecast_units_upper_80,
        forecast_units_lower_95,
        forecast_units_upper_95,
        model_name

    from rollup_forecasts

),

joined as (

    select
        coalesce(actuals.forecast_level, forecasts.forecast_level) as forecast_level,
        coalesce(actuals.series_key, forecasts.series_key) as series_key,
        {%- for attribute in attributes %}
            coalesce(actuals.{{ attribute }}, forecasts.{{ attribute }}) as {{ attribute }},
        {%- endfor %}
        coalesce(actuals.date_day, forecasts.date_day) as date_day,
        actuals.actual_units,
        forecasts.forecast_units,
        forecasts.forecast_units_lower_80,
        forecasts.forecast_units_upper_80,
        forecasts.forecast_units_lower_95,
        forecasts.forecast_units_upper_95,
        forecasts.model_name

    from actuals

    full outer join forecasts
        on actuals.forecast_level = forecasts.forecast_level
            and actuals.series_key = forecasts.series_key
            and actuals.date_day = forecasts.date_day

),

final as (

    select
        {{ dbt.concat([
            'joined.forecast_level', "'|'", 'joined.series_key', "'|'",
            'cast(joined.date_day as ' ~ dbt.type_string() ~ ')'
        ]) }} as forecast_vs_actual_id,
        joined.forecast_level,
        joined.series_key,
        case joined.forecast_level
            when 'series' then {{ dbt.concat(['products.product_name', "' at '", 'stores.store_name']) }}
            when 'store' then stores.store_name
            when 'region' then regions.region_name
            when 'category' then joined.category
            else 'All stores'
        end as series_name,
        joined.store_code,
        stores.store_name,
        regions.region_code,
        regions.region_name,
        joined.product_code,
        products.product_name,
        coalesce(joined.category, products.category) as category,
        joined.date_day,
        joined.date_day >= forecast_start.first_forecast_date as is_forecast,
        joined.actual_units,
        joined.forecast_units,
        joined.forecast_units_lower_80,
        joined.forecast_units_upper_80,
        joined.forecast_units_lower_95,
        joined.forecast_units_upper_95,
        joined.model_name

    from joined

    cross join forecast_start

    left join stores
        on joined.store_code = stores.store_code

    left join products
        on joined.product_code = products.product_code

    left join regions
        on coalesce(joined.region_code, stores.region_code) = regions.region_code

)

select * from final
