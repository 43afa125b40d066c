-- Every answer of multi-question responses, from the sources listed in var('answer_sources'),
-- on the staging contract's answer columns; answer_id is derived so every source gets one.
{%- set columns = ['feedback_id', 'question_id', 'question_text', 'answer_type', 'answer_value', 'answer_number'] %}

{{ config(materialized='view') }}

with unioned as (
{% for source_name in var('answer_sources') %}
    select '{{ source_name }}' as source, feedback_id, {{ public_id('question_id') }} as question_id,
        question_text, answer_type, answer_value, answer_number
    from {{ ref('stg_' ~ source_name ~ '__answers') }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
)

select
    md5(feedback_id || '|' || coalesce(question_id, '') || '|' || cast(row_number() over (
        partition by feedback_id, question_id order by answer_value nulls first, answer_number nulls first
    ) as text)) as answer_id,
    source,
    {{ columns | join(', ') }}
from unioned
