{#- The weekly and monthly KPI marts: mart_kpi_daily summed to `period_column` of dim_date, with the
    period before and the same period a year before (`periods_per_year` back: 52 weeks, 12 months). -#}
{% macro kpi_by_period(period_column, periods_per_year) %}

with

kpi_daily as (

    select * from {{ ref('mart_kpi_daily') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

by_period as (

    select
        calendar.{{ period_column }} as period_start,
        kpi_daily.store_code,
        kpi_daily.store_name,
        kpi_daily.region_code,
        kpi_daily.region_name,
        kpi_daily.category,
        count(*) as days_in_data,
        sum(kpi_daily.revenue) as revenue,
        sum(kpi_daily.gross_margin) as gross_margin,
        sum(kpi_daily.cost_of_goods) as cost_of_goods,
        cast(sum(kpi_daily.units) as bigint) as units,
        sum(kpi_daily.orders) as orders,
        cast(sum(kpi_daily.order_lines) as bigint) as order_lines

    from kpi_daily

    inner join calendar
        on kpi_daily.date_day = calendar.date_day

    group by
        calendar.{{ period_column }},
        kpi_daily.store_code,
        kpi_daily.store_name,
        kpi_daily.region_code,
        kpi_daily.region_name,
        kpi_daily.category

),

compared as (

    select
        *,
        lag(revenue, 1) over (partition by store_code, category order by period_start) as revenue_prior_period,
        lag(revenue, {{ periods_per_year }}) over (
            partition by store_code, category order by period_start
        ) as revenue_last_year,
        lag(orders, {{ periods_per_year }}) over (
            partition by store_code, category order by period_start
        ) as orders_last_year

    from by_period

),

final as (

    select
        *,
        {{ safe_divide('gross_margin', 'revenue') }} as gross_margin_rate,
        {{ safe_divide('revenue', 'orders') }} as average_order_value,
        {{ safe_divide('units', 'orders') }} as units_per_order,
        {{ safe_divide('revenue - revenue_prior_period', 'revenue_prior_period') }} as revenue_growth_prior_period,
        {{ safe_divide('revenue - revenue_last_year', 'revenue_last_year') }} as revenue_growth_yoy

    from compared

)

select * from final

{% endmacro %}
