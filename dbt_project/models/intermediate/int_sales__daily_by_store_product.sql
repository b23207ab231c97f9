with

order_lines as (

    select * from {{ ref('int_order_lines__enriched') }}

),

daily as (

    select
        sold_on,
        store_code,
        product_code,
        sum(case when not is_return then quantity else 0 end) as units_sold,
        -sum(case when is_return then quantity else 0 end) as units_returned,
        sum(quantity) as net_units,
        sum(revenue) as revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(gross_margin) as gross_margin,
        sum(discount_amount) as discount_amount,
        count(distinct case when not is_return then order_id end) as orders,
        count(*) as order_lines,
        sum(case when not is_return then revenue else 0 end) as gross_revenue,
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
