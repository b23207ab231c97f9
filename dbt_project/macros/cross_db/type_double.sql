{#- Double precision everywhere: dbt.type_float() is single precision (4 bytes) on DuckDB and Spark. -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double')()) }}
{% endmacro %}

{% macro default__type_double() %}
    {{ return('float8') }}
{% endmacro %}

{% macro spark__type_double() %}
    {{ return('double') }}
{% endmacro %}
