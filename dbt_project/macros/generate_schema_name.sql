{#- A landed dataset builds into a schema named after it (`superstore.fct_daily_sales`), beside the shop's
    in the target schema, so datasets live side by side in one warehouse; a custom schema is suffixed as
    dbt does by default. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = var('dataset') if is_dataset() else target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ base }}
    {%- else -%}
        {{ base }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#- The schema the models of this build go to: where the run's own tables (test results) belong too. -#}
{% macro model_schema() %}
    {{ return(generate_schema_name(none, none)) }}
{% endmacro %}
