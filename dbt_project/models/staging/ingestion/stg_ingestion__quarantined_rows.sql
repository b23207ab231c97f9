with

source as (

    select * from {{ source('ingestion', 'quarantined_rows') }}

),

renamed as (

    select

        ---------- strings
        dataset,
        reason,
        reason_detail,
        record as raw_record,

        ---------- dates
        business_date,

        ---------- lineage
        batch_id,
        ingested_at,
        source,
        source_file,
        source_line,
        row_hash

    from source

)

select * from renamed
