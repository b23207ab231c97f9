{#- Store attributes as they change between builds (type 2): a store that moves region or is refitted
    keeps its old row with dbt_valid_to set, so history can be reported on the attributes of the day. -#}
{% snapshot stores_snapshot %}

{{
    config(
        unique_key='store_code',
        strategy='check',
        check_cols=['store_name', 'region_code', 'city', 'state', 'store_type', 'size_sqm'],
    )
}}

{{ latest_extract(ref('stg_erp__stores')) }}

{% endsnapshot %}
