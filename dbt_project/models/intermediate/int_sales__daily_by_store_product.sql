with

order_lines as (

    select * from {{ ref('int_order_lines__enriched') }}

),

daily as (

    select
        sold_on,
        store_code,
        product_code,
        cast(sum(case when not is_return then quantity else 0 end) as bigint) as units_sold,
        cast(-sum(case when is_return then quantity else 0 end) as bigint) as units_returned,
        cast(sum(quantity) as bigint) as net_units,
        cast(sum(case when not is_outlier then quantity else 0 end) as bigint) as net_units_excluding_outliers,
        cast(sum(revenue) as decimal(18, 2)) as revenue,
        cast(sum(cost_of_goods) as decimal(18, 2)) as cost_of_goods,
        cast(sum(gross_margin) as decimal(18, 2)) as gross_margin,
        cast(sum(discount_amount) as decimal(18, 2)) as discount_amount,
        cast(sum(case when not is_return then revenue else 0 end) as decimal(18, 2)) as gross_revenue,
        count(distinct case when not is_return then order_id end) as orders,
        count(*) as order_lines,
        max(case when is_promoted then 1 else 0 end) = 1 as had_promotion,
        max(case when is_outlier then 1 else 0 end) = 1 as had_outlier

    from order_lines
    group by sold_on, store_code, product_code

),

final as (

    select
        {{ dbt.concat([
            "store_code", "'|'", "product_code", "'|'", "cast(sold_on as " ~ dbt.type_string() ~ ")"
        ]) }} as daily_sales_id,
        *,
        {{ safe_divide('gross_revenue', 'units_sold') }} as average_unit_price

    from daily

)

select * from final
