{#- A ratio that is null, not an error or an infinity, when the denominator is zero or missing. -#}
{% macro safe_divide(numerator, denominator) %}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as {{ type_double() }}) / {{ denominator }}
    end
{% endmacro %}
