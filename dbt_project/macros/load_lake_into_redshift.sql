{#- Loads the lake into schema `lake` on Redshift: per table, a fresh table filled by
    `COPY … FORMAT AS PARQUET` from the export's manifest, swapped in with a rename in one transaction, so
    readers see the previous load or the new one. `shelfcast transform --target redshift` exports the lake
    (shelfcast/redshift.py) and calls this with the tables; by hand:

        dbt run-operation load_lake_into_redshift --target redshift --args '{iam_role: arn:aws:iam::…:role/…,
            tables: [{name: erp_stores, manifest: s3://…/v00000003.manifest.json, columns: [[store_code, varchar(65535)], …]}]}'

    `dry_run: true` prints the statements instead of running them. -#}
{% macro load_lake_into_redshift(tables, iam_role, dry_run=false) %}
    {%- if not tables -%}
        {{ exceptions.raise_compiler_error("load_lake_into_redshift: no tables given") }}
    {%- endif -%}
    {%- if not iam_role -%}
        {{ exceptions.raise_compiler_error(
            "load_lake_into_redshift: no IAM role given; COPY reads S3 with a role the cluster may assume"
        ) }}
    {%- endif -%}
    {%- set statements = ["create schema if not exists lake"] -%}
    {%- for table in tables -%}
        {%- set loading = "lake." ~ adapter.quote(table.name ~ "__loading") -%}
        {%- set columns = [] -%}
        {%- for column in table.columns -%}
            {%- do columns.append(adapter.quote(column[0]) ~ " " ~ column[1]) -%}
        {%- endfor -%}
        {%- do statements.append("begin") -%}
        {%- do statements.append("drop table if exists " ~ loading) -%}
        {%- do statements.append("create table " ~ loading ~ " (" ~ columns | join(", ") ~ ")") -%}
        {%- do statements.append(
            "copy " ~ loading ~ " from '" ~ table.manifest ~ "' iam_role '" ~ iam_role
            ~ "' format as parquet manifest"
        ) -%}
        {#- the staging views over it go too; the dbt build that follows every load recreates them -#}
        {%- do statements.append("drop table if exists lake." ~ adapter.quote(table.name) ~ " cascade") -%}
        {%- do statements.append("alter table " ~ loading ~ " rename to " ~ adapter.quote(table.name)) -%}
        {%- do statements.append("commit") -%}
    {%- endfor -%}
    {%- for statement in statements -%}
        {%- if dry_run -%}
            {{ print(statement ~ ";") }}
        {%- else -%}
            {%- do run_query(statement) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log("load_lake_into_redshift: " ~ tables | length ~ " tables " ~ ("printed" if dry_run else "loaded"), info=true) }}
{% endmacro %}
