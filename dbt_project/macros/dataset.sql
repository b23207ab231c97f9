{#- A landed dataset (`shelfcast transform --dataset`, ingestion/mapping/) is built by the same project: the
    staged, intermediate and mart layers keep their names and contracts, and the few models that read the
    shop's ERP, POS, REST or inventory sources have a dataset version of the same name under a `dataset/`
    folder, enabled instead of them (dbt_project.yml). These say which one is building. -#}
{% macro is_dataset() %}
    {{ return(var('dataset') != '') }}
{% endmacro %}

{#- Whether the dataset landed linked table `table` (regressors, future_regressors): models on a table a
    mapping does not have are left out rather than read as empty. -#}
{% macro dataset_has(table) %}
    {{ return(is_dataset() and table in var('dataset_tables')) }}
{% endmacro %}

{#- The audit's name for the batches of the sales rows, whose ingestion time drives the incremental facts. -#}
{% macro sales_batches_name() %}
    {{ return(var('dataset') ~ '.sales' if is_dataset() else 'pos_lines') }}
{% endmacro %}

{#- The value every non-null row of the group agrees on, null when they disagree or have none: a store's
    region or a product's category as a dataset records it per row. -#}
{% macro agreed_value(column) %}
    case when count(distinct {{ column }}) = 1 then min({{ column }}) end
{% endmacro %}

{#- A dataset's holidays: the dates its regressor with role `holiday` marks (true or non-zero on any row),
    named after the regressor, over its history and its future values (the forecast's own periods); none
    when the mapping has no such regressor. -#}
{% macro dataset_holidays() %}
    {%- set column = var('dataset_holiday_column') -%}
    {%- set tables = [] -%}
    {%- for table in ['regressors', 'future_regressors'] if column and dataset_has(table) -%}
        {%- do tables.append(ref('stg_dataset__' ~ table)) -%}
    {%- endfor -%}
    {%- for table in tables %}
    select distinct
        sold_on as holiday_date,
        '{{ column }}' as holiday_name

    from {{ table }}
    where coalesce(cast({{ column }} as {{ type_double() }}), 0) <> 0
    {{ 'union' if not loop.last }}
    {%- else -%}
    select
        cast(null as date) as holiday_date,
        cast(null as {{ dbt.type_string() }}) as holiday_name

    where 1 = 0
    {%- endfor -%}
{% endmacro %}
