-- Every source's staged feedback in one relation (the staging contract's columns).
{%- set columns = [
    'feedback_id', 'source', 'account', 'source_record_id', 'payload_hash', 'run_id', 'extracted_at',
    'source_updated_at', 'submitted_at', 'channel', 'customer_email', 'customer_external_id',
    'language_declared', 'text_raw', 'rating_type', 'rating_value', 'rating_scale_min', 'rating_scale_max',
    'survey_id', 'question_id', 'thread_id', 'attributes'
] %}

{{ config(materialized='view') }}

{% for source_name in var('feedback_sources') %}
select {{ columns | join(', ') }}
from {{ ref('stg_' ~ source_name ~ '__feedback') }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
