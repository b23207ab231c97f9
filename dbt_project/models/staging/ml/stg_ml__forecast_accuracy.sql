with

source as (

    {{ forecast_source('ml_forecast_accuracy', {
        'model': 'text', 'level': 'text', 'method': 'text', 'horizon_bucket': 'text',
        'mae': 'float', 'rmse': 'float', 'wape': 'float', 'bias': 'float', 'mase': 'float', 'rmsse': 'float',
        'n': 'integer', 'coverage_80': 'float', 'coverage_95': 'float', 'is_champion': 'boolean',
        'run_id': 'text', 'generated_at': 'timestamp',
    }) }}

),

renamed as (

    select

        ---------- ids
        {{ dbt.concat(["model", "'|'", "level", "'|'", "horizon_bucket"]) }} as forecast_accuracy_id,
        run_id,

        ---------- strings
        model as model_name,
        {{ forecast_level_name('level') }} as forecast_level,
        method as forecast_method,
        horizon_bucket as horizon_days,

        ---------- numerics
        cast(mae as {{ type_double() }}) as mae,
        cast(rmse as {{ type_double() }}) as rmse,
        cast(wape as {{ type_double() }}) as wape,
        cast(bias as {{ type_double() }}) as bias,
        cast(mase as {{ type_double() }}) as mase,
        cast(rmsse as {{ type_double() }}) as rmsse,
        cast(n as {{ dbt.type_bigint() }}) as scored_points,
        cast(coverage_80 as {{ type_double() }}) as interval_coverage_80,
        cast(coverage_95 as {{ type_double() }}) as interval_coverage_95,

        ---------- booleans
        is_champion,

        ---------- timestamps
        cast(generated_at as {{ dbt.type_timestamp() }}) as generated_at

    from source

)

select * from renamed
