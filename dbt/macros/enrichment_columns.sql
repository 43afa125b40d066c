{#-
  The enrichment columns carried through to the marts, one "<alias>.<column>," line each, in
  table order: the columns of ml.feedback_enrichment whose comment marks them. The Python
  enrichment steps declare them (cfm.nlp.steps.STEPS, in_marts=True) and cfm.nlp.ml_schema
  writes the comment, so a new step's column reaches fct_feedback without editing the models.
  Empty while parsing (no database then).
-#}
{% macro enrichment_columns(alias=none) -%}
  {%- if execute -%}
    {%- for name in run_query(adapter.dispatch('enrichment_columns_query', 'cfm')()).columns[0].values() %}
        {{ (alias ~ '.') if alias else '' }}{{ adapter.quote(name) }},
    {%- endfor %}
  {%- endif -%}
{%- endmacro %}

{#- The query naming those columns, in table order. DuckDB keeps column comments in duckdb_columns(). -#}
{% macro duckdb__enrichment_columns_query() -%}
  select column_name from duckdb_columns()
  where schema_name = 'ml' and table_name = 'feedback_enrichment' and comment = 'cfm: in marts'
  order by column_index
{%- endmacro %}

{% macro default__enrichment_columns_query() -%}
  select a.attname
  from pg_attribute a
  where a.attrelid = to_regclass('ml.feedback_enrichment') and a.attnum > 0 and not a.attisdropped
    and col_description(a.attrelid, a.attnum) = 'cfm: in marts'
  order by a.attnum
{%- endmacro %}
