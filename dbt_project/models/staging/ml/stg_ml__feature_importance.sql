with

source as (

    {{ forecast_source('ml_feature_importance', {
        'model': 'text', 'feature': 'text', 'gain': 'float', 'gain_share': 'float',
        'mean_abs_shap': 'float', 'mean_abs_shap_share': 'float', 'gain_rank': 'integer',
        'run_id': 'text', 'generated_at': 'timestamp',
    }) }}

),

renamed as (

    select

        ---------- ids
        {{ dbt.concat(["model", "'|'", "feature"]) }} as feature_importance_id,
        run_id,

        ---------- strings
        model as model_name,
        feature as feature_name,

        ---------- numerics
        cast(gain as {{ type_double() }}) as gain,
        cast(gain_share as {{ type_double() }}) as gain_share,
        cast(mean_abs_shap as {{ type_double() }}) as mean_abs_shap,
        cast(mean_abs_shap_share as {{ type_double() }}) as mean_abs_shap_share,
        cast(gain_rank as integer) as gain_rank,

        ---------- timestamps
        cast(generated_at as {{ dbt.type_timestamp() }}) as generated_at

    from source

)

select * from renamed
