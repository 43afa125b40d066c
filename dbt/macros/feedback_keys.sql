{#- The stable surrogate key of a feedback record: md5 of source, account and source id. -#}
{% macro feedback_id(source, account, source_record_id) -%}
    {{ return(adapter.dispatch('feedback_id', 'cfm')(source, account, source_record_id)) }}
{%- endmacro %}

{% macro default__feedback_id(source, account, source_record_id) -%}
    md5(cast({{ source }} as text) || '|' || cast({{ account }} as text) || '|' || cast({{ source_record_id }} as text))
{%- endmacro %}

{#- An id as analysts may see it: its keyed pseudonym when the id carries PII (an email as record id,
    a phone as thread id; found and keyed by the enrich stage into ml.id_pseudonyms), else the id.
    Applied wherever an id is read for the marts, so joins on it still match. -#}
{% macro public_id(column) -%}
    coalesce(
        (select p.pseudonym from {{ source('ml', 'id_pseudonyms') }} p where p.id_digest = md5({{ column }})),
        {{ column }}
    )
{%- endmacro %}
