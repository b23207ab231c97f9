{#- The relation has exactly these columns (any order, any case): a column the lake gained or lost stops
    the build here with a message naming it, before any model reads the source. Spark and Delta would
    otherwise pass a new column silently, and a dropped one would surface late, deep in a mart.
    The check runs when the test runs (build, test, retry), not when the project is only compiled
    (`dbt compile`, `dbt docs generate`): those must work before the lake is loaded into a new warehouse. -#}
{% test has_columns(model, columns) %}

{%- set expected = columns | map('lower') | list -%}
{%- if execute and flags.WHICH in ('build', 'test', 'retry') -%}
    {%- set actual = run_query('select * from ' ~ model ~ ' where 1 = 0').column_names | map('lower') | list -%}
    {%- set missing = expected | reject('in', actual) | list -%}
    {%- set unexpected = actual | reject('in', expected) | list -%}
    {%- if missing or unexpected -%}
        {{ exceptions.raise_compiler_error(
            "the lake table behind " ~ model ~ " changed shape:"
            ~ (" missing column(s) " ~ missing | join(", ") ~ ";" if missing else "")
            ~ (" new column(s) " ~ unexpected | join(", ") ~ ";" if unexpected else "")
            ~ " update the source's columns and its staging model to match, then rebuild"
        ) }}
    {%- endif -%}
{%- endif -%}

select 1 as shape_changed
where 1 = 0

{% endtest %}
