{#-
  Data tests of the incremental models look at what the last build could have written, not the
  whole table: an incremental build rewrites only the rows whose change marker (changed_at) is at
  or after its cutoff (macros/incremental_feedback.sql), and rows it did not rewrite passed the
  tests of the build that wrote them. Each such model records its cutoff in a pre-hook
  (record_incremental_window): '-infinity' when the build is a full one (first build, --full-refresh),
  so a full refresh tests every row. Rows a build rewrites with an older marker (a relabelled topic,
  moved customer attributes) change only columns no test looks at. Uniqueness of the key holds
  beyond the window: the models keep a unique index on it.

  The models' tests get the window through `get_where_subquery`, which dbt calls for the tested
  relation of every data test (dbt's documented override point for a test's `where`).
-#}

{#- The incremental models whose tests are windowed, and their change-marker column. -#}
{% macro windowed_test_models() -%}
    {{ return({'int_feedback_enriched': 'changed_at', 'fct_feedback': 'changed_at',
               'fct_metric_responses': 'changed_at'}) }}
{%- endmacro %}

{% macro incremental_windows_table() -%}
    {{ generate_schema_name('intermediate', none) | trim }}.dbt_incremental_windows
{%- endmacro %}

{#- Pre-hook of a windowed model: remember the cutoff of this build (-infinity for a full build). -#}
{% macro record_incremental_window() -%}
    create table if not exists {{ incremental_windows_table() }} (model text primary key, since timestamptz not null);
    insert into {{ incremental_windows_table() }} (model, since)
    values ('{{ this.identifier }}',
            {% if is_incremental() %}{{ incremental_cutoff(this) }}{% else %}'-infinity'::timestamptz{% endif %})
    on conflict (model) do update set since = excluded.since
{%- endmacro %}

{#-
  The staged feedback views int_feedback_enriched reads (int_feedback_unioned, stg_<source>__feedback):
  their key tests run before it builds, so they look at the records its coming build will read
  (extracted_at since its cutoff), all of them on a full build. Their key is the raw tables' primary key.
-#}
{% macro staged_feedback_window(relation) -%}
    {%- if flags.FULL_REFRESH or not execute -%}{{ return(none) }}{%- endif -%}
    {#- not ref(): a test of the view may not depend on the model built from it -#}
    {%- set enriched = adapter.get_relation(database=target.database, schema=generate_schema_name('intermediate', none) | trim,
                                            identifier='int_feedback_enriched') -%}
    {%- if not enriched -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('extracted_at >= ' ~ incremental_cutoff(enriched)) }}
{%- endmacro %}

{#- The window of a data test on `relation`, or none: the whole relation. -#}
{% macro incremental_test_window(relation) -%}
    {%- set name = relation.identifier -%}
    {%- if name == 'int_feedback_unioned' or (name.startswith('stg_') and name.endswith('__feedback')) -%}
        {{ return(staged_feedback_window(relation)) }}
    {%- endif -%}
    {%- set column = windowed_test_models().get(name) -%}
    {%- if not column or not execute -%}{{ return(none) }}{%- endif -%}
    {%- if not adapter.get_relation(database=target.database, schema=generate_schema_name('intermediate', none) | trim,
                                    identifier='dbt_incremental_windows') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(column ~ " >= coalesce((select since from " ~ incremental_windows_table() ~ " where model = '"
              ~ name ~ "'), '-infinity'::timestamptz)") }}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set window = incremental_test_window(relation) -%}
    {%- if window -%}
        {%- set where = '(' ~ where ~ ') and ' ~ window if where else window -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
