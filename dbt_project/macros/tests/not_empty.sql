{#- Fails on an empty model: a mart built from a missing or empty source must fail loudly, never be
    published empty. -#}
{% test not_empty(model) %}

select 'the model has no rows' as problem
from (select count(*) as row_count from {{ model }}) as counted
where row_count = 0

{% endtest %}
