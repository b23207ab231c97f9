with

source as (

    {{ forecast_source('ml_forecast_components', {
        'level': 'text', 'level_key': 'text', 'forecast_date': 'date', 'component': 'text', 'effect': 'float',
        'run_id': 'text', 'generated_at': 'timestamp',
    }) }}

),

renamed as (

    select

        ---------- ids
        {{ dbt.concat([
            "level", "'|'", "level_key", "'|'", "cast(forecast_date as " ~ dbt.type_string() ~ ")",
            "'|'", "component"
        ]) }} as forecast_component_id,
        cast(run_id as {{ dbt.type_string() }}) as run_id,

        ---------- strings
        {#- as text: a forecast without Prophet writes the table empty, with types pandas guessed -#}
        {{ forecast_level_name('cast(level as ' ~ dbt.type_string() ~ ')') }} as forecast_level,
        cast(level_key as {{ dbt.type_string() }}) as level_key,
        cast(component as {{ dbt.type_string() }}) as component_name,

        ---------- numerics
        cast(effect as {{ type_double() }}) as effect_units,

        ---------- dates
        cast(forecast_date as date) as forecast_date,

        ---------- timestamps
        cast(generated_at as {{ dbt.type_timestamp() }}) as generated_at

    from source

)

select * from renamed
