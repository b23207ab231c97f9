with

accuracy as (

    select * from {{ ref('stg_ml__forecast_accuracy') }}

),

seasonal_naive as (

    select
        forecast_level,
        horizon_days,
        rmsse as seasonal_naive_rmsse,
        wape as seasonal_naive_wape

    from accuracy

    where model_name = 'seasonal_naive'

),

final as (

    select
        accuracy.forecast_accuracy_id,
        accuracy.model_name,
        accuracy.forecast_level,
        accuracy.forecast_method,
        accuracy.horizon_days,
        accuracy.is_champion,
        accuracy.rmsse,
        accuracy.wape,
        accuracy.mase,
        accuracy.mae,
        accuracy.rmse,
        accuracy.bias,
        accuracy.interval_coverage_80,
        accuracy.interval_coverage_95,
        accuracy.scored_points,
        seasonal_naive.seasonal_naive_rmsse,
        seasonal_naive.seasonal_naive_wape,
        1 - {{ safe_divide('accuracy.rmsse', 'seasonal_naive.seasonal_naive_rmsse') }}
            as rmsse_improvement_vs_seasonal_naive,
        accuracy.run_id,
        accuracy.generated_at

    from accuracy

    left join seasonal_naive
        on accuracy.forecast_level = seasonal_naive.forecast_level
            and accuracy.horizon_days = seasonal_naive.horizon_days

)

select * from final
