{#- Staging for sources whose connector stores `mapping.answers` (Typeform, SurveyMonkey, Qualtrics):
    one row per answer of a response, in answer order. -#}
{% macro answers_from_mapping(source_name) %}
with

source as (

    select * from {{ source('raw', source_name) }}

),

answers as (

    select
        {{ feedback_id('source.source', 'source.account', 'source.source_record_id') }} || '-' || answer.position as answer_id,
        {{ feedback_id('source.source', 'source.account', 'source.source_record_id') }} as feedback_id,
        source.source,
        source.account,
        source.source_record_id,
        answer.position as answer_position,
        nullif(answer.value->>'question_id', '') as question_id,
        nullif(answer.value->>'question_text', '') as question_text,
        nullif(answer.value->>'answer_type', '') as answer_type,
        answer.value->>'answer_value' as answer_value,
        {{ safe_numeric("answer.value->>'answer_number'") }} as answer_number

    from source
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(source.payload->'mapping'->'answers') = 'array'
            then source.payload->'mapping'->'answers' else '[]'::jsonb end
    ) with ordinality as answer (value, position)

)

select * from answers
{% endmacro %}
