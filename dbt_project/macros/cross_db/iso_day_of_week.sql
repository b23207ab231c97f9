{#- ISO day of week: 1 = Monday … 7 = Sunday. Every engine spells it differently. -#}
{% macro iso_day_of_week(date_expr) %}
    {{ return(adapter.dispatch('iso_day_of_week')(date_expr)) }}
{% endmacro %}

{% macro default__iso_day_of_week(date_expr) %}
    cast(extract(isodow from {{ date_expr }}) as integer)
{% endmacro %}

{% macro spark__iso_day_of_week(date_expr) %}
    (pmod(dayofweek({{ date_expr }}) + 5, 7) + 1)
{% endmacro %}
