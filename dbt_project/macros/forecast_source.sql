{#- A table of schema `ml` (written by `shelfcast forecast`) with exactly the columns in `columns`: before the
    first forecast an empty relation with those columns and types, and a column an older forecast did not
    write yet (after an upgrade) is null until the next forecast. `dbt build` therefore works on a fresh
    warehouse and across upgrades. `columns` maps each column to a type name of `typed_null` (text, float,
    integer, date, timestamp, boolean). -#}
{% macro forecast_source(table_name, columns) %}
    {%- set relation = source('ml', table_name) -%}
    {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) if execute else relation -%}
    {%- if found is none -%}
        select
        {%- for name, kind in columns.items() %}
            {{ typed_null(kind) }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- else -%}
        {%- set present = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list if execute else [] -%}
        select
        {%- for name, kind in columns.items() %}
            {% if not execute or name in present %}{{ name }}{% else %}{{ typed_null(kind) }} as {{ name }}{% endif %}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ relation }}
    {%- endif -%}
{% endmacro %}

{% macro typed_null(kind) %}
    {%- set types = {
        'text': dbt.type_string(),
        'float': type_double(),
        'integer': dbt.type_bigint(),
        'date': 'date',
        'timestamp': dbt.type_timestamp(),
        'boolean': dbt.type_boolean(),
    } -%}
    cast(null as {{ types[kind] }})
{%- endmacro %}

{#- The forecast's level names (the panel's column names) as planners say them: store, region. -#}
{% macro forecast_level_name(column) %}
    case {{ column }}
        when 'store_code' then 'store'
        when 'region_code' then 'region'
        else {{ column }}
    end
{%- endmacro %}
