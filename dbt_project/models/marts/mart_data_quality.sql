with

batches as (

    select * from {{ ref('stg_ingestion__batches') }}

),

quarantined_rows as (

    select * from {{ ref('stg_ingestion__quarantined_rows') }}

),

reasons_by_batch as (

    select
        dataset,
        business_date,
        count(distinct reason) as distinct_reasons,
        max(reason) as example_reason

    from quarantined_rows
    group by dataset, business_date

),

final as (

    select
        batches.batch_id,
        batches.dataset,
        batches.source,
        batches.business_date,
        batches.status,
        batches.input_count,
        batches.rows_in,
        batches.rows_clean,
        batches.rows_deduplicated,
        batches.rows_quarantined,
        batches.is_reconciled,
        {{ safe_divide('batches.rows_quarantined', 'batches.rows_in') }} as quarantine_rate,
        coalesce(reasons_by_batch.distinct_reasons, 0) as distinct_reasons,
        batches.status = 'published' and batches.is_reconciled as is_healthy,
        batches.ingested_at

    from batches

    left join reasons_by_batch
        on
            batches.dataset = reasons_by_batch.dataset
            and batches.business_date = reasons_by_batch.business_date

)

select * from final
