{#- Product attributes as they change between builds (type 2): category moves, supplier changes, lead times,
    list price and cost, and discontinuation. -#}
{% snapshot products_snapshot %}

{{
    config(
        unique_key='product_code',
        strategy='check',
        check_cols=[
            'product_name', 'category', 'subcategory', 'brand', 'supplier_code', 'list_price', 'unit_cost',
            'case_pack', 'lead_time_days', 'discontinued_date',
        ],
    )
}}

{{ latest_extract(ref('stg_erp__products')) }}

{% endsnapshot %}
