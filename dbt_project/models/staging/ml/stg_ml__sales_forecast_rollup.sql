with

source as (

    {{ forecast_source('ml_sales_forecast_rollup', {
        'level': 'text', 'level_key': 'text', 'forecast_date': 'date', 'step': 'integer', 'yhat': 'float',
        'yhat_lower_80': 'float', 'yhat_upper_80': 'float', 'yhat_lower_95': 'float', 'yhat_upper_95': 'float',
        'model': 'text', 'method': 'text', 'run_id': 'text', 'generated_at': 'timestamp',
    }) }}

),

renamed as (

    select

        ---------- ids
        {{ dbt.concat([
            "level", "'|'", "level_key", "'|'", "cast(forecast_date as " ~ dbt.type_string() ~ ")"
        ]) }} as rollup_forecast_id,
        run_id,

        ---------- strings
        {{ forecast_level_name('level') }} as rollup_level,
        level_key as rollup_key,
        model as model_name,
        method as forecast_method,

        ---------- numerics
        cast(step as integer) as days_ahead,
        cast(yhat as {{ type_double() }}) as forecast_units,
        cast(yhat_lower_80 as {{ type_double() }}) as forecast_units_lower_80,
        cast(yhat_upper_80 as {{ type_double() }}) as forecast_units_upper_80,
        cast(yhat_lower_95 as {{ type_double() }}) as forecast_units_lower_95,
        cast(yhat_upper_95 as {{ type_double() }}) as forecast_units_upper_95,

        ---------- dates
        cast(forecast_date as date) as forecast_date,

        ---------- timestamps
        cast(generated_at as {{ dbt.type_timestamp() }}) as generated_at

    from source

)

select * from renamed
