with

importance as (

    select * from {{ ref('stg_ml__feature_importance') }}

),

final as (

    select
        feature_importance_id,
        model_name,
        feature_name,
        gain,
        gain_share,
        mean_abs_shap,
        mean_abs_shap_share,
        gain_rank,
        run_id,
        generated_at

    from importance

)

select * from final
