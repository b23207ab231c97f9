{#- The feature models' lags and trailing means of `units` over windows of 7, 14, 28 and 364 days, counted
    in periods of `period_days` days as ml/panel.py `periods` counts them: on weekly data the 364-day lag
    is 52 weeks back and the 7-day mean is the week before. Every window ends the period before the row's
    own, so no feature sees the demand it describes. Means are double on every engine (PostgreSQL's avg of
    integers is numeric). -#}
{% macro units_windows(period_days=1) %}
    {%- set back = {} -%}
    {%- for days in [7, 14, 28, 364] -%}
        {%- do back.update({days: [1, (days / period_days) | round | int] | max}) -%}
    {%- endfor -%}
    {%- for days in [7, 14, 28, 364] %}
        lag(units, {{ back[days] }}) over (partition by store_code, product_code order by date_day)
            as units_lag_{{ days }},
    {%- endfor %}
    {%- for days in [7, 28] %}
        cast(avg(units) over (
            partition by store_code, product_code order by date_day
            rows between {{ back[days] }} preceding and 1 preceding
        ) as {{ type_double() }}) as units_mean_{{ days }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
