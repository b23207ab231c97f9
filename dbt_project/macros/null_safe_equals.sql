{#- Equal, or both null: a landed dataset may have no category (or region) on any row, and a join on such a
    key must still meet its rows. Spelt out because Redshift has no IS NOT DISTINCT FROM. -#}
{% macro null_safe_equals(left, right) %}
    ({{ left }} = {{ right }} or ({{ left }} is null and {{ right }} is null))
{% endmacro %}
