{#- Engines that read the lake in place but know tables only by name (Spark) get every source registered as
    an external Delta table `lake.<identifier>` at its lake location, before any model runs. DuckDB reads the
    locations directly (meta.external_location); PostgreSQL and Redshift have the data loaded instead
    (shelfcast/warehouse.py's COPY; the load_lake_into_redshift run-operation). -#}
{% macro register_lake_sources() %}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{% endmacro %}

{% macro default__register_lake_sources() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__register_lake_sources() %}
    {% if execute %}
        {% do run_query('create database if not exists lake') %}
        {#- the lake's sources; schema `ml` holds what the forecast writes into the warehouse itself -#}
        {% for source in graph.sources.values() if source.schema == 'lake' %}
            {% set location = lake_location(source) %}
            {#- external tables: dropping one forgets the name, never the lake's files -#}
            {% do run_query('drop table if exists lake.' ~ source.identifier) %}
            {% do run_query('create table lake.' ~ source.identifier ~ " using delta location '" ~ location ~ "'") %}
        {% endfor %}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{#- A source's lake folder, from the delta_scan('…') of its external_location. -#}
{% macro lake_location(source) %}
    {% set meta = source.meta or source.config.meta %}
    {% set found = modules.re.search("delta_scan[(]'([^']+)'[)]", meta.external_location) %}
    {% if not found %}
        {{ exceptions.raise_compiler_error(
            "source " ~ source.source_name ~ "." ~ source.name ~ " has no delta_scan('...') external_location") }}
    {% endif %}
    {{ return(found.group(1) | replace('{identifier}', source.identifier) | replace('{name}', source.name)) }}
{% endmacro %}
