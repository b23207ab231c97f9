{{
    config(
        materialized='incremental',
        incremental_strategy=day_incremental_strategy(),
        unique_key='sold_on',
        partition_by=fact_partition_by('sold_month'),
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('stg_ingestion__batches') }}

with

order_lines as (

    select * from {{ ref('int_order_lines__enriched') }}
    where {{ relanded_days('sold_on') }}

),

final as (

    select
        *,
        {{ truncate_date('month', 'sold_on') }} as sold_month,
        -- Each line carries its share of its order, so summing it over any slice (store, region,
        -- category) counts orders exactly where an order is whole and apportions it where it is split.
        -- (none without an order: a landed dataset at a daily or weekly grain counts no orders)
        case
            when order_id is not null
                then cast(1.0 / count(*) over (partition by order_id) as {{ type_double() }})
        end as order_share

    from order_lines

)

select * from final
