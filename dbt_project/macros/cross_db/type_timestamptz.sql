{#- An instant in time: what Delta's timestamps read as on each engine (DuckDB and PostgreSQL with time zone;
    Spark's timestamp is one). -#}
{% macro type_timestamptz() %}
    {{ return(adapter.dispatch('type_timestamptz')()) }}
{% endmacro %}

{% macro default__type_timestamptz() %}
    {{ return('timestamp with time zone') }}
{% endmacro %}

{% macro spark__type_timestamptz() %}
    {{ return('timestamp') }}
{% endmacro %}
