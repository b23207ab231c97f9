{#- A date plus n days, typed as a date on every engine (dbt.dateadd returns a timestamp on some). -#}
{% macro add_days(date_expr, days) %}
    {{ return(adapter.dispatch('add_days')(date_expr, days)) }}
{% endmacro %}

{% macro default__add_days(date_expr, days) %}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{% endmacro %}

{% macro spark__add_days(date_expr, days) %}
    date_add({{ date_expr }}, cast({{ days }} as int))
{% endmacro %}
