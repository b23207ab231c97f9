with

source as (

    select * from {{ source('ingestion', 'batches') }}

),

renamed as (

    select

        ---------- ids
        batch_id,

        ---------- strings
        dataset,
        status,
        expectations,

        ---------- numerics
        inputs as input_count,
        rows_in,
        rows_clean,
        rows_deduplicated,
        rows_quarantined,

        ---------- booleans
        reconciled as is_reconciled,

        ---------- dates
        business_date,

        ---------- lineage
        source,
        ingested_at

    from source

)

select * from renamed
