{#-
  Planner statistics for a table the moment it is built (a post-hook on every model). A table that
  dbt has just created has none until autovacuum gets to it, so the models built on it in the same
  build were planned blind: metric_changes joined metric_cells by nested loops over 20 million row
  pairs at 100k records. Tables that already have statistics (an incremental build adding a day) are
  left to autovacuum.
-#}
{% macro analyze_new_table() -%}
  {{ return(adapter.dispatch('analyze_new_table', 'cfm')()) }}
{%- endmacro %}

{% macro default__analyze_new_table() -%}
{%- endmacro %}

{% macro postgres__analyze_new_table() -%}
  {%- if execute and model.resource_type == 'model' and model.config.materialized in ('table', 'incremental') -%}
    do $$ begin
      if not exists (select 1 from pg_stats where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}') then
        analyze {{ this }};
      end if;
    end $$
  {%- endif -%}
{%- endmacro %}
