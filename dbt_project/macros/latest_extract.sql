{#- The ERP is extracted whole every day; dimensions describe the business as of the newest extract. -#}
{% macro latest_extract(relation) %}
    select *
    from {{ relation }}
    where extracted_on = (select max(extracted_on) from {{ relation }})
{% endmacro %}
