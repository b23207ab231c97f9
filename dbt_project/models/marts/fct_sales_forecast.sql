with

forecasts as (

    select * from {{ ref('stg_ml__sales_forecast') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

final as (

    select
        forecasts.sales_forecast_id,
        forecasts.forecast_date,
        forecasts.days_ahead,
        forecasts.store_code,
        stores.region_code,
        forecasts.product_code,
        products.category,
        forecasts.forecast_units,
        forecasts.forecast_units_lower_80,
        forecasts.forecast_units_upper_80,
        forecasts.forecast_units_lower_95,
        forecasts.forecast_units_upper_95,
        cast(forecasts.forecast_units * products.list_price as decimal(14, 2)) as forecast_revenue_at_list_price,
        forecasts.model_name,
        forecasts.forecast_method,
        forecasts.run_id,
        forecasts.generated_at

    from forecasts

    left join stores
        on forecasts.store_code = stores.store_code

    left join products
        on forecasts.product_code = products.product_code

)

select * from final
