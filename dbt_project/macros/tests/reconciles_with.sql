{#- The column's total equals the total of `to_column` in `to`: a fact may not lose or invent any of
    its source's measure on the way. Returns one row (both totals) when they differ. -#}
{% test reconciles_with(model, column_name, to, to_column=none, tolerance=0) %}

with

this_total as (

    select coalesce(sum({{ column_name }}), 0) as total
    from {{ model }}

),

source_total as (

    select coalesce(sum({{ to_column or column_name }}), 0) as total
    from {{ to }}

)

select
    this_total.total as model_total,
    source_total.total as source_total

from this_total
cross join source_total
where abs(this_total.total - source_total.total) > {{ tolerance }}

{% endtest %}
