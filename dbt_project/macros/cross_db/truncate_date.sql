{#- The first day of the date's ISO week (Monday), month or year, as a date. -#}
{% macro truncate_date(period, date_expr) %}
    cast({{ dbt.date_trunc(period, date_expr) }} as date)
{% endmacro %}
