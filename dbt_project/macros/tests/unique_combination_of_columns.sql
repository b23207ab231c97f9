{#-
    Fails for every combination of `combination_of_columns` that occurs more than once in `model`:
    returns one row per duplicated combination with its number of rows. Rows where a key column is null
    are compared like any other value (null groups with null); pair the test with not_null on each key column.
    Portable SQL (DuckDB, Spark SQL, PostgreSQL, Redshift); a stand-in for dbt_utils.unique_combination_of_columns.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

select
    {{ columns_csv }},
    count(*) as n_records

from {{ model }}

group by {{ columns_csv }}

having count(*) > 1

{% endtest %}
