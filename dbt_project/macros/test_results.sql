{#- Every dbt test's outcome, kept in the warehouse beside the data it tested: on-run-start makes sure the
    table exists (the test status mart is a view over it), on-run-end appends the run's results. On the
    embedded DuckDB target a build is published only when it passed, so the dashboard shows the tests of
    the data it shows; on PostgreSQL, Redshift and Spark failing runs are recorded too. -#}

{% macro test_results_relation() %}
    {{ return(api.Relation.create(database=target.get('database'), schema=model_schema(), identifier='dbt_test_results')) }}
{% endmacro %}

{% macro test_results_columns() %}
    {{ return({
        'invocation_id': dbt.type_string(), 'executed_at': dbt.type_timestamp(), 'test_id': dbt.type_string(),
        'test_name': dbt.type_string(), 'test_kind': dbt.type_string(), 'model_name': dbt.type_string(),
        'column_name': dbt.type_string(), 'severity': dbt.type_string(), 'status': dbt.type_string(),
        'failures': dbt.type_bigint(), 'message': dbt.type_string(), 'execution_seconds': type_double(),
    }) }}
{% endmacro %}

{#- Both hooks return their one statement for dbt to run: dbt then commits it the way each adapter needs. -#}
{% macro create_test_results_table() %}
    {% if execute %}
        {#- on a new warehouse dbt creates the target schema only when it builds the first model -#}
        {% do adapter.create_schema(test_results_relation()) %}
    {% endif %}
    {% set columns = [] %}
    {% for name, kind in test_results_columns().items() %}
        {% do columns.append(name ~ ' ' ~ kind) %}
    {% endfor %}
    {{ return(adapter.dispatch('create_test_results_table')(test_results_relation(), columns)) }}
{% endmacro %}

{% macro default__create_test_results_table(relation, columns) %}
    {{ return('create table if not exists ' ~ relation ~ ' (' ~ columns | join(', ') ~ ')') }}
{% endmacro %}

{% macro spark__create_test_results_table(relation, columns) %}
    {{ return('create table if not exists ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using delta') }}
{% endmacro %}

{% macro test_results_literal(value) %}
    {%- if value is none -%}
        {{ return('null') }}
    {%- endif -%}
    {#- one line, bounded: a failing test's message can carry its whole compiled SQL -#}
    {%- set text = (value | string | replace('\\', '/') | replace('\n', ' '))[:1000] -%}
    {{ return("'" ~ dbt.escape_single_quotes(text) ~ "'") }}
{% endmacro %}

{% macro store_test_results(results) %}
    {% if execute %}
        {% set rows = [] %}
        {% set executed_at = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ ")" %}
        {% for result in results if result.node.resource_type in ('test', 'unit_test') %}
            {% set node = result.node %}
            {% set tested = node.attached_node or node.tested_node_unique_id or (node.depends_on.nodes | first) or '' %}
            {% set model_name = tested.split('.') | last %}
            {% do rows.append('(' ~ [
                test_results_literal(invocation_id), executed_at, test_results_literal(node.unique_id),
                test_results_literal(node.name),
                test_results_literal('unit' if node.resource_type == 'unit_test' else 'data'),
                test_results_literal(model_name), test_results_literal(node.column_name),
                test_results_literal(node.config.severity | lower if node.config.severity else 'error'),
                test_results_literal(result.status), result.failures if result.failures is number else 'null',
                test_results_literal(result.message),
                result.execution_time if result.execution_time is number else 'null',
            ] | join(', ') ~ ')') %}
        {% endfor %}
        {% if rows %}
            {{ return('insert into ' ~ test_results_relation() ~ ' values ' ~ rows | join(', ')) }}
        {% endif %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
