{#- Model contracts compare each column's name and type family (decimal, integer, text, …), not its
    precision: engines widen a sum's precision differently (DuckDB decimal(38,2), Spark decimal(p+10,2),
    PostgreSQL plain numeric). The declared type is still what the table is created with, so a contracted
    mart stores the declared precision on every engine. Overrides dbt's default__format_column through
    the `dispatch` search order in dbt_project.yml. -#}
{% macro default__format_column(column) -%}
    {%- set data_type = column.dtype.split('(')[0] | trim | upper -%}
    {%- set formatted = column.column.lower() ~ " " ~ data_type -%}
    {{ return({'name': column.name, 'data_type': data_type, 'formatted': formatted}) }}
{%- endmacro %}
