{%- set first_day = var('calendar_start') -%}
{%- set days = (modules.datetime.date.fromisoformat(var('calendar_end'))
                - modules.datetime.date.fromisoformat(first_day)).days + 1 -%}

with

day_numbers as (

    {{ dbt.generate_series(days) }}

),

holidays as (

    {% if is_dataset() %}
        {{ dataset_holidays() }}
    {% else %}
        select * from {{ ref('stg_api__holidays') }}
    {% endif %}

),

holidays_by_day as (

    select
        holiday_date,
        min(holiday_name) as holiday_name

    from holidays
    group by holiday_date

),

calendar as (

    select {{ add_days("cast('" ~ first_day ~ "' as date)", 'generated_number - 1') }} as date_day
    from day_numbers

),

final as (

    select
        calendar.date_day,
        cast(extract(year from calendar.date_day) as integer) as calendar_year,
        cast(extract(quarter from calendar.date_day) as integer) as calendar_quarter,
        cast(extract(month from calendar.date_day) as integer) as calendar_month,
        cast(extract(day from calendar.date_day) as integer) as day_of_month,
        {{ iso_day_of_week('calendar.date_day') }} as iso_day_of_week,
        {{ truncate_date('week', 'calendar.date_day') }} as week_start,
        {{ truncate_date('month', 'calendar.date_day') }} as month_start,
        {{ truncate_date('year', 'calendar.date_day') }} as year_start,
        {{ iso_day_of_week('calendar.date_day') }} >= 6 as is_weekend,
        holidays_by_day.holiday_date is not null as is_holiday,
        holidays_by_day.holiday_name

    from calendar

    left join holidays_by_day
        on calendar.date_day = holidays_by_day.holiday_date

)

select * from final
