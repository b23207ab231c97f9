with

pos_lines as (

    select * from {{ ref('stg_pos__lines') }}

),

stores as (

    {{ latest_extract(ref('stg_erp__stores')) }}

),

products as (

    {{ latest_extract(ref('stg_erp__products')) }}

),

product_prices as (

    {{ latest_extract(ref('stg_erp__product_prices')) }}

),

lines_with_cost as (

    -- The cost and list price in force on the day of sale; the product's current ones when the price
    -- history does not cover the day.
    select
        pos_lines.*,
        products.category,
        products.subcategory,
        stores.region_code,
        coalesce(product_prices.unit_cost, products.unit_cost) as unit_cost,
        coalesce(product_prices.list_price, products.list_price) as list_price

    from pos_lines

    inner join products
        on pos_lines.product_code = products.product_code

    inner join stores
        on pos_lines.store_code = stores.store_code

    left join product_prices
        on
            pos_lines.product_code = product_prices.product_code
            and pos_lines.transaction_date >= product_prices.valid_from
            and (
                product_prices.valid_to is null
                or pos_lines.transaction_date <= product_prices.valid_to
            )

),

final as (

    select
        ---------- ids
        {{ dbt.concat(["transaction_id", "'-'", "cast(line_number as " ~ dbt.type_string() ~ ")"]) }}
            as order_line_id,
        transaction_id as order_id,
        line_number,
        store_code,
        region_code,
        product_code,
        category,
        subcategory,
        customer_code,
        promo_code,
        original_transaction_id as original_order_id,

        ---------- strings
        transaction_type,
        payment_type,

        ---------- numerics
        quantity,
        unit_price,
        list_price,
        unit_cost,
        line_amount as revenue,
        cast(quantity * unit_cost as decimal(14, 2)) as cost_of_goods,
        cast(line_amount - quantity * unit_cost as decimal(14, 2)) as gross_margin,
        cast(quantity * (list_price - unit_price) as decimal(14, 2)) as discount_amount,
        outlier_score,

        ---------- booleans
        transaction_type = 'RETURN' as is_return,
        promo_code is not null as is_promoted,
        is_outlier,

        ---------- dates
        transaction_date as sold_on,
        transacted_at,

        ---------- lineage
        batch_id,
        ingested_at

    from lines_with_cost

)

select * from final
