{%- set z = var('inventory_service_level_z') -%}
{%- set review_days = var('inventory_review_days') -%}

with

forecasts as (

    select * from {{ ref('fct_sales_forecast') }}

),

inventory as (

    select * from {{ ref('fct_inventory_daily') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

latest_snapshot as (

    select max(snapshot_date) as snapshot_date

    from inventory

),

latest_positions as (

    select
        inventory.store_code,
        inventory.product_code,
        inventory.snapshot_date,
        inventory.on_hand_units,
        inventory.on_order_units

    from inventory

    inner join latest_snapshot
        on inventory.snapshot_date = latest_snapshot.snapshot_date

),

-- the forecast error's spread per day, from the calibrated interval: the upper half of the 80 % interval
-- is 1.2816 standard deviations of a normal error (demand above the forecast is what runs stock out)
daily_demand as (

    select
        forecasts.store_code,
        forecasts.product_code,
        forecasts.days_ahead,
        forecasts.forecast_units,
        products.lead_time_days,
        products.is_discontinued,
        (forecasts.forecast_units_upper_80 - forecasts.forecast_units) / 1.2816 as demand_sd,
        coalesce(nullif(products.case_pack, 0), 1) as case_pack

    from forecasts

    left join products
        on forecasts.product_code = products.product_code

),

-- demand and its variance over the lead time, and over lead time + review period (what one order must
-- cover); days past the forecast horizon count at the horizon's mean (errors independent across days)
demand_over_periods as (

    select
        store_code,
        product_code,
        max(lead_time_days) as lead_time_days,
        max(case_pack) as case_pack,
        bool_or(is_discontinued) as is_discontinued,
        count(*) as horizon_days,
        sum(forecast_units) as horizon_demand_units,
        sum(case when days_ahead <= lead_time_days then forecast_units else 0 end)
        + greatest(max(lead_time_days) - count(*), 0) * avg(forecast_units) as lead_time_demand_units,
        sum(case when days_ahead <= lead_time_days then demand_sd * demand_sd else 0 end)
        + greatest(max(lead_time_days) - count(*), 0) * avg(demand_sd * demand_sd) as lead_time_variance,
        sum(case when days_ahead <= lead_time_days + {{ review_days }} then forecast_units else 0 end)
        + greatest(max(lead_time_days) + {{ review_days }} - count(*), 0) * avg(forecast_units)
            as cover_period_demand_units,
        sum(case when days_ahead <= lead_time_days + {{ review_days }} then demand_sd * demand_sd else 0 end)
        + greatest(max(lead_time_days) + {{ review_days }} - count(*), 0) * avg(demand_sd * demand_sd)
            as cover_period_variance

    from daily_demand

    group by store_code, product_code

),

policy as (

    select
        demand.store_code,
        demand.product_code,
        positions.snapshot_date,
        demand.lead_time_days,
        demand.case_pack,
        demand.is_discontinued,
        demand.lead_time_demand_units,
        positions.snapshot_date is not null as has_inventory_position,
        coalesce(positions.on_hand_units, 0) as on_hand_units,
        coalesce(positions.on_order_units, 0) as on_order_units,
        coalesce(positions.on_hand_units, 0) + coalesce(positions.on_order_units, 0) as inventory_position_units,
        demand.horizon_demand_units / demand.horizon_days as mean_daily_forecast_units,
        {{ z }} * sqrt(demand.lead_time_variance) as safety_stock_units,
        demand.lead_time_demand_units + {{ z }} * sqrt(demand.lead_time_variance) as reorder_point_units,
        demand.cover_period_demand_units + {{ z }} * sqrt(demand.cover_period_variance) as order_up_to_units

    from demand_over_periods as demand

    left join latest_positions as positions
        on demand.store_code = positions.store_code
            and demand.product_code = positions.product_code

),

final as (

    select
        {{ dbt.concat(["policy.store_code", "'|'", "policy.product_code"]) }} as inventory_recommendation_id,
        policy.store_code,
        policy.product_code,
        -- names and region for the dashboards' filters and row-level security by region
        stores.store_name,
        stores.region_code,
        products.category,
        policy.snapshot_date,
        policy.has_inventory_position,
        policy.on_hand_units,
        policy.on_order_units,
        policy.inventory_position_units,
        policy.lead_time_days,
        policy.case_pack,
        policy.mean_daily_forecast_units,
        policy.lead_time_demand_units,
        policy.safety_stock_units,
        policy.reorder_point_units,
        policy.order_up_to_units,
        policy.is_discontinued,
        -- a discontinued product is sold out, never reordered
        not policy.is_discontinued
        and policy.inventory_position_units <= policy.reorder_point_units as needs_order,
        -- whole cases up to the order-up-to level, ordered only once the position reaches the reorder point
        case
            when not policy.is_discontinued and policy.inventory_position_units <= policy.reorder_point_units
                then cast(
                        ceil(
                            (policy.order_up_to_units - policy.inventory_position_units) / policy.case_pack
                        ) * policy.case_pack
                        as {{ dbt.type_bigint() }}
                    )
            else cast(0 as {{ dbt.type_bigint() }})
        end as suggested_order_units,
        {{ safe_divide('policy.on_hand_units', 'policy.mean_daily_forecast_units') }} as days_of_cover

    from policy

    left join stores
        on policy.store_code = stores.store_code

    left join products
        on policy.product_code = products.product_code

)

select * from final
