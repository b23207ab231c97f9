{#- A landed dataset's version of int_order_lines__enriched (same name, columns and types; dbt_project.yml
    enables one or the other). Each sales row is a line; at a daily or weekly grain the line is the series'
    period, without an order. What the mapping does not map stays null: no list price, cost or promotion
    code is invented. -#}

with

sales as (

    select * from {{ ref('stg_dataset__sales') }}

),

-- a row the mapping marks closed (is_open = false) records that nothing could sell, not a sale
sold as (

    select * from sales
    where is_open is null or is_open

),

final as (

    select
        ---------- ids
        coalesce(
            {{ dbt.concat(["order_id", "'-'", "order_line"]) }},
            order_line,
            {{ dbt.concat(["source_file", "':'", "cast(source_line as " ~ dbt.type_string() ~ ")"]) }}
        ) as order_line_id,
        order_id,
        cast(null as integer) as line_number,
        store_code,
        region_code,
        product_code,
        category,
        cast(null as {{ dbt.type_string() }}) as subcategory,
        customer_code,
        cast(null as {{ dbt.type_string() }}) as promo_code,
        cast(null as {{ dbt.type_string() }}) as original_order_id,

        ---------- strings
        case when is_return then 'RETURN' else 'SALE' end as transaction_type,
        cast(null as {{ dbt.type_string() }}) as payment_type,

        ---------- numerics
        -- the net figures: a return line counts negative whatever its sign in the file
        cast(round(net_quantity) as integer) as quantity,
        cast(unit_price as decimal(12, 2)) as unit_price,
        cast(null as decimal(12, 2)) as list_price,
        cast({{ safe_divide('cost', 'abs(net_quantity)') }} as decimal(12, 2)) as unit_cost,
        cast(net_revenue as decimal(12, 2)) as revenue,
        cast(case when is_return then -abs(cost) else cost end as decimal(14, 2)) as cost_of_goods,
        cast(net_revenue - case when is_return then -abs(cost) else cost end as decimal(14, 2)) as gross_margin,
        cast(null as decimal(14, 2)) as discount_amount,
        cast(null as {{ type_double() }}) as outlier_score,

        ---------- booleans
        is_return,
        coalesce(is_promoted, false) as is_promoted,
        -- ingestion flags no outliers in a dataset: its history is what the retailer recorded
        false as is_outlier,

        ---------- dates
        sold_on,
        cast(null as {{ type_timestamptz() }}) as transacted_at,

        ---------- lineage
        batch_id,
        ingested_at

    from sold

)

select * from final
