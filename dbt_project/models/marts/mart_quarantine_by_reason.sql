with

quarantined_rows as (

    select * from {{ ref('stg_ingestion__quarantined_rows') }}

),

final as (

    select
        dataset,
        business_date,
        reason,
        count(*) as rows_quarantined,
        max(ingested_at) as ingested_at

    from quarantined_rows
    group by dataset, business_date, reason

)

select * from final
