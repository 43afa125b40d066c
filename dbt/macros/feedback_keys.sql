{#- The stable surrogate key of a feedback record: md5 of source, account and source id. -#}
{% macro feedback_id(source, account, source_record_id) -%}
    {{ return(adapter.dispatch('feedback_id', 'cfm')(source, account, source_record_id)) }}
{%- endmacro %}

{% macro default__feedback_id(source, account, source_record_id) -%}
    md5(cast({{ source }} as text) || '|' || cast({{ account }} as text) || '|' || cast({{ source_record_id }} as text))
{%- endmacro %}
