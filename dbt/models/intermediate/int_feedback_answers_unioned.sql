-- Every answer of multi-question responses, from the sources listed in var('answer_sources').
{%- set columns = ['answer_id', 'feedback_id', 'source', 'account', 'source_record_id', 'answer_position',
                   'question_id', 'question_text', 'answer_type', 'answer_value', 'answer_number'] %}

{{ config(materialized='view') }}

{% for source_name in var('answer_sources') %}
select {{ columns | join(', ') }}
from {{ ref('stg_' ~ source_name ~ '__answers') }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
