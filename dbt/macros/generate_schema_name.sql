{#- Use the configured schema name as is (staging, intermediate, marts), not <target>_<name>. The marts
    are built into var('marts_schema') when set: cfm builds them into a shadow schema and swaps it in
    whole (cfm.warehouse.marts_publish). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set name = custom_schema_name | trim if custom_schema_name else target.schema -%}
    {{ var('marts_schema', 'marts') if name == 'marts' else name }}
{%- endmacro %}
