{#- The future table has the regressors' columns as the history's (snake case; clean/dataset.tables names
    their sources), so they pass through as landed. -#}

with

source as (

    select * from {{ source('dataset', 'future_regressors') }}

),

renamed as (

    select *
    from source

)

select * from renamed
