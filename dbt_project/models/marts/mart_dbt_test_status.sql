{#- A view: the latest outcome is read when asked, so it includes the tests of the run that built it (their
    results are appended after the models are built). -#}
{{ config(materialized='view') }}
{#- the project's tests now: a test removed from the project leaves the status with its last result. dbt's
    graph lists data tests; a unit test counts while the model it tests exists. -#}
{%- set project_tests, project_models = [], [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'test' -%}
            {%- do project_tests.append(node.unique_id) -%}
        {%- elif node.resource_type == 'model' -%}
            {%- do project_models.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

test_results as (

    select * from {{ ref('stg_dbt__test_results') }}

),

ranked as (

    select
        test_results.*,
        row_number() over (
            partition by test_results.test_id
            order by test_results.executed_at desc, test_results.invocation_id desc
        ) as recency

    from test_results

),

final as (

    select
        test_id,
        test_name,
        test_kind,
        model_name,
        column_name,
        severity,
        status,
        failures,
        message,
        execution_seconds,
        executed_at,
        invocation_id,
        status in ('fail', 'error') as is_failing,
        case status
            when 'error' then 1
            when 'fail' then 2
            when 'warn' then 3
            when 'skipped' then 4
            else 5
        end as attention_rank

    from ranked

    where recency = 1
        {%- if project_tests %}
            and (
                test_id in ('{{ project_tests | join("', '") }}')
                or (test_kind = 'unit' and model_name in ('{{ project_models | join("', '") }}'))
            )
        {%- endif %}

)

select * from final
