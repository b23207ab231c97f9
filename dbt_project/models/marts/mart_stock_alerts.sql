with

recommendations as (

    select * from {{ ref('mart_inventory_recommendations') }}

),

forecasts as (

    select * from {{ ref('fct_sales_forecast') }}

),

cumulative_demand as (

    select
        store_code,
        product_code,
        forecast_date,
        days_ahead,
        sum(forecast_units) over (
            partition by store_code, product_code
            order by forecast_date
            rows between unbounded preceding and current row
        ) as cumulative_units

    from forecasts

),

-- the first day the forecast demand exceeds what is on hand; what is on order arrives only after the lead
-- time, so it does not protect the days before
stockout_days as (

    select
        cumulative_demand.store_code,
        cumulative_demand.product_code,
        min(cumulative_demand.forecast_date) as projected_stockout_date,
        min(cumulative_demand.days_ahead) as days_until_stockout

    from cumulative_demand

    inner join recommendations
        on cumulative_demand.store_code = recommendations.store_code
            and cumulative_demand.product_code = recommendations.product_code

    where cumulative_demand.cumulative_units > recommendations.on_hand_units

    group by cumulative_demand.store_code, cumulative_demand.product_code

),

stockout_risks as (

    select
        recommendations.store_code,
        recommendations.product_code,
        recommendations.store_name,
        recommendations.region_code,
        recommendations.category,
        'stockout_risk' as alert_type,
        stockout_days.projected_stockout_date,
        stockout_days.days_until_stockout,
        recommendations.on_hand_units,
        recommendations.days_of_cover,
        recommendations.lead_time_days,
        recommendations.suggested_order_units

    from recommendations

    inner join stockout_days
        on recommendations.store_code = stockout_days.store_code
            and recommendations.product_code = stockout_days.product_code

    where recommendations.has_inventory_position
        and stockout_days.days_until_stockout <= recommendations.lead_time_days

),

overstocks as (

    select
        store_code,
        product_code,
        store_name,
        region_code,
        category,
        'overstock' as alert_type,
        cast(null as date) as projected_stockout_date,
        cast(null as integer) as days_until_stockout,
        on_hand_units,
        days_of_cover,
        lead_time_days,
        suggested_order_units

    from recommendations

    -- stock nothing is forecast to sell is excess too (its days of cover are undefined)
    where has_inventory_position
        and (
            days_of_cover > {{ var('overstock_days_of_cover') }}
            or (mean_daily_forecast_units = 0 and on_hand_units > 0)
        )

),

alerts as (

    select * from stockout_risks

    union all

    select * from overstocks

),

final as (

    select
        {{ dbt.concat(["store_code", "'|'", "product_code", "'|'", "alert_type"]) }} as stock_alert_id,
        store_code,
        product_code,
        store_name,
        region_code,
        category,
        alert_type,
        projected_stockout_date,
        days_until_stockout,
        on_hand_units,
        days_of_cover,
        lead_time_days,
        suggested_order_units

    from alerts

)

select * from final
