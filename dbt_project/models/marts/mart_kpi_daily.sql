with

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

daily as (

    select
        sold_on,
        store_code,
        category,
        cast(sum(quantity) as bigint) as units,
        sum(revenue) as revenue,
        sum(gross_margin) as gross_margin,
        sum(cost_of_goods) as cost_of_goods,
        sum(order_share) as orders,
        count(*) as order_lines

    from order_lines
    group by sold_on, store_code, category

),

sales_period as (

    select
        min(sold_on) as first_day,
        max(sold_on) as last_day

    from daily

),

store_categories as (

    select distinct
        store_code,
        category

    from daily

),

-- Every day of the sales period for every store and category that ever sold: rolling windows and
-- year-over-year then count days, not rows, and a day without sales is a zero, not a gap.
spine as (

    select
        calendar.date_day,
        store_categories.store_code,
        store_categories.category

    from calendar

    inner join sales_period
        on calendar.date_day between sales_period.first_day and sales_period.last_day

    cross join store_categories

),

filled as (

    select
        spine.date_day,
        spine.store_code,
        spine.category,
        coalesce(daily.revenue, 0) as revenue,
        coalesce(daily.gross_margin, 0) as gross_margin,
        coalesce(daily.cost_of_goods, 0) as cost_of_goods,
        coalesce(daily.units, 0) as units,
        coalesce(daily.orders, 0) as orders,
        coalesce(daily.order_lines, 0) as order_lines

    from spine

    left join daily
        on
            spine.date_day = daily.sold_on
            and spine.store_code = daily.store_code
            and {{ null_safe_equals('spine.category', 'daily.category') }}

),

windows as (

    select
        *,
        sum(revenue) over (
            partition by store_code, category order by date_day rows between 6 preceding and current row
        ) as revenue_7d,
        sum(revenue) over (
            partition by store_code, category order by date_day rows between 13 preceding and 7 preceding
        ) as revenue_prior_7d,
        sum(revenue) over (
            partition by store_code, category order by date_day rows between 27 preceding and current row
        ) as revenue_28d,
        sum(revenue) over (
            partition by store_code, category order by date_day rows between 55 preceding and 28 preceding
        ) as revenue_prior_28d,
        count(*) over (
            partition by store_code, category order by date_day rows between 13 preceding and 7 preceding
        ) as days_prior_7d,
        count(*) over (
            partition by store_code, category order by date_day rows between 55 preceding and 28 preceding
        ) as days_prior_28d,
        -- 364 days back is the same weekday a year earlier
        lag(revenue, 364) over (partition by store_code, category order by date_day) as revenue_last_year,
        lag(orders, 364) over (partition by store_code, category order by date_day) as orders_last_year

    from filled

),

final as (

    select
        windows.date_day,
        windows.store_code,
        stores.store_name,
        stores.region_code,
        stores.region_name,
        windows.category,
        windows.revenue,
        windows.gross_margin,
        windows.cost_of_goods,
        windows.units,
        windows.orders,
        windows.order_lines,
        {{ safe_divide('windows.gross_margin', 'windows.revenue') }} as gross_margin_rate,
        {{ safe_divide('windows.revenue', 'windows.orders') }} as average_order_value,
        {{ safe_divide('windows.units', 'windows.orders') }} as units_per_order,
        windows.revenue_7d,
        windows.revenue_28d,
        windows.revenue_last_year,
        windows.orders_last_year,
        -- growth only against a full prior window: the first weeks of data have nothing to compare with
        case
            when windows.days_prior_7d = 7
                then {{ safe_divide('windows.revenue_7d - windows.revenue_prior_7d', 'windows.revenue_prior_7d') }}
        end as revenue_growth_7d,
        case
            when windows.days_prior_28d = 28
                then {{ safe_divide('windows.revenue_28d - windows.revenue_prior_28d', 'windows.revenue_prior_28d') }}
        end as revenue_growth_28d,
        {{ safe_divide('windows.revenue - windows.revenue_last_year', 'windows.revenue_last_year') }}
            as revenue_growth_yoy

    from windows

    left join stores
        on windows.store_code = stores.store_code

)

select * from final
