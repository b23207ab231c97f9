{#- The regressors' columns are the mapping's (snake case; clean/dataset.tables names their sources), so
    they pass through as landed. -#}

with

source as (

    select * from {{ source('dataset', 'regressors') }}

),

renamed as (

    select *
    from source

)

select * from renamed
