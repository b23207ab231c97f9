with

source as (

    select * from {{ source('dbt', 'test_results') }}

),

renamed as (

    select

        ---------- ids
        {{ dbt.concat(['invocation_id', "'|'", 'test_id']) }} as test_result_id,
        invocation_id,
        test_id,

        ---------- strings
        test_name,
        test_kind,
        model_name,
        column_name,
        severity,
        status,
        message,

        ---------- numerics
        cast(failures as {{ dbt.type_bigint() }}) as failures,
        cast(execution_seconds as {{ type_double() }}) as execution_seconds,

        ---------- timestamps
        cast(executed_at as {{ dbt.type_timestamp() }}) as executed_at

    from source

)

select * from renamed
