{#-
  Feedback-level segment columns (var `segment_columns`: region, store, agent, product by default):
  attributes a source carries per feedback item (a file drop's extra columns, a survey's hidden or
  embedded fields), kept as text columns of fct_feedback under their own names, null where a
  source does not carry them. One "<expr> as <name>," line each (or "<alias>.<name>," without `attributes`).
-#}
{% macro segment_columns(attributes=none, alias=none) -%}
  {%- for name in var('segment_columns', []) %}
    {%- if not modules.re.match('^[a-z_][a-z0-9_]*$', name) -%}
      {{ exceptions.raise_compiler_error("var segment_columns: '" ~ name ~ "' is not a lower-case SQL identifier") }}
    {%- endif %}
    {%- if attributes %}
        nullif(trim({{ attributes }}->>'{{ name }}'), '') as {{ name }},
    {%- else %}
        {{ (alias ~ '.') if alias else '' }}{{ name }},
    {%- endif %}
  {%- endfor %}
{%- endmacro %}


{#-
  The customer attributes the metric marts cut by (var `customer_dimensions`: plan, region, tier by
  default), as the names of their fct_feedback columns: customer_plan, customer_region, customer_tier.
-#}
{% macro customer_dimension_columns() -%}
  {%- set known = ['plan', 'region', 'tier', 'account_owner'] -%}
  {%- set columns = [] -%}
  {%- for name in var('customer_dimensions', []) -%}
    {%- if name not in known -%}
      {{ exceptions.raise_compiler_error("var customer_dimensions: '" ~ name ~ "' is not one of " ~ known | join(', ')) }}
    {%- endif -%}
    {%- do columns.append('customer_' ~ name) -%}
  {%- endfor -%}
  {{ return(columns) }}
{%- endmacro %}
